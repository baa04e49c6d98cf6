"""Event time against the wall clock: replay speed, pause and step.

Only pacing reads the wall clock; nothing that decides fills does. At speed S
the engine may process the messages whose feed time is at most
``ev0 + S * (wall - wall0)``; ``horizon`` tells the exchange runner where to
stop, ``wait`` sleeps until the next message is due (waking early for a
command). Speed None means as fast as possible: no horizon, no sleeping.
"""

from __future__ import annotations

import threading
import time

NO_DEADLINE = 1 << 62
# How far ahead of the wall clock a paced run may process, so that it stops for
# a sleep a few hundred times a second at most, not after every message.
SLACK_S = 0.004


class Pacer:
    def __init__(self, speed: float | None, wakeup: threading.Event) -> None:
        self.speed = speed
        self._wakeup = wakeup
        self._wall0 = 0.0
        self._ev0: int | None = None

    def set_speed(self, speed: float | None) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive or None, got {speed!r}")
        self.speed = speed
        self._ev0 = None  # re-anchor at the next message

    def reanchor(self) -> None:
        """After a pause, a seek or a step: do not try to catch up the lost wall time."""
        self._ev0 = None

    def horizon(self, now_ev: int) -> int:
        """The latest feed time that may be processed now."""
        if self.speed is None:
            return NO_DEADLINE
        if self._ev0 is None:
            self._ev0 = now_ev
            self._wall0 = time.perf_counter()
        elapsed = time.perf_counter() - self._wall0 + SLACK_S
        return self._ev0 + int(elapsed * self.speed * 1e9)

    def wait(self, next_ev: int) -> None:
        """Sleep until the message at feed time ``next_ev`` is due, or a command arrives."""
        if self.speed is None or self._ev0 is None:
            return
        due = self._wall0 + (next_ev - self._ev0) / (self.speed * 1e9)
        delay = due - time.perf_counter()
        if delay > 0:
            self._wakeup.wait(min(delay, 0.05))
