"""Own aggressive orders: walking the book, and the liquidity they consumed.

A replayed recording (and a sim venue until it is told) does not know that one
of our orders took liquidity: the data keeps showing the levels we emptied. The
exchange therefore records, per (symbol, side, price), the lots own aggressive
orders consumed, and subtracts them from the visible size wherever it matters
(the next aggressive order, the queue position of a new resting order, the
effective best price). The record drains as the data itself removes liquidity
from that level (a LEVEL decrease, an L3 CANCEL or EXECUTE, including the
OWN-flagged EXECUTEs the sim venue emits once the engine passes our take to
it): we assume the lots that leave are the ones we took, which were at the
front. A CLEAR forgets the symbol's records.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE, book_depth
from hft_tui.events import BID
from hft_tui.exchange.codes import TAKER
from hft_tui.exchange.hotpath import best_px
from hft_tui.exchange.layout import C_CCAP, C_WALK, K_PX, K_QTY, K_SI, K_SYM, O_LEAVES, O_SIDE, O_SYM, S_NCONS
from hft_tui.exchange.orders import fill


@njit(cache=True, nogil=True, inline="always")
def consumed(v, sym, si, px):
    """Lots own orders took from (sym, side index, px) that the data still shows."""
    if v.symv[sym, S_NCONS] == 0:
        return 0
    for r in range(v.ctl[C_CCAP]):
        row = v.cons[r]
        if row[K_QTY] > 0 and row[K_PX] == px and row[K_SYM] == sym and row[K_SI] == si:
            return row[K_QTY]
    return 0


@njit(cache=True, nogil=True)
def consume(v, sym, si, px, qty):
    """Record ``qty`` lots taken at (sym, si, px). A full table overwrites its smallest row."""
    free = -1
    small = 0
    for r in range(v.ctl[C_CCAP]):
        row = v.cons[r]
        if row[K_QTY] > 0:
            if row[K_PX] == px and row[K_SYM] == sym and row[K_SI] == si:
                row[K_QTY] += qty
                return
            if row[K_QTY] < v.cons[small, K_QTY]:
                small = r
        elif free < 0:
            free = r
    if free < 0:
        free = small
        v.symv[v.cons[free, K_SYM], S_NCONS] -= 1
    row = v.cons[free]
    row[K_SYM] = sym
    row[K_SI] = si
    row[K_PX] = px
    row[K_QTY] = qty
    v.symv[sym, S_NCONS] += 1


@njit(cache=True, nogil=True, inline="always")
def drain(v, sym, si, px, qty):
    """The data removed ``qty`` lots from a level: the consumed record shrinks by as much."""
    if v.symv[sym, S_NCONS] == 0:
        return
    for r in range(v.ctl[C_CCAP]):
        row = v.cons[r]
        if row[K_QTY] > 0 and row[K_PX] == px and row[K_SYM] == sym and row[K_SI] == si:
            row[K_QTY] -= qty
            if row[K_QTY] <= 0:
                row[K_QTY] = 0
                v.symv[sym, S_NCONS] -= 1
            return


@njit(cache=True, nogil=True)
def forget(v, sym):
    """Drop every consumed record of ``sym`` (its book was cleared)."""
    if v.symv[sym, S_NCONS] == 0:
        return
    for r in range(v.ctl[C_CCAP]):
        if v.cons[r, K_SYM] == sym:
            v.cons[r, K_QTY] = 0
    v.symv[sym, S_NCONS] = 0


@njit(cache=True, nogil=True, inline="always")
def crosses(side, px, limit):
    """True if an order of ``side`` limited at ``limit`` reaches price ``px``."""
    return px <= limit if side == BID else px >= limit


@njit(cache=True, nogil=True, inline="always")
def effective_best(book, v, sym, side):
    """Best price of ``side`` with liquidity left after what own orders consumed."""
    if v.symv[sym, S_NCONS] == 0:
        return best_px(book, sym, side)
    si = 0 if side == BID else 1
    k = book_depth(book, sym, side, v.ctl[C_WALK], v.wpx, v.wqty)
    for j in range(k):
        if v.wqty[j] > consumed(v, sym, si, v.wpx[j]):
            return v.wpx[j]
    return NO_PRICE


@njit(cache=True, nogil=True)
def available(book, v, sym, side, limit, market, want):
    """Lots an order of ``side`` could take now within ``limit`` (stops counting at ``want``)."""
    opp = -side
    osi = 0 if opp == BID else 1
    k = book_depth(book, sym, opp, v.ctl[C_WALK], v.wpx, v.wqty)
    total = 0
    for j in range(k):
        p = v.wpx[j]
        if not market and not crosses(side, p, limit):
            break
        total += max(0, v.wqty[j] - consumed(v, sym, osi, p))
        if total >= want:
            break
    return total


@njit(cache=True, nogil=True)
def reach_price(book, v, sym, side, qty):
    """The worst price a market order of ``side`` for ``qty`` lots would trade at now
    (NO_PRICE if the other side is empty): the limit it effectively has."""
    opp = -side
    osi = 0 if opp == BID else 1
    k = book_depth(book, sym, opp, v.ctl[C_WALK], v.wpx, v.wqty)
    total = 0
    last = NO_PRICE
    for j in range(k):
        avail = v.wqty[j] - consumed(v, sym, osi, v.wpx[j])
        if avail > 0:
            last = v.wpx[j]
            total += avail
            if total >= qty:
                break
    return last


@njit(cache=True, nogil=True)
def take(book, v, slot, limit, market, ts):
    """Walk the opposite side level by level from its best, filling the order as a taker.

    Stops at the limit price (unless ``market``), when the order is filled, or
    after ``max_walk_levels`` levels. Returns the lots filled.
    """
    o = v.orders[slot]
    side = o[O_SIDE]
    sym = o[O_SYM]
    opp = -side
    osi = 0 if opp == BID else 1
    k = book_depth(book, sym, opp, v.ctl[C_WALK], v.wpx, v.wqty)
    got = 0
    for j in range(k):
        p = v.wpx[j]
        if not market and not crosses(side, p, limit):
            break
        avail = v.wqty[j] - consumed(v, sym, osi, p)
        if avail <= 0:
            continue
        f = min(avail, o[O_LEAVES])
        consume(v, sym, osi, p, f)
        fill(v, slot, p, f, TAKER, ts)
        got += f
        if o[O_LEAVES] == 0:
            break
    return got
