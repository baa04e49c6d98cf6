"""Reading the book: best level, one level, top-N depth, cumulative size.

Jitted, allocation-free, callable from other jitted code. ``side`` is
``events.BID`` or ``events.ASK``; prices are ticks, sizes lots. Levels are
visited from the best outward: the window from ``best`` down to ``low``, then
the overflow from its end (its best) down.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.book_ladder import M_BASE, M_BEST, M_LOW, M_NOVF, ovf_find
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
    m = st.meta[sym, si]
    if m[M_BEST] < 0:
        return NO_PRICE
    key = m[M_BASE] + m[M_BEST]
    return key if si == 0 else -key


@njit(cache=True, nogil=True)
def book_best_qty(st, sym, side):
    """Size at the best price of ``side``, 0 when the side is empty."""
    si = side_index(side)
    best = st.meta[sym, si, M_BEST]
    if best < 0:
        return 0
    return st.qty[sym, si, best]


@njit(cache=True, nogil=True)
def book_level_qty(st, sym, side, px):
    """Size of the level at ``px`` on ``side``, 0 if there is none."""
    si = side_index(side)
    m = st.meta[sym, si]
    if m[M_BEST] < 0:
        return 0
    key = px if si == 0 else -px
    idx = key - m[M_BASE]
    if idx >= 0:
        if idx > m[M_BEST]:
            return 0
        return st.qty[sym, si, idx]
    okey = st.okey[sym, si]
    n = m[M_NOVF]
    pos = ovf_find(okey, n, key)
    if pos < n and okey[pos] == key:
        return st.oqty[sym, si, pos]
    return 0


@njit(cache=True, nogil=True)
def book_depth(st, sym, side, n, px_out, qty_out):
    """Fill ``px_out/qty_out[:k]`` with the best ``k <= n`` levels; return k."""
    si = side_index(side)
    m = st.meta[sym, si]
    sign = 1 if si == 0 else -1
    n = min(n, px_out.shape[0], qty_out.shape[0])
    k = 0
    row = st.qty[sym, si]
    base = m[M_BASE]
    i = m[M_BEST]
    low = m[M_LOW]
    while k < n and i >= low:
        q = row[i]
        if q > 0:
            px_out[k] = sign * (base + i)
            qty_out[k] = q
            k += 1
        i -= 1
    j = m[M_NOVF] - 1
    okey = st.okey[sym, si]
    oqty = st.oqty[sym, si]
    while k < n and j >= 0:
        px_out[k] = sign * okey[j]
        qty_out[k] = oqty[j]
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
    m = st.meta[sym, si]
    best = m[M_BEST]
    if best < 0:
        return 0
    key = px if si == 0 else -px
    idx = key - m[M_BASE]
    row = st.qty[sym, si]
    total = 0
    for i in range(max(idx, m[M_LOW]), best + 1):
        total += row[i]
    if idx < 0:
        okey = st.okey[sym, si]
        oqty = st.oqty[sym, si]
        n = m[M_NOVF]
        for j in range(ovf_find(okey, n, key), n):
            total += oqty[j]
    return total
