"""Resting own orders on L2 sources: estimated queue position, trades, crossing.

An L2 source (Binance depth diffs with trades, quote feeds) says how big each
level is, not who is in it. An own resting order carries ``O_AHEAD``, the lots
ahead of it at its level (in 1/QSCALE lot), set to the level's visible size
when the order reaches the matcher (minus what own orders consumed there).

- A TRADE at the order's price consumes the queue from the front: first the
  lots ahead, then own orders in time priority; what is left of the print
  after that fills the order. The print is also remembered (``O_PENDING``) so
  the level decrease that reports it is not counted again.
- A trade at a price *worse* than the order (a sell printing below our bid)
  went through its price: the aggressor would have met us first, so the print
  fills own orders in price-time priority up to its size.
- A level decrease not explained by those trades is cancels. Risk-averse model:
  they are all behind us (the order only moves up when the level shrinks below
  what is ahead). Probabilistic model: a decrease of ``d`` lots advances the
  order by ``d * f(ahead) / (f(ahead) + f(behind))``, ``f(x) = x ** n``
  (``queue_power``, 1: cancels spread evenly over the level), where
  ``behind = level - pending trades - ahead``.
- An increase joins behind us; ``ahead`` never exceeds the level's size.
- Opposite liquidity appearing at our price (an ask level at our bid's price
  grows) trades with us up to the increase; and whenever, at the end of a
  message, the opposite best is strictly through our price, the order is
  filled in full: such a book cannot coexist with our order on a real venue.

Resting orders always fill at their own price, as makers.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE
from hft_tui.events import BID, HIDDEN, SNAPSHOT
from hft_tui.exchange.codes import MAKER, QUEUE_PROB
from hft_tui.exchange.hotpath import best_px, borrow_book
from hft_tui.exchange.layout import C_QMODEL, F_QPOWER, O_AHEAD, O_LEAVES, O_PENDING, O_PX, QSCALE, jview
from hft_tui.exchange.orders import better, compact, fill
from hft_tui.exchange.taking import effective_best


@njit(cache=True, nogil=True, inline="always")
def ahead_share(u, ahead, behind, power):
    """Queue units of a decrease of ``u`` units that come from ahead of the order."""
    if ahead <= 0:
        return 0
    if behind <= 0:
        return min(u, ahead)
    a = float(ahead)
    b = float(behind)
    if power != 1.0:
        a = a**power
        b = b**power
    return min(ahead, int(float(u) * (a / (a + b))))


@njit(cache=True, nogil=True, inline="always")
def level_changed(v, row, px, old, new):
    """Level (side of ``row``, px) went from ``old`` to ``new`` lots: move own orders there."""
    lst = v.act[row]
    prob = v.ctl[C_QMODEL] == QUEUE_PROB
    power = v.fl[F_QPOWER]
    side = BID if row % 2 == 0 else -1
    for i in range(v.nact[row]):
        o = v.orders[lst[i]]
        if o[O_PX] != px:
            if better(side, px, o[O_PX]):
                break
            continue
        ahead = o[O_AHEAD]
        d = old - new
        if d > 0 and prob:
            unexplained = d - min(d, o[O_PENDING])
            if unexplained > 0:
                behind = (old - o[O_PENDING]) * QSCALE - ahead
                ahead -= ahead_share(unexplained * QSCALE, ahead, behind, power)
        o[O_PENDING] = 0
        o[O_AHEAD] = max(0, min(ahead, new * QSCALE))


@njit(cache=True, nogil=True, inline="always")
def level_dropped(v, row, side, px):
    """A QUOTE removed every level of ``side`` better than px: own orders there are at the front."""
    lst = v.act[row]
    for i in range(v.nact[row]):
        o = v.orders[lst[i]]
        if not better(side, o[O_PX], px):
            break
        o[O_AHEAD] = 0
        o[O_PENDING] = 0


@njit(cache=True, nogil=True, inline="always")
def opposite_grew(v, orow, px, inc, ts):
    """``inc`` lots appeared on the other side at price px: own orders at px trade with them."""
    lst = v.act[orow]
    oside = BID if orow % 2 == 0 else -1
    rem = inc
    for i in range(v.nact[orow]):
        o = v.orders[lst[i]]
        if o[O_PX] != px or o[O_LEAVES] == 0:
            if better(oside, px, o[O_PX]):
                break
            continue
        f = min(rem, o[O_LEAVES])
        fill(v, lst[i], px, f, MAKER, ts)
        rem -= f
        if rem == 0:
            break


@njit(cache=True, nogil=True)
def trade(v, row, side, px, qty, ts):
    """A print of ``qty`` lots at ``px`` against resting side ``side`` (list ``row``)."""
    lst = v.act[row]
    rem = qty  # what is left of the print for own orders
    own_ahead = 0  # lots of own orders at px ahead of the one being looked at
    filled_ahead = 0  # of which filled by this print
    for i in range(v.nact[row]):
        slot = lst[i]
        o = v.orders[slot]
        if better(side, o[O_PX], px):  # the print went through its price
            f = min(rem, o[O_LEAVES])
            if f > 0:
                fill(v, slot, o[O_PX], f, MAKER, ts)
                rem -= f
            continue
        if o[O_PX] != px:
            break
        leaves = o[O_LEAVES]
        reach = rem * QSCALE - o[O_AHEAD] - own_ahead * QSCALE
        f = 0
        if reach > 0:
            f = min(leaves, reach // QSCALE)
            if f > 0:
                fill(v, slot, px, f, MAKER, ts)
        o[O_AHEAD] = max(0, o[O_AHEAD] - max(0, rem - filled_ahead) * QSCALE)
        o[O_PENDING] += qty
        own_ahead += leaves
        filled_ahead += f


@njit(cache=True, nogil=True, inline="always")
def passive_side(book_bid, book_ask, side, px):
    """The resting side of a print: the other side of its aggressor, inferred when unknown."""
    if side == BID:
        return -1
    if side == -1:
        return BID
    if book_bid != NO_PRICE and px <= book_bid:
        return BID
    if book_ask != NO_PRICE and px >= book_ask:
        return -1
    return 0


@njit(cache=True, nogil=True, inline="always")
def trade_applies(flags):
    """Hidden executions neither advance nor fill own orders (they touched no visible level)."""
    return (flags & HIDDEN) == 0


@njit(cache=True, nogil=True, inline="always")
def grew_applies(flags):
    """A snapshot re-announces levels that already existed: nothing new trades with us."""
    return (flags & SNAPSHOT) == 0


@njit(cache=True, nogil=True, inline="always")
def crossed(book, v, sym):
    """Quick end-of-message test: is the opposite best (as the book shows it) strictly
    through the best own order of either side? (``cross_fill`` then decides exactly.)"""
    for si in range(2):
        row = 2 * sym + si
        if v.nact[row] == 0:
            continue
        side = BID if si == 0 else -1
        opp = best_px(book, sym, -side)
        if opp != NO_PRICE and better(side, v.orders[v.act[row, 0], O_PX], opp):
            return True
    return False


@njit(cache=True, nogil=True)
def cross_fill(book, ints, floats, out, sym, ts):
    """End of message: fill in full every own order the effective opposite best (what the
    book shows minus what own orders consumed) is strictly through."""
    book = borrow_book(book)
    v = jview(ints, floats, out)
    for si in range(2):
        row = 2 * sym + si
        n = v.nact[row]
        if n == 0:
            continue
        side = BID if si == 0 else -1
        opp = effective_best(book, v, sym, -side)
        if opp == NO_PRICE or not better(side, v.orders[v.act[row, 0], O_PX], opp):
            continue
        lst = v.act[row]
        for i in range(n):
            o = v.orders[lst[i]]
            if not better(side, o[O_PX], opp):
                break
            if o[O_LEAVES] > 0:
                fill(v, lst[i], o[O_PX], o[O_LEAVES], MAKER, ts)
        compact(v, row)
