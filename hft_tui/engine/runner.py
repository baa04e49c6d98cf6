"""The engine's jitted driver around the exchange runner: Python is called back only when needed.

``exchange_run`` stops after every own-order event it emits. Most of them (the
pending-new echo, acks, replace confirmations) need nothing from Python at
that moment: they only have to reach the desk before the next decision. So
``drive`` keeps calling the runner itself and returns to Python only

- when an event that calls a strategy hook was emitted and its response time
  has come (the strategy learns of it then, not earlier): a fill, or the end
  of an order other than the cancel its strategy asked for (the rules of
  ``OrderDesk.first_due``, which may be stricter: an extra stop is a no-op).
  The runner's deadline is lowered to that time, and the stop reports it. A
  refused replace or cancel, a confirmed cancel, acks and replace
  confirmations call no hook: they wait for the next stop, which applies
  every answer due by then, in order, before any strategy is woken;
- when a watched best price left its band at that same message boundary
  (``exchange_run`` reports the own event first and does not look at prices);
- on every other stop of the runner (a best-price move, the caller's
  deadline, the end of the slice, a full output buffer).

At a best-price stop, and when the fills of the market maker arrive, its fast
path (``fast_fills.fast_stop``, armed by the engine) may enter the fills and do
the wake-up itself: then ``drive`` goes on.

The mid grid for markouts (``grid``) is the exception: a stop only to note every
symbol's best bid and ask at a grid time needs nothing else from Python (no
response, timer or sample is due before it, and the wake conditions cannot
hold where the runner did not stop for them), so ``drive`` writes the row into
``grid`` itself and goes on. ``grid[0]`` is the next grid time (advanced by
``mid_ns``), ``grid[1]`` the rows written, then the rows: (time, then per
symbol best bid, best ask, ``NO_PRICE`` for an empty side). When the rows are
full, or another deadline falls on the same time, it stops as before and the
engine records the row.

It returns ``(stop index, stop reason, deadline in force when it stopped)``:
three plain integers, so that Python reads them without touching an array.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import NO_PRICE, book_best_px
from hft_tui.events import ASK, BID
from hft_tui.exchange import codes as c
from hft_tui.exchange.layout import C_FEED_NOW, C_NOUT, C_NSYM, S_LAST_ASK, S_LAST_BID, S_WAKE_TICKS, view
from hft_tui.exchange.run import exchange_run
from hft_tui.engine.fast_fills import fast_stop
from hft_tui.engine.fast_quote import F_ARMED, F_DECLINED, F_ENOW, F_FCUR, calls_hook


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
        ticks = symv[sym, S_WAKE_TICKS] if symv[sym, S_WAKE_TICKS] > 0 else wake_ticks
        if _moved(book_best_px(book, sym, BID), symv[sym, S_LAST_BID], ticks):
            return True
        if _moved(book_best_px(book, sym, ASK), symv[sym, S_LAST_ASK], ticks):
            return True
    return False


@njit(cache=True, nogil=True)
def _grid_row(book, grid, nsym, ts):
    """Append (ts, best bid and ask per symbol) to ``grid``; False if it is full."""
    width = 1 + 2 * nsym
    k = grid[1]
    base = 2 + k * width
    if base + width > grid.shape[0]:
        return False
    grid[base] = ts
    for sym in range(nsym):
        grid[base + 1 + 2 * sym] = book_best_px(book, sym, BID)
        grid[base + 2 + 2 * sym] = book_best_px(book, sym, ASK)
    grid[1] = k + 1
    return True


@njit(cache=True, nogil=True)
def drive(book, ints, floats, out, events, start, end, mask, watch_sym, wake_ticks, deadline, grid, mid_ns,
          fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st):  # fmt: skip
    """Run events[start:end] (see the module docstring); return (index, reason, deadline).
    The arrays after ``mid_ns`` are the market maker's fast path (``fast_quote``)."""
    symv = view(ints, floats, out).symv
    nsym = ints[C_NSYM]
    seen = ints[C_NOUT]  # own events before this index were looked at by an earlier call
    fq[F_FCUR] = seen
    fq[F_DECLINED] = 0
    fast = fq[F_ARMED] != 0
    due = deadline
    mask |= c.STOP_OWN | c.STOP_DEADLINE
    watching = (mask & c.STOP_BBO) != 0
    i = start
    while True:
        at = grid[0]  # the next mid-grid time: a stop of its own only if strictly first
        mid_only = at < due
        if not mid_only:
            at = due
        i, reason = exchange_run(book, ints, floats, out, events, i, end, mask, watch_sym, wake_ticks, at)
        if reason == c.STOP_DEADLINE and mid_only:
            if _grid_row(book, grid, nsym, at):
                grid[0] = at + mid_ns
                if at > fq[F_ENOW]:
                    fq[F_ENOW] = at  # as the engine's clock after such a stop
                continue
            return i, reason, at  # no room: the engine records it
        if reason != c.STOP_OWN:
            if fast and (reason == c.STOP_BBO or reason == c.STOP_DEADLINE):
                # the market maker's fills due now and its wake-up, in jitted code?
                t = max(fq[F_ENOW], ints[C_FEED_NOW])
                if reason == c.STOP_DEADLINE:
                    t = max(t, at)
                nxt = fast_stop(book, ints, floats, out, symv, fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st,
                                t, due, grid[0], deadline)  # fmt: skip
                if nxt > 0:
                    due = nxt
                    continue
            return i, reason, at
        n = ints[C_NOUT]
        for k in range(seen, n):
            e = out[k]
            if calls_hook(e) and e.local_ts < due:
                due = e.local_ts
        seen = n
        if watching and _band_left(book, symv, nsym, watch_sym, wake_ticks):
            nxt = 0
            if fast:
                nxt = fast_stop(book, ints, floats, out, symv, fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st,
                                max(fq[F_ENOW], ints[C_FEED_NOW]), due, grid[0], deadline)  # fmt: skip
            if nxt == 0:
                return i, c.STOP_BBO, at
            due = nxt
        if i >= end:
            return i, c.STOP_END, at
