"""`mm`: a market maker after Avellaneda & Stoikov (2008), "High-frequency trading in a limit order book".

With mid price s, inventory q (in units of ``size``), risk aversion gamma,
volatility sigma and order-arrival intensity k (the rate of market orders
reaching depth d decays as A*exp(-k*d)), the model's quotes are

    reservation price   r      = s - q * gamma * sigma^2 * tau
    total spread        delta  = gamma * sigma^2 * tau + (2 / gamma) * ln(1 + gamma / k)
    bid, ask                   = r - delta / 2,  r + delta / 2

with tau = T - t the time left. A desk trades without an end time, so tau is
a rolling horizon: a constant ``horizon_s``. Units: prices in ticks, sigma in
ticks per sqrt(second), tau in seconds, k per tick, gamma per tick per unit of
inventory.

sigma is estimated online: every ``sigma_sample_ms`` of event time the timer
wakes the strategy and the squared mid change per second feeds an exponential
average with half-life ``sigma_halflife_s`` (fixed-interval sampling, so the
estimate is not biased by the wake-ups that happen because the price moved).

Quotes are post-only, rounded outwards to the tick grid and kept behind the
touch. A side is re-quoted only when its wanted price moved by at least
``requote_ticks``; the engine wakes the strategy when the best bid or ask moved
by that much (``wake_ticks``), on its own fills and on the timer, so it costs
nothing while the market is quiet. At ``max_inventory`` lots long it stops
bidding, at ``max_inventory`` short it stops offering.

Defaults are sized for the built-in sim venue (BTCUSDT-like, tick 0.01, mid
volatility about 230 ticks per sqrt(second)): a spread of about 140 ticks
around a reservation price skewed 40 ticks per ``size`` of inventory. Scale
gamma, k, sigma_init and requote_ticks with the tick size of other data.

========================= ======= =====================================================
sym                       0       instrument index
gamma                     0.0001  risk aversion, per tick per unit of inventory
k                         0.02    order-arrival intensity decay, per tick
horizon_s                 10.0    rolling horizon tau, seconds
sigma_init                200.0   starting volatility, ticks / sqrt(s)
sigma_halflife_s          60.0    half-life of the volatility estimate, seconds
sigma_sample_ms           1000.0  mid sampling interval for the estimate (the timer)
size                      100     lots per quote (also the unit of q)
max_inventory             1000    lots: no quote that would go beyond it
requote_ticks             40      move a quote only if its price changed this much
min_spread_ticks          1       never quote a tighter spread
========================= ======= =====================================================
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from numba import njit

from hft_tui.jit import entry_point
from hft_tui.strategies.base import POST_ONLY, Context, Fill, Strategy


@njit(cache=True, nogil=True)
def as_quotes(mid2: int, q: float, var: float, gamma: float, k: float, tau: float, min_spread: int) -> tuple[int, int]:
    """(bid, ask) in ticks. ``mid2`` is twice the mid (bid + ask) so that it stays an integer."""
    skew = gamma * var * tau
    r = mid2 * 0.5 - q * skew
    half = 0.5 * (skew + (2.0 / gamma) * math.log1p(gamma / k))
    bid = math.floor(r - half)
    ask = math.ceil(r + half)
    if ask - bid < min_spread:
        ask = bid + min_spread
    return bid, ask


_QUOTES: list[Any] = []


def quotes_entry() -> Any:
    """``as_quotes`` compiled, called without numba's type dispatch (once per wake).
    One jitted rule for the Python strategy and the engine's jitted fast path
    (``hft_tui.engine.fast_quote``): the same float operations, the same ticks."""
    if not _QUOTES:
        _QUOTES.append(entry_point(as_quotes, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0))
    return _QUOTES[0]


class MarketMaker(Strategy):
    defaults: ClassVar[dict[str, Any]] = {
        "sym": 0,
        "gamma": 0.0001,
        "k": 0.02,
        "horizon_s": 10.0,
        "sigma_init": 200.0,
        "sigma_halflife_s": 60.0,
        "sigma_sample_ms": 1000.0,
        "size": 100,
        "max_inventory": 1000,
        "requote_ticks": 40,
        "min_spread_ticks": 1,
    }

    @staticmethod
    def check_params(p: dict[str, Any]) -> None:
        for key in ("gamma", "k", "horizon_s", "sigma_halflife_s", "sigma_sample_ms"):
            if p[key] <= 0:
                raise ValueError(f"{key} must be positive, got {p[key]}")
        if not 0 <= p["sigma_init"] <= 1e9:  # (its square is the variance: keep it a float)
            raise ValueError(f"sigma_init must be 0 to 1e9 ticks per sqrt(second), got {p['sigma_init']}")
        for key in ("size", "max_inventory", "requote_ticks", "min_spread_ticks"):
            if p[key] < 1:
                raise ValueError(f"{key} must be at least 1, got {p[key]}")

    # The wake conditions follow the parameters (also when one changes at run time).
    @property  # type: ignore[override]
    def wake_ticks(self) -> int:
        return self.params["requote_ticks"]

    @property  # type: ignore[override]
    def timer_ms(self) -> float:
        return self.params["sigma_sample_ms"]

    def on_start(self, ctx: Context) -> None:
        self.var = self.params["sigma_init"] ** 2
        self.last_mid2: int | None = None
        self.last_sample_ts = ctx.now
        self.bid_id: int | None = None
        self.bid_px = 0
        self.ask_id: int | None = None
        self.ask_px = 0

    def _sample(self, ctx: Context, mid2: int) -> None:
        p = self.params
        now = ctx.now
        dt = (now - self.last_sample_ts) * 1e-9
        if dt < p["sigma_sample_ms"] * 1e-3 * 0.999:
            return
        if self.last_mid2 is not None:
            dm = (mid2 - self.last_mid2) * 0.5
            alpha = 1.0 - 0.5 ** (dt / p["sigma_halflife_s"])
            self.var += alpha * (dm * dm / dt - self.var)
        self.last_mid2 = mid2
        self.last_sample_ts = now

    def on_wake(self, ctx: Context) -> None:
        p = self.params
        sym = p["sym"]
        best_bid = ctx.best_bid(sym)
        best_ask = ctx.best_ask(sym)
        if best_bid is None or best_ask is None:
            return
        mid2 = best_bid[0] + best_ask[0]
        self._sample(ctx, mid2)
        pos = ctx.position(sym)
        size = p["size"]
        bid, ask = quotes_entry()(
            mid2, pos / size, self.var, float(p["gamma"]), float(p["k"]), float(p["horizon_s"]), int(p["min_spread_ticks"])
        )
        bid = min(bid, best_ask[0] - 1)
        ask = max(ask, best_bid[0] + 1)
        limit = p["max_inventory"]
        up = self.ask_id is not None and bid >= self.ask_px
        for side in ((-1, 1) if up else (1, -1)):
            # when the market jumped up, move the ask first so the new bid does not cross it
            if side > 0:
                self.bid_id, self.bid_px = self._quote(ctx, 1, self.bid_id, self.bid_px, bid, pos + size <= limit)
            else:
                self.ask_id, self.ask_px = self._quote(ctx, -1, self.ask_id, self.ask_px, ask, pos - size >= -limit)

    def _quote(self, ctx: Context, side: int, oid: int | None, cur: int, want: int, allowed: bool) -> tuple[int | None, int]:
        p = self.params
        if not allowed:
            if oid is not None:
                ctx.cancel(oid)
            return None, 0
        if oid is not None:
            if abs(want - cur) < p["requote_ticks"]:
                return oid, cur
            if ctx.replace(oid, px=want):
                return oid, want
            # refused (risk: rate, self-trade against our other quote in flight):
            # the quote stays where it is; the next wake tries again
            return oid, cur
        if side > 0:
            new = ctx.buy(p["size"], want, p["sym"], POST_ONLY)
        else:
            new = ctx.sell(p["size"], want, p["sym"], POST_ONLY)
        return new, (want if new is not None else 0)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if fill.done:
            self._forget(fill.order_id)

    def on_order_closed(self, ctx: Context, order_id: int, reason: str) -> None:
        self._forget(order_id)

    def _forget(self, order_id: int) -> None:
        if order_id == self.bid_id:
            self.bid_id = None
        elif order_id == self.ask_id:
            self.ask_id = None
