"""Applying events to the book: one event (any kind), and the fast loop over a batch.

``book_apply`` handles every kind through the ladder functions of
``book_ladder``. The batch loop (``book_apply_until``) does the common case
itself: a LEVEL, ADD, CANCEL or EXECUTE inside the window of a non-empty side,
including the scan down to the next level when the best goes. Anything else
(CLEAR, QUOTE, a window move, the overflow, a side emptying, a bad symbol)
leaves the inner loop for one ``book_apply`` call. Keeping that call out of the
inner loop is worth about 2x: the inner loop then keeps its state in registers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.book_ladder import (
    ERR_CAPACITY,
    ERR_SYMBOL,
    M_BASE,
    M_BEST,
    M_LOW,
    OK,
    ladder_clear,
    ladder_drop_better,
    ladder_update,
)
from hft_tui.errors import HftError
from hft_tui.events import ADD, ASK, BID, CANCEL, CLEAR, EOM, EXECUTE, LEVEL, QUOTE, TRADE

CAPACITY_MESSAGE = "book overflow full: too many levels far from the best price (raise capacity)"
SYMBOL_MESSAGE = "event symbol index beyond the book's symbols"


class BookSymbolError(HftError):
    """An event's symbol index is beyond the book's symbols."""


class BookCapacityError(HftError):
    """More levels worse than the window than the overflow can hold."""


@njit(cache=True, nogil=True)
def book_clear(st, sym):
    """Empty both sides of ``sym``."""
    meta = st.meta
    qty = st.qty
    for si in range(2):
        ladder_clear(meta[sym, si], qty[sym, si])


@njit(cache=True, nogil=True)
def book_apply(st, sym, kind, side, px, qty):
    """Apply one event, given by its fields; return OK (0) or an ERR_* code.

    It never raises, so that a jitted caller's loop stays free of reference
    counting (see book_ladder); on ERR_SYMBOL or ERR_CAPACITY the event was
    not applied. For many events, book_apply_until is several times faster.
    """
    qty_all = st.qty  # each field once (see book_ladder)
    if sym < 0 or sym >= qty_all.shape[0]:
        return ERR_SYMBOL
    if kind == CLEAR:
        book_clear(st, sym)
        return OK
    if kind < LEVEL or kind > QUOTE or kind == TRADE:
        return OK
    if side == BID:
        si = 0
        key = px
    elif side == ASK:
        si = 1
        key = -px
    else:
        return OK
    m = st.meta[sym, si]
    row = qty_all[sym, si]
    okey = st.okey[sym, si]
    oqty = st.oqty[sym, si]
    if kind == QUOTE:
        ladder_drop_better(m, row, okey, oqty, key)
    elif kind == CANCEL or kind == EXECUTE:
        qty = -qty
    # One call site with a run-time flag: literal arguments would make numba
    # compile one more copy of the ladder per literal value.
    relative = kind == ADD or kind == CANCEL or kind == EXECUTE
    return ladder_update(m, row, okey, oqty, key, qty, relative)


@njit(cache=True, nogil=True)
def book_apply_until(st, events, start, end, eom_sym, stop_at, count):
    """Apply events from ``start`` and stop right after a message boundary.

    Every event with the EOM flag whose symbol is ``eom_sym`` (any symbol if
    ``eom_sym < 0``) adds one to ``count[0]``; the call returns the index after
    the event that brings ``count[0]`` to ``stop_at``, or ``end``. Raises
    BookSymbolError or BookCapacityError at an event the book cannot take (the
    events before it are applied).
    """
    meta = st.meta
    qty = st.qty
    n_sym = qty.shape[0]
    w = qty.shape[2]
    i = start
    while i < end:
        # The fast loop: leaves (break) on an event it does not handle itself.
        while i < end:
            e = events[i]
            kind = np.int64(e.kind)
            s = np.int64(e.sym)
            if s >= n_sym:
                break
            if kind == LEVEL or kind == ADD or kind == CANCEL or kind == EXECUTE:
                side = np.int64(e.side)
                if side == BID:
                    si = 0
                    key = e.px
                elif side == ASK:
                    si = 1
                    key = -e.px
                else:
                    si = -1
                    key = 0
                if si >= 0:
                    q = e.qty
                    if kind == CANCEL or kind == EXECUTE:
                        q = -q
                    best = meta[s, si, M_BEST]
                    idx = key - meta[s, si, M_BASE]
                    if best < 0 or idx < 0 or idx >= w:
                        break
                    old = qty[s, si, idx]
                    new = q if kind == LEVEL else old + q
                    if new > 0:
                        qty[s, si, idx] = new
                        if idx > best:
                            meta[s, si, M_BEST] = idx
                        if idx < meta[s, si, M_LOW]:
                            meta[s, si, M_LOW] = idx
                    elif old > 0:
                        if idx == best:
                            low = meta[s, si, M_LOW]
                            j = idx - 1
                            while j >= low and qty[s, si, j] == 0:
                                j -= 1
                            if j < low:
                                break  # the window empties: book_apply re-anchors it
                            meta[s, si, M_BEST] = j
                        qty[s, si, idx] = 0
            elif kind == CLEAR or kind == QUOTE:
                break
            if e.flags & EOM and (eom_sym < 0 or e.sym == eom_sym):
                count[0] += 1
                if count[0] == stop_at:
                    return i + 1
            i += 1
        if i == end:
            break
        e = events[i]
        status = book_apply(st, np.int64(e.sym), np.int64(e.kind), np.int64(e.side), e.px, e.qty)
        if status != OK:
            if status == ERR_CAPACITY:
                raise BookCapacityError(CAPACITY_MESSAGE)
            raise BookSymbolError(SYMBOL_MESSAGE)
        if e.flags & EOM and (eom_sym < 0 or e.sym == eom_sym):
            count[0] += 1
            if count[0] == stop_at:
                return i + 1
        i += 1
    return end


@njit(cache=True, nogil=True)
def book_apply_batch(st, events, start, end):
    """Apply ``events[start:end]``; return ``end``. Raises like book_apply_until."""
    count = np.zeros(1, dtype=np.int64)
    return book_apply_until(st, events, start, end, -1, -1, count)
