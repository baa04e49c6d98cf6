"""The kill switch (inline, under load, against a stuck strategy) and failing strategies."""

from __future__ import annotations

import threading
import time

import pytest

from enginekit import ArraySource, Recorder, config, l2_walk, spec

from hft_tui.engine.commands import Kill, Rearm, Stop
from hft_tui.engine.engine import Engine
from hft_tui.engine.snapshot import HALTED
from hft_tui.exchange.layout import C_NEXT_ID
from hft_tui.feeds.sim_source import SimSource
from hft_tui.strategies.base import POST_ONLY, Strategy
from hft_tui.strategies.loader import load_strategies


class Quoter(Strategy):
    """Keeps one post-only bid and ask 20 ticks off the touch; misbehaves on request."""

    wake_ticks = 1
    defaults = {"bad_at": 0, "how": "", "kill_at": 0}

    def __init__(self, name, params=None):
        super().__init__(name, params)
        self.wakes = 0
        self.stuck = threading.Event()
        self.engine = None

    def on_wake(self, ctx):
        self.wakes += 1
        p = self.params
        if self.wakes == p["kill_at"]:
            self.engine.command(Kill("test"))  # a viewer presses the key right now
        if self.wakes == p["bad_at"]:
            if p["how"] == "raise":
                raise ZeroDivisionError("strategy bug")
            self.stuck.set()
            while True:
                pass
        b, a = ctx.best_bid(), ctx.best_ask()
        if b and a and not ctx.open_orders():
            ctx.buy(10, b[0] - 20, kind=POST_ONLY)
            ctx.sell(10, a[0] + 20, kind=POST_ONLY)


def quoter(name, **params):
    return spec(Quoter, name, **params)


def test_kill_acts_before_the_next_event_and_cancels_everything():
    ev = l2_walk(2000, seed=7)
    engine = Engine(ArraySource(ev, batch=100), [quoter("a", kill_at=50), quoter("b")], config())
    for slot in engine.slots:
        slot.strategy.engine = engine
    seen = []
    run = engine.xl.run

    def checked_run(*args):
        if engine.kill.tripped:
            seen.append((engine.control.killed, engine.desk.sent, int(engine.xl.ints[C_NEXT_ID])))
        return run(*args)

    engine.xl.run = checked_run
    engine.run()
    assert seen and all(killed for killed, _, _ in seen)  # not one event before the kill acted
    assert len({(sent, nxt) for _, sent, nxt in seen}) == 1  # nothing sent after it
    assert all(s.state == HALTED for s in engine.slots)
    assert engine.risk.global_state == HALTED
    assert not engine.desk.orders  # every order cancelled at the exchange
    assert engine.last_kill_us is not None
    assert any("KILL SWITCH" in line.text for line in engine.logs)


@pytest.mark.parametrize("names", [["mm", "grid"], ["mm"]])  # mm alone: its jitted requotes (fast_quote)
def test_kill_switch_under_load_threaded(names):
    cfg = config()
    source = SimSource(max_events=50_000_000)
    engine = Engine(source, load_strategies(names, cfg), cfg, mode="SIM")
    assert (engine.fast is not None) == (names == ["mm"])
    engine.start()
    try:
        deadline = time.monotonic() + 60
        while engine.desk.sent < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.desk.sent >= 5
        engine.command(Kill("test under load"))
        while not engine.control.killed and time.monotonic() < deadline:
            time.sleep(0.001)
        assert engine.control.killed
        next_id = int(engine.xl.ints[C_NEXT_ID])
        replaces = engine.desk.replaces
        events = engine.events_total
        while engine.events_total < events + 200_000 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert int(engine.xl.ints[C_NEXT_ID]) == next_id  # no order reached the exchange since
        assert engine.desk.replaces == replaces  # nor a replace
        assert all(s.state == HALTED for s in engine.slots)
        assert not engine.desk.orders
    finally:
        engine.command(Stop())
        engine.join(30)
    assert engine.state == "ended"
    assert engine.last_kill_us is not None and engine.last_kill_us < 1_000_000


def test_kill_switch_stops_a_strategy_stuck_in_an_endless_loop():
    ev = l2_walk(20_000, seed=8)
    cfg = config(hook_budget_ms=120_000.0)  # only the kill switch can stop it
    engine = Engine(ArraySource(ev), [quoter("stuck", bad_at=30, how="loop"), quoter("ok")], cfg)
    engine.start()
    try:
        assert engine.slots[0].strategy.stuck.wait(60)
        open_before = len(engine.desk.orders)
        assert open_before > 0
        t = time.monotonic()
        engine.command(Kill("stuck strategy"))
        while not engine.control.killed and time.monotonic() - t < 10:
            time.sleep(0.001)
        assert engine.control.killed, "the kill switch did not get through"
        assert time.monotonic() - t < 5
        assert all(s.state == HALTED for s in engine.slots)
    finally:
        engine.join(60)
    assert engine.state == "ended"
    assert not engine.desk.orders
    assert any("interrupted by the kill switch" in line.text for line in engine.logs)


def test_strategy_over_budget_is_stopped_others_go_on():
    ev = l2_walk(3000, seed=9)
    cfg = config(hook_budget_ms=50.0)
    specs = [quoter("stuck", bad_at=20, how="loop"), spec(Recorder, "rec", ticks=1)]
    engine = Engine(ArraySource(ev), specs, cfg)
    engine.run()
    stuck, rec = engine.slots
    assert stuck.state == HALTED and "budget" in stuck.error
    assert stuck.wakes == 20
    assert not engine.desk.orders
    assert len(rec.strategy.wakes) > 1000  # woken on to the end
    assert rec.state != HALTED and not engine.kill.tripped


def test_strategy_exception_stops_it_cancels_its_orders_and_others_go_on():
    ev = l2_walk(3000, seed=10)
    engine = Engine(ArraySource(ev), [quoter("bad", bad_at=25, how="raise"), quoter("good")], config())
    engine.run()
    bad, good = engine.slots
    assert bad.state == HALTED and bad.wakes == 25
    assert "ZeroDivisionError in on_wake: strategy bug" in bad.error
    assert not any(o.slot == bad.index for o in engine.desk.orders.values())
    assert good.state != HALTED and good.wakes > 1000
    errors = [line for line in engine.logs if line.level == "error"]
    assert errors and errors[0].strategy == "bad"


def test_a_rearm_without_a_kill_changes_nothing_and_the_run_goes_on():
    """It switched every strategy off without telling the runner, which then stopped
    for the switched-off strategy's band again and again: the replay never moved on."""
    cfg = config()
    engine = Engine(SimSource(seed=4, max_events=300_000), load_strategies(["mm"], cfg), cfg, mode="SIM")
    sent = []

    def rearm_once(e):
        if not sent and e.desk.sent > 3:
            sent.append(e.desk.sent)
            e.command(Rearm())

    engine.on_batch = rearm_once
    engine.start()
    engine.join(60)
    try:
        assert engine.state == "ended"
        assert sent and engine.slots[0].enabled and engine.desk.sent > sent[0]  # still trading
        assert any("nothing to re-arm" in line.text for line in engine.logs)
    finally:
        engine.command(Stop())
        engine.join(10)
