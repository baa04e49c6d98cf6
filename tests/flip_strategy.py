"""A test strategy that trades on any data: every 50 ms of event time it takes the
best price with an IOC, buying when flat or short, selling when long."""

from __future__ import annotations

from typing import Any, ClassVar

from hft_tui.strategies.base import IOC, Strategy


class Flipper(Strategy):
    timer_ms: ClassVar[float] = 50.0
    defaults: ClassVar[dict[str, Any]] = {"size": 10}

    def on_wake(self, ctx):
        if ctx.open_orders():
            return
        size = self.params["size"]
        if ctx.position() > 0:
            bid = ctx.best_bid()
            if bid:
                ctx.sell(size, bid[0], kind=IOC)
        else:
            ask = ctx.best_ask()
            if ask:
                ctx.buy(size, ask[0], kind=IOC)
