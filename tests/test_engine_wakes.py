"""Wake-up conditions: best-price moves per strategy, timers, own fills; batch independence."""

from __future__ import annotations

import numpy as np
import pytest
from enginekit import T0, ArraySource, Recorder, config, l2_walk, spec

from hft_tui.book import Book
from hft_tui.engine.engine import Engine
from hft_tui.events import EOM
from hft_tui.exchange.codes import STOP_BBO
from hft_tui.strategies.base import IOC, Strategy

FEED_LATENCY = 1_000_000  # [exchange] feed_latency_ns default; the events carry no local_ts


def expected_bbo_wakes(events: np.ndarray, ticks: int) -> list[tuple[int, int, int]]:
    """(feed time, bid, ask) at every message end where a side moved >= ticks since the last wake."""
    book = Book(1, window=1 << 12, capacity=1 << 12)
    out = []
    ref_b = ref_a = None
    start = 0
    for end in np.flatnonzero(events["flags"] & EOM) + 1:
        book.apply(events[start:end])
        start = end
        b, a = book.best_bid(), book.best_ask()
        b = b[0] if b else None
        a = a[0] if a else None

        def moved(x, r):
            return x != r and (x is None or r is None or abs(x - r) >= ticks)

        if moved(b, ref_b) or moved(a, ref_a):
            out.append((int(events["exch_ts"][end - 1]) + FEED_LATENCY, b, a))
            ref_b, ref_a = b, a
    return out


@pytest.mark.parametrize("batch, ticks", [(16384, (1, 3, 7)), (37, (1, 3, 7)), (16384, (3, 8)), (101, (2, 5))])
def test_best_price_wakes_match_a_reference(batch, ticks):
    ev = l2_walk(3000, seed=3)
    specs = [spec(Recorder, f"t{t}", ticks=t) for t in ticks]
    engine = Engine(ArraySource(ev, batch=batch), specs, config())
    engine.run()
    for slot, t in zip(engine.slots, ticks):
        assert slot.strategy.wakes == expected_bbo_wakes(ev, t), slot.name
    assert len(engine.slots[-1].strategy.wakes) < len(engine.slots[0].strategy.wakes)


def test_timer_wakes_on_event_time_grid():
    ev = l2_walk(500, seed=4, gap_ns=7_000_000)  # 3.5 s of data
    engine = Engine(ArraySource(ev, batch=50), [spec(Recorder, "timer", ticks=0, timer=250.0)], config())
    engine.run()
    times = [w[0] for w in engine.slots[0].strategy.wakes]
    start = T0 + 7_000_000 + FEED_LATENCY  # feed time of the first message
    assert times == [start + k * 250_000_000 for k in range(1, len(times) + 1)]
    assert len(times) == int((500 - 1) * 7 / 250)


class Taker(Strategy):
    """Buys once with an IOC at the ask, then records what it sees."""

    wake_ticks = 1
    defaults = {}

    def on_start(self, ctx):
        self.log = []
        self.sent = None

    def on_wake(self, ctx):
        self.log.append(("wake", ctx.now, ctx.position()))
        if self.sent is None and ctx.best_ask() is not None:
            self.sent = ctx.buy(100, ctx.best_ask()[0] + 5, kind=IOC)

    def on_fill(self, ctx, fill):
        self.log.append(("fill", fill.ts, ctx.position(), fill.qty, fill.liquidity))


def test_own_fill_wakes_after_on_fill_with_the_position_updated():
    ev = l2_walk(200, seed=5)
    engine = Engine(ArraySource(ev), [spec(Taker, "taker")], config())
    engine.run()
    log = engine.slots[0].strategy.log
    fills = [i for i, x in enumerate(log) if x[0] == "fill"]
    assert fills, log[:5]
    filled = sum(log[i][3] for i in fills)
    assert filled == 100 and log[fills[-1]][2] == 100  # position includes the fill inside on_fill
    assert all(x[4] == "taker" for x in (log[i] for i in fills))
    after = log[fills[-1] + 1]
    assert after[0] == "wake" and after[1] == log[fills[-1]][1] and after[2] == 100
    # the fill is seen after the entry and response latencies, not before
    sent_at = log[0][1]
    assert log[fills[0]][1] >= sent_at + 2_000_000
    assert engine.portfolio.position("taker", 0) == 100


def test_every_wake_sees_a_whole_message():
    ev = l2_walk(400, seed=6)
    engine = Engine(ArraySource(ev, batch=3), [spec(Recorder, "r", ticks=1)], config())
    engine.run()
    ends = set((ev["exch_ts"][ev["flags"] & EOM != 0] + FEED_LATENCY).tolist())
    assert all(w[0] in ends for w in engine.slots[0].strategy.wakes)
    assert all(w[1] < w[2] for w in engine.slots[0].strategy.wakes)  # never a half-applied book


class SymRecorder(Recorder):
    symbols = (1,)

    def on_wake(self, ctx):
        b, a = ctx.best_bid(1), ctx.best_ask(1)
        self.wakes.append((ctx.now, b[0] if b else None, a[0] if a else None))


def test_two_symbols_wake_each_strategy_on_its_own():
    from enginekit import BTC

    from hft_tui.instrument import Instrument

    eth = Instrument("ETHUSDT", "0.01", "0.0001")
    a = l2_walk(800, seed=21, gap_ns=10_000_000)
    b = l2_walk(600, seed=22, gap_ns=13_000_000, start_px=300_000)
    b["sym"] = 1
    both = np.concatenate([a, b])
    # merge whole messages by time, as the stream does (stable: sym 0 first on ties)
    starts = np.flatnonzero(np.r_[True, both["flags"][:-1] & EOM != 0])
    lengths = np.diff(np.r_[starts, len(both)])
    order = np.argsort(both["exch_ts"][starts], kind="stable")
    merged = np.concatenate([both[starts[k] : starts[k] + lengths[k]] for k in order])
    specs = [spec(Recorder, "btc", ticks=2), spec(SymRecorder, "eth", ticks=3)]
    engine = Engine(ArraySource(merged, batch=97, instruments=[BTC, eth]), specs, config())
    engine.slots[0].strategy.symbols = (0,)
    engine.slots[0].read_wake_settings()
    engine.slots_changed()
    engine.run()
    assert engine.slots[0].strategy.wakes == expected_bbo_wakes(a, 2)
    b0 = b.copy()
    b0["sym"] = 0  # the reference book holds one symbol
    assert engine.slots[1].strategy.wakes == expected_bbo_wakes(b0, 3)
    # each symbol is watched at its own strategy's width: no stop that wakes nobody
    # (one width for all made a 1-tick watcher on one symbol stop the runner at every
    # tick of another watched 40 wide)
    wakes = len(engine.slots[0].strategy.wakes) + len(engine.slots[1].strategy.wakes)
    assert engine.xl.stops[STOP_BBO] == wakes


class DepthQuoter(Strategy):
    """Quotes one tick behind the best bid, price and size taken from ctx.depth (numpy)."""

    wake_ticks = 1

    def on_start(self, ctx):
        self.oid = None

    def on_wake(self, ctx):
        px, qty = ctx.depth(1, 1)
        if not len(px):
            return
        if self.oid is None:
            self.oid = ctx.buy(np.int64(1), px[0] - 1)
        else:
            ctx.replace(self.oid, px=px[0] - 1, qty=qty[:1].sum() * 0 + 1)


def test_numpy_integers_from_depth_are_accepted_as_prices_and_sizes():
    ev = l2_walk(400, seed=5)
    engine = Engine(ArraySource(ev, batch=50), [spec(DepthQuoter, "dq")], config())
    engine.run()
    slot = engine.slots[0]
    assert slot.error == "" and slot.state == "ACTIVE"
    assert engine.desk.sent == 1 and engine.desk.replaces > 5


class Sloppy(Strategy):
    """Sends intents of the right types that make no order, then one that does."""

    wake_ticks = 1

    def on_start(self, ctx):
        self.results = None

    def on_wake(self, ctx):
        if self.results is not None or ctx.best_bid() is None:
            return
        px = ctx.best_bid()[0] - 5
        oid = ctx.buy(1, px)
        other = ctx.buy(1, px - 1)
        self.results = [
            ctx.buy(0, px),  # bad_order
            ctx.sell(1, -3),  # bad_order
            ctx.buy(1, px, 7),  # bad_order: no symbol 7
            ctx.buy(1, px, 0, "gtd"),  # bad_order: no such kind
            ctx.replace(oid, px=0),  # bad_order
            ctx.replace(oid),  # bad_order: changes nothing
            ctx.cancel(999_999),  # unknown_order
            ctx.replace(999_999, px=px),  # unknown_order
            ctx.cancel(oid),
            ctx.replace(other, qty=0),  # an open size of nothing: a cancel
        ]

    def on_stop(self, ctx):
        self.at_stop = (ctx.buy(1, ctx.best_bid()[0] - 5), ctx.cancel_all())


def test_intents_that_make_no_order_are_refused_and_counted_not_fatal():
    engine = Engine(ArraySource(l2_walk(400, seed=5), batch=50), [spec(Sloppy, "s")], config())
    engine.run()
    slot = engine.slots[0]
    assert slot.error == "" and slot.state == "ACTIVE"
    assert slot.strategy.results == [None, None, None, None, False, False, False, False, True, True]
    assert engine.risk.rejections == {"bad_order": 6, "unknown_order": 2}
    # every refusal counted; the second "order 999999 is not open" in the same second not logged again
    assert sum("rejected (" in line.text for line in engine.logs) == 7
    assert engine.desk.sent == 2 and engine.desk.cancels == 2 and engine.desk.replaces == 0
    # on_stop comes after the end of the data: nothing new is sent
    assert slot.strategy.at_stop == (None, 0)
    assert any("not sent: the run has ended" in line.text for line in engine.logs)


class Stubborn(Strategy):
    """Sends the same impossible order at every best-price move."""

    wake_ticks = 1

    def on_start(self, ctx):
        self.wakes = 0

    def on_wake(self, ctx):
        self.wakes += 1
        ctx.buy(0, 100)


def test_the_same_refusal_is_logged_once_a_second_and_always_counted():
    import re

    ev = l2_walk(600, seed=5, gap_ns=10_000_000)  # about 6 s of event time
    engine = Engine(ArraySource(ev, batch=50), [spec(Stubborn, "s")], config())
    engine.run()
    wakes = engine.slots[0].strategy.wakes
    assert wakes > 100 and engine.risk.rejections == {"bad_order": wakes}
    lines = [x.text for x in engine.logs if x.category == "risk"]
    seconds = (int(ev["exch_ts"][-1]) - int(ev["exch_ts"][0])) / 1e9
    assert 2 <= len(lines) <= seconds + 2
    told = sum(1 + int(m.group(1)) if (m := re.search(r"and (\d+) more like it", t)) else 1 for t in lines)
    assert wakes - 200 < told <= wakes  # the repeats after the last line are counted, not yet told
