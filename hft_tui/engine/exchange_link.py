"""The engine's one connection to the simulated exchange (``hft_tui.exchange``) and its book.

It calls the exchange's jitted entry points directly with the state arrays
(the ``SimExchange`` wrapper adds checks that cost microseconds per call), reads
the best prices straight from the book's arrays, and turns the engine's
wake-up wishes into the runner's best-price watch.

Best-price watch: the runner stops when a watched symbol's best bid or ask is
``wake_ticks`` or more from its reference (or a side appears or empties). Each
strategy wants a stop when a price leaves (ref - w, ref + w) around the price
at its last wake-up; the link sets, per symbol and side, a reference and, per
symbol, a width whose band lies inside every strategy's band. The runner
may then stop more often than needed (the engine finds nothing to do), never
less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numba import njit

from hft_tui.book import NO_PRICE, book_depth
from hft_tui.book import new_state as new_book_state
from hft_tui.book_ladder import M_BASE, M_BEST
from hft_tui.events import EOM, ORDER_NEW
from hft_tui.exchange import codes as c
from hft_tui.exchange import SimExchange, from_config
from hft_tui.exchange.intents import cancel as x_cancel
from hft_tui.exchange.intents import replace as x_replace
from hft_tui.exchange.intents import submit as x_submit
from hft_tui.exchange.layout import C_FEED_NOW, C_NOUT, O_AHEAD, O_ID, QSCALE, S_LAST_ASK, S_LAST_BID, S_WAKE_TICKS, view
from hft_tui.engine import fast_quote
from hft_tui.engine.runner import drive
from hft_tui.exchange.run import exchange_flush, exchange_run
from hft_tui.instrument import Instrument
from hft_tui.jit import entry_point

NO_PX = int(NO_PRICE)
BOOK_WINDOW = 1 << 14
BOOK_CAPACITY = 1 << 14
_ALWAYS = c.STOP_OWN | c.STOP_DEADLINE
UNWATCHED = 1 << 40  # the stop width of a symbol nobody watches
_RUNNERS: dict[bool, Any] = {}  # events writeable? -> compiled runner
_INTENTS: dict[str, Any] = {}  # order-entry kernel -> compiled function
GRID_ROWS = 256  # mid-grid rows the runner can hold between two returns
NO_GRID = 1 << 62


def _intent(name: str, dispatcher: Any, *args: Any) -> Any:
    f = _INTENTS[name] = entry_point(dispatcher, *args)
    return f


@njit(cache=True, nogil=True)
def after_messages(events, start, end, k):
    """Index after the k-th message end at or after ``start`` (``end`` if fewer)."""
    for i in range(start, end):
        if events[i].flags & EOM:
            k -= 1
            if k <= 0:
                return i + 1
    return end


@njit(cache=True, nogil=True)
def count_messages(events, start, end):
    n = 0
    for i in range(start, end):
        if events[i].flags & EOM:
            n += 1
    return n


@njit(cache=True, nogil=True)
def first_at_or_after(events, start, end, ts):
    """Index of the first message start in [start, end) with exch_ts >= ts (``end`` if none)."""
    at_start = True
    for i in range(start, end):
        e = events[i]
        if at_start and e.exch_ts >= ts:
            return i
        at_start = (e.flags & EOM) != 0
    return end


class ExchangeLink:
    def __init__(self, cfg: Mapping[str, Any], instruments: Sequence[Instrument]) -> None:
        self.config = from_config(cfg)
        self.instruments = list(instruments)
        self.n = len(self.instruments)
        self.reason = c.STOP_END
        self.stop_deadline = 0
        self._run_events: np.ndarray | None = None
        self._run: Any = None
        # the mid grid the runner records by itself (``runner.drive``): [next time, rows,
        # rows of (time, bid, ask per symbol)]; NO_GRID: none (the owner sets both)
        self.grid = np.zeros(2 + GRID_ROWS * (1 + 2 * self.n), np.int64)
        self.grid[0] = NO_GRID
        self.mid_ns = 0
        self.mask = _ALWAYS
        self.watch_sym = -1
        self.wake_ticks = 1
        self.ff_until: int | None = None
        self.stops = [0] * 16  # runner returns by reason (codes.STOP_*)
        self._px = np.empty(0, np.int64)
        self._qty = np.empty(0, np.int64)
        self._mult = [ins.tick_value * ins.lot_value for ins in self.instruments]
        self._maker_bps = self.config.maker_fee_bps
        self._taker_bps = self.config.taker_fee_bps
        # the market maker's fast path (``fast_quote``): its state, unarmed until the
        # engine arms it; the kill flag and the risk manager's rate windows it reads
        self.fq, self.fqf = fast_quote.new_state()
        self.kflag = np.zeros(1, np.int64)
        no_ring, no_st = np.zeros(0, np.int64), np.zeros(4, np.int64)
        self.rates = (no_ring, no_st, no_ring, no_st)
        self.reset()

    def reset(self) -> None:
        """A fresh exchange and book (a seek back in a replay)."""
        # SimExchange sets the state up from the config; the link keeps only the arrays.
        x = SimExchange(self.instruments, self.config, new_book_state(self.n, BOOK_WINDOW, BOOK_CAPACITY))
        self.ints, self.floats, self.out = x.state
        self.book = x.book
        v = view(self.ints, self.floats, self.out)
        self._symv = v.symv
        self._orders = v.orders
        self._idring = v.idring
        self._meta = self.book.meta
        self._bqty = self.book.qty
        # flat views and per (sym, side) offsets: ``item(k)`` is cheaper than ``item(sym, si, f)``
        if not (self._meta.flags.c_contiguous and self._bqty.flags.c_contiguous):
            raise RuntimeError("book arrays must be C-contiguous")  # reshape would copy
        meta, bqty = self._meta.reshape(-1), self._bqty.reshape(-1)
        self._mitem = meta.item
        self._qitem = bqty.item
        nm, nq = self._meta.shape[2], self._bqty.shape[2]
        self._moff = [[(s * 2 + si) * nm for si in (0, 1)] for s in range(self.n)]
        self._qoff = [[(s * 2 + si) * nq for si in (0, 1)] for s in range(self.n)]

    # --- time moves ----------------------------------------------------------------------------
    def run(self, events: np.ndarray, start: int, end: int, deadline: int) -> int:
        """Process events[start:end] until a stop (``runner.drive``); ``reason`` and
        ``stop_deadline`` tell why and which deadline was in force."""
        # ``events.flags`` builds an object per access: remember the last batch's runner
        if events is not self._run_events:
            self._run_events = events
            self._run = _RUNNERS.get(events.flags.writeable) or self._runner(events)
        r = self.rates
        i, reason, due = self._run(
            self.book, self.ints, self.floats, self.out, events, start, end,
            self.mask, self.watch_sym, self.wake_ticks, deadline, self.grid, self.mid_ns,
            self.fq, self.fqf, self.kflag, r[0], r[1], r[2], r[3],
        )
        self.reason = reason
        self.stop_deadline = due
        self.stops[reason] += 1
        return i

    def _runner(self, events: np.ndarray) -> Any:
        """The compiled ``drive`` for this kind of event array, called without numba's
        type dispatch (the book state is a tuple of arrays; the engine calls the
        runner at every stop)."""
        run = entry_point(drive, self.book, self.ints, self.floats, self.out, events, 0, 0, 0, -1, 1, 0, self.grid, 0,
                          self.fq, self.fqf, self.kflag, *self.rates)  # fmt: skip
        _RUNNERS[events.flags.writeable] = run
        return run

    def flush(self, until: int) -> None:
        """Let the actions in flight reach the matcher up to ``until`` with no market
        event in between (a quiet live feed)."""
        self.reason = c.STOP_END
        exchange_flush(self.book, self.ints, self.floats, self.out, until)

    def fast_forward_to(self, ts: int) -> None:
        self.ff_until = ts

    def fast_forward(self, events: np.ndarray, start: int, end: int) -> int:
        """Apply the market events before ``ff_until`` with nothing watching (after a seek);
        return where normal play resumes."""
        cut = first_at_or_after(events, start, end, self.ff_until)
        i = start
        while i < cut:
            i, _ = exchange_run(self.book, self.ints, self.floats, self.out, events, i, cut, 0, -1, 1, 1 << 62)
            self.ints[C_NOUT] = 0
        if cut < end:
            self.ff_until = None
        return cut

    @property
    def stopped_on_deadline(self) -> bool:
        return self.reason == c.STOP_DEADLINE

    @property
    def feed_now(self) -> int:
        return self.ints.item(C_FEED_NOW)

    def first_feed_time(self, events: np.ndarray) -> int:
        e = events[0]
        if self.config.use_local_ts and int(e["local_ts"]) > 0:
            return int(e["local_ts"])
        return int(e["exch_ts"]) + self.config.feed_latency_ns

    @property
    def feed_latency_ns(self) -> int:
        return self.config.feed_latency_ns

    def take_own(self) -> list[tuple]:
        """Own-order events written since the last call (ORDER_NEW left out), as tuples."""
        if not self.ints.item(C_NOUT):
            return []
        return [r for r in self.take_own_raw() if r[5] != ORDER_NEW]

    def take_own_raw(self) -> list[tuple]:
        """As ``take_own`` with ORDER_NEW kept: indexes as the exchange counted them."""
        n = self.ints.item(C_NOUT)
        rows = self.out[:n].tolist() if n else []
        self.ints[C_NOUT] = 0
        return rows

    after_messages = staticmethod(after_messages)
    count_messages = staticmethod(count_messages)

    # --- order entry ---------------------------------------------------------------------------
    # The kernels are looked up at first use (``entry_point``), not when the engine is
    # built: with a cold cache that would compile them in the caller's thread.
    def new_order(self, sym: int, side: int, px: int, qty: int, kind: str, now: int, tag: int) -> int:
        """The new order's id, or minus a ``codes.REJ_*`` reason when it could not be sent."""
        f = _INTENTS.get("submit") or _intent("submit", x_submit, self.ints, self.floats, self.out, 0, 0, 0, 0, 0, 0)
        return int(f(self.ints, self.floats, self.out, now, sym, side, c.TYPE_CODES[kind], px, qty))

    def cancel(self, order_id: int, now: int) -> bool:
        f = _INTENTS.get("cancel") or _intent("cancel", x_cancel, self.ints, self.floats, self.out, 0, 0)
        return f(self.ints, self.floats, self.out, now, order_id) > 0

    def replace(self, order_id: int, px: int, total_qty: int, now: int) -> bool:
        """``total_qty``: the new total size, filled lots included (0 keeps the current one)."""
        f = _INTENTS.get("replace") or _intent("replace", x_replace, self.ints, self.floats, self.out, 0, 0, 0, 0)
        return f(self.ints, self.floats, self.out, now, order_id, px, total_qty) > 0

    # --- reading the book ----------------------------------------------------------------------
    def _bid_ask(self, kb: int, ka: int) -> tuple[int, int]:
        """(best bid, best ask) in ticks from one symbol's meta offsets, NO_PX when empty."""
        item = self._mitem
        b = item(kb + M_BEST)
        a = item(ka + M_BEST)
        return (NO_PX if b < 0 else item(kb + M_BASE) + b), (NO_PX if a < 0 else -(item(ka + M_BASE) + a))

    def top_px(self, sym: int, side: int) -> int:
        """Best price of a side in ticks, NO_PX when empty."""
        return self._bid_ask(*self._moff[sym])[0 if side > 0 else 1]

    def bests(self, sym: int) -> tuple[int | None, int | None]:
        """(best bid, best ask) in ticks, None for an empty side."""
        b, a = self._bid_ask(*self._moff[sym])
        return (None if b == NO_PX else b), (None if a == NO_PX else a)

    def best(self, sym: int, side: int) -> int | None:
        """Best price of a side in ticks, None when empty."""
        px = self.top_px(sym, side)
        return None if px == NO_PX else px

    def top(self, sym: int, side: int) -> tuple[int, int] | None:
        si = 0 if side > 0 else 1
        k = self._moff[sym][si]
        best = self._mitem(k + M_BEST)
        if best < 0:
            return None
        key = self._mitem(k + M_BASE) + best
        return (key if si == 0 else -key), self._qitem(self._qoff[sym][si] + best)

    def depth(self, sym: int, side: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._px) < n:
            self._px = np.empty(n, np.int64)
            self._qty = np.empty(n, np.int64)
        k = book_depth(self.book, sym, 1 if side > 0 else -1, n, self._px, self._qty)
        return self._px[:k].copy(), self._qty[:k].copy()

    def queue_ahead(self, order_id: int) -> int:
        """Lots ahead of an own resting order at its level (-1 if unknown)."""
        slot = int(self._idring[order_id & (len(self._idring) - 1)])
        if slot < 0 or self._orders.item(slot, O_ID) != order_id:
            return -1
        return self._orders.item(slot, O_AHEAD) // QSCALE

    # --- fills -------------------------------------------------------------------------------------
    def fee(self, sym: int, px: int, qty: int, liquidity: int) -> float:
        """As ``exchange.fees.fill_fee`` computes it (same operations, same double)."""
        bps = self._maker_bps if liquidity == c.MAKER else self._taker_bps
        return float(px) * float(qty) * self._mult[sym] * bps * 1e-4

    @staticmethod
    def is_maker(liquidity: int) -> bool:
        return liquidity == c.MAKER

    @staticmethod
    def reason_text(kind: int, aux: int) -> str:
        from hft_tui.events import ORDER_CANCELED

        names = c.CANCEL_NAMES if kind == ORDER_CANCELED else c.REJECT_NAMES
        return names.get(aux, "rejected" if kind != ORDER_CANCELED else "cancelled")

    # --- best-price watch -------------------------------------------------------------------------
    def watch(self, bands: Sequence[tuple[int, int, int, int] | None]) -> None:
        """Per symbol, None (nobody watches it) or (bid ref, bid half width, ask ref,
        ask half width): the runner must stop once a best price leaves its band."""
        first = -1
        n_watched = 0
        ticks = 1 << 40
        for sym, b in enumerate(bands):
            if b is not None:
                n_watched += 1
                if first < 0:
                    first = sym
                ticks = min(ticks, b[1], b[3])
        if not n_watched:
            self.mask = _ALWAYS
            return
        self.mask = _ALWAYS | c.STOP_BBO
        self.watch_sym = first if n_watched == 1 else -1
        symv = self._symv
        for sym, b in enumerate(bands):
            if b is None:
                # unwatched (only with several symbols): only a side that appears or
                # empties stops there, which is harmless
                bid, ask, width = self.top_px(sym, 1), self.top_px(sym, -1), UNWATCHED
            else:
                bid, ask, width = b[0], b[2], max(1, min(b[1], b[3]))
            symv[sym, S_LAST_BID] = bid
            symv[sym, S_LAST_ASK] = ask
            # each symbol its own width, the narrower side's (extra stops cost time only):
            # a strategy woken by every tick of one symbol must not stop the runner at
            # every tick of another watched 40 ticks wide
            symv[sym, S_WAKE_TICKS] = width
        self.wake_ticks = max(1, ticks)

    def move_band(self, sym: int, bid: int, ask: int) -> None:
        """New references for the one watched symbol, the width unchanged (what
        ``watch`` does when one strategy watches one symbol and only its references moved)."""
        symv = self._symv
        symv[sym, S_LAST_BID] = bid
        symv[sym, S_LAST_ASK] = ask

    def tops(self) -> list[tuple[int, int]]:
        """(best bid, best ask) per symbol, NO_PX for an empty side."""
        bid_ask = self._bid_ask
        return [bid_ask(kb, ka) for kb, ka in self._moff]

def band(wants: list[tuple[int, int]]) -> tuple[int, int]:
    """(reference, half width) of a band inside every (ref - w, ref + w); NO_PX if any ref is NO_PX."""
    if len(wants) == 1:
        ref, w = wants[0]
        return (NO_PX, 1 << 40) if ref == NO_PX else (ref, w)
    if any(ref == NO_PX for ref, _ in wants):
        return NO_PX, 1 << 40
    lo = max(ref - w for ref, w in wants)
    hi = min(ref + w for ref, w in wants)
    return (lo + hi) // 2, max(1, (hi - lo) // 2)
