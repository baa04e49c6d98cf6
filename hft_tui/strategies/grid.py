"""`grid`: a fixed-spread grid quoter, the baseline every other strategy should beat.

It keeps ``levels`` post-only bids and ``levels`` post-only asks of ``size``
lots on a fixed price grid of ``spacing`` ticks. The grid is anchored on the
mid price rounded to a multiple of ``spacing``, so the wanted prices change
only when the mid crosses a grid line: most wake-ups compare a few integers
and return. Bids stop while the position is at ``+max_position`` lots, asks
while it is at ``-max_position``. A level the risk manager refused (a rate
limit, say) is tried again when the grid moves or one of its orders fills or
closes, not at every wake-up: that would send a refused order per tick.

Parameters (prices in ticks, sizes in lots of the traded instrument):

========== ======= ==========================================================
sym        0       index of the instrument to quote
levels     3       orders per side
spacing    50      ticks between grid lines
offset     1       grid lines between the mid and the innermost quote (>= 1)
size       100     lots per order
max_position 1000  no more bids above this position, no asks below minus it
========== ======= ==========================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from hft_tui.strategies.base import POST_ONLY, Context, Fill, Strategy


class Grid(Strategy):
    wake_ticks: ClassVar[int] = 1
    defaults: ClassVar[dict[str, Any]] = {
        "sym": 0,
        "levels": 3,
        "spacing": 50,
        "offset": 1,
        "size": 100,
        "max_position": 1000,
    }

    @staticmethod
    def check_params(p: dict[str, Any]) -> None:
        for key in ("levels", "spacing", "offset", "size", "max_position"):
            if p[key] < 1:
                raise ValueError(f"{key} must be at least 1, got {p[key]}")

    def on_start(self, ctx: Context) -> None:
        self.anchor: int | None = None
        self.bids: dict[int, int] = {}  # price -> order id
        self.asks: dict[int, int] = {}
        self.refused = False  # a level of the current grid was refused

    def on_wake(self, ctx: Context) -> None:
        p = self.params
        sym = p["sym"]
        bid = ctx.best_bid(sym)
        ask = ctx.best_ask(sym)
        if bid is None or ask is None:
            return
        spacing = p["spacing"]
        anchor = ((bid[0] + ask[0]) // 2) // spacing * spacing
        pos = ctx.position(sym)
        if anchor == self.anchor and (self.refused or self._sides_ok(pos)):
            return
        self.anchor = anchor
        self.refused = False
        inner = p["offset"] * spacing
        n = p["levels"]
        # Never quote through the touch: post-only would be rejected anyway.
        want_bids = set()
        if pos < p["max_position"]:
            want_bids = {anchor - inner - i * spacing for i in range(n)}
            want_bids = {px for px in want_bids if px < ask[0]}
        want_asks = set()
        if pos > -p["max_position"]:
            want_asks = {anchor + inner + i * spacing for i in range(n)}
            want_asks = {px for px in want_asks if px > bid[0]}
        self._sync(ctx, self.bids, want_bids, 1)
        self._sync(ctx, self.asks, want_asks, -1)

    def _sides_ok(self, pos: int) -> bool:
        # The grid has not moved; requote only if a side must switch on or off.
        limit = self.params["max_position"]
        return (pos < limit) == bool(self.bids) and (pos > -limit) == bool(self.asks)

    def _sync(self, ctx: Context, live: dict[int, int], want: set[int], side: int) -> None:
        for px in [px for px in live if px not in want]:
            ctx.cancel(live.pop(px))
        p = self.params
        for px in sorted(want - live.keys()):
            if side > 0:
                oid = ctx.buy(p["size"], px, p["sym"], POST_ONLY)
            else:
                oid = ctx.sell(p["size"], px, p["sym"], POST_ONLY)
            if oid is not None:
                live[px] = oid
            else:
                self.refused = True

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if fill.done:
            book = self.bids if fill.side > 0 else self.asks
            if book.get(fill.px) == fill.order_id:
                del book[fill.px]
            self.anchor = None  # refill the level on the next wake

    def on_order_closed(self, ctx: Context, order_id: int, reason: str) -> None:
        for book in (self.bids, self.asks):
            for px, oid in list(book.items()):
                if oid == order_id:
                    del book[px]
                    self.anchor = None
