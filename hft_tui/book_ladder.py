"""The book's storage: one price ladder per (symbol, side), window plus overflow.

Both sides share one code path through a *key* where higher is better: the key
of a bid level is its price, the key of an ask level is minus its price. Each
(symbol, side) has

- a **window**: ``qty[s, si, i]`` is the size of the level with key
  ``base + i`` for ``0 <= i < W`` (0: no level). The hot path is one index.
- an **overflow**: the levels worse than the window (key < base), exact, kept
  sorted by ascending key in ``okey/oqty[s, si, :n]``, so the best of them is
  the last one and levels leaving the window bottom are appended in order.

Invariants (after every call):

- every window level lies in ``[low, best]``; ``best`` is exact (-1 when the
  window is empty), ``low`` is only a lower bound;
- every overflow key is < ``base``;
- the window is empty only if the overflow is empty too.

A level arriving above the window re-anchors it so that the new level sits 3/4
of the way up; levels falling off the bottom go to the overflow. When the last
window level goes, the window re-anchors onto the overflow's best and pulls the
levels that fit back in. So the book stays exact whatever the prices do, and
the costly moves happen only on jumps of more than W/4 ticks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from hft_tui.errors import HftError

# meta[s, si, :] slots
M_BASE = 0  # key of window index 0
M_BEST = 1  # window index of the best level, -1 when the window is empty
M_LOW = 2  # no window level below this index (W when the window is empty)
M_NOVF = 3  # number of levels in the overflow
META_LEN = 4

# Status codes of the jitted updates. They return a code instead of raising:
# a callee that may raise makes numba count references around every call to
# it, which costs more than the update itself on the hot path.
OK = 0
ERR_CAPACITY = 1  # the overflow is full; the event was not applied
ERR_SYMBOL = 2  # the symbol index is beyond the book's symbols


class BookState(NamedTuple):
    """Plain arrays, so that numba takes the state as an argument and caches it."""

    qty: np.ndarray  # int64 [S, 2, W]: window sizes, side index 0 bid, 1 ask
    meta: np.ndarray  # int64 [S, 2, META_LEN]
    okey: np.ndarray  # int64 [S, 2, C]: overflow keys, ascending
    oqty: np.ndarray  # int64 [S, 2, C]: overflow sizes


def new_state(n_symbols: int = 1, window: int = 1 << 16, capacity: int = 1 << 16) -> BookState:
    """An empty book for ``n_symbols`` symbols."""
    if n_symbols < 1 or window < 4 or capacity < 1:
        raise HftError(
            f"book needs n_symbols >= 1, window >= 4, capacity >= 1 "
            f"(got {n_symbols}, {window}, {capacity})"
        )
    meta = np.zeros((n_symbols, 2, META_LEN), dtype=np.int64)
    meta[:, :, M_BEST] = -1
    meta[:, :, M_LOW] = window
    return BookState(
        qty=np.zeros((n_symbols, 2, window), dtype=np.int64),
        meta=meta,
        okey=np.zeros((n_symbols, 2, capacity), dtype=np.int64),
        oqty=np.zeros((n_symbols, 2, capacity), dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def ovf_find(okey, n, key):
    """Index of the first of ``okey[:n]`` that is >= key (binary search)."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if okey[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


# The functions below work on one side's views: m = meta[s, si], row = qty[s, si],
# okey/oqty = okey/oqty[s, si]. Taking the views once, in the caller, matters:
# numba increments and decrements reference counts (atomic operations) for
# every access to a field of the BookState tuple that it cannot prove
# redundant, which made the first version ~50x slower than the plain indexing.
# For the same reason nothing here raises (see OK and ERR_* above).


@njit(cache=True, nogil=True)
def _ovf_update(m, okey, oqty, key, q, relative):
    """Set (or add to, if relative) the overflow level ``key``; key < base."""
    n = m[M_NOVF]
    pos = ovf_find(okey, n, key)
    if pos < n and okey[pos] == key:
        new = oqty[pos] + q if relative else q
        if new > 0:
            oqty[pos] = new
        else:
            for j in range(pos + 1, n):
                okey[j - 1] = okey[j]
                oqty[j - 1] = oqty[j]
            m[M_NOVF] = n - 1
        return OK
    if q <= 0:
        return OK
    if n == okey.shape[0]:
        return ERR_CAPACITY
    for j in range(n, pos, -1):
        okey[j] = okey[j - 1]
        oqty[j] = oqty[j - 1]
    okey[pos] = key
    oqty[pos] = q
    m[M_NOVF] = n + 1
    return OK


@njit(cache=True, nogil=True)
def _anchor_up(m, row, okey, oqty, key):
    """Move the window up so that ``key`` sits 3/4 of the way up it."""
    w = row.shape[0]
    new_base = key - (w * 3) // 4
    delta = new_base - m[M_BASE]
    best = m[M_BEST]
    low = m[M_LOW]
    cut = min(delta, best + 1)  # window indices below `cut` fall into the overflow
    n = m[M_NOVF]
    leaving = 0
    for i in range(low, cut):
        if row[i] > 0:
            leaving += 1
    if n + leaving > okey.shape[0]:
        return ERR_CAPACITY
    base = m[M_BASE]
    for i in range(low, cut):
        if row[i] > 0:
            okey[n] = base + i  # ascending and above every overflow key
            oqty[n] = row[i]
            n += 1
            row[i] = 0
    m[M_NOVF] = n
    if delta > best:
        m[M_BEST] = -1  # nothing left in the window; the caller sets the new level
        m[M_LOW] = w
    else:
        for i in range(delta, best + 1):
            row[i - delta] = row[i]
        for i in range(best + 1 - delta, best + 1):
            row[i] = 0
        m[M_BEST] = best - delta
        m[M_LOW] = max(low - delta, 0)
    m[M_BASE] = new_base
    return OK


@njit(cache=True, nogil=True)
def _pull_down(m, row, okey, oqty):
    """The window is empty: re-anchor it onto the overflow's best, pull levels in."""
    n = m[M_NOVF]
    if n == 0:
        return
    w = row.shape[0]
    top = okey[n - 1]
    base = top - (w * 3) // 4
    j = n - 1
    while j >= 0 and okey[j] >= base:
        row[okey[j] - base] = oqty[j]
        j -= 1
    m[M_BASE] = base
    m[M_BEST] = top - base
    m[M_LOW] = okey[j + 1] - base
    m[M_NOVF] = j + 1


@njit(cache=True, nogil=True)
def _rescan(m, row, okey, oqty, start):
    """Make the best the highest non-empty window index <= start."""
    low = m[M_LOW]
    i = start
    while i >= low and row[i] == 0:
        i -= 1
    if i >= low:
        m[M_BEST] = i
    else:
        m[M_BEST] = -1
        m[M_LOW] = row.shape[0]
        _pull_down(m, row, okey, oqty)


@njit(cache=True, nogil=True)
def ladder_update(m, row, okey, oqty, key, q, relative):
    """Level ``key`` becomes ``q`` lots (old + q if ``relative``); <= 0 removes it.

    Returns OK, or ERR_CAPACITY with the book unchanged.
    """
    w = row.shape[0]
    best = m[M_BEST]
    if best < 0:
        # Empty side (the overflow is empty too): anchor the window on this level.
        if q <= 0:
            return OK
        base = key - (w * 3) // 4
        m[M_BASE] = base
        idx = key - base
        row[idx] = q
        m[M_BEST] = idx
        m[M_LOW] = idx
        return OK
    idx = key - m[M_BASE]
    if idx < 0:
        return _ovf_update(m, okey, oqty, key, q, relative)
    if idx >= w:
        if q <= 0:
            return OK
        # Levels above the window are absent, so old is 0 below; if every window
        # level fell into the overflow, best is -1 and the new level becomes it.
        if _anchor_up(m, row, okey, oqty, key) != OK:
            return ERR_CAPACITY
        idx = key - m[M_BASE]
    old = row[idx]
    new = old + q if relative else q
    if new > 0:
        row[idx] = new
        if idx > m[M_BEST]:
            m[M_BEST] = idx
        if idx < m[M_LOW]:
            m[M_LOW] = idx
    elif old > 0:
        row[idx] = 0
        if idx == m[M_BEST]:
            _rescan(m, row, okey, oqty, idx - 1)
    return OK


@njit(cache=True, nogil=True)
def ladder_drop_better(m, row, okey, oqty, key):
    """Remove every level strictly better than ``key``."""
    best = m[M_BEST]
    if best < 0:
        return
    idx = key - m[M_BASE]
    if idx >= best:
        return
    if idx >= 0:
        for i in range(idx + 1, best + 1):
            row[i] = 0
        _rescan(m, row, okey, oqty, idx)
        return
    # Below the window: the whole window goes, and the overflow above key.
    for i in range(m[M_LOW], best + 1):
        row[i] = 0
    m[M_BEST] = -1
    m[M_LOW] = row.shape[0]
    m[M_NOVF] = ovf_find(okey, m[M_NOVF], key + 1)
    _pull_down(m, row, okey, oqty)


@njit(cache=True, nogil=True)
def ladder_clear(m, row):
    for i in range(m[M_LOW], m[M_BEST] + 1):
        row[i] = 0
    m[M_BEST] = -1
    m[M_LOW] = row.shape[0]
    m[M_NOVF] = 0
