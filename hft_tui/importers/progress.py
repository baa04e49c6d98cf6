"""A one-line progress bar on stderr for long conversions: percentage by bytes read, rows/s.

It appears only on a terminal and only once a conversion has run for a second,
so short conversions and logs stay clean; it is redrawn a few times a second
at most and erased when the conversion ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def _count(n: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return f"{n:.0f}"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    WIDTH = 24

    def __init__(
        self,
        total_bytes: int,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        delay: float = 1.0,
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.total = max(total_bytes, 1)
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.start = clock()
        self._next = self.start + delay
        self._base = 0  # bytes of the inputs already finished
        self.done_bytes = 0
        self.rows = 0
        self._drawn = False

    def file_done(self, size: int) -> None:
        self._base += size
        self.done_bytes = self._base

    def update(self, raw_pos: int, rows: int) -> None:
        self.done_bytes = self._base + raw_pos
        self.rows += rows
        if self.enabled:
            now = self.clock()
            if now >= self._next:
                self._next = now + self.interval
                self.draw(now)

    def line(self, now: float) -> str:
        frac = min(self.done_bytes / self.total, 1.0)
        elapsed = max(now - self.start, 1e-9)
        fill = int(frac * self.WIDTH)
        bar = "#" * fill + "-" * (self.WIDTH - fill)
        eta = f"  ETA {_clock(elapsed * (1 - frac) / frac)}" if 0 < frac < 1 else ""
        rate = self.rows / elapsed
        return f"[{bar}] {frac * 100:3.0f}%  {_count(self.rows)} rows  {_count(rate)} rows/s{eta}"

    def draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar (the caller prints its own summary)."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    @property
    def elapsed(self) -> float:
        return self.clock() - self.start
