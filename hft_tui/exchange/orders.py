"""The own-order table: slots, ids, the per-side lists of open orders, and event output.

Order ids are issued by the exchange, 1, 2, 3, ... in the order ``submit`` is
called, so a replay that submits the same orders gets the same ids. A slot is
taken at submit and given back when the order is done; ``idring`` finds the slot
of an id in one step (a linear scan covers the rare id whose ring entry a much
newer order overwrote).

Every open order sits in the list of its (symbol, side), kept in priority order:
best price first, then earliest queue sequence. Matching walks these short lists
from the best end and stops at the first order the event cannot reach. Orders
that finish during an event are only marked (``O_DONE``) and leave the list in
:func:`compact`, after the event, so that loops over a list stay simple.
"""

from __future__ import annotations

from numba import njit

from hft_tui.errors import HftError
from hft_tui.events import BID, ORDER_DONE, ORDER_FILL
from hft_tui.exchange.codes import FILLED, PARTIAL
from hft_tui.exchange.fees import book_fee
from hft_tui.exchange.latency import response_time
from hft_tui.exchange.layout import (
    C_CAP,
    C_EMITTED,
    C_N_FILLS,
    C_NEXT_ID,
    C_NFREE,
    C_NOUT,
    C_RING,
    O_DONE,
    O_FILLED,
    O_ID,
    O_LEAVES,
    O_PX,
    O_SEQ,
    O_SIDE,
    O_STATE,
    O_SYM,
)


class ExchangeOverflow(HftError):
    """The output buffer overflowed inside one message (the reserve was too small)."""


@njit(cache=True, nogil=True, inline="always")
def emit(v, kind, oid, sym, side, px, qty, exch_ts, local_ts, flags, aux):
    """Append one own-order event to ``out``."""
    n = v.ctl[C_NOUT]
    if n >= v.out.shape[0]:
        raise ExchangeOverflow("exchange output buffer overflow")
    e = v.out[n]
    e.exch_ts = exch_ts
    e.local_ts = local_ts
    e.px = px
    e.qty = qty
    e.order_id = oid
    e.kind = kind
    e.side = side
    e.flags = flags
    e.sym = sym
    e.aux = aux
    v.ctl[C_NOUT] = n + 1
    v.ctl[C_EMITTED] += 1


@njit(cache=True, nogil=True, inline="always")
def emit_order(v, slot, kind, px, qty, ts, flags, aux):
    """An event about the order in ``slot`` that happened at the matcher at ``ts``."""
    o = v.orders[slot]
    emit(v, kind, o[O_ID], o[O_SYM], o[O_SIDE], px, qty, ts, response_time(v.ctl, ts), flags, aux)


# --- slots and ids --------------------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def take_slot(v):
    """A free slot with a fresh order id written in it, or -1 when the table is full."""
    n = v.ctl[C_NFREE]
    if n == 0:
        return -1
    n -= 1
    v.ctl[C_NFREE] = n
    slot = v.free[n]
    oid = v.ctl[C_NEXT_ID]
    v.ctl[C_NEXT_ID] = oid + 1
    v.orders[slot, :] = 0
    v.orders[slot, O_ID] = oid
    v.idring[oid & (v.ctl[C_RING] - 1)] = slot
    return slot


@njit(cache=True, nogil=True, inline="always")
def release(v, slot):
    v.orders[slot, O_ID] = 0
    v.free[v.ctl[C_NFREE]] = slot
    v.ctl[C_NFREE] += 1


@njit(cache=True, nogil=True, inline="always")
def find(v, oid):
    """Slot of the live order ``oid``, or -1 if it is done or was never issued."""
    if oid <= 0 or oid >= v.ctl[C_NEXT_ID]:
        return -1
    slot = v.idring[oid & (v.ctl[C_RING] - 1)]
    if slot >= 0 and v.orders[slot, O_ID] == oid:
        return slot
    for s in range(v.ctl[C_CAP]):
        if v.orders[s, O_ID] == oid:
            return s
    return -1


# --- per-side lists of open orders ------------------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def row_of(sym, side):
    return 2 * sym + (0 if side == BID else 1)


@njit(cache=True, nogil=True, inline="always")
def better(side, a, b):
    """True if price a has priority over price b on ``side``."""
    return a > b if side == BID else a < b


@njit(cache=True, nogil=True, inline="always")
def insert(v, slot):
    """Put an order into its side's list behind every order of equal or better priority."""
    o = v.orders[slot]
    row = row_of(o[O_SYM], o[O_SIDE])
    lst = v.act[row]
    n = v.nact[row]
    if n >= lst.shape[0]:
        return False
    pos = n
    while pos > 0:
        prev = v.orders[lst[pos - 1]]
        if better(o[O_SIDE], o[O_PX], prev[O_PX]) or (
            o[O_PX] == prev[O_PX] and o[O_SEQ] < prev[O_SEQ]
        ):
            lst[pos] = lst[pos - 1]
            pos -= 1
        else:
            break
    lst[pos] = slot
    v.nact[row] = n + 1
    return True


@njit(cache=True, nogil=True, inline="always")
def remove(v, slot):
    """Take an order out of its side's list (it stays in the table)."""
    o = v.orders[slot]
    row = row_of(o[O_SYM], o[O_SIDE])
    lst = v.act[row]
    n = v.nact[row]
    k = 0
    for i in range(n):
        if lst[i] != slot:
            lst[k] = lst[i]
            k += 1
    v.nact[row] = k


@njit(cache=True, nogil=True)
def compact(v, row):
    """Drop the orders marked done from list ``row`` and free their slots."""
    lst = v.act[row]
    n = v.nact[row]
    k = 0
    for i in range(n):
        s = lst[i]
        if v.orders[s, O_DONE] != 0:
            release(v, s)
        else:
            lst[k] = s
            k += 1
    v.nact[row] = k


# --- fills ----------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def fill(v, slot, px, qty, liquidity, ts):
    """Fill ``qty`` lots of the order at ``px``; mark it done when nothing is left."""
    o = v.orders[slot]
    o[O_LEAVES] -= qty
    o[O_FILLED] += qty
    done = o[O_LEAVES] == 0
    o[O_STATE] = FILLED if done else PARTIAL
    if done:
        o[O_DONE] = 1
    book_fee(v.fl, o[O_SYM], px, qty, liquidity)
    v.ctl[C_N_FILLS] += 1
    emit_order(v, slot, ORDER_FILL, px, qty, ts, ORDER_DONE if done else 0, liquidity)
