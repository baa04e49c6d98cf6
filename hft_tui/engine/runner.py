"""The engine's jitted driver around the exchange runner: Python is called back only when needed.

``exchange_run`` stops after every own-order event it emits. Most of them (the
pending-new echo, acks, replace confirmations) need nothing from Python at
that moment: they only have to reach the desk before the next decision. So
``drive`` keeps calling the runner itself and returns to Python only

- when a fill, a rejection or an order-ending event was emitted and its
  response time has come (the strategy learns of it then, not earlier): the
  runner's deadline is lowered to that time, and the stop reports it;
- when a watched best price left its band at that same message boundary
  (``exchange_run`` reports the own event first and does not look at prices);
- on every other stop of the runner (a best-price move, the caller's
  deadline, the end of the slice, a full output buffer).

It returns ``(stop index, stop reason, deadline in force when it stopped)``:
three plain integers, so that Python reads them without touching an array.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE, book_best_px
from hft_tui.events import ASK, BID, ORDER_DONE, ORDER_FILL, ORDER_REJECTED
from hft_tui.exchange import codes as c
from hft_tui.exchange.layout import C_NOUT, C_NSYM, S_LAST_ASK, S_LAST_BID, view
from hft_tui.exchange.run import exchange_run


@njit(cache=True, nogil=True)
def _moved(now, last, ticks):
    if now == NO_PRICE or last == NO_PRICE:
        return now != last
    return abs(now - last) >= ticks


@njit(cache=True, nogil=True)
def _band_left(book, symv, nsym, watch_sym, wake_ticks):
    for sym in range(nsym):
        if watch_sym >= 0 and sym != watch_sym:
            continue
        if _moved(book_best_px(book, sym, BID), symv[sym, S_LAST_BID], wake_ticks):
            return True
        if _moved(book_best_px(book, sym, ASK), symv[sym, S_LAST_ASK], wake_ticks):
            return True
    return False


@njit(cache=True, nogil=True)
def drive(book, ints, floats, out, events, start, end, mask, watch_sym, wake_ticks, deadline):
    """Run events[start:end] (see the module docstring); return (index, reason, deadline)."""
    symv = view(ints, floats, out).symv
    nsym = ints[C_NSYM]
    seen = ints[C_NOUT]  # own events before this index were looked at by an earlier call
    due = deadline
    mask |= c.STOP_OWN | c.STOP_DEADLINE
    watching = (mask & c.STOP_BBO) != 0
    i = start
    while True:
        i, reason = exchange_run(book, ints, floats, out, events, i, end, mask, watch_sym, wake_ticks, due)
        if reason != c.STOP_OWN:
            return i, reason, due
        n = ints[C_NOUT]
        for k in range(seen, n):
            e = out[k]
            if e.kind == ORDER_FILL or e.kind == ORDER_REJECTED or (e.flags & ORDER_DONE) != 0:
                if e.local_ts < due:
                    due = e.local_ts
        seen = n
        if watching and _band_left(book, symv, nsym, watch_sym, wake_ticks):
            return i, c.STOP_BBO, due
        if i >= end:
            return i, c.STOP_END, due
