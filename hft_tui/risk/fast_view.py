"""The risk manager's side of the market maker's jitted fast path (``engine.fast_quote``).

That path checks price-only replaces in jitted code between two stops of the
runner. At each stop the engine asks for the state those checks read
(``fast_state``); when the runner returns, it hands each replace the path sent
back here (``fast_replace_sent``, ``fast_order_sent``), with the message already counted in the rate
windows (the path records into the same arrays). ``fast_state`` gives nothing
unless the strategy and the market are ACTIVE and fresh: every other state has
checks the jitted path does not make, so Python does those wake-ups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hft_tui.risk.watch import S_ACTIVE
from hft_tui.strategies.base import POST_ONLY

if TYPE_CHECKING:
    from hft_tui.risk.manager import RiskManager

NONE_BID = -(1 << 62)  # fast_quote's "no own resting bid / ask"
NONE_ASK = 1 << 62


class FastView:
    def fast_state(self: RiskManager, si: int, sym: int, quotes: tuple[int | None, int | None]) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
        """((pos, total pos, open buy, open sell, total open buy, total open sell, own bid,
        own ask, order lots, position lots, total position lots, notional units, band on,
        post-only check, self-trade check, open orders, all open orders, their limits,
        own bid and ask without the ``quotes`` (bid, ask order ids)), (band bps, gross,
        total gross, half unit)), or None when this strategy's orders need the full checks."""
        if self.kill_switch.tripped or self._ns != 1 or self._gstate != S_ACTIVE or self._state[si] != S_ACTIVE:
            return None
        k = si * self._ns + sym
        if self._stale[k] or self._resyncing[sym]:
            return None
        led, lim, glim = self.ledger, self._lim[si], self._glim
        own_b, own_a = led.own_bid[k], led.own_ask[k]
        return (
            led.pos[k], led.tpos[sym], led.open_buy[k], led.open_sell[k], led.topen_buy[sym], led.topen_sell[sym],
            NONE_BID if own_b is None else own_b, NONE_ASK if own_a is None else own_a,
            lim.order_lots[sym], lim.position_lots[sym], glim.position_lots[sym], lim.notional_units[sym],
            lim.band_on, lim.post_only_check, lim.self_trade_check,
            led.n_open[si], led.n_open_total, lim.open_orders, glim.open_orders,
            self._best_without(led.bid_levels[k], quotes[0], max, NONE_BID),
            self._best_without(led.ask_levels[k], quotes[1], min, NONE_ASK),
        ), (lim.band_bps, lim.gross_notional, glim.gross_notional, self._half_unit[sym])  # fmt: skip

    def _best_without(self: RiskManager, levels: dict[int, int], order_id: int | None, best: Any, none: int) -> int:
        """The best own price level when order ``order_id``'s (its price, its replaces in flight) go."""
        rec = self.ledger.orders.get(order_id) if order_id is not None else None
        if rec is None or not rec.rests:
            return best(levels) if levels else none
        left = dict(levels)
        for px in (rec.px, *rec.pending):
            n = left.get(px, 0) - 1
            if n > 0:
                left[px] = n
            else:
                left.pop(px, None)
        return best(left) if left else none

    def fast_order(self: RiskManager, si: int, order_id: int) -> tuple[int, int, int, int] | None:
        """(lots open, 1 if post-only, lots reserved, 1 if a replace is in flight) of a
        strategy's resting order, None if not replaceable."""
        rec = self.ledger.orders.get(order_id)
        if rec is None or rec.strategy != si or not rec.rests:
            return None
        return rec.leaves, int(rec.kind == POST_ONLY), rec.reserved, int(bool(rec.pending))

    def fast_rates(self: RiskManager, si: int) -> tuple[Any, Any, Any, Any]:
        """The strategy's and the global rate windows' arrays (both paths record into them)."""
        mine, whole = self._rate[si], self._grate
        return mine.ring, mine.st, whole.ring, whole.st

    def fast_replace_sent(self: RiskManager, order_id: int, px: int, mid2: int, now_ns: int) -> None:
        """A price-only replace the fast path checked (at mid ``mid2``) and sent at ``now_ns``."""
        self._mid2[self.ledger.orders[order_id].sym] = mid2  # as a check leaves it
        self.on_replace_sent(order_id, px, None, now_ns, recorded=True)

    def fast_order_sent(self: RiskManager, order_id: int, strategy: str, sym: int, side: int, px: int, qty: int,
                        mid2: int, now_ns: int) -> None:  # fmt: skip
        """A new post-only order the fast path checked (at mid ``mid2``) and sent at ``now_ns``."""
        self._mid2[sym] = mid2
        self.on_order_sent(order_id, strategy, sym, side, px, qty, POST_ONLY, now_ns, recorded=True)
