"""Viewer commands on a running engine: pause, step, speed, seek, enable, parameters, limits, re-arm."""

from __future__ import annotations

import time

import numpy as np
from enginekit import ArraySource, Recorder, config, l2_walk, spec

from hft_tui.book import Book
from hft_tui.engine.commands import (
    EnableStrategy,
    Kill,
    Pause,
    Rearm,
    Resume,
    Seek,
    SetLimit,
    SetParam,
    SetSpeed,
    Step,
    Stop,
)
from hft_tui.engine.engine import Engine
from hft_tui.engine.snapshot import HALTED
from hft_tui.events import EOM
from hft_tui.feeds.replay import ReplaySource
from hft_tui.strategies.base import POST_ONLY, Strategy
from hft_tui.tickfile import TickWriter


def wait_for(cond, timeout=20.0):
    t = time.monotonic()
    while not cond():
        if time.monotonic() - t > timeout:
            raise AssertionError("timed out")
        time.sleep(0.002)


class Quoter(Strategy):
    wake_ticks = 1
    defaults = {"size": 10}

    def on_wake(self, ctx):
        b, a = ctx.best_bid(), ctx.best_ask()
        if b and a and not ctx.open_orders():
            ctx.buy(self.params["size"], b[0] - 20, kind=POST_ONLY)


def started(ev, *specs, batch=1000, **engine_cfg):
    engine = Engine(ArraySource(ev, batch=batch), list(specs), config(**engine_cfg), mode="REPLAY")
    engine.command(Pause())
    engine.start()
    wait_for(lambda: engine.state == "paused")
    return engine


def test_pause_step_resume():
    ev = l2_walk(2000, seed=11)
    engine = started(ev, spec(Recorder, "r", ticks=1))
    try:
        assert engine.events_total == 0
        time.sleep(0.05)
        assert engine.events_total == 0  # paused: nothing moves
        engine.command(Step(events=5))
        ends = np.flatnonzero(ev["flags"] & EOM)
        wait_for(lambda: engine.events_total == ends[4] + 1)
        time.sleep(0.05)
        assert engine.events_total == ends[4] + 1  # exactly five messages
        before = engine.now
        engine.command(Step(seconds=0.1))
        wait_for(lambda: engine.now >= before + 90_000_000)
        time.sleep(0.05)
        assert before + 90_000_000 <= engine.now < before + 100_000_000  # messages every 10 ms
        engine.command(Resume())
        engine.join(30)
        assert engine.state == "ended" and engine.events_total == len(ev)
    finally:
        engine.command(Stop())
        engine.join(10)


def test_replay_speed_paces_event_time_and_changes_no_result():
    ev = l2_walk(300, seed=12)  # 3 s of event time
    inline = Engine(ArraySource(ev), [spec(Recorder, "r", ticks=2)], config())
    inline.run()
    engine = Engine(ArraySource(ev, batch=64), [spec(Recorder, "r", ticks=2)], config(), speed=10.0)
    t = time.perf_counter()
    engine.start()
    engine.join(60)
    wall = time.perf_counter() - t
    assert wall >= 0.25  # 3 s at 10x: at least 0.3 s (a little slack for the start)
    assert engine.slots[0].strategy.wakes == inline.slots[0].strategy.wakes
    engine2 = Engine(ArraySource(ev), [spec(Recorder, "r", ticks=2)], config(), speed=1000.0)
    engine2.command(SetSpeed(None))  # as fast as possible again
    engine2.run()
    assert engine2.slots[0].strategy.wakes == inline.slots[0].strategy.wakes


def test_seek_back_rebuilds_the_book(tmp_path):
    ev = l2_walk(3000, seed=13)
    path = tmp_path / "walk.hft"
    from enginekit import BTC

    with TickWriter(path, BTC) as w:
        w.write(ev)
    engine = Engine(ReplaySource([path], batch_events=500), [spec(Recorder, "r", ticks=1)], config(batch_events=500))
    engine.command(Pause())
    engine.start()
    try:
        wait_for(lambda: engine.state == "paused")
        engine.command(Step(events=2500))
        wait_for(lambda: engine.events_total > 0 and not engine.control.step_pending)
        target = int(ev["exch_ts"][ev["flags"] & EOM != 0][1000])
        engine.command(Seek(target))
        wait_for(lambda: any("seek" in line.text for line in engine.logs) and engine.state == "paused")
        stops = engine.stops
        engine.command(Step(events=1))
        wait_for(lambda: engine.stops > stops and not engine.control.step_pending)
        assert engine.now >= target
        # the book is the reference book after every message before the target, plus one
        ends = np.flatnonzero(ev["flags"] & EOM)
        book = Book(1, window=1 << 12, capacity=1 << 12)
        book.apply(ev[: ends[1000] + 1])
        assert engine.xl.top(0, 1) == book.best_bid() and engine.xl.top(0, -1) == book.best_ask()
    finally:
        engine.command(Stop())
        engine.join(10)


def test_enable_disable_param_limit_and_rearm():
    ev = l2_walk(30_000, seed=14)
    engine = started(ev, spec(Quoter, "q"), spec(Recorder, "r", ticks=1), batch=200)
    q, r = engine.slots
    try:
        # 20x event time: the replay must outlast the test's steps (at full speed it ends in < 0.1 s)
        engine.command(SetSpeed(20.0))
        engine.command(Resume())
        wait_for(lambda: engine.desk.sent >= 1 and r.wakes > 50)
        engine.command(EnableStrategy("q", False))
        wait_for(lambda: not q.enabled and not engine.desk.orders)
        sent, wakes = engine.desk.sent, q.wakes
        engine.command(SetParam("r", "ticks", 1000))  # r now wakes only on huge moves
        engine.command(SetParam("r", "ticks", "x"))  # refused, logged, engine goes on
        wait_for(lambda: r.wake_ticks == 1000)
        engine.command(SetLimit("max_open_orders", 7))
        wait_for(lambda: any("max_open_orders" in line.text for line in engine.logs))
        r_wakes = r.wakes
        time.sleep(0.1)
        assert q.wakes == wakes and engine.desk.sent == sent  # disabled: not woken
        assert r.wakes <= r_wakes + 2
        assert any(line.level == "error" and "ticks" in line.text for line in engine.logs)
        engine.command(EnableStrategy("q", True))
        wait_for(lambda: engine.desk.sent > sent)
        engine.command(Kill("test"))
        wait_for(lambda: engine.control.killed and not engine.desk.orders)
        engine.command(EnableStrategy("q", True))  # refused while killed
        engine.command(Rearm())
        wait_for(lambda: not engine.kill.tripped)
        assert q.state == HALTED and not q.enabled  # stays off until enabled
        sent = engine.desk.sent
        engine.command(EnableStrategy("q", True))
        wait_for(lambda: engine.desk.sent > sent)
    finally:
        engine.command(Stop())
        engine.join(10)
    assert engine.state == "ended"


class Keeper(Strategy):
    """Keeps one order and moves it, as the built-in mm does; forgets it only when told."""

    wake_ticks = 1
    defaults = {"size": 10}

    def on_start(self, ctx):
        self.oid = None
        self.closed = []

    def on_wake(self, ctx):
        b = ctx.best_bid()
        if b is None:
            return
        if self.oid is None:
            self.oid = ctx.buy(self.params["size"], b[0] - 20, kind=POST_ONLY)
        else:
            ctx.replace(self.oid, px=b[0] - 20)

    def on_order_closed(self, ctx, order_id, reason):
        self.closed.append(reason)
        if order_id == self.oid:
            self.oid = None


def test_orders_pulled_while_off_are_reported_when_the_strategy_is_back():
    ev = l2_walk(30_000, seed=15)
    engine = started(ev, spec(Keeper, "k"), batch=200)
    (k,) = engine.slots
    try:
        engine.command(SetSpeed(20.0))
        engine.command(Resume())
        wait_for(lambda: engine.desk.orders)
        engine.command(Kill("test"))
        wait_for(lambda: engine.control.killed and not engine.desk.orders)
        engine.command(Rearm())
        sent = engine.desk.sent
        engine.command(EnableStrategy("k", True))
        wait_for(lambda: engine.desk.sent > sent, timeout=5)  # a new order: the old one is known gone
        assert "kill switch" in k.strategy.closed
        engine.command(EnableStrategy("k", False))
        wait_for(lambda: not engine.desk.orders)
        sent = engine.desk.sent
        engine.command(EnableStrategy("k", True))
        wait_for(lambda: engine.desk.sent > sent, timeout=5)
        assert "disabled" in k.strategy.closed
    finally:
        engine.command(Stop())
        engine.join(10)


class LiveLike(ArraySource):
    """A realtime source: a few messages stamped with the wall clock, then silence."""

    realtime = True

    def __init__(self, events, quiet_s):
        super().__init__(events, batch=50)
        self.quiet_until = None
        self.quiet_s = quiet_s

    def read(self, max_events, timeout=0.0):
        if self.pos < len(self.events):
            batch = super().read(max_events, timeout).copy()
            batch["local_ts"] = time.time_ns()
            return batch
        if self.quiet_until is None:
            self.quiet_until = time.monotonic() + self.quiet_s
        if time.monotonic() < self.quiet_until:
            time.sleep(min(timeout, 0.01))
            return self.events[:0]
        return None


class TimedQuoter(Strategy):
    wake_ticks = 0
    timer_ms = 50.0
    defaults = {}

    def on_start(self, ctx):
        self.times = []

    def on_wake(self, ctx):
        self.times.append(ctx.now)
        b = ctx.best_bid()
        if b and not ctx.open_orders():
            ctx.buy(10, b[0] - 50, kind=POST_ONLY)


def test_a_quiet_live_feed_still_moves_time():
    ev = l2_walk(100, seed=15, gap_ns=1_000_000)
    engine = Engine(LiveLike(ev, 0.4), [spec(TimedQuoter, "t")], config(), mode="LIVE")
    engine.run()
    times = engine.slots[0].strategy.times
    assert len(times) >= 4  # woken on its timer through the silence
    assert times == sorted(times)
    states = [o.state for o in engine.desk.orders.values()]
    assert states == ["accepted"]  # the order reached the matcher with no market event after it


def test_an_ended_run_still_takes_the_kill_switch_and_stops_on_shutdown():
    import threading

    from hft_tui.ui.launch import EngineAdapter

    engine = Engine(ArraySource(l2_walk(300, seed=9), batch=100), [spec(Quoter, "q")], config(), mode="SIM")
    adapter = EngineAdapter(engine, "SIM")
    worker = threading.Thread(target=adapter.run, daemon=True)
    worker.start()
    wait_for(lambda: engine.state == "ended" and engine.latest is not None)
    assert engine.desk.orders and not engine.latest.killed  # a quote still rests
    adapter.kill("test")
    wait_for(lambda: engine.latest.killed and engine.latest.global_state == HALTED)
    assert all(oid in engine.slots[0].asked_cancel for oid in engine.desk.orders)
    assert not adapter.finished.is_set()  # the last picture stays until the viewer quits
    adapter.shutdown()
    worker.join(5)
    assert not worker.is_alive() and adapter.finished.is_set()


class OnSym(Quoter):
    defaults = {"size": 10, "sym": 0}


def test_a_refused_symbol_parameter_changes_nothing_and_the_engine_goes_on():
    engine = started(l2_walk(3_000, seed=15), spec(OnSym, "s"))
    try:
        engine.command(SetParam("s", "sym", 1))  # this run has one symbol
        wait_for(lambda: any("symbol 1 is beyond" in line.text for line in engine.logs))
        slot = engine.slots[0]
        assert slot.symbols == (0,) and slot.strategy.params["sym"] == 0
        engine.command(Resume())
        wait_for(lambda: engine.state in ("ended", "error"))
    finally:
        engine.command(Stop())
        engine.join(10)
    assert engine.state == "ended" and engine.error == "" and engine.desk.sent >= 1
