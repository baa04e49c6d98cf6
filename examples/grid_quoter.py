"""A user strategy file: a fixed-spread grid quoter, woken on every top-of-book change.

Run it with

    hft-tui backtest --sim-events 1000000 --strategy examples/grid_quoter.py:GridQuoter \
        --param spacing=50 --param levels=3

It only uses the public strategy API (``hft_tui.strategies.base``): ``wake_ticks``
says when to wake it, ``ctx`` gives the book, the position and the orders, and
``ctx.buy`` / ``ctx.sell`` / ``ctx.cancel`` go through the risk manager. Prices
are integer ticks, sizes integer lots.

The grid lines sit on multiples of ``spacing`` ticks; ``levels`` post-only
orders of ``size`` lots rest on each side, the innermost ``offset`` lines away
from the mid. Most wake-ups find the grid unchanged and return at once, which is
what keeps a Python strategy cheap at millions of events per second.
"""

from __future__ import annotations

from hft_tui.strategies.base import POST_ONLY, Strategy


class GridQuoter(Strategy):
    wake_ticks = 1  # every move of the best bid or ask
    defaults = {"sym": 0, "levels": 3, "spacing": 50, "offset": 1, "size": 100, "max_position": 1000}

    def on_start(self, ctx):
        self.anchor = None
        self.orders = {1: {}, -1: {}}  # side -> {price: order id}

    def on_wake(self, ctx):
        p = self.params
        sym = p["sym"]
        bid = ctx.best_bid(sym)
        ask = ctx.best_ask(sym)
        if bid is None or ask is None:
            return
        step = p["spacing"]
        anchor = (bid[0] + ask[0]) // 2 // step * step
        if anchor == self.anchor:
            return
        self.anchor = anchor
        pos = ctx.position(sym)
        inner = p["offset"] * step
        want = {1: set(), -1: set()}
        for i in range(p["levels"]):
            if pos < p["max_position"] and anchor - inner - i * step < ask[0]:
                want[1].add(anchor - inner - i * step)
            if pos > -p["max_position"] and anchor + inner + i * step > bid[0]:
                want[-1].add(anchor + inner + i * step)
        for side in (1, -1):
            live = self.orders[side]
            for px in [px for px in live if px not in want[side]]:
                ctx.cancel(live.pop(px))
            for px in sorted(want[side] - live.keys()):
                send = ctx.buy if side > 0 else ctx.sell
                oid = send(p["size"], px, sym, POST_ONLY)
                if oid is not None:
                    live[px] = oid

    def on_fill(self, ctx, fill):
        if fill.done:
            self._forget(fill.order_id)

    def on_order_closed(self, ctx, order_id, reason):
        self._forget(order_id)

    def _forget(self, order_id):
        for live in self.orders.values():
            for px, oid in list(live.items()):
                if oid == order_id:
                    del live[px]
                    self.anchor = None  # put the line back on the next wake
