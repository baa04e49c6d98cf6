"""A time budget for strategy hooks, enforced from a second thread.

A strategy is user code: it may loop forever inside ``on_wake``. The engine
thread cannot interrupt itself, so a watchdog thread watches the hook that is
running and, when its budget is spent or the kill switch trips, raises
``HookInterrupted`` inside the engine thread with
``PyThreadState_SetAsyncExc``. CPython delivers such an exception at the next
check point of the target thread's eval loop, so any loop written in Python
stops; code blocked inside C (a ``time.sleep``, a nogil numba kernel) stops only
when it returns to Python.

Engine work done on a strategy's behalf (``ctx.buy`` talking to the risk
manager and the exchange) must not be cut in half, so the engine brackets it
with ``masked += 1`` / ``masked -= 1``: the watchdog does not fire while
``masked`` is non-zero. Why this is race-free: the watchdog holds the GIL from
its check of ``masked`` to the call that schedules the exception, with no eval
check point in between; the engine thread, stopped at a check point (or in a
C call that released the GIL), takes the exception at that very point when it
resumes, which was outside any masked section. The increment itself has no
check point inside it (see ``tests/test_engine_watchdog.py``).

The budget is wall time and CPU time together: past its budget in wall time, a
hook must still burn half a budget of its thread's CPU time before it is
stopped, so a hook that only waited for a busy machine is left alone (one that
is blocked for 20 budgets is stopped anyway).

Arming and disarming are attribute writes, so wrapping every hook costs a few
tenths of a microsecond: the engine thread does not even read a clock. The
watchdog thread wakes every ``poll_s`` and times a hook from the first poll
that sees it running, so a budget is spent up to ``poll_s`` late.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import Any

from hft_tui.engine.commands import KillSwitch

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int

BUDGET = "budget"
KILL = "kill"


class HookInterrupted(BaseException):
    """Raised inside a strategy hook by the watchdog.

    A BaseException, so that a strategy's own ``except Exception`` does not
    swallow it and carry on looping.
    """

    why = ""


class BudgetExceeded(HookInterrupted):
    why = BUDGET


class KilledDuringHook(HookInterrupted):
    why = KILL


# Built once: constructing them in the watchdog would put a call (an eval
# check point) between the check of ``masked`` and the firing.
_NULL = ctypes.py_object()
_EXC = {BUDGET: ctypes.py_object(BudgetExceeded), KILL: ctypes.py_object(KilledDuringHook)}


def _cpu_clock(ident: int) -> int | None:
    """The CPU-time clock of a thread, where the platform has one."""
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return None


class Watchdog:
    """Runs hooks under a wall-clock budget; one instance per engine thread."""

    def __init__(self, kill: KillSwitch, budget_s: float = 0.5, poll_s: float = 0.002) -> None:
        self.kill = kill
        self.budget_s = budget_s
        self.poll_s = poll_s
        #: engine work on a strategy's behalf is in progress: do not fire
        self.masked = 0
        self.fired = ""
        self._armed = False
        self._gen = 0  # hooks run so far: tells one hook from the next
        self._seen_gen = -1  # the hook the watchdog thread timed last, and since when
        self._seen_at = 0.0
        self._cpu_mark: float | None = None
        self._cpu_gen = -1
        self._clock: int | None = None  # the engine thread's CPU-time clock
        self._target = ctypes.c_ulong(0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the watchdog thread ---------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="hft-watchdog", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _over_budget(self) -> bool:
        """The running hook has used up its budget.

        Wall time alone would also stop a hook that merely waited for the CPU on
        a loaded machine. So once the budget has passed in wall time, the hook
        must also burn half a budget of CPU time of its own (its thread's clock)
        before it is stopped; a hook blocked for 20 budgets is stopped anyway.
        """
        gen = self._gen
        now = time.perf_counter()
        if gen != self._seen_gen:
            self._seen_gen, self._seen_at = gen, now
        wall = now - self._seen_at
        if wall < self.budget_s:
            self._cpu_mark = None
            return False
        if wall >= 20 * self.budget_s or self._clock is None:
            return True
        cpu = time.clock_gettime(self._clock)
        if self._cpu_mark is None or self._cpu_gen != gen:
            self._cpu_mark, self._cpu_gen = cpu, gen
            return False
        return cpu - self._cpu_mark >= self.budget_s / 2

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            if not self._armed:
                continue
            why = KILL if self.kill.tripped else ""
            if not why and self._over_budget():
                why = BUDGET
            if not why:
                continue
            exc = _EXC[why]
            target = self._target
            # From here to the call: no eval check point (see the module docstring).
            # A hook that swallows the exception gets it again on the next poll.
            if self._armed and self.masked == 0:
                self.fired = why
                _set_async_exc(target, exc)

    # --- the engine side -----------------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any) -> str:
        """Run ``fn(*args)`` under the budget.

        Returns "" when it returned normally, BUDGET or KILL when the watchdog
        interrupted it; an exception the hook raised propagates.
        """
        if self._thread is None:
            fn(*args)
            return ""
        ident = threading.get_ident()
        if ident != self._target.value:
            self._target.value = ident
            self._clock = _cpu_clock(ident)
        self.fired = ""
        self._gen += 1  # before arming: the watchdog must not time this hook as the last
        self._armed = True
        try:
            try:
                fn(*args)
            finally:
                # A firing that precedes this store is delivered at a check point
                # before it, so inside the outer try.
                self._armed = False
        except HookInterrupted as exc:
            self._clear()
            return exc.why or self.fired or BUDGET
        if self.fired:
            self._clear()
        return self.fired

    def _clear(self) -> None:
        # Belt and braces: drop a firing still scheduled (the hook swallowed an
        # earlier one, or the thread was in C code when it came).
        _set_async_exc(self._target, _NULL)
