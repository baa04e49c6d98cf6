"""The L2 order book: jitted event application over plain arrays, and a Python wrapper.

Semantics per event kind (``hft_tui.events``), for the event's ``sym``:

- CLEAR empties both sides.
- LEVEL sets the level (side, px) to qty lots; qty <= 0 removes it (removing an
  absent level does nothing).
- ADD adds qty lots to the level; CANCEL and EXECUTE take qty lots off it,
  clamped at 0 (a level at 0 is removed).
- QUOTE sets the level like LEVEL and removes every strictly better level of
  that side.
- TRADE, TICKER and own-order kinds (>= 16) leave the book alone, and so does a
  book kind whose side is neither BID nor ASK.

The two sides are independent: a crossed book is kept as it is (feeds send
their own deletes). ``hft_tui.reference`` is the same book in plain Python.

Storage (``book_ladder``): per symbol and side a window of W ticks indexed by
offset, plus a sorted overflow for the levels worse than the window, so the
book is exact at any price while an update inside the window is one array
index. Re-anchoring happens only on price jumps of more than W/4 ticks.

Departures from the first design, and why:

- a ``low`` bound per side (no level below it), so that a clear and the scan
  for the next best stop there instead of walking the whole window;
- the jitted updates return status codes instead of raising, take per-side
  views and read each ``BookState`` field once: otherwise numba counts
  references (atomic operations) around the calls, which made the first
  version about 20 times slower;
- the batch loop (``book_apply.book_apply_until``) does in-window updates inline and calls the
  general path only for the rest, so its inner loop keeps state in registers.

Hot paths call the jitted functions directly with a ``BookState``; ``Book``
wraps them for tests, the CLI and other Python callers. The signatures are
stable so that numba's on-disk cache keeps serving them.
"""

from __future__ import annotations

import numpy as np

from hft_tui.book_apply import (
    CAPACITY_MESSAGE,
    SYMBOL_MESSAGE,
    BookCapacityError,
    BookSymbolError,
    book_apply,
    book_apply_batch,
    book_apply_until,
    book_clear,
)
from hft_tui.book_depth import (
    NO_PRICE,
    book_best_px,
    book_best_qty,
    book_cum_depth,
    book_depth,
    book_level_qty,
    book_qty_through,
    side_index,
)
from hft_tui.book_ladder import ERR_CAPACITY, ERR_SYMBOL, OK, BookState, new_state
from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, EOM, EVENT_DTYPE, LEVEL, QUOTE

__all__ = [
    "CAPACITY_MESSAGE",
    "SYMBOL_MESSAGE",
    "ERR_CAPACITY",
    "ERR_SYMBOL",
    "NO_PRICE",
    "OK",
    "Book",
    "BookCapacityError",
    "BookState",
    "BookSymbolError",
    "book_apply",
    "book_apply_batch",
    "book_apply_until",
    "book_best_px",
    "book_best_qty",
    "book_clear",
    "book_cum_depth",
    "book_depth",
    "book_level_qty",
    "book_qty_through",
    "new_state",
    "side_index",
    "warm_up",
]


def _check_side(side: int) -> int:
    if side != BID and side != ASK:
        raise HftError(f"side must be BID ({BID}) or ASK ({ASK}), got {side!r}")
    return int(side)


class Book:
    """The jitted book for Python callers (tests, CLI); hot paths use the functions."""

    def __init__(self, n_symbols: int = 1, window: int = 1 << 16, capacity: int = 1 << 16):
        self.state = new_state(n_symbols, window, capacity)
        self.n_symbols = n_symbols

    def _sym(self, sym: int) -> int:
        if not 0 <= sym < self.n_symbols:
            raise BookSymbolError(f"symbol index {sym} is not in 0..{self.n_symbols - 1}")
        return int(sym)

    def apply(self, events: np.ndarray) -> None:
        if events.dtype != EVENT_DTYPE:
            raise HftError(f"events must be an EVENT_DTYPE array, got dtype {events.dtype}")
        if len(events) and int(events["sym"].max()) >= self.n_symbols:
            raise BookSymbolError(
                f"event symbol index {int(events['sym'].max())} is not in 0..{self.n_symbols - 1}"
            )
        book_apply_batch(self.state, events, 0, len(events))

    def _best(self, sym: int, side: int) -> tuple[int, int] | None:
        px = book_best_px(self.state, self._sym(sym), side)
        if px == NO_PRICE:
            return None
        return int(px), int(book_best_qty(self.state, sym, side))

    def best_bid(self, sym: int = 0) -> tuple[int, int] | None:
        return self._best(sym, BID)

    def best_ask(self, sym: int = 0) -> tuple[int, int] | None:
        return self._best(sym, ASK)

    def depth(self, sym: int, side: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The best ``n`` levels of ``side`` (fewer if the side has fewer), best first."""
        px = np.empty(max(n, 0), dtype=np.int64)
        qty = np.empty(max(n, 0), dtype=np.int64)
        k = book_depth(self.state, self._sym(sym), _check_side(side), len(px), px, qty)
        return px[:k], qty[:k]

    def level_qty(self, sym: int, side: int, px: int) -> int:
        return int(book_level_qty(self.state, self._sym(sym), _check_side(side), int(px)))

    def qty_through(self, sym: int, side: int, px: int) -> int:
        return int(book_qty_through(self.state, self._sym(sym), _check_side(side), int(px)))

    def clear(self, sym: int = 0) -> None:
        book_clear(self.state, self._sym(sym))


def warm_up() -> None:
    """Compile (or load from the cache) every book kernel with tiny inputs.

    Covers the array flavours callers pass: writable event arrays and the
    read-only ones a memory-mapped tick file gives.
    """
    book = Book(1, window=8, capacity=4)
    ev = np.zeros(2, dtype=EVENT_DTYPE)
    ev["kind"] = LEVEL
    ev["side"] = (BID, ASK)
    ev["px"] = (10, 11)
    ev["qty"] = 1
    ev["flags"] = EOM
    book.apply(ev)
    frozen = ev.copy()
    frozen.flags.writeable = False
    book_apply_batch(book.state, frozen, 0, 2)
    count = np.zeros(1, dtype=np.int64)
    book_apply_until(book.state, ev, 0, 2, -1, 1, count)
    book_apply_until(book.state, frozen, 0, 2, -1, 1, count)
    book_apply(book.state, 0, QUOTE, BID, 10, 2)
    book.best_bid()
    book.best_ask()
    book.depth(0, BID, 2)
    px = np.empty(2, dtype=np.int64)
    book_cum_depth(book.state, 0, ASK, 2, px, px.copy())
    book.level_qty(0, ASK, 11)
    book.qty_through(0, ASK, 11)
    book.clear(0)


# Seconds to compile the kernels above on a cold cache (a laptop-class core).
COMPILE_ESTIMATE_S = 10

KERNELS = (
    book_apply,
    book_apply_batch,
    book_apply_until,
    book_clear,
    book_best_px,
    book_best_qty,
    book_depth,
    book_cum_depth,
    book_level_qty,
    book_qty_through,
)
