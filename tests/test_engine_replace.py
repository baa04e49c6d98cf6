"""OrderDesk.replace: what total size reaches the exchange when the strategy keeps the size."""

from __future__ import annotations

from enginekit import ArraySource, config, l2_walk, spec

from hft_tui.engine.engine import Engine
from hft_tui.strategies.base import Strategy

SETTLE_NS = 50_000_000  # well past the entry and response latencies


class TwoReplaces(Strategy):
    """Rests a bid far from the market, then sends two replaces back to back: the size
    first, then the price (``qty`` left out). Both are in flight together."""

    defaults = {"size": 100, "new_size": 40}
    wake_ticks = 1

    def on_start(self, ctx):
        self.oid = None
        self.step = 0
        self.t = 0
        self.px = 0

    def on_wake(self, ctx):
        b = ctx.best_bid()
        if b is None:
            return
        if self.oid is None:
            self.oid = ctx.buy(self.params["size"], b[0] - 500)
            self.t = ctx.now
        elif self.step == 0 and ctx.now > self.t + SETTLE_NS:
            self.step = 1
            self.px = b[0] - 600
            assert ctx.replace(self.oid, qty=self.params["new_size"])
            assert ctx.replace(self.oid, px=self.px)


def test_a_price_only_replace_does_not_undo_a_size_replace_in_flight():
    engine = Engine(ArraySource(l2_walk(300, seed=3)), [spec(TwoReplaces, "r")], config())
    engine.run()
    s = engine.slots[0].strategy
    assert s.step == 1
    order = engine.slots[0].orders[s.oid]
    # the exchange applied both: the new price, and the size of the first one (40), not
    # the 100 the desk still believed in when it sent the second
    assert (order.px, order.qty, order.leaves) == (s.px, 40, 40)
    assert engine.risk.ledger.orders[s.oid].leaves == 40


class PartialThenMove(Strategy):
    """Buys through the best ask with more than it shows (a partial fill, the rest
    rests), then moves the rest to a passive price without giving a size."""

    defaults = {"size": 2000}
    wake_ticks = 1

    def on_start(self, ctx):
        self.oid = None
        self.filled = 0
        self.moved = None

    def on_wake(self, ctx):
        a = ctx.best_ask()
        b = ctx.best_bid()
        if a is None or b is None:
            return
        if self.oid is None:
            self.oid = ctx.buy(self.params["size"], a[0])
        elif self.filled and self.moved is None:
            self.moved = self.filled
            assert ctx.replace(self.oid, px=b[0] - 500)

    def on_fill(self, ctx, fill):
        self.filled += fill.qty


def test_a_partially_filled_order_moved_to_a_new_price_keeps_its_open_size():
    engine = Engine(ArraySource(l2_walk(300, seed=4)), [spec(PartialThenMove, "p")], config())
    engine.run()
    s = engine.slots[0].strategy
    assert s.moved is not None and 0 < s.moved < 2000
    order = engine.slots[0].orders[s.oid]
    # total size unchanged; open = total - everything filled (before or after the move)
    assert order.qty == 2000
    assert order.leaves == 2000 - s.filled > 0
    assert order.px < engine.xl.top_px(0, 1)
