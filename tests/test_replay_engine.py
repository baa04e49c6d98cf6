"""The engine changes replay needs, tested on the engine alone (no UI).

- a seek while paused rebuilds the book at once (the screen shows the target
  before anything is stepped or played);
- a seek queued before the first batch (``replay --start``) starts the
  strategies, their timers and the sampling grid at the target;
- a step while paused is not paced: a second of event time at 1x is a jump;
- a seek back starts the order-rate window afresh.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from hft_tui.book import Book
from hft_tui.config import load
from hft_tui.engine.clock import NO_DEADLINE
from hft_tui.engine.commands import Pause, Resume, Seek, Step, Stop
from hft_tui.engine.engine import Engine
from hft_tui.events import EOM
from hft_tui.feeds.replay import ReplaySource
from hft_tui.feeds.sim_source import SimSource
from hft_tui.strategies.base import Strategy
from hft_tui.strategies.loader import load_strategies
from hft_tui.tickfile import TickWriter
from enginekit import BTC, Recorder, config, l2_walk, spec

SECOND = 1_000_000_000


def wait_for(cond, timeout=20.0):
    t = time.monotonic()
    while not cond():
        if time.monotonic() - t > timeout:
            raise AssertionError("timed out")
        time.sleep(0.002)


def walk_file(tmp_path, n=3000, seed=21):
    ev = l2_walk(n, seed=seed)  # a message every 10 ms
    path = tmp_path / "walk.hft"
    with TickWriter(path, BTC) as w:
        w.write(ev)
    return ev, path


def paused_replay(path):
    """An engine replaying ``path`` at 1x in batches of 500 events, started paused."""
    engine = Engine(ReplaySource([path], batch_events=500), [], config(batch_events=500), mode="REPLAY", speed=1.0)
    engine.command(Pause())
    engine.start()
    return engine


def first_at(ev, ts):
    starts = np.concatenate(([0], np.flatnonzero(ev["flags"] & EOM)[:-1] + 1))
    return int(starts[np.searchsorted(ev["exch_ts"][starts], ts)])


def reference_top(ev, n):
    book = Book(1, window=1 << 12, capacity=1 << 12)
    book.apply(ev[:n])
    return book.best_bid(), book.best_ask()


def test_seek_while_paused_rebuilds_the_book_without_a_step(tmp_path):
    ev, path = walk_file(tmp_path)
    engine = paused_replay(path)
    try:
        wait_for(lambda: engine.state == "paused")
        for target in (int(ev["exch_ts"][0]) + 17 * SECOND // 10, int(ev["exch_ts"][0]) + SECOND // 2):
            at = first_at(ev, target)
            engine.command(Seek(target))  # forward, then back (a rewind)
            wait_for(lambda: engine.xl.ff_until is None and engine.now == target)
            time.sleep(0.05)
            assert engine.state == "paused" and engine.now == target
            assert (engine.xl.top(0, 1), engine.xl.top(0, -1)) == reference_top(ev, at)
        assert engine.events_total == first_at(ev, int(ev["exch_ts"][0]) + 17 * SECOND // 10) + first_at(
            ev, int(ev["exch_ts"][0]) + SECOND // 2
        )
    finally:
        engine.command(Stop())
        engine.join(10)


def test_seek_before_the_first_batch_starts_strategies_at_the_target(tmp_path):
    ev, path = walk_file(tmp_path)
    target = int(ev["exch_ts"][0]) + 12 * SECOND
    engine = Engine(
        ReplaySource([path]), [spec(Recorder, "r", ticks=1, timer=250.0)], config(sample_ms=100.0), mode="REPLAY"
    )
    engine.command(Seek(target))
    engine.run()
    wakes = engine.slots[0].strategy.wakes
    assert wakes and wakes[0][0] >= target
    # timer wakes every 250 ms from the target, not from the first event
    timer_wakes = [w[0] for w in wakes if (w[0] - target) % 250_000_000 == 0]
    assert timer_wakes and timer_wakes[0] == target + 250_000_000
    ts = engine.portfolio.samples.tail()[0]
    assert len(ts) and ts.min() == target  # the run (and its equity samples) start at the target
    assert engine.events_total == len(ev)  # the book was built from everything before


def test_a_step_is_not_paced(tmp_path):
    ev, path = walk_file(tmp_path)
    engine = paused_replay(path)
    try:
        wait_for(lambda: engine.state == "paused")
        engine.command(Step(events=1))
        wait_for(lambda: engine.events_total > 0 and not engine.control.step_pending)
        before = engine.now
        t = time.perf_counter()
        engine.command(Step(seconds=5.0))  # 5 s of event time at 1x
        wait_for(lambda: engine.now >= before + 4 * SECOND and not engine.control.step_pending)
        assert time.perf_counter() - t < 2.5
        assert before + 5 * SECOND - 10_000_000 <= engine.now < before + 5 * SECOND
    finally:
        engine.command(Stop())
        engine.join(10)


class Pinger(Strategy):
    """Sends two messages a second (a far bid, then its cancel), on a 500 ms timer."""

    timer_ms = 500.0
    wake_ticks = 0

    def on_wake(self, ctx):
        if self.oid is None:
            bid = ctx.best_bid()
            if bid is not None:
                self.oid = ctx.buy(1, bid[0] - 50)
        elif ctx.cancel(self.oid):
            self.oid = None

    def on_start(self, ctx):
        self.oid = None

    def on_fill(self, ctx, fill):
        if fill.done:
            self.oid = None


def test_a_seek_back_starts_the_order_rate_afresh(tmp_path):
    # 2 messages a second against a limit of 5: never refused, also after a jump back
    # (the rate window held messages stamped after the target and refused everything)
    ev, path = walk_file(tmp_path)
    cfg = load(use_user_file=False, overrides=["risk.max_order_rate=5"])
    engine = Engine(ReplaySource([path]), [spec(Pinger, "p")], cfg, mode="REPLAY")
    engine.command(Pause())
    engine.start()
    try:
        wait_for(lambda: engine.state == "paused")
        engine.command(Step(seconds=20.0))
        wait_for(lambda: engine.now >= int(ev["exch_ts"][0]) + 19 * SECOND and not engine.control.step_pending)
        sent = engine.desk.sent
        engine.command(Seek(int(ev["exch_ts"][0]) + 2 * SECOND))
        engine.command(Resume())
        engine.join(20)
        assert engine.state == "ended"
        assert engine.desk.sent > sent + 10  # it traded on after the seek
        assert engine.risk.rejections == {}
    finally:
        engine.command(Stop())
        engine.join(10)


@pytest.mark.parametrize("where", [0.3, 0.8])  # back, forward (the seek comes at about half-way)
def test_a_seek_with_an_answer_in_flight_plays_on(tmp_path, where):
    """An answer that calls a hook (a fill) on its way when the seek comes: its
    order is gone, and so is the deadline it set (the runner stopped at that old
    time again and again, and the replay never moved on)."""
    path = tmp_path / "sim.hft"
    src = SimSource(seed=3, max_events=300_000)
    src.start()
    with TickWriter(path, src.instruments[0]) as w:
        while (batch := src.read(1 << 12)) is not None:
            w.write(batch)
    cfg = load(use_user_file=False, overrides=["engine.batch_events=512", "exchange.response_latency_ns=50000000"])
    source = ReplaySource([path])
    first, last = source.first_ts, source.last_ts
    engine = Engine(source, load_strategies(["mm"], cfg), cfg, mode="REPLAY")
    seeks = []

    def seek_in_flight(e):
        if not seeks and e.now > first + (last - first) // 2 and e.desk.due != NO_DEADLINE:
            seeks.append(e.now)
            e.command(Seek(first + int((last - first) * where)))

    engine.on_batch = seek_in_flight
    engine.start()
    try:
        engine.join(60)
        assert seeks and engine.state == "ended"
        assert engine.events_total > 300_000 * where  # played on to the end after the seek
    finally:
        engine.command(Stop())
        engine.join(10)
