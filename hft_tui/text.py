"""Small texts shared by the commands, the engine's log and the screens: counts and UTC times."""

from __future__ import annotations

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
