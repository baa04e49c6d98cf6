"""Commands a viewer (the TUI, a test, a script) sends to a running engine.

Viewers put commands on the engine's thread-safe queue; the engine drains it
between batches. ``Kill`` also sets a flag that the risk manager and the engine
check on their own, so it wins even when the queue is not being drained (see
``KillSwitch``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Kill:
    """Cancel every open order, halt every strategy, stay halted until Rearm."""

    reason: str = "kill switch"


@dataclass(frozen=True)
class Rearm:
    """Leave the killed state; strategies stay disabled until enabled one by one."""


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class SetSpeed:
    """Replay speed: a multiple of event time (1.0, 10.0, ...) or None for as fast as possible."""

    speed: float | None


@dataclass(frozen=True)
class Step:
    """While paused: advance by ``events`` source messages, or by ``seconds`` of event time."""

    events: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Seek:
    """Replay only: jump to the first message at or after exchange time ``ts_ns``."""

    ts_ns: int


@dataclass(frozen=True)
class EnableStrategy:
    name: str
    enabled: bool


@dataclass(frozen=True)
class SetParam:
    strategy: str
    key: str
    value: Any


@dataclass(frozen=True)
class SetLimit:
    """Change a risk limit; ``strategy`` None means the global limit."""

    key: str
    value: float
    strategy: str | None = None


@dataclass(frozen=True)
class Stop:
    """Cancel every open order and end the run."""


Command = Kill | Rearm | Pause | Resume | SetSpeed | Step | Seek | EnableStrategy | SetParam | SetLimit | Stop


class KillSwitch:
    """The flag behind the kill switch, shared by the engine and the risk manager.

    Setting it needs no lock and no queue: it is read on every intent and every
    batch, so trading stops even while the engine is busy elsewhere.
    """

    def __init__(self) -> None:
        self._flag = threading.Event()
        self.reason = ""
        #: the same flag for jitted code (the market maker's fast path reads it)
        self.flag = np.zeros(1, np.int64)
        #: the flag as a bound method (``kill.tripped_now()``), for loops that check it per step
        self.tripped_now = self._flag.is_set

    def trip(self, reason: str = "kill switch") -> None:
        self.reason = reason
        self.flag[0] = 1
        self._flag.set()

    def reset(self) -> None:
        self.reason = ""
        self.flag[0] = 0
        self._flag.clear()

    @property
    def tripped(self) -> bool:
        return self._flag.is_set()
