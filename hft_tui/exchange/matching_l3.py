"""Resting own orders on L3 sources: the true price-time queue from order ids.

Assumption (documented in the README): the venue issues order ids in
increasing order of arrival, as the sim venue and NASDAQ (LOBSTER) do. An own
order joining a level then knows exactly who is ahead of it: every resting
order there, all of which have an id at most the highest id seen so far on the
symbol (``O_WMARK``); every later ADD is behind it. So ``O_AHEAD`` starts as the
level's size and is exact from then on:

- CANCEL or EXECUTE of an order with id <= O_WMARK at the own order's level
  removes that many lots from ahead;
- EXECUTE of an order with id > O_WMARK at its level means the aggressor
  reached an order behind ours: it would have met ours first, so the
  execution's size fills own orders in time priority;
- EXECUTE at a price worse than ours (a sell hitting bids below our bid) went
  through our price and fills own orders in price-time priority;
- an ADD on the other side at or through our price is an order that would have
  traded with ours: it fills own orders up to its size.

The recorded flow cannot know about our fills, so the same aggressor volume
also executes the market orders it executed in the data (see the README on
optimism). EXECUTE events flagged OWN (the sim venue applying our own take)
only change the book and the consumed-liquidity record.
"""

from __future__ import annotations

from numba import njit

from hft_tui.events import BID
from hft_tui.exchange.codes import MAKER
from hft_tui.exchange.layout import O_AHEAD, O_LEAVES, O_PX, O_WMARK, QSCALE
from hft_tui.exchange.orders import better, fill


@njit(cache=True, nogil=True, inline="always")
def removed_ahead(v, row, px, oid, qty):
    """CANCEL (or EXECUTE) of ``qty`` lots of market order ``oid`` at px: advance the
    own orders it was ahead of."""
    lst = v.act[row]
    side = BID if row % 2 == 0 else -1
    for i in range(v.nact[row]):
        o = v.orders[lst[i]]
        if o[O_PX] == px:
            if oid <= o[O_WMARK]:
                o[O_AHEAD] = max(0, o[O_AHEAD] - qty * QSCALE)
        elif better(side, px, o[O_PX]):
            break


@njit(cache=True, nogil=True, inline="always")
def executed(v, row, side, px, oid, qty, ts):
    """EXECUTE of ``qty`` lots of resting market order ``oid`` at (side, px)."""
    lst = v.act[row]
    rem = qty
    own_ahead = 0
    for i in range(v.nact[row]):
        slot = lst[i]
        o = v.orders[slot]
        if better(side, o[O_PX], px):  # the aggressor went through its price
            f = min(rem, o[O_LEAVES])
            if f > 0:
                fill(v, slot, o[O_PX], f, MAKER, ts)
                rem -= f
            continue
        if o[O_PX] != px:
            break
        leaves = o[O_LEAVES]
        if oid <= o[O_WMARK]:  # the executed order was ahead of this one
            o[O_AHEAD] = max(0, o[O_AHEAD] - qty * QSCALE)
        else:
            reach = rem * QSCALE - o[O_AHEAD] - own_ahead * QSCALE
            if reach > 0:
                f = min(leaves, reach // QSCALE)
                if f > 0:
                    fill(v, slot, px, f, MAKER, ts)
            o[O_AHEAD] = max(0, o[O_AHEAD] - rem * QSCALE)
        own_ahead += leaves


@njit(cache=True, nogil=True, inline="always")
def crossing_add(v, orow, oside, px, qty, ts):
    """ADD of ``qty`` lots at px on the side opposite to list ``orow`` (own side ``oside``):
    own orders priced at or through px trade with it, best first."""
    lst = v.act[orow]
    rem = qty
    for i in range(v.nact[orow]):
        slot = lst[i]
        o = v.orders[slot]
        if better(oside, px, o[O_PX]):  # the new order is not as good as ours: no trade
            break
        f = min(rem, o[O_LEAVES])
        if f > 0:
            fill(v, slot, o[O_PX], f, MAKER, ts)
            rem -= f
            if rem == 0:
                break
