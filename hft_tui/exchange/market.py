"""One market event: apply it to the book and let it move or fill own resting orders.

The exchange owns the book update (``book_apply``) because it needs the level's
size before and after. Symbols fed LEVEL/QUOTE events use the L2 rules
(``matching_l2``); symbols fed ADD/CANCEL/EXECUTE use the L3 rules
(``matching_l3``); TRADE prints count only on L2 symbols (on L3 sources the
EXECUTEs are the trades).
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import book_apply, book_best_px, book_level_qty
from hft_tui.errors import HftError
from hft_tui.events import ADD, ASK, BID, CANCEL, CLEAR, EXECUTE, LEVEL, OWN, QUOTE, TRADE
from hft_tui.exchange import matching_l2 as l2
from hft_tui.exchange import matching_l3 as l3
from hft_tui.exchange.layout import C_N_EVENTS, C_N_FILLS, C_NOW, C_NSYM, O_PENDING, S_L2, S_MAXID, S_NCONS
from hft_tui.exchange.orders import compact
from hft_tui.exchange.taking import drain, forget


class ExchangeSymbolError(HftError):
    """An event's symbol index is beyond the exchange's symbols."""


@njit(cache=True, nogil=True)
def _tidy(v, sym, fills_before):
    """Release the orders an event finished (only if it filled something)."""
    if v.ctl[C_N_FILLS] != fills_before:
        compact(v, 2 * sym)
        compact(v, 2 * sym + 1)


@njit(cache=True, nogil=True)
def apply_market(book, v, sym, kind, side, px, qty, oid, flags, ts):
    if sym < 0 or sym >= v.ctl[C_NSYM]:
        raise ExchangeSymbolError("event symbol index beyond the exchange's symbols")
    ctl = v.ctl
    ctl[C_N_EVENTS] += 1
    if ts > ctl[C_NOW]:
        ctl[C_NOW] = ts
    fills = ctl[C_N_FILLS]
    if kind == TRADE:
        _trade(book, v, sym, side, px, qty, flags, ts)
        _tidy(v, sym, fills)
        return
    if side != BID and side != ASK:
        if kind == CLEAR:
            _clear(book, v, sym)
        else:
            book_apply(book, sym, kind, side, px, qty)
        return
    row = 2 * sym + (0 if side == BID else 1)
    orow = 2 * sym + (1 if side == BID else 0)
    own = v.nact[row] + v.nact[orow]
    si = row - 2 * sym
    if kind == LEVEL or kind == QUOTE:
        v.symv[sym, S_L2] = 1
        if own == 0 and v.symv[sym, S_NCONS] == 0:
            book_apply(book, sym, kind, side, px, qty)
            return
        old = book_level_qty(book, sym, side, px)
        book_apply(book, sym, kind, side, px, qty)
        new = max(qty, 0)
        if new < old:
            drain(v, sym, si, px, old - new)
        if v.nact[row] > 0:
            if kind == QUOTE:
                l2.level_dropped(v, row, side, px)
            l2.level_changed(v, row, px, old, new)
        if v.nact[orow] > 0 and new > old and l2.grew_applies(flags):
            l2.opposite_grew(v, orow, px, new - old, ts)
    elif kind == ADD:
        v.symv[sym, S_L2] = 0
        if oid > v.symv[sym, S_MAXID]:
            v.symv[sym, S_MAXID] = oid
        book_apply(book, sym, kind, side, px, qty)
        if v.nact[orow] > 0 and l2.grew_applies(flags):
            l3.crossing_add(v, orow, -side, px, qty, ts)
    elif kind == CANCEL or kind == EXECUTE:
        v.symv[sym, S_L2] = 0
        book_apply(book, sym, kind, side, px, qty)
        drain(v, sym, si, px, qty)
        if v.nact[row] > 0 and (flags & OWN) == 0:
            if kind == CANCEL:
                l3.removed_ahead(v, row, px, oid, qty)
            else:
                l3.executed(v, row, side, px, oid, qty, ts)
    elif kind == CLEAR:
        _clear(book, v, sym)
    else:
        book_apply(book, sym, kind, side, px, qty)
    _tidy(v, sym, fills)


@njit(cache=True, nogil=True)
def _clear(book, v, sym):
    book_apply(book, sym, CLEAR, 0, 0, 0)
    forget(v, sym)
    for si in range(2):
        row = 2 * sym + si
        for i in range(v.nact[row]):
            v.orders[v.act[row, i], O_PENDING] = 0


@njit(cache=True, nogil=True)
def _trade(book, v, sym, side, px, qty, flags, ts):
    if v.symv[sym, S_L2] == 0 or not l2.trade_applies(flags):
        return
    ps = l2.passive_side(book_best_px(book, sym, BID), book_best_px(book, sym, ASK), side, px)
    if ps == 0:
        return
    prow = 2 * sym + (0 if ps == BID else 1)
    if v.nact[prow] > 0:
        l2.trade(v, prow, ps, px, qty, ts)
