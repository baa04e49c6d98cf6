"""Reading a time typed by the user (seek dialog, replay --start): UTC, or an offset."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal


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


_OFFSET = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)")
_UNIT_NS = {"h": 3_600_000_000_000, "m": 60_000_000_000, "s": 1_000_000_000, "ms": 1_000_000}


def parse_offset(text: str) -> int:
    """ns in a duration such as ``90s``, ``1m30s``, ``1h``, ``2.5s`` or ``250ms``."""
    body = text.strip().replace(" ", "")
    parts = _OFFSET.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise ValueError(f"{text!r} is not a duration like 90s, 1m30s, 1h or 250ms")
    return sum(int(Decimal(n) * _UNIT_NS[u]) for n, u in parts)


def parse_time(text: str, origin: int, like: str = "") -> int:
    """ns since the epoch for a UTC time (see ``parse_utc``; a bare time of day takes
    the date of ``like``), or for ``+DURATION`` / ``-DURATION`` from ``origin``."""
    text = text.strip()
    if len(text) > 1 and text[0] in "+-":
        offset = parse_offset(text[1:])
        return origin + offset if text[0] == "+" else origin - offset
    try:
        return parse_utc(text, like=like)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a UTC time (YYYY-MM-DD HH:MM:SS[.fff] or HH:MM:SS) "
            "nor an offset (+90s, -1m, +1h30m)"
        ) from None
