"""The hook watchdog: budgets, the kill switch, masked engine sections."""

from __future__ import annotations

import dis
import threading
import time

import pytest

from hft_tui.engine.commands import KillSwitch
from hft_tui.engine.context import EngineContext
from hft_tui.engine.watchdog import BUDGET, KILL, Watchdog


@pytest.fixture
def dog():
    kill = KillSwitch()
    wd = Watchdog(kill, budget_s=0.05, poll_s=0.002)
    wd.start()
    yield wd
    wd.stop()


def forever() -> None:
    while True:
        pass


def test_endless_loop_is_interrupted_by_the_budget(dog):
    t = time.perf_counter()
    assert dog.call(forever) == BUDGET
    assert 0.04 < time.perf_counter() - t < 2.0


def test_a_hook_that_swallows_the_interruption_gets_it_again(dog):
    caught = []

    def stubborn():
        while len(caught) < 3:
            try:
                forever()
            except BaseException as exc:  # a strategy that catches everything
                caught.append(exc)

    assert dog.call(stubborn) == BUDGET
    assert len(caught) == 3


def test_kill_switch_interrupts_a_running_hook_at_once(dog):
    dog.budget_s = 60.0
    threading.Timer(0.05, dog.kill.trip).start()
    t = time.perf_counter()
    assert dog.call(forever) == KILL
    assert time.perf_counter() - t < 2.0


def test_masked_engine_work_is_not_cut(dog):
    done = []

    def hook():
        dog.masked += 1
        try:
            t = time.perf_counter()
            while time.perf_counter() - t < 0.15:  # three budgets, masked
                pass
            done.append("masked part finished")
        finally:
            dog.masked -= 1
        forever()

    assert dog.call(hook) == BUDGET
    assert done == ["masked part finished"]


def test_normal_hooks_and_exceptions(dog):
    assert dog.call(lambda: None) == ""
    with pytest.raises(ValueError):
        dog.call(lambda: (_ for _ in ()).throw(ValueError("strategy bug")))
    # nothing is left pending for the engine thread after an interruption
    assert dog.call(forever) == BUDGET
    t = time.perf_counter()
    while time.perf_counter() - t < 0.05:
        pass


def test_mask_increment_has_no_eval_check_point():
    # The race-freedom argument of the watchdog needs ``masked += 1`` to be the first
    # thing a ctx call does, with no call (an eval check point) before it.
    for name in ("buy", "sell", "cancel", "cancel_all", "replace", "log"):
        ops = [i.opname for i in dis.get_instructions(getattr(EngineContext, name))]
        first_store = ops.index("STORE_ATTR")
        assert not any(op.startswith(("CALL", "PRECALL")) for op in ops[:first_store]), name


def test_a_hook_that_waits_is_not_over_budget_one_that_burns_cpu_is(dog):
    if not hasattr(time, "pthread_getcpuclockid"):
        pytest.skip("no per-thread CPU clock here")
    assert dog.call(time.sleep, 0.2) == ""  # four budgets of wall time, no CPU: fine
    assert dog.call(forever) == BUDGET
