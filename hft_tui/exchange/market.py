"""One market event: apply it to the book and let it move or fill own resting orders.

The exchange owns the book update because it needs the level's size before and
after. Symbols fed LEVEL/QUOTE events use the L2 rules (``matching_l2``);
symbols fed ADD/CANCEL/EXECUTE use the L3 rules (``matching_l3``); TRADE prints
count only on L2 symbols (on L3 sources the EXECUTEs are the trades).

``apply_market`` is inlined into the batch loop: the book update plus a few
comparisons that decide whether the event can concern an own order at all
(lists are sorted best first, so "is px within the own orders' prices" is two
loads). Only then is ``own_effects`` called, a separate function that borrows
its arrays again (``layout.jview``) so that it counts no references either.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import CAPACITY_MESSAGE, OK, BookCapacityError, book_apply
from hft_tui.errors import HftError
from hft_tui.events import ADD, ASK, BID, CANCEL, CLEAR, EXECUTE, LEVEL, OWN, QUOTE, TRADE
from hft_tui.exchange import matching_l2 as l2
from hft_tui.exchange import matching_l3 as l3
from hft_tui.exchange.hotpath import apply_book, best_px, borrow_book, level_qty
from hft_tui.exchange.layout import (
    C_N_EVENTS,
    C_N_FILLS,
    C_NOW,
    C_NSYM,
    O_PENDING,
    O_PX,
    S_L2,
    S_MAXID,
    S_NCONS,
    jview,
)
from hft_tui.exchange.orders import better, compact
from hft_tui.exchange.taking import drain, forget


class ExchangeSymbolError(HftError):
    """An event's symbol index is beyond the exchange's symbols."""


@njit(cache=True, nogil=True, inline="always")
def spans(v, row, side, px):
    """True if own orders of ``side`` (list ``row``) are priced both at or better and at
    or worse than ``px``: only then can one sit at px."""
    n = v.nact[row]
    if n == 0:
        return False
    best = v.orders[v.act[row, 0], O_PX]
    worst = v.orders[v.act[row, n - 1], O_PX]
    return not better(side, px, best) and not better(side, worst, px)


@njit(cache=True, nogil=True, inline="always")
def reaches(v, row, side, px):
    """True if the best own order of ``side`` (list ``row``) is at or better than ``px``."""
    return v.nact[row] > 0 and not better(side, px, v.orders[v.act[row, 0], O_PX])


@njit(cache=True, nogil=True, inline="always")
def apply_market(book, v, ints, floats, out, sym, kind, side, px, qty, oid, flags, ts):
    if sym < 0 or sym >= v.ctl[C_NSYM]:
        raise ExchangeSymbolError("event symbol index beyond the exchange's symbols")
    ctl = v.ctl
    ctl[C_N_EVENTS] += 1
    if ts > ctl[C_NOW]:
        ctl[C_NOW] = ts
    if kind == TRADE:
        if v.symv[sym, S_L2] != 0 and v.nact[2 * sym] + v.nact[2 * sym + 1] > 0:
            trade_event(book, ints, floats, out, sym, side, px, qty, flags, ts)
        return
    if kind == CLEAR or (side != BID and side != ASK):
        other_event(book, ints, floats, out, sym, kind, side, px, qty)
        return
    row = 2 * sym + (0 if side == BID else 1)
    orow = 2 * sym + (1 if side == BID else 0)
    level = kind == LEVEL or kind == QUOTE
    if level:
        v.symv[sym, S_L2] = 1
    else:
        v.symv[sym, S_L2] = 0
        if kind == ADD and oid > v.symv[sym, S_MAXID]:
            v.symv[sym, S_MAXID] = oid
    # can the event concern an own order (or a consumed-liquidity record)?
    concern = v.symv[sym, S_NCONS] > 0 or kind == QUOTE
    if not concern and v.nact[row] + v.nact[orow] > 0:
        if level:
            concern = spans(v, row, side, px) or spans(v, orow, -side, px)
        elif kind == ADD:
            concern = reaches(v, orow, -side, px)
        elif kind == CANCEL:
            concern = spans(v, row, side, px)
        elif kind == EXECUTE:
            concern = reaches(v, row, side, px)
    old = 0
    if concern and level:
        old = level_qty(book, sym, side, px)
    if apply_book(book, sym, kind, side, px, qty) != OK:
        raise BookCapacityError(CAPACITY_MESSAGE)
    if concern:
        own_effects(book, ints, floats, out, sym, kind, side, px, qty, oid, flags, ts, old)


@njit(cache=True, nogil=True)
def own_effects(book, ints, floats, out, sym, kind, side, px, qty, oid, flags, ts, old):
    """What a book event (already applied) does to own orders and consumed records."""
    book = borrow_book(book)
    v = jview(ints, floats, out)
    fills = v.ctl[C_N_FILLS]
    row = 2 * sym + (0 if side == BID else 1)
    orow = 2 * sym + (1 if side == BID else 0)
    si = row - 2 * sym
    if kind == LEVEL or kind == QUOTE:
        new = max(qty, 0)
        if new < old:
            drain(v, sym, si, px, old - new)
        if kind == QUOTE:
            if v.nact[row] > 0:
                l2.level_dropped(v, row, side, px)
                l2.level_changed(v, row, px, old, new)
        elif spans(v, row, side, px):
            l2.level_changed(v, row, px, old, new)
        if new > old and spans(v, orow, -side, px) and l2.grew_applies(flags):
            l2.opposite_grew(v, orow, px, new - old, ts)
    elif kind == ADD:
        if reaches(v, orow, -side, px) and l2.grew_applies(flags):
            l3.crossing_add(v, orow, -side, px, qty, ts)
    elif kind == CANCEL or kind == EXECUTE:
        drain(v, sym, si, px, qty)
        if (flags & OWN) == 0:
            if kind == CANCEL:
                if spans(v, row, side, px):
                    l3.removed_ahead(v, row, px, oid, qty)
            elif reaches(v, row, side, px):
                l3.executed(v, row, side, px, oid, qty, ts)
    if v.ctl[C_N_FILLS] != fills:
        compact(v, 2 * sym)
        compact(v, 2 * sym + 1)


@njit(cache=True, nogil=True)
def trade_event(book, ints, floats, out, sym, side, px, qty, flags, ts):
    """A print on an L2 symbol with own orders."""
    book = borrow_book(book)
    v = jview(ints, floats, out)
    if not l2.trade_applies(flags):
        return
    ps = l2.passive_side(best_px(book, sym, BID), best_px(book, sym, ASK), side, px)
    if ps == 0:
        return
    prow = 2 * sym + (0 if ps == BID else 1)
    if reaches(v, prow, ps, px):
        fills = v.ctl[C_N_FILLS]
        l2.trade(v, prow, ps, px, qty, ts)
        if v.ctl[C_N_FILLS] != fills:
            compact(v, prow)


@njit(cache=True, nogil=True)
def other_event(book, ints, floats, out, sym, kind, side, px, qty):
    """CLEAR, and events without a book side (which the book ignores)."""
    if book_apply(book, sym, kind, side, px, qty) != OK:
        raise BookCapacityError(CAPACITY_MESSAGE)
    if kind == CLEAR:
        v = jview(ints, floats, out)
        forget(v, sym)
        for si in range(2):
            row = 2 * sym + si
            for i in range(v.nact[row]):
                v.orders[v.act[row, i], O_PENDING] = 0
