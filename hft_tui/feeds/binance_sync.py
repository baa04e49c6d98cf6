"""Keeping a local book exact from Binance depth diffs: the synchronisation state machine.

Binance's documented procedure, per symbol (see shared/reference/binance.md):
buffer the diffs, take a snapshot, drop the diffs the snapshot already holds,
check that the first applied diff spans the snapshot's update id, then require
each diff to continue the previous one. Spot continues by ids (``U`` is the last
applied ``u`` + 1 or less); USD-M futures by ``pu`` (the previous diff's ``u``).

This class only decides *which* messages become events, in which order; it
never touches the network and never reads a clock, so the live client and the
``binance-raw`` importer, fed the same messages, emit the same events. Applying
events is the book's job (``hft_tui.book``): the machine applies what it emits
to its own book only to check it (a crossed book means something was lost).

A gap, a crossed book, bad update ids, ids that went back (after a reconnect, or
a long run of "old" diffs) or (opt-in) a book ticker that disagrees with the
book at the same update id triggers a *resync* of that symbol alone:
the symbol is marked stale, its reason logged, a snapshot requested, and diffs
buffered until the snapshot arrives. The other symbols carry on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from hft_tui.book import (
    NO_PRICE,
    BookState,
    book_apply_batch,
    book_best_px,
    book_best_qty,
    new_state,
)
from hft_tui.events import ASK, BID

WAITING = 0  # buffering diffs until a usable snapshot arrives
LIVE = 1  # in sync: every diff is checked for continuity and applied

# what continuity() says of the next diff of a synced book
APPLY = 0
OLD = 1  # the book already holds it (a duplicate, a replay): drop it
GAP = 2  # something is missing between the book and it: resync
MAX_OLD_RUN = 1000  # old diffs in a row that mean the update ids started again


def continuity(futures: bool, first_since_snapshot: bool, last_u: int, U: int, u: int, pu: int) -> int:
    """Binance's rule for the next diff of a book at update id ``last_u``.

    Spot: ``u <= last_u`` is old, else it must have ``U <= last_u + 1``. USD-M:
    the first diff after the snapshot must have ``U <= last_u <= u`` (older
    ones dropped), later ones ``pu == last_u``.
    """
    if futures:
        if first_since_snapshot:
            if u < last_u:
                return OLD
            return APPLY if U <= last_u else GAP
        if pu == last_u:
            return APPLY
        return OLD if u <= last_u else GAP
    if u <= last_u:
        return OLD
    return APPLY if U <= last_u + 1 else GAP


# the same rule for jitted loops over many diffs (the raw importer's fast path)
continuity_jit = njit(cache=True, nogil=True)(continuity)


# The book's arrays go in one by one and the BookState is rebuilt inside: numba
# types a NamedTuple argument in Python on every call (~5 us), plain arrays in C.
# Not nogil: see parse_payload (short calls on the feed thread keep the GIL).
@njit(cache=True)
def apply_checked(qty, meta, okey, oqty, events, n, sym):
    """Apply ``events[:n]`` to the book; True if ``sym``'s book is then crossed."""
    st = BookState(qty, meta, okey, oqty)
    book_apply_batch(st, events, 0, n)
    bid = book_best_px(st, sym, BID)
    ask = book_best_px(st, sym, ASK)
    return bid != NO_PRICE and ask != NO_PRICE and bid >= ask


@njit(cache=True)
def top_of_book(qty, meta, okey, oqty, sym):
    """(best bid px, its qty, best ask px, its qty) of ``sym``."""
    st = BookState(qty, meta, okey, oqty)
    return (
        book_best_px(st, sym, BID),
        book_best_qty(st, sym, BID),
        book_best_px(st, sym, ASK),
        book_best_qty(st, sym, ASK),
    )


@dataclass
class SymbolState:
    state: int = WAITING
    last_u: int = -1  # update id the book is at
    first: bool = True  # no diff applied since the snapshot (futures rule)
    stale: bool = True  # the book is not known to be exact
    requested: bool = False  # a snapshot is on its way
    buffer: deque = field(default_factory=deque)  # (U, u, pu, events) while WAITING
    ticker: tuple | None = None  # last (u, bid px, bid qty, ask px, ask qty) seen
    syncs: int = 0  # snapshots applied
    resyncs: int = 0
    gaps: int = 0
    crossed: int = 0
    ticker_mismatches: int = 0
    stale_snapshots: int = 0  # snapshots older than the buffered diffs, fetched again
    old_diffs: int = 0  # diffs the book already holds (duplicates, replays), dropped
    old_run: int = 0  # of those, how many in a row
    overflows: int = 0  # buffered diffs dropped because the buffer was full
    last_reason: str = ""


class DepthSync:
    """Per-symbol sync state; calls ``emit(events)`` for everything the book should get.

    ``request_snapshot(sym, reason)`` asks for a snapshot (the live client fetches
    one; the importer waits for the next snapshot line of the recording);
    ``log(sym, message)`` reports resyncs with their reason.
    """

    def __init__(
        self,
        symbols: list[str],
        futures: bool | None,
        emit: Callable[[np.ndarray], None],
        request_snapshot: Callable[[int, str], None],
        log: Callable[[int, str], None] | None = None,
        *,
        max_buffer: int = 4096,
        verify_ticker: bool = False,
        book_window: int = 1 << 14,
        book_capacity: int = 1 << 16,
    ):
        self.symbols = list(symbols)
        self.futures = futures
        self.emit = emit
        self.request_snapshot = request_snapshot
        self.log = log or (lambda sym, msg: None)
        self.max_buffer = max_buffer
        self.verify_ticker = verify_ticker
        self.sym = [SymbolState() for _ in symbols]
        self.book = new_state(len(symbols), book_window, book_capacity)

    # --- inputs -------------------------------------------------------------------
    def on_diff(self, sym: int, first: int, last: int, prev: int, events: np.ndarray) -> None:
        """A depth diff ``U=first, u=last, pu=prev`` (-1 on spot) and its events."""
        s = self.sym[sym]
        if first > last:
            self._resync(sym, f"bad update ids U={first} > u={last}")
            return
        if s.state == WAITING:
            self._buffer(sym, s, first, last, prev, events)
            return
        self._live(sym, s, first, last, prev, events)

    def on_snapshot(self, sym: int, last_id: int, events: np.ndarray) -> bool:
        """A depth snapshot at ``lastUpdateId=last_id`` (CLEAR + levels); True if used."""
        s = self.sym[sym]
        s.requested = False
        if s.state != WAITING:
            return False  # nobody asked: the book is in sync, keep it
        buf = s.buffer
        if self.futures:
            while buf and buf[0][1] < last_id:
                buf.popleft()
            too_old = bool(buf) and buf[0][0] > last_id
        else:
            while buf and buf[0][1] <= last_id:
                buf.popleft()
            too_old = bool(buf) and buf[0][0] > last_id + 1
        if too_old:
            s.stale_snapshots += 1
            self._request(sym, s, f"snapshot {last_id} older than buffered diff U={buf[0][0]}")
            return False
        if not self._emit_checked(sym, s, events):
            self._request(sym, s, "crossed snapshot")
            return False
        s.state = LIVE
        s.last_u = last_id
        s.first = True
        s.stale = False
        s.syncs += 1
        pending = list(buf)
        buf.clear()
        for first, last, prev, ev in pending:
            if s.state != LIVE:  # the replay itself found a problem: keep buffering
                self._buffer(sym, s, first, last, prev, ev)
            else:
                self._live(sym, s, first, last, prev, ev)
        return True

    def ensure_requested(self, sym: int, reason: str) -> None:
        """Ask for a snapshot for a symbol still waiting with none on its way."""
        s = self.sym[sym]
        if s.state == WAITING and not s.requested:
            self._request(sym, s, reason)

    def snapshot_failed(self, sym: int, reason: str) -> None:
        """The snapshot could not be fetched or read: ask again if still needed."""
        s = self.sym[sym]
        s.requested = False
        if s.state == WAITING:
            self._request(sym, s, f"bad snapshot: {reason}")

    def on_ticker(self, sym: int, u: int, bid_px: int, bid_qty: int, ask_px: int, ask_qty: int):
        """A book ticker; with ``verify_ticker`` the book must agree at the same update id."""
        if not self.verify_ticker:
            return
        s = self.sym[sym]
        s.ticker = (u, bid_px, bid_qty, ask_px, ask_qty)
        if s.state == LIVE and s.last_u == u:
            self._check_ticker(sym, s)

    def disconnected(self) -> None:
        """The connection dropped: every book is stale until its stream proves continuous."""
        for s in self.sym:
            s.stale = True

    # --- state ------------------------------------------------------------------------
    def stale(self, sym: int) -> bool:
        return self.sym[sym].stale

    def resync(self, sym: int, reason: str) -> None:
        """Force a resync of one symbol (also used by the client on consumer overload)."""
        self._resync(sym, reason)

    # --- internals --------------------------------------------------------------------
    def _live(self, sym: int, s: SymbolState, first: int, last: int, prev: int, events) -> None:
        verdict = continuity(bool(self.futures), s.first, s.last_u, first, last, prev)
        if verdict == OLD:
            s.old_diffs += 1
            s.old_run += 1
            # After a reconnect a stream starts at the present, never behind the book:
            # a diff the book "already holds" there, or a long run of them, means the
            # ids started again (a restarted or other server). Waiting for them to catch
            # up would keep the book stale for good.
            if s.stale or s.old_run > MAX_OLD_RUN:
                self._resync(sym, f"update ids went back: book at {s.last_u}, diff u={last}")
                self._buffer(sym, s, first, last, prev, events)
            return
        s.old_run = 0
        if verdict == GAP:
            s.gaps += 1
            what = f"pu={prev}" if self.futures and not s.first else f"U={first}"
            self._resync(sym, f"gap: book at {s.last_u}, diff {what} u={last}")
            self._buffer(sym, s, first, last, prev, events)
            return
        s.last_u = last
        s.first = False
        if not self._emit_checked(sym, s, events):
            return
        if s.stale and s.state == LIVE:
            s.stale = False  # continuous again after a reconnect
        if s.ticker is not None and s.ticker[0] == last:
            self._check_ticker(sym, s)

    def _emit_checked(self, sym: int, s: SymbolState, events: np.ndarray) -> bool:
        n = len(events)
        if n and apply_checked(*self.book, events, n, sym):
            s.crossed += 1
            self._resync(sym, "crossed book")
            return False
        if n:
            self.emit(events)
        return True

    def _check_ticker(self, sym: int, s: SymbolState) -> None:
        u, bpx, bqty, apx, aqty = s.ticker
        s.ticker = None
        if top_of_book(*self.book, sym) != (bpx, bqty, apx, aqty):
            s.ticker_mismatches += 1
            self._resync(sym, f"book ticker at {u} disagrees with the book")

    def _buffer(self, sym: int, s: SymbolState, first, last, prev, events) -> None:
        if len(s.buffer) >= self.max_buffer:
            s.buffer.popleft()
            s.overflows += 1
        s.buffer.append((first, last, prev, events.copy()))
        if not s.requested:
            self._request(sym, s, "start" if s.syncs == 0 and s.resyncs == 0 else s.last_reason)

    def _request(self, sym: int, s: SymbolState, reason: str) -> None:
        s.requested = True
        self.request_snapshot(sym, reason)

    def _resync(self, sym: int, reason: str) -> None:
        s = self.sym[sym]
        if s.state == WAITING:
            return  # already resyncing: one resync per lost sync
        s.state = WAITING
        s.stale = True
        s.resyncs += 1
        s.last_reason = reason
        s.buffer.clear()
        s.ticker = None
        self.log(sym, f"resync {self.symbols[sym]}: {reason}")
        if not s.requested:
            self._request(sym, s, reason)
