"""Sending orders, cancels and replaces: the strategy side of order entry.

Each call runs at the strategy's local time ``now``, draws the entry latency and
queues the action for the matcher (``matcher.arrive`` runs it when the market
replay reaches its arrival time). ``submit`` also writes the ORDER_NEW event
(``local_ts`` = when sent, ``exch_ts`` = when it will reach the matcher, ``aux``
= the order type). Callable from Python with plain numbers and from jitted code.

Return values: ``submit`` gives the new order id (> 0) or minus a reject code
(``codes.REJ_*``) when the order could not even be sent: bad symbol, side or
type (caller errors), a full order table, or ``REJ_BUSY`` (in-flight queue or
output buffer full: drain the output and retry). ``cancel`` and ``replace`` give
1 when queued, or minus a reject code.
"""

from __future__ import annotations

from numba import njit

from hft_tui.events import ASK, BID, ORDER_NEW
from hft_tui.exchange import codes as c
from hft_tui.exchange.latency import arrival_time
from hft_tui.exchange.layout import (
    A_ARRIVE,
    A_ID,
    A_KIND,
    A_PX,
    A_QTY,
    A_SENT,
    A_SIDE,
    A_SYM,
    C_ACAP,
    C_AHEAD,
    C_ATAIL,
    C_CAP,
    C_NOUT,
    C_NSYM,
    O_ARRIVE,
    O_ID,
    O_LEAVES,
    O_PX,
    O_QTY,
    O_SENT,
    O_SIDE,
    O_STATE,
    O_SYM,
    O_TYPE,
    jview,
)
from hft_tui.exchange.orders import emit, find, take_slot


@njit(cache=True, nogil=True, inline="always")
def _queue(v, kind, oid, sym, side, px, qty, now):
    """Append an action; False if the ring is full."""
    tail = v.ctl[C_ATAIL]
    if tail - v.ctl[C_AHEAD] >= v.ctl[C_ACAP]:
        return False
    a = v.actions[tail & (v.ctl[C_ACAP] - 1)]
    a[A_KIND] = kind
    a[A_ID] = oid
    a[A_SENT] = now
    a[A_ARRIVE] = arrival_time(v.ctl, v.fl, now)
    a[A_PX] = px
    a[A_QTY] = qty
    a[A_SYM] = sym
    a[A_SIDE] = side
    v.ctl[C_ATAIL] = tail + 1
    return True


@njit(cache=True, nogil=True, inline="always")
def _room(v):
    return v.ctl[C_ATAIL] - v.ctl[C_AHEAD] < v.ctl[C_ACAP] and v.ctl[C_NOUT] < v.out.shape[0]


@njit(cache=True, nogil=True)
def submit(ints, floats, out, now, sym, side, otype, px, qty):
    """Send a new order at local time ``now``; return its id or -reason."""
    v = jview(ints, floats, out)
    if sym < 0 or sym >= v.ctl[C_NSYM]:
        return -c.REJ_BAD_SYMBOL
    if side != BID and side != ASK:
        return -c.REJ_BAD_SIDE
    if otype < c.LIMIT or otype > c.MARKET:
        return -c.REJ_BAD_TYPE
    if not _room(v):
        return -c.REJ_BUSY
    slot = take_slot(v)
    if slot < 0:
        return -c.REJ_TOO_MANY_ORDERS
    o = v.orders[slot]
    o[O_SYM] = sym
    o[O_SIDE] = side
    o[O_TYPE] = otype
    o[O_PX] = 0 if otype == c.MARKET else px
    o[O_QTY] = qty
    o[O_LEAVES] = max(qty, 0)
    o[O_STATE] = c.PENDING_NEW
    o[O_SENT] = now
    oid = o[O_ID]
    _queue(v, c.ACT_NEW, oid, sym, side, o[O_PX], qty, now)
    o[O_ARRIVE] = v.actions[(v.ctl[C_ATAIL] - 1) & (v.ctl[C_ACAP] - 1), A_ARRIVE]
    emit(v, ORDER_NEW, oid, sym, side, o[O_PX], qty, o[O_ARRIVE], now, 0, otype)
    return oid


@njit(cache=True, nogil=True)
def _send(ints, floats, out, now, kind, oid, px, qty):
    v = jview(ints, floats, out)
    sym = 0
    side = 0
    slot = find(v, oid)
    if slot >= 0:
        sym = v.orders[slot, O_SYM]
        side = v.orders[slot, O_SIDE]
    if not _queue(v, kind, oid, sym, side, px, qty, now):
        return -c.REJ_BUSY
    return 1


@njit(cache=True, nogil=True)
def cancel(ints, floats, out, now, oid):
    """Send a cancel of order ``oid`` at local time ``now``."""
    return _send(ints, floats, out, now, c.ACT_CANCEL, oid, 0, 0)


@njit(cache=True, nogil=True)
def replace(ints, floats, out, now, oid, px, qty):
    """Send a replace: new price ``px`` and new total size ``qty`` (0 keeps either)."""
    return _send(ints, floats, out, now, c.ACT_REPLACE, oid, px, qty)


@njit(cache=True, nogil=True)
def cancel_all(ints, floats, out, now, sym):
    """Send a cancel for every live order (of ``sym``, or all if sym < 0); return how many.

    Pending-new orders are included: their cancel follows them to the matcher.
    """
    v = jview(ints, floats, out)
    n = 0
    for s in range(v.ctl[C_CAP]):
        o = v.orders[s]
        if o[O_ID] == 0 or (sym >= 0 and o[O_SYM] != sym):
            continue
        st = o[O_STATE]
        if st == c.PENDING_NEW or st == c.ACCEPTED or st == c.PARTIAL:
            if _queue(v, c.ACT_CANCEL, o[O_ID], o[O_SYM], o[O_SIDE], 0, 0, now):
                n += 1
    return n
