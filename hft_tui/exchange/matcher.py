"""What happens when an order, cancel or replace reaches the matcher.

New order, in this order of checks: validity (bad size, price, type), post-only
that would cross the market or an own order (rejected), FOK that cannot fill in
full within its limit (rejected), market order into an empty side (rejected).
Then ORDER_ACK; then self-trade prevention (own resting orders on the other
side that the new order reaches are cancelled first); then the taking part walks
the opposite side (``taking.take``); then the rest: IOC and market remainders
are cancelled, limit and post-only remainders join the queue at their price
with ``O_AHEAD`` = the visible size there (minus own consumption) and, for L3,
``O_WMARK`` = the highest market order id seen.

Replace: a new price (or a larger size) loses priority, the order goes to the
back of the queue at its (new) price; a size decrease at the same price keeps
it. A replace that would make a post-only cross is rejected and the order stays
as it was; a limit order replaced through the market takes liquidity like a new
order. A replace to a size at or below what has filled cancels the rest.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE
from hft_tui.events import BID, ORDER_ACK, ORDER_CANCELED, ORDER_DONE, ORDER_REJECTED, ORDER_REPLACED
from hft_tui.exchange import codes as c
from hft_tui.exchange.hotpath import borrow_book, level_qty
from hft_tui.exchange.latency import response_time
from hft_tui.exchange.layout import (
    A_ID,
    A_KIND,
    A_PX,
    A_QTY,
    A_SIDE,
    A_SYM,
    C_NEXT_ID,
    C_NEXT_SEQ,
    O_AHEAD,
    O_DONE,
    O_FILLED,
    O_LEAVES,
    O_PENDING,
    O_PX,
    O_QTY,
    O_SEQ,
    O_SIDE,
    O_STATE,
    O_SYM,
    O_TYPE,
    O_WMARK,
    QSCALE,
    S_MAXID,
    jview,
)
from hft_tui.exchange.orders import (
    compact,
    emit,
    emit_order,
    find,
    insert,
    release,
    remove,
    row_of,
)
from hft_tui.exchange.taking import available, consumed, crosses, effective_best, reach_price, take


@njit(cache=True, nogil=True, inline="always")
def is_open(state):
    return state == c.ACCEPTED or state == c.PARTIAL


@njit(cache=True, nogil=True, inline="always")
def reject_new(v, slot, reason, ts):
    o = v.orders[slot]
    o[O_STATE] = c.REJECTED
    emit_order(v, slot, ORDER_REJECTED, o[O_PX], o[O_QTY], ts, ORDER_DONE, reason)
    release(v, slot)


@njit(cache=True, nogil=True)
def cancel_open(v, slot, reason, ts):
    """Cancel the rest of an open order; it stays in its list, marked done, until compact."""
    o = v.orders[slot]
    o[O_STATE] = c.CANCELLED
    o[O_DONE] = 1
    emit_order(v, slot, ORDER_CANCELED, o[O_PX], o[O_LEAVES], ts, ORDER_DONE, reason)
    o[O_LEAVES] = 0


@njit(cache=True, nogil=True, inline="always")
def own_reached(v, sym, side, px):
    """True if an own resting order on the other side is at or through ``px``."""
    orow = row_of(sym, -side)
    if v.nact[orow] == 0:
        return False
    return crosses(side, v.orders[v.act[orow, 0], O_PX], px)


@njit(cache=True, nogil=True)
def self_trade_prevention(v, sym, side, px, ts):
    """Cancel own resting orders on the other side that an order reaching ``px`` would hit."""
    orow = row_of(sym, -side)
    lst = v.act[orow]
    for i in range(v.nact[orow]):
        o = v.orders[lst[i]]
        if not crosses(side, o[O_PX], px):
            break
        cancel_open(v, lst[i], c.CXL_SELF_TRADE, ts)
    compact(v, orow)


@njit(cache=True, nogil=True, inline="always")
def join_queue(book, v, slot):
    """Rest the order at its price, behind everything visible there now."""
    o = v.orders[slot]
    sym = o[O_SYM]
    side = o[O_SIDE]
    seq = v.ctl[C_NEXT_SEQ]
    v.ctl[C_NEXT_SEQ] = seq + 1
    o[O_SEQ] = seq
    vis = level_qty(book, sym, side, o[O_PX]) - consumed(v, sym, 0 if side == BID else 1, o[O_PX])
    o[O_AHEAD] = max(0, vis) * QSCALE
    o[O_PENDING] = 0
    o[O_WMARK] = v.symv[sym, S_MAXID]
    return insert(v, slot)


@njit(cache=True, nogil=True)
def arrive_new(book, ints, floats, out, slot, ts):
    """A new order at the matcher (borrows its arrays again: see ``market.own_effects``)."""
    book = borrow_book(book)
    v = jview(ints, floats, out)
    o = v.orders[slot]
    otype = o[O_TYPE]
    sym = o[O_SYM]
    side = o[O_SIDE]
    px = o[O_PX]
    qty = o[O_QTY]
    market = otype == c.MARKET
    if qty <= 0:
        reject_new(v, slot, c.REJ_BAD_QTY, ts)
        return
    if not market and px <= 0:
        reject_new(v, slot, c.REJ_BAD_PRICE, ts)
        return
    opp_best = effective_best(book, v, sym, -side)
    cross = opp_best != NO_PRICE and (market or crosses(side, opp_best, px))
    # how far the order reaches: its limit, or for a market order the last level it needs
    reach = reach_price(book, v, sym, side, qty) if market else px
    own = reach != NO_PRICE and own_reached(v, sym, side, reach)
    if otype == c.POST_ONLY and (cross or own):
        reject_new(v, slot, c.REJ_POST_ONLY_WOULD_CROSS, ts)
        return
    if otype == c.FOK and available(book, v, sym, side, px, c.NO, qty) < qty:
        reject_new(v, slot, c.REJ_FOK_UNFILLABLE, ts)
        return
    if market and opp_best == NO_PRICE:
        reject_new(v, slot, c.REJ_NO_LIQUIDITY, ts)
        return
    rests = otype == c.LIMIT or otype == c.POST_ONLY
    row = row_of(sym, side)
    if rests and v.nact[row] >= v.act.shape[1]:
        reject_new(v, slot, c.REJ_TOO_MANY_ORDERS, ts)
        return
    o[O_STATE] = c.ACCEPTED
    emit_order(v, slot, ORDER_ACK, px, qty, ts, 0, otype)
    if own:
        self_trade_prevention(v, sym, side, reach, ts)
    if cross:
        take(book, v, slot, px, market, ts)
    if o[O_LEAVES] == 0:
        release(v, slot)
    elif not rests:
        cancel_open(v, slot, c.CXL_UNFILLED, ts)
        release(v, slot)
    else:
        join_queue(book, v, slot)


@njit(cache=True, nogil=True)
def reject_action(v, a, reason, ts):
    """A cancel or replace refused; the order (if any) is unchanged."""
    emit(v, ORDER_REJECTED, a[A_ID], a[A_SYM], a[A_SIDE], a[A_PX], a[A_QTY], ts, response_time(v.ctl, ts), 0, reason)


@njit(cache=True, nogil=True)
def arrive_cancel(v, a, ts):
    slot = find(v, a[A_ID])
    if slot < 0 or not is_open(v.orders[slot, O_STATE]):
        late = a[A_ID] > 0 and a[A_ID] < v.ctl[C_NEXT_ID]
        reject_action(v, a, c.REJ_CANCEL_TOO_LATE if late else c.REJ_CANCEL_UNKNOWN, ts)
        return
    cancel_open(v, slot, c.CXL_REQUESTED, ts)
    remove(v, slot)
    release(v, slot)


@njit(cache=True, nogil=True)
def arrive_replace(book, v, a, ts):
    slot = find(v, a[A_ID])
    if slot < 0 or not is_open(v.orders[slot, O_STATE]):
        late = a[A_ID] > 0 and a[A_ID] < v.ctl[C_NEXT_ID]
        reject_action(v, a, c.REJ_REPLACE_TOO_LATE if late else c.REJ_REPLACE_UNKNOWN, ts)
        return
    o = v.orders[slot]
    sym = o[O_SYM]
    side = o[O_SIDE]
    new_px = a[A_PX] if a[A_PX] != 0 else o[O_PX]
    new_qty = a[A_QTY] if a[A_QTY] != 0 else o[O_QTY]
    if new_px < 0 or new_qty < 0:
        reject_action(v, a, c.REJ_BAD_PRICE if new_px < 0 else c.REJ_BAD_QTY, ts)
        return
    if new_qty <= o[O_FILLED]:
        cancel_open(v, slot, c.CXL_REPLACED_TO_ZERO, ts)
        remove(v, slot)
        release(v, slot)
        return
    new_leaves = new_qty - o[O_FILLED]
    if new_px == o[O_PX] and new_leaves <= o[O_LEAVES]:
        o[O_QTY] = new_qty
        o[O_LEAVES] = new_leaves
        emit_order(v, slot, ORDER_REPLACED, new_px, new_qty, ts, 0, c.KEPT_PRIORITY)
        return
    opp_best = effective_best(book, v, sym, -side)
    cross = opp_best != NO_PRICE and crosses(side, opp_best, new_px)
    own = own_reached(v, sym, side, new_px)
    if o[O_TYPE] == c.POST_ONLY and (cross or own):
        reject_action(v, a, c.REJ_POST_ONLY_WOULD_CROSS, ts)
        return
    remove(v, slot)
    o[O_PX] = new_px
    o[O_QTY] = new_qty
    o[O_LEAVES] = new_leaves
    emit_order(v, slot, ORDER_REPLACED, new_px, new_qty, ts, 0, c.LOST_PRIORITY)
    if own:
        self_trade_prevention(v, sym, side, new_px, ts)
    if cross:
        take(book, v, slot, new_px, c.NO, ts)
    if o[O_LEAVES] == 0:
        release(v, slot)
    else:
        join_queue(book, v, slot)


@njit(cache=True, nogil=True, inline="always")
def arrive(book, v, ints, floats, out, a, ts):
    """Process one action at the matcher at exchange time ``ts``."""
    kind = a[A_KIND]
    if kind == c.ACT_NEW:
        slot = find(v, a[A_ID])
        if slot >= 0:
            arrive_new(book, ints, floats, out, slot, ts)
    elif kind == c.ACT_CANCEL:
        arrive_cancel(v, a, ts)
    elif kind == c.ACT_REPLACE:
        arrive_replace(book, v, a, ts)
