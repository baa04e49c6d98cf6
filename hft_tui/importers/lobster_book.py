"""The LOBSTER kernel: message rows to L3 events plus the level corrections the orderbook file demands.

The tick file's book is kept equal to the orderbook file after every message:
the state before message i is therefore exactly orderbook row i-1 (the reader's
L2 book, ``hft_tui.book``, applies ADD as +qty, CANCEL/EXECUTE as -qty clamped
at 0, LEVEL as an absolute size). For each row the kernel applies the
message's delta to that state the way the reader will, compares the result
with orderbook row i, and emits a LEVEL event flagged CORRECTION for every
level that differs: a level that entered the window from beyond it, one whose
orders changed while out of view, or one that left the window (set to 0: the
file holds no level beyond the top N, whose sizes nobody reports).

Row layout of ``ob``: ``ask_px_1, ask_sz_1, bid_px_1, bid_sz_1, ...`` already in
ticks and lots, size 0 meaning an empty level.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import (
    ADD,
    ASK,
    BID,
    CANCEL,
    CLEAR,
    CORRECTION,
    EOM,
    EXECUTE,
    HIDDEN,
    LEVEL,
    SNAPSHOT,
    TRADE,
)

NO_MESSAGE = 0  # typ value of a row whose message was bad and skipped: corrections only


@njit(cache=True, nogil=True)
def _load(ob_row, side, px, sz):
    """The non-empty levels of one side of an orderbook row, best first; returns the count."""
    n_lv = ob_row.size // 4
    off = 0 if side == ASK else 2
    n = 0
    for k in range(n_lv):
        q = ob_row[4 * k + off + 1]
        if q > 0:
            px[n] = ob_row[4 * k + off]
            sz[n] = q
            n += 1
    return n


@njit(cache=True, nogil=True)
def _apply(side, px, sz, n, p, delta):
    """Add delta to level p (clamped at 0, removed at 0) in a best-first side; returns n."""
    sgn = 1 if side == ASK else -1
    i = 0
    while i < n and px[i] * sgn < p * sgn:
        i += 1
    if i < n and px[i] == p:
        q = sz[i] + delta
        if q > 0:
            sz[i] = q
            return n
        for j in range(i, n - 1):
            px[j] = px[j + 1]
            sz[j] = sz[j + 1]
        return n - 1
    if delta <= 0:
        return n
    for j in range(n, i, -1):
        px[j] = px[j - 1]
        sz[j] = sz[j - 1]
    px[i] = p
    sz[i] = delta
    return n + 1


@njit(cache=True, nogil=True)
def _emit(out, k, ts, kind, side, px, qty, oid, flags):
    e = out[k]
    e["exch_ts"] = ts
    e["local_ts"] = ts
    e["kind"] = kind
    e["side"] = side
    e["px"] = px
    e["qty"] = qty
    e["order_id"] = oid
    e["flags"] = flags
    return k + 1


@njit(cache=True, nogil=True)
def _correct(out, k, ts, side, mpx, msz, nm, tpx, tsz, nt):
    """LEVEL corrections turning side (mpx, msz) into (tpx, tsz); both best first."""
    sgn = 1 if side == ASK else -1
    i = 0
    j = 0
    while i < nm or j < nt:
        if j >= nt or (i < nm and mpx[i] * sgn < tpx[j] * sgn):
            k = _emit(out, k, ts, LEVEL, side, mpx[i], 0, 0, CORRECTION)
            i += 1
        elif i >= nm or tpx[j] * sgn < mpx[i] * sgn:
            k = _emit(out, k, ts, LEVEL, side, tpx[j], tsz[j], 0, CORRECTION)
            j += 1
        else:
            if msz[i] != tsz[j]:
                k = _emit(out, k, ts, LEVEL, side, tpx[j], tsz[j], 0, CORRECTION)
            i += 1
            j += 1
    return k


@njit(cache=True, nogil=True)
def max_events_per_row(n_levels):
    # CLEAR + start state (N+1 a side) + the message + corrections (2N+2 a side) + slack
    return 1 + 2 * (n_levels + 1) + 1 + 2 * (2 * n_levels + 2) + 2


@njit(cache=True, nogil=True)
def lobster_rows(ts, typ, oid, size, px, dirn, ob, start, prev_ob, first, out):
    """Convert rows start.. until out could overflow; returns (next row, events written).

    ``prev_ob`` is the orderbook row before ``start`` (ignored when ``first``: the
    start state is then row ``start`` with its message undone, sent as a CLEAR
    and SNAPSHOT levels flagged CORRECTION inside that first message).
    """
    n_rows = typ.size
    n_lv = ob.shape[1] // 4
    cap = n_lv + 2
    mpx = np.empty((2, cap), dtype=np.int64)
    msz = np.empty((2, cap), dtype=np.int64)
    mn = np.zeros(2, dtype=np.int64)
    tpx = np.empty((2, cap), dtype=np.int64)
    tsz = np.empty((2, cap), dtype=np.int64)
    tn = np.zeros(2, dtype=np.int64)
    per_row = max_events_per_row(n_lv)
    k = 0
    r = start
    while r < n_rows and k + per_row <= out.size:
        t = ts[r]
        kind_code = typ[r]
        d = dirn[r]
        row_start = k
        for s in range(2):
            side = ASK if s == 0 else BID
            tn[s] = _load(ob[r], side, tpx[s], tsz[s])
            if first or r > start:
                src = ob[r] if first else ob[r - 1]
            else:
                src = prev_ob
            mn[s] = _load(src, side, mpx[s], msz[s])
        if first:
            # undo the first message on a copy of row r: that is the start state
            if 1 <= kind_code <= 4 and (d == ASK or d == BID):
                s = 0 if d == ASK else 1
                delta = -size[r] if kind_code == 1 else size[r]
                mn[s] = _apply(d, mpx[s], msz[s], mn[s], px[r], delta)
            k = _emit(out, k, t, CLEAR, 0, 0, 0, 0, SNAPSHOT | CORRECTION)
            for s in range(2):
                side = ASK if s == 0 else BID
                for i in range(mn[s]):
                    k = _emit(out, k, t, LEVEL, side, mpx[s, i], msz[s, i], 0, SNAPSHOT | CORRECTION)
            first = False
        if 1 <= kind_code <= 4:
            s = 0 if d == ASK else 1
            if kind_code == 1:
                k = _emit(out, k, t, ADD, d, px[r], size[r], oid[r], 0)
                mn[s] = _apply(d, mpx[s], msz[s], mn[s], px[r], size[r])
            else:
                kind = EXECUTE if kind_code == 4 else CANCEL
                k = _emit(out, k, t, kind, d, px[r], size[r], oid[r], 0)
                mn[s] = _apply(d, mpx[s], msz[s], mn[s], px[r], -size[r])
        elif kind_code == 5:
            k = _emit(out, k, t, TRADE, -d, px[r], size[r], oid[r], HIDDEN)
        elif kind_code == 6:
            k = _emit(out, k, t, TRADE, 0, px[r], size[r], oid[r], 0)
        for s in range(2):
            side = ASK if s == 0 else BID
            k = _correct(out, k, t, side, mpx[s], msz[s], mn[s], tpx[s], tsz[s], tn[s])
        if k == row_start:
            # A halt row (or a skipped bad message) that changed nothing: one no-op
            # correction restating the best level keeps message i = orderbook row i.
            if tn[0] > 0:
                k = _emit(out, k, t, LEVEL, ASK, tpx[0, 0], tsz[0, 0], 0, CORRECTION)
            elif tn[1] > 0:
                k = _emit(out, k, t, LEVEL, BID, tpx[1, 0], tsz[1, 0], 0, CORRECTION)
            else:
                k = _emit(out, k, t, CLEAR, 0, 0, 0, 0, CORRECTION)
        out[k - 1]["flags"] |= EOM
        r += 1
    return r, k


def warm_up() -> None:
    """Compile or load the kernel now (one row of a one-level book)."""
    from hft_tui.events import EVENT_DTYPE

    one = np.ones(1, dtype=np.int64)
    ob = np.array([[101, 1, 100, 1]], dtype=np.int64)
    lobster_rows(one, one, one, one, one * 100, one, ob, 0, ob[0].copy(), True, np.zeros(64, EVENT_DTYPE))
