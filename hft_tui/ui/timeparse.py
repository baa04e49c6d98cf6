"""Reading a UTC time typed by the user (seek dialog, --start)."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_utc(text: str, like: str = "") -> int:
    """ns since the epoch for ``YYYY-MM-DD HH:MM:SS[.fff...]``; a bare time of day
    takes its date from ``like`` (the current exchange time as shown)."""
    text = text.strip().replace("T", " ").removesuffix("Z")
    if len(text) <= 18 and ":" in text and "-" not in text:
        if not like or len(like) < 10:
            raise ValueError("give a full date and time")
        text = f"{like[:10]} {text}"
    main, _, frac = text.partition(".")
    try:
        dt = datetime.strptime(main, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"{text!r} is not YYYY-MM-DD HH:MM:SS[.fff]") from None
    if frac and not frac.isdigit():
        raise ValueError(f"{text!r}: fraction of a second must be digits")
    ns = int(frac.ljust(9, "0")[:9]) if frac else 0
    return int(dt.timestamp()) * 1_000_000_000 + ns
