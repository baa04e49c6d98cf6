"""A live feed's stale books, seen by the engine: risk refuses new orders on them.

A live source (``BinanceSource``) loses a book on a gap, a crossed book or a
dropped connection and rebuilds it from a snapshot. While a book is stale the
simulated exchange would match paper orders against a book that is not known
to be right, so the engine pulls its quotes on that symbol (cancels every open
order there) and the risk manager refuses new orders on it until the book is
exact again. Replays and the sim have no stale books: the watch is inactive
and costs nothing.

The feed's latest error (a refused connection, a failed snapshot, a bad
message) goes to the log once per new error text: the status line says
DISCONNECTED, the log says why.

The source's ``read_stale(sym)`` is used when it has one: it turns stale at
once, but clears only after the events that rebuilt the book were read, so
the engine never trusts a book before it holds the snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine


class FeedWatch:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        src = engine.source
        self._stale = getattr(src, "read_stale", None) or getattr(src, "stale", None)
        self._reason = getattr(src, "stale_reason", None)
        self._error = lambda: getattr(src, "last_error", "")
        self._told = ""  # the last feed error written to the log
        self.active = self._stale is not None
        # a live feed starts with no book at all: stale until the first snapshot, quietly
        self.stale = [self.active] * engine.n_syms
        for sym in range(engine.n_syms) if self.active else ():
            engine.risk.feed_resyncing(sym, True, "waiting for the first snapshot", 0)

    def check(self, may_clear: bool = True) -> None:
        """Compare with the source; ``may_clear=False`` between reading a batch and
        applying it (a book comes back only once its events are applied)."""
        if not self.active:
            return
        e = self.e
        error = self._error()
        if error and error != self._told:  # why the feed is down: once per new error
            self._told = error
            e.log("feed", "", error, "warning")
        for sym in range(e.n_syms):
            now = bool(self._stale(sym))
            if now == self.stale[sym] or (not now and not may_clear):
                continue
            self.stale[sym] = now
            reason = self._reason(sym) if (now and self._reason is not None) else "resync"
            for change in e.risk.feed_resyncing(sym, now, reason, e.now):
                e.log("risk", "", change.text, change.level)
            if now:
                why = f"{e.instruments[sym].symbol} book stale"
                n = sum(e.desk.cancel_all(slot, sym, why) for slot in e.slots)
                if n:
                    e.log("engine", "", f"{e.instruments[sym].symbol} stale: {n} open orders cancelled")
