"""Small texts shared by the commands, the engine's log and the screens: counts, UTC times, wrapping."""

from __future__ import annotations

import re
import textwrap
import time


def counted(n: int, noun: str) -> str:
    """'1 row', '2,000 rows': a count and its noun, for the one-line reports."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def utc_iso(ns: int) -> str:
    """Nanoseconds since the epoch as UTC ISO 8601 with all nine digits."""
    sec, frac = divmod(int(ns), 1_000_000_000)
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns since the epoch"


def utc_ms(ns: int) -> str:
    """'2024-01-01 00:01:15.719': exchange time as the screens show it (UTC, ms)."""
    if ns <= 0:
        return "--:--:--.---"
    sec, frac = divmod(int(ns), 1_000_000_000)
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sec)) + f".{frac // 1_000_000:03d}"
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns since the epoch"


def duration_ns(ns: int) -> str:
    """A span in nanoseconds as [Nd ]H:MM:SS.nnnnnnnnn."""
    sign = "-" if ns < 0 else ""
    sec, frac = divmod(abs(int(ns)), 1_000_000_000)
    days, sec = divmod(sec, 86_400)
    hours, sec = divmod(sec, 3_600)
    minutes, sec = divmod(sec, 60)
    text = f"{hours}:{minutes:02d}:{sec:02d}.{frac:09d}"
    return f"{sign}{days}d {text}" if days else sign + text


_NOT_PLAIN = re.compile(r"\s\s|[^\S ]|^ | $")  # two spaces running, whitespace other than a space, an end


def wrap(text: str, width: int) -> list[str]:
    """``textwrap.wrap(text, width, break_on_hyphens=False)``, a few times faster on
    the texts logs hold: words one space apart, none wider than ``width`` (the order
    log wraps hundreds of lines a frame). Anything else goes to textwrap."""
    if not text:
        return []
    words = text.split(" ")
    if width < 1 or max(map(len, words)) > width or _NOT_PLAIN.search(text):
        return textwrap.wrap(text, width, break_on_hyphens=False)
    rows, row = [], words[0]
    for word in words[1:]:
        if len(row) + 1 + len(word) <= width:
            row = f"{row} {word}"
        else:
            rows.append(row)
            row = word
    rows.append(row)
    return rows
