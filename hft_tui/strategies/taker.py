"""`taker`: a liquidity taker on order-book imbalance and short-term trade flow.

Two signals, each in [-1, 1]:

- book imbalance over the best ``depth_levels`` levels:
  (bid size - ask size) / (bid size + ask size);
- trade flow: buyer- minus seller-initiated volume over their sum, both as
  exponential averages with half-life ``flow_halflife_ms`` of event time.

When flat and out of the cooldown, it buys ``size`` lots with an IOC at the
best ask if imbalance > ``imbalance_threshold`` and flow > ``flow_threshold``,
and sells at the best bid on the mirror condition. A position is closed with an
IOC at the opposite best once the mid has moved ``take_profit_ticks`` in its
favour or ``stop_loss_ticks`` against it (from the average entry price), or
after ``max_hold_ms``. After every entry and exit it waits ``cooldown_ms``.

The engine wakes it when the best bid or ask moves by 10 ticks, on its fills
and every 100 ms of event time (for the flow average and the holding time).
Defaults are sized for the built-in sim venue (tick 0.01, mid volatility about
230 ticks per sqrt(second)).

==================== ======= ============================================================
sym                  0       instrument index
depth_levels         5       book levels per side in the imbalance
imbalance_threshold  0.3     entry needs |imbalance| above this (0..1)
flow_halflife_ms     500.0   half-life of the trade-flow averages
flow_threshold       0.2     entry needs |flow| above this, same sign (0..1)
size                 100     lots per entry
take_profit_ticks    300     exit when the mid moved this much in favour
stop_loss_ticks      200     exit when the mid moved this much against
max_hold_ms          30000.0 exit after holding this long (0: never)
cooldown_ms          1000.0  no entry this long after an entry or exit
==================== ======= ============================================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from hft_tui.strategies.base import IOC, Context, Fill, Strategy


class Taker(Strategy):
    wake_ticks: ClassVar[int] = 10
    timer_ms: ClassVar[float] = 100.0
    defaults: ClassVar[dict[str, Any]] = {
        "sym": 0,
        "depth_levels": 5,
        "imbalance_threshold": 0.3,
        "flow_halflife_ms": 500.0,
        "flow_threshold": 0.2,
        "size": 100,
        "take_profit_ticks": 300,
        "stop_loss_ticks": 200,
        "max_hold_ms": 30000.0,
        "cooldown_ms": 1000.0,
    }

    @staticmethod
    def check_params(p: dict[str, Any]) -> None:
        for key in ("depth_levels", "size", "take_profit_ticks", "stop_loss_ticks"):
            if p[key] < 1:
                raise ValueError(f"{key} must be at least 1, got {p[key]}")
        for key in ("imbalance_threshold", "flow_threshold"):
            if not 0.0 <= p[key] < 1.0:
                raise ValueError(f"{key} must be in [0, 1), got {p[key]}")
        if p["flow_halflife_ms"] <= 0:
            raise ValueError("flow_halflife_ms must be positive")
        for key in ("max_hold_ms", "cooldown_ms"):
            if p[key] < 0:
                raise ValueError(f"{key} must not be negative")

    def on_start(self, ctx: Context) -> None:
        self.buy_flow = 0.0
        self.sell_flow = 0.0
        self.last_traded = ctx.traded(self.params["sym"])
        self.last_ts = ctx.now
        self.ready_at = ctx.now  # end of the cooldown, ns
        self.entry_ts = 0
        self.entry_px = 0.0  # average entry, ticks
        self.pending: int | None = None  # the IOC in flight

    def _update_flow(self, ctx: Context) -> None:
        now = ctx.now
        buys, sells = ctx.traded(self.params["sym"])
        decay = 0.5 ** ((now - self.last_ts) * 1e-6 / self.params["flow_halflife_ms"])
        self.buy_flow = self.buy_flow * decay + (buys - self.last_traded[0])
        self.sell_flow = self.sell_flow * decay + (sells - self.last_traded[1])
        self.last_traded = (buys, sells)
        self.last_ts = now

    def signals(self, ctx: Context) -> tuple[float, float]:
        sym = self.params["sym"]
        n = self.params["depth_levels"]
        _, bid_sz = ctx.depth(1, n, sym)
        _, ask_sz = ctx.depth(-1, n, sym)
        b = int(sum(bid_sz))
        a = int(sum(ask_sz))
        imbalance = (b - a) / (b + a) if b + a else 0.0
        total = self.buy_flow + self.sell_flow
        flow = (self.buy_flow - self.sell_flow) / total if total > 0 else 0.0
        return imbalance, flow

    def on_wake(self, ctx: Context) -> None:
        self._update_flow(ctx)
        if self.pending is not None:
            return
        p = self.params
        sym = p["sym"]
        bid = ctx.best_bid(sym)
        ask = ctx.best_ask(sym)
        if bid is None or ask is None:
            return
        pos = ctx.position(sym)
        now = ctx.now
        if pos:
            mid = (bid[0] + ask[0]) * 0.5
            gain = (mid - self.entry_px) * (1 if pos > 0 else -1)
            held_ms = (now - self.entry_ts) * 1e-6
            hold = p["max_hold_ms"]
            if gain >= p["take_profit_ticks"] or gain <= -p["stop_loss_ticks"] or (hold and held_ms >= hold):
                if pos > 0:
                    self.pending = ctx.sell(pos, bid[0], sym, IOC)
                else:
                    self.pending = ctx.buy(-pos, ask[0], sym, IOC)
                self.ready_at = now + int(p["cooldown_ms"] * 1e6)
            return
        if now < self.ready_at:
            return
        imbalance, flow = self.signals(ctx)
        thr, fthr = p["imbalance_threshold"], p["flow_threshold"]
        if imbalance > thr and flow > fthr:
            self.pending = ctx.buy(p["size"], ask[0], sym, IOC)
        elif imbalance < -thr and flow < -fthr:
            self.pending = ctx.sell(p["size"], bid[0], sym, IOC)
        else:
            return
        self.ready_at = now + int(p["cooldown_ms"] * 1e6)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        pos = ctx.position(self.params["sym"])  # already includes this fill
        before = pos - fill.side * fill.qty
        if before == 0 or (before > 0) != (pos > 0):
            self.entry_px = float(fill.px)
            self.entry_ts = fill.ts
        elif abs(pos) > abs(before):
            self.entry_px = (self.entry_px * abs(before) + fill.px * fill.qty) / abs(pos)
        if fill.done and fill.order_id == self.pending:
            self.pending = None

    def on_order_closed(self, ctx: Context, order_id: int, reason: str) -> None:
        if order_id == self.pending:
            self.pending = None
