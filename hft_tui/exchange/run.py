"""The batch loop: market events and due own-order actions, in time order, in one jitted call.

``exchange_run`` walks ``events[start:end]``. At every message boundary it
first gives the matcher the actions whose arrival time is strictly before the
next message's exchange time (an action arriving at the same nanosecond as a
market message comes after it: the conservative tie), then applies the message
event by event (book update plus own-order effects), and at the message's end
runs the L2 crossing check. It returns ``(index, reason)``: where it stopped
(always a message boundary) and why (``codes.STOP_*``), stopping early when the
caller asked (``stop_mask``):

- STOP_OWN: an own-order event was emitted (after the message, or right after
  the action, that produced it);
- STOP_BBO: the best bid or ask of ``watch_sym`` (any symbol if < 0) moved by
  ``wake_ticks`` (or the symbol's own ``S_WAKE_TICKS``) or more since the last
  such stop, or a side appeared or emptied;
- STOP_DEADLINE: the next message's feed time is at or after ``deadline``;
- STOP_OUT_FULL (always): ``out`` has fewer free rows than one message or action
  can produce; drain it (``ints[C_NOUT] = 0`` after reading) and call again.

``exchange_flush`` runs the actions due up to a time when there are no more
market events (end of a replay, or a test).
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE
from hft_tui.events import ASK, BID, EOM
from hft_tui.exchange import codes as c
from hft_tui.exchange.hotpath import best_px, borrow, borrow_book
from hft_tui.exchange.latency import feed_time
from hft_tui.exchange.layout import (
    A_ARRIVE,
    C_ACAP,
    C_AHEAD,
    C_ATAIL,
    C_EMITTED,
    C_FEED_NOW,
    C_IN_MSG,
    C_NOUT,
    C_NOW,
    C_RESERVE,
    C_STOP,
    S_L2,
    S_LAST_ASK,
    S_LAST_BID,
    S_WAKE_TICKS,
    jview,
)
from hft_tui.exchange.market import apply_market
from hft_tui.exchange.matcher import arrive
from hft_tui.exchange.matching_l2 import cross_fill, crossed


@njit(cache=True, nogil=True, inline="always")
def _moved(now, last, ticks):
    if now == NO_PRICE or last == NO_PRICE:
        return now != last
    return abs(now - last) >= ticks


@njit(cache=True, nogil=True, inline="always")
def _bbo_moved(book, v, sym, ticks):
    """True (and the reference updated) if sym's best bid or ask moved by ``ticks``
    (or by the symbol's own width, ``S_WAKE_TICKS``, when it has one)."""
    bb = best_px(book, sym, BID)
    ba = best_px(book, sym, ASK)
    sv = v.symv[sym]
    if sv[S_WAKE_TICKS] > 0:
        ticks = sv[S_WAKE_TICKS]
    if _moved(bb, sv[S_LAST_BID], ticks) or _moved(ba, sv[S_LAST_ASK], ticks):
        sv[S_LAST_BID] = bb
        sv[S_LAST_ASK] = ba
        return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _next_due(v, before):
    """Ring index of the oldest action if it arrives strictly before ``before``, else -1."""
    head = v.ctl[C_AHEAD]
    if head == v.ctl[C_ATAIL]:
        return -1
    k = head & (v.ctl[C_ACAP] - 1)
    if v.actions[k, A_ARRIVE] < before:
        return k
    return -1


@njit(cache=True, nogil=True)
def process_due(book, ints, floats, out, before, stop_own):
    """Run the actions arriving strictly before ``before``, oldest first.

    Returns 0 when none is left due, 1 after an action emitted an own-order event
    (if ``stop_own``), 2 when ``out`` is too full to run the next one. One
    non-inlined function shared by the run and flush entry points; it borrows its
    arrays again so that its own inlined matcher code counts no references.
    """
    book = borrow_book(book)
    v = jview(ints, floats, out)
    ctl = v.ctl
    emitted = ctl[C_EMITTED]
    while True:
        k = _next_due(v, before)
        if k < 0:
            return 0
        if out.shape[0] - ctl[C_NOUT] < ctl[C_RESERVE]:
            return 2
        a = v.actions[k]
        ts = a[A_ARRIVE]
        if ts > ctl[C_NOW]:
            ctl[C_NOW] = ts
        ctl[C_AHEAD] += 1
        arrive(book, v, ints, floats, out, a, ts)
        if stop_own and ctl[C_EMITTED] > emitted:
            return 1


@njit(cache=True, nogil=True, inline="always")
def _stop(v, i, reason):
    v.ctl[C_STOP] = reason
    return i, reason


@njit(cache=True, nogil=True)
def exchange_run(book, ints, floats, out, events, start, end, stop_mask, watch_sym, wake_ticks, deadline):
    """Process ``events[start:end]``; return ``(stop index, reason)``."""
    book = borrow_book(book)
    events = borrow(events)
    v = jview(ints, floats, out)
    ctl = v.ctl
    ctl[C_EMITTED] = 0
    cap = out.shape[0]
    reserve = ctl[C_RESERVE]
    stop_own = (stop_mask & c.STOP_OWN) != 0
    stop_bbo = (stop_mask & c.STOP_BBO) != 0
    stop_deadline = (stop_mask & c.STOP_DEADLINE) != 0
    i = start
    while i < end:
        e = events[i]
        if ctl[C_IN_MSG] == 0:
            ts = e.exch_ts
            if _next_due(v, ts) >= 0:
                r = process_due(book, ints, floats, out, ts, stop_own)
                if r == 1:
                    return _stop(v, i, c.STOP_OWN)
                if r == 2:
                    return _stop(v, i, c.STOP_OUT_FULL)
            if stop_deadline and feed_time(ctl, ts, e.local_ts) >= deadline:
                return _stop(v, i, c.STOP_DEADLINE)
            if cap - ctl[C_NOUT] < reserve:
                return _stop(v, i, c.STOP_OUT_FULL)
        sym = int(e.sym)
        apply_market(
            book, v, ints, floats, out, sym, int(e.kind), int(e.side), e.px, e.qty, e.order_id, int(e.flags), e.exch_ts
        )
        i += 1
        if e.flags & EOM:
            ctl[C_IN_MSG] = 0
            # the clock of what the strategies have seen: a running maximum, since
            # receive times may step back (latency jitter) and the clock at a stop
            # must not depend on which message boundaries were stops
            ft = feed_time(ctl, e.exch_ts, e.local_ts)
            if ft > ctl[C_FEED_NOW]:
                ctl[C_FEED_NOW] = ft
            if v.symv[sym, S_L2] != 0 and v.nact[2 * sym] + v.nact[2 * sym + 1] > 0 and crossed(book, v, sym):
                cross_fill(book, ints, floats, out, sym, e.exch_ts)
            if stop_own and ctl[C_EMITTED] > 0:
                return _stop(v, i, c.STOP_OWN)
            if stop_bbo and (watch_sym < 0 or watch_sym == sym) and _bbo_moved(book, v, sym, wake_ticks):
                return _stop(v, i, c.STOP_BBO)
        else:
            ctl[C_IN_MSG] = 1
    return _stop(v, end, c.STOP_END)


@njit(cache=True, nogil=True)
def exchange_flush(book, ints, floats, out, until):
    """Run every action arriving at or before ``until``; return how many ran.

    Does nothing in the middle of a message; stops early if ``out`` fills up.
    """
    v = jview(ints, floats, out)
    if v.ctl[C_IN_MSG] != 0:
        return 0
    head = v.ctl[C_AHEAD]
    process_due(book, ints, floats, out, until + 1, c.NO)
    return v.ctl[C_AHEAD] - head
