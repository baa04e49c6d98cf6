"""The risk manager's own book of orders and exposures (rate.py: message rates).

The engine feeds it what it sends and what the exchange answers; the ledger
keeps, per strategy and symbol, the position and the lots that open and
in-flight orders could still add on each side. Worst-case exposure is
``position + open buys`` on the long side and ``position - open sells`` on the
short side: an order is admitted only if that stays inside the limit, so fills
arriving in any order and any split can never push the position past it.

Flat lists indexed by ``k = strategy * n_syms + sym`` keep the hot path free of
dict-of-dict lookups and allocation.
"""

from __future__ import annotations

from hft_tui.strategies.base import LIMIT, POST_ONLY

_NONE: list[int] = []  # shared empty list: most orders are never replaced (never mutated)


class OrderRec:
    """One open or in-flight order as the risk manager sees it."""

    __slots__ = (
        "strategy", "sym", "side", "px", "leaves", "filled", "reserved", "pending", "cancels", "kind", "acked", "rests",
    )  # fmt: skip

    def __init__(self, strategy: int, sym: int, side: int, px: int | None, qty: int, kind: str) -> None:
        self.strategy = strategy
        self.sym = sym
        self.side = side
        self.px = px
        self.leaves = qty  # lots still open at the exchange (as far as we know)
        self.filled = 0  # lots filled over the order's life
        self.cancels = 0  # cancels sent and not answered
        self.reserved = qty  # lots that may still fill: leaves, or more while a replace is in flight
        self.pending: list[int] = _NONE  # prices of replaces sent, not yet confirmed or refused
        self.kind = kind
        self.acked = False
        # only orders that can rest in the book can be crossed by our own later orders
        self.rests = kind in (LIMIT, POST_ONLY)


class Ledger:
    """Orders, positions and open exposure per (strategy, symbol) and in total."""

    def __init__(self, n_strategies: int, n_syms: int) -> None:
        n = n_strategies * n_syms
        self.n_syms = n_syms
        self.orders: dict[int, OrderRec] = {}
        self.pos = [0] * n
        self.open_buy = [0] * n  # reserved lots of open/in-flight buys
        self.open_sell = [0] * n
        self.tpos = [0] * n_syms  # sums over strategies
        self.topen_buy = [0] * n_syms
        self.topen_sell = [0] * n_syms
        self.n_open = [0] * n_strategies
        self.n_open_total = 0
        # own resting prices per k and side: px -> number of orders, and the cached best
        self.bid_levels: list[dict[int, int]] = [{} for _ in range(n)]
        self.ask_levels: list[dict[int, int]] = [{} for _ in range(n)]
        self.own_bid: list[int | None] = [None] * n
        self.own_ask: list[int | None] = [None] * n
        # counters for the report
        self.orders_sent = [0] * n_strategies
        self.lots_sent = [0] * n_strategies
        self.cancels_sent = [0] * n_strategies
        self.replaces_sent = [0] * n_strategies
        self.fills = [0] * n_strategies

    # --- open exposure -------------------------------------------------------------
    def _reserve(self, rec: OrderRec, lots: int) -> None:
        k = rec.strategy * self.n_syms + rec.sym
        if rec.side > 0:
            self.open_buy[k] += lots
            self.topen_buy[rec.sym] += lots
        else:
            self.open_sell[k] += lots
            self.topen_sell[rec.sym] += lots
        rec.reserved += lots

    def _add_level(self, rec: OrderRec, px: int) -> None:
        k = rec.strategy * self.n_syms + rec.sym
        if rec.side > 0:
            lv = self.bid_levels[k]
            lv[px] = lv.get(px, 0) + 1
            best = self.own_bid[k]
            if best is None or px > best:
                self.own_bid[k] = px
        else:
            lv = self.ask_levels[k]
            lv[px] = lv.get(px, 0) + 1
            best = self.own_ask[k]
            if best is None or px < best:
                self.own_ask[k] = px

    def _drop_level(self, rec: OrderRec, px: int) -> None:
        k = rec.strategy * self.n_syms + rec.sym
        lv = self.bid_levels[k] if rec.side > 0 else self.ask_levels[k]
        left = lv[px] - 1
        if left:
            lv[px] = left
            return
        del lv[px]
        # the cached best is rescanned only when its last order leaves
        if rec.side > 0:
            if px == self.own_bid[k]:
                self.own_bid[k] = max(lv) if lv else None
        elif px == self.own_ask[k]:
            self.own_ask[k] = min(lv) if lv else None

    # --- what the engine tells us -------------------------------------------------------
    def add(self, order_id: int, rec: OrderRec) -> None:
        qty = rec.reserved
        rec.reserved = 0
        self._reserve(rec, qty)
        self.orders[order_id] = rec
        self.n_open[rec.strategy] += 1
        self.n_open_total += 1
        if rec.rests:
            self._add_level(rec, rec.px)
        self.orders_sent[rec.strategy] += 1
        self.lots_sent[rec.strategy] += qty

    def remove(self, order_id: int) -> OrderRec | None:
        rec = self.orders.pop(order_id, None)
        if rec is None:
            return None
        self._reserve(rec, -rec.reserved)
        self.n_open[rec.strategy] -= 1
        self.n_open_total -= 1
        if rec.rests:
            self._drop_level(rec, rec.px)
            for px in rec.pending:
                self._drop_level(rec, px)
        return rec

    def replace_sent(self, rec: OrderRec, px: int, qty: int) -> None:
        """A replace in flight is a cancel plus a new order. How an exchange treats
        fills that race a replace varies, so assume the worst: the old order fills
        in full and the new size still rests afterwards; its lots are reserved on
        top, and both prices count as resting for the self-trade check. Several
        replaces in flight stack the same way; the exchange's answer to the last
        one restores the exact figures."""
        if rec.pending is _NONE:
            rec.pending = []
        rec.pending.append(px)
        self._add_level(rec, px)
        self._reserve(rec, qty)
        self.replaces_sent[rec.strategy] += 1
        self.lots_sent[rec.strategy] += qty

    def replaced(self, rec: OrderRec, px: int | None, size: int) -> None:
        """The exchange applied the oldest replace in flight: the order rests at px
        (None: the price that replace asked for) with a new total ``size``, of which
        what filled before stays filled."""
        leaves = max(0, size - rec.filled)
        if rec.pending:
            sent = rec.pending.pop(0)
            if px is None:
                px = sent
            elif px != sent:
                self._drop_level(rec, sent)
                self._add_level(rec, px)
        else:
            if px is None:
                px = rec.px
            self._add_level(rec, px)
        self._drop_level(rec, rec.px)
        rec.px = px
        rec.leaves = leaves
        if not rec.pending:
            self._reserve(rec, leaves - rec.reserved)

    def replace_refused(self, rec: OrderRec) -> None:
        if rec.pending:
            self._drop_level(rec, rec.pending.pop(0))
        if not rec.pending:
            self._reserve(rec, rec.leaves - rec.reserved)

    def fill(self, strategy: int, sym: int, side: int, qty: int, rec: OrderRec | None) -> None:
        k = strategy * self.n_syms + sym
        self.pos[k] += side * qty
        self.tpos[sym] += side * qty
        self.fills[strategy] += 1
        if rec is not None:
            rec.leaves = max(0, rec.leaves - qty)
            rec.filled += qty
            target = max(0, rec.reserved - qty) if rec.pending else rec.leaves
            self._reserve(rec, target - rec.reserved)

    def open_ids(self, strategy: int | None = None) -> list[int]:
        return [oid for oid, r in self.orders.items() if strategy is None or r.strategy == strategy]
