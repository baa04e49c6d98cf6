"""Reading the book: best level, one level, top-N depth, cumulative size.

Jitted, allocation-free, callable from other jitted code. ``side`` is
``events.BID`` or ``events.ASK``; prices are ticks, sizes lots. Levels are
visited from the best outward: the window from ``best`` down to ``low``, then
the overflow from its end (its best) down.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.book_ladder import M_BASE, M_BEST, M_LOW, M_NOVF
from hft_tui.events import BID

# The price of a side with no level. Compare with ``==``; it is not a usable price.
NO_PRICE = np.iinfo(np.int64).min


@njit(cache=True, nogil=True)
def side_index(side):
    """0 for bids, 1 for asks: the second index of the state arrays."""
    return 0 if side == BID else 1


@njit(cache=True, nogil=True)
def book_best_px(st, sym, side):
    """Best price of ``side``, or NO_PRICE when the side is empty."""
    si = side_index(side)
    meta = st.meta
    best = meta[sym, si, M_BEST]
    if best < 0:
        return NO_PRICE
    key = meta[sym, si, M_BASE] + best
    return key if si == 0 else -key


@njit(cache=True, nogil=True)
def book_best_qty(st, sym, side):
    """Size at the best price of ``side``, 0 when the side is empty."""
    si = side_index(side)
    best = st.meta[sym, si, M_BEST]
    if best < 0:
        return 0
    return st.qty[sym, si, best]


# As in book_ladder, each BookState field is read once per function and indexed
# in place (no views), which keeps numba's reference counting out of the way.


@njit(cache=True, nogil=True)
def book_level_qty(st, sym, side, px):
    """Size of the level at ``px`` on ``side``, 0 if there is none."""
    si = side_index(side)
    meta = st.meta
    okey = st.okey
    best = meta[sym, si, M_BEST]
    key = px if si == 0 else -px
    idx = key - meta[sym, si, M_BASE]
    if best < 0 or idx > best:
        return 0
    if idx >= 0:
        return st.qty[sym, si, idx]
    lo = 0
    hi = meta[sym, si, M_NOVF]
    while lo < hi:  # the overflow is sorted: binary search, inline (no call, see above)
        mid = (lo + hi) >> 1
        k = okey[sym, si, mid]
        if k == key:
            return st.oqty[sym, si, mid]
        if k < key:
            lo = mid + 1
        else:
            hi = mid
    return 0


@njit(cache=True, nogil=True)
def book_depth(st, sym, side, n, px_out, qty_out):
    """Fill ``px_out/qty_out[:k]`` with the best ``k <= n`` levels; return k."""
    si = side_index(side)
    meta = st.meta
    qty = st.qty
    okey = st.okey
    oqty = st.oqty
    sign = 1 if si == 0 else -1
    n = min(n, px_out.shape[0], qty_out.shape[0])
    k = 0
    base = meta[sym, si, M_BASE]
    i = meta[sym, si, M_BEST]
    low = meta[sym, si, M_LOW]
    while k < n and i >= low:
        q = qty[sym, si, i]
        if q > 0:
            px_out[k] = sign * (base + i)
            qty_out[k] = q
            k += 1
        i -= 1
    j = meta[sym, si, M_NOVF] - 1
    while k < n and j >= 0:
        px_out[k] = sign * okey[sym, si, j]
        qty_out[k] = oqty[sym, si, j]
        k += 1
        j -= 1
    return k


@njit(cache=True, nogil=True)
def book_cum_depth(st, sym, side, n, px_out, cum_out):
    """Like book_depth, but ``cum_out[i]`` is the total size of levels 0..i."""
    k = book_depth(st, sym, side, n, px_out, cum_out)
    for i in range(1, k):
        cum_out[i] += cum_out[i - 1]
    return k


@njit(cache=True, nogil=True)
def book_qty_through(st, sym, side, px):
    """Total size of the levels of ``side`` priced at ``px`` or better.

    What an order crossing up to ``px`` would meet (bids >= px, asks <= px).
    """
    si = side_index(side)
    meta = st.meta
    qty = st.qty
    okey = st.okey
    oqty = st.oqty
    key = px if si == 0 else -px
    idx = key - meta[sym, si, M_BASE]
    # No early return for an empty side (best -1, low W, no overflow: both
    # loops are empty): a return before a loop brings the reference counting back.
    total = 0
    i = meta[sym, si, M_BEST]
    low = max(idx, meta[sym, si, M_LOW])
    while i >= low:
        total += qty[sym, si, i]
        i -= 1
    j = meta[sym, si, M_NOVF] - 1
    while idx < 0 and j >= 0 and okey[sym, si, j] >= key:  # from the overflow's best down
        total += oqty[sym, si, j]
        j -= 1
    return total
