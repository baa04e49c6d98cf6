"""An L2 view of an L3 stream: what a depth-diff feed of the same market would show.

Every L3 event becomes a LEVEL with the level's size after it; an EXECUTE is
preceded by the TRADE print it caused (aggressor = the other side). Useful to
run one strategy on the same market as L3 (true queue) and as L2 (estimated
queue) and see how much the queue model changes its fills, and for benchmarks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.book import book_apply, book_level_qty, new_state
from hft_tui.events import EOM, EVENT_DTYPE, EXECUTE, LEVEL, TRADE


@njit(cache=True, nogil=True)
def _put(out, k, e, kind, side, qty, oid, flags):
    r = out[k]
    r.exch_ts = e.exch_ts
    r.local_ts = e.local_ts
    r.px = e.px
    r.qty = qty
    r.order_id = oid
    r.kind = kind
    r.side = side
    r.flags = flags
    r.sym = e.sym
    r.aux = 0


@njit(cache=True, nogil=True)
def to_l2(book, events, out):
    """Write the L2 view of ``events`` into ``out`` (at least 2x as long); return the count."""
    k = 0
    for i in range(events.shape[0]):
        e = events[i]
        sym = np.int64(e.sym)
        side = np.int64(e.side)
        book_apply(book, sym, np.int64(e.kind), side, e.px, e.qty)
        if e.kind == EXECUTE:
            _put(out, k, e, TRADE, -side, e.qty, e.order_id, 0)
            k += 1
        if side == 1 or side == -1:
            _put(out, k, e, LEVEL, side, book_level_qty(book, sym, side, e.px), 0, e.flags & EOM)
        else:
            _put(out, k, e, e.kind, side, e.qty, 0, e.flags)
        k += 1
    return k


def l3_to_l2(events: np.ndarray, n_symbols: int = 1) -> np.ndarray:
    out = np.zeros(2 * len(events), EVENT_DTYPE)
    k = to_l2(new_state(n_symbols, 1 << 14, 1 << 14), events, out)
    return out[:k]
