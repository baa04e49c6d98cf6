"""Pre-trade checks: the part of the risk manager that runs once per intent.

Kept apart from the bookkeeping (manager.py) because it is the hot path: every
test compares integers already held in flat lists, nothing is allocated unless
the order is refused (then the reason is counted and a line of text is built).
The checks use worst-case exposure: the position plus every open and in-flight
order on the order's side, as if all of them filled (see ledger.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hft_tui.risk.watch import S_HALTED, S_REDUCE
from hft_tui.strategies.base import MARKET, POST_ONLY

if TYPE_CHECKING:
    from hft_tui.engine.commands import KillSwitch
    from hft_tui.instrument import Instrument
    from hft_tui.risk.ledger import Ledger
    from hft_tui.risk.limits import ScopeLimits

_INF = float("inf")


class PreTrade:
    """check_order / check_replace / check_cancel; RiskManager supplies the state."""

    names: list[str]
    instruments: list[Instrument]
    kill_switch: KillSwitch
    ledger: Ledger
    last_message: str
    _index: dict[str, int]
    _ns: int
    _glim: ScopeLimits
    _lim: list[ScopeLimits]
    _gstate: int
    _gwhy: str
    _state: list[int]
    _why: list[str]
    _stale: list[bool]
    _resyncing: list[bool]
    _mid2: list[float | None]
    _unit: list[float]
    _half_unit: list[float]
    _kind_ok: frozenset[str]
    _rejections: dict[str, int]

    # --- pre-trade ------------------------------------------------------------------
    def check_order(
        self,
        strategy: str,
        sym: int,
        side: int,
        px: int | None,
        qty: int,
        kind: str,
        now_ns: int,
        best_bid: int | None,
        best_ask: int | None,
    ) -> str | None:
        """None if the order may go, else a reason code (counted; text in ``last_message``)."""
        si = self._index.get(strategy)
        if si is None:
            return self._fail(strategy, "unknown_strategy", "not a strategy of this run")
        return self._check(si, sym, side, px, qty, kind, now_ns, best_bid, best_ask, True)

    def check_replace(
        self,
        strategy: str,
        order_id: int,
        px: int | None,
        qty: int | None,
        now_ns: int,
        best_bid: int | None,
        best_ask: int | None,
    ) -> str | None:
        """A replace to ``px`` / ``qty`` lots open (None keeps the current value)."""
        si = self._index.get(strategy)
        rec = self.ledger.orders.get(order_id)
        if si is None or rec is None or rec.strategy != si:
            return self._fail(strategy, "unknown_order", f"order {order_id} is not open")
        if not rec.rests:
            return self._fail(strategy, "bad_order", f"a {rec.kind} order cannot be replaced")
        if px is None and qty is None:
            return self._fail(strategy, "bad_order", f"replace of #{order_id} changes neither price nor size")
        new_px = rec.px if px is None else px
        new_qty = rec.leaves if qty is None else qty
        # even a size cut is checked: an exchange may re-open it after the old size filled
        return self._check(si, rec.sym, rec.side, new_px, new_qty, rec.kind, now_ns, best_bid, best_ask, False)

    def check_cancel(self, strategy: str, order_id: int) -> str | None:
        """Cancels are always allowed (also halted or killed) for the strategy's open orders."""
        rec = self.ledger.orders.get(order_id)
        if rec is None or self._index.get(strategy) != rec.strategy:
            return self._fail(strategy, "unknown_order", f"order {order_id} is not open")
        return None

    def _fail(self, strategy: str | int, reason: str, text: str) -> str:
        name = self.names[strategy] if isinstance(strategy, int) else strategy
        self._rejections[reason] = self._rejections.get(reason, 0) + 1
        self.last_message = f"{name}: rejected ({reason}): {text}"
        return reason

    def _check(self, si, sym, side, px, qty, kind, now, bb, ba, new_order) -> str | None:  # noqa: C901
        # The order of the tests decides which reason is reported; the cheap ones go first.
        # the switch may be tripped from any thread: read it first, every time
        if self.kill_switch.tripped:
            return self._fail(si, "killed", f"kill switch: {self.kill_switch.reason}")
        if self._gstate == S_HALTED:
            return self._fail(si, "halted", f"trading halted ({self._gwhy})")
        st = self._state[si]
        if st == S_HALTED:
            return self._fail(si, "halted", f"strategy halted ({self._why[si]})")
        if (side != 1 and side != -1) or qty <= 0 or kind not in self._kind_ok or not 0 <= sym < self._ns:
            return self._fail(si, "bad_order", f"side {side}, qty {qty}, kind {kind}, sym {sym}")
        if kind != MARKET and (px is None or px <= 0):
            return self._fail(si, "bad_order", f"a {kind} order needs a positive price, got {px} ticks")
        if self._resyncing[sym]:
            return self._fail(si, "stale_feed", f"{self.instruments[sym].symbol} book resyncing: not exact")
        led, lim, glim = self.ledger, self._lim[si], self._glim
        k = si * self._ns + sym
        pos, tpos = led.pos[k], led.tpos[sym]
        # worst case after this order: every open and in-flight order on its side fills
        if side > 0:
            worst = pos + led.open_buy[k] + qty
            gworst = tpos + led.topen_buy[sym] + qty
            reducing, greducing = pos < 0 and worst <= 0, tpos < 0 and gworst <= 0
        else:
            worst = pos - led.open_sell[k] - qty
            gworst = tpos - led.topen_sell[sym] - qty
            reducing, greducing = pos > 0 and worst >= 0, tpos > 0 and gworst >= 0
        if st == S_REDUCE and not reducing:
            return self._fail(si, "reduce_only", f"reduce-only ({self._why[si]}): order would not shrink the position")
        if self._gstate == S_REDUCE and not greducing:
            return self._fail(si, "reduce_only", f"global reduce-only ({self._gwhy}): order would not shrink the position")
        if self._stale[k] and not reducing:
            return self._fail(si, "stale_feed", f"no fresh data for {self.instruments[sym].symbol}")
        if qty > lim.order_lots[sym]:
            return self._fail(si, "max_order_qty", f"size {self._qty(sym, qty)} > {self._qty(sym, lim.order_lots[sym])}")
        mid2 = None
        if bb is not None and ba is not None:
            mid2 = bb + ba
            self._mid2[sym] = mid2
        if kind == MARKET:
            px = ba if side > 0 else bb
            if px is None:
                return self._fail(si, "no_market", "market order with nothing to trade against")
        if lim.band_on:
            if mid2 is None:
                return self._fail(si, "no_mid", "no mid price to check the price band against")
            if kind != MARKET and abs(2 * px - mid2) * 10_000 > mid2 * lim.band_bps:
                mid = self.instruments[sym].half_ticks_to_str(mid2)
                return self._fail(si, "price_band", f"price {self._px(sym, px)} is more than {lim.band_bps:g} bps from mid {mid}")
        if px * qty > lim.notional_units[sym]:
            return self._fail(si, "max_order_notional", f"notional {px * qty * self._unit[sym]:.2f} > {lim.values.max_order_notional:g}")
        if kind == POST_ONLY and lim.post_only_check:
            if (ba is not None and px >= ba) if side > 0 else (bb is not None and px <= bb):
                return self._fail(si, "post_only_cross", f"post-only price {self._px(sym, px)} would cross the best")
        if lim.self_trade_check:
            own = led.own_ask[k] if side > 0 else led.own_bid[k]
            if own is not None and (kind == MARKET or (px >= own if side > 0 else px <= own)):
                return self._fail(si, "self_trade", f"would trade against own resting order at {self._px(sym, own)}")
        if new_order:
            if led.n_open[si] >= lim.open_orders:
                return self._fail(si, "max_open_orders", f"{led.n_open[si]} open orders")
            if led.n_open_total >= glim.open_orders:
                return self._fail(si, "max_open_orders", f"{led.n_open_total} open orders in total")
        if not reducing and abs(worst) > lim.position_lots[sym]:
            return self._fail(si, "max_position", f"worst-case position {self._qty(sym, worst)} > {self._qty(sym, lim.position_lots[sym])}")
        if not greducing and abs(gworst) > glim.position_lots[sym]:
            return self._fail(si, "max_position", f"worst-case total position {self._qty(sym, gworst)} > {self._qty(sym, glim.position_lots[sym])}")
        # gross: this symbol's worst-case exposure after the order at the current mid,
        # plus the other symbols' at their last mids (a loop only with several symbols)
        value = (mid2 if mid2 is not None else 2 * px) * self._half_unit[sym]
        if not reducing and lim.gross_notional < _INF:
            other = pos - led.open_sell[k] if side > 0 else pos + led.open_buy[k]
            gross = max(abs(worst), abs(other)) * value
            if self._ns > 1:
                gross += self._gross_others(si, sym)
            if gross > lim.gross_notional:
                return self._fail(si, "max_gross_notional", f"worst-case gross {gross:.2f} > {lim.gross_notional:g}")
        if not greducing and glim.gross_notional < _INF:
            other = tpos - led.topen_sell[sym] if side > 0 else tpos + led.topen_buy[sym]
            gross = max(abs(gworst), abs(other)) * value
            if self._ns > 1:
                gross += self._gross_others(-1, sym)
            if gross > glim.gross_notional:
                return self._fail(si, "max_gross_notional", f"worst-case total gross {gross:.2f} > {glim.gross_notional:g}")
        if not self._rate[si].allows(now):
            return self._fail(si, "rate_limit", f"{lim.rate} messages in the last second")
        if not self._grate.allows(now):
            return self._fail(si, "rate_limit", f"{glim.rate} messages in the last second in total")
        return None

    # --- texts of refusals: instrument units, as the limits are given -------------------
    def _px(self, sym: int, ticks: int) -> str:
        return self.instruments[sym].ticks_to_str(ticks)

    def _qty(self, sym: int, lots: int) -> str:
        return self.instruments[sym].lots_to_str(lots)

    def _gross_others(self, si: int, skip: int) -> float:
        """Worst-case gross notional of a strategy (si >= 0) or of all (si < 0) over
        every symbol but ``skip`` (-1: none), at the last mids seen."""
        led, ns, mids, half = self.ledger, self._ns, self._mid2, self._half_unit
        if si >= 0:
            base, pos_l, buy_l, sell_l = si * ns, led.pos, led.open_buy, led.open_sell
        else:
            base, pos_l, buy_l, sell_l = 0, led.tpos, led.topen_buy, led.topen_sell
        total = 0.0
        for j in range(ns):
            m2 = mids[j]
            if j == skip or m2 is None:
                continue
            k = base + j
            pos = pos_l[k]
            exposure = max(abs(pos + buy_l[k]), abs(pos - sell_l[k]))
            if exposure:
                total += exposure * m2 * half[j]
        return total
