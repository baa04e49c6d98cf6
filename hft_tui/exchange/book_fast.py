"""The book, as the exchange's hot path calls it: the book's own functions, inlined.

A call from one jitted function into another that numba compiled separately is
not inlined by LLVM; each such call also pays for reference counting of every
array it passes (calls into ``NRT_incref``/``NRT_decref``). Measured here, one
``book_apply`` per event cost ~250 ns of wall time from the exchange loop, while
the same ladder code inlined (numba's ``inline="always"``) and run on borrowed
arrays (``borrow``) costs ~10 ns. So this module compiles the book's *own*
functions (``ladder_update``, ``book_level_qty``, ``book_best_px``: the same
Python functions, not copies) with ``inline="always"``, and dispatches the
high-volume kinds (LEVEL, ADD, CANCEL, EXECUTE) to the ladder directly; every
other kind goes through ``book_apply`` itself. ``tests/test_exchange_run.py``
checks the result against ``book_apply`` on random streams.
"""

from __future__ import annotations

from numba import njit

from hft_tui.book import book_apply, book_best_px, book_level_qty
from hft_tui.book_ladder import ladder_update
from hft_tui.events import ADD, ASK, BID, CANCEL, EXECUTE, LEVEL

_INLINE = {"cache": True, "nogil": True, "inline": "always"}
_ladder_update = njit(**_INLINE)(ladder_update.py_func)
level_qty = njit(**_INLINE)(book_level_qty.py_func)
best_px = njit(**_INLINE)(book_best_px.py_func)


@njit(**_INLINE)
def apply_book(book, sym, kind, side, px, qty):
    """``book_apply(book, sym, kind, side, px, qty)`` for a valid ``sym``."""
    if side == BID:
        si = 0
        key = px
    elif side == ASK:
        si = 1
        key = -px
    else:
        book_apply(book, sym, kind, side, px, qty)
        return
    if kind == LEVEL:
        _ladder_update(book, sym, si, key, qty, False)
    elif kind == ADD or kind == CANCEL or kind == EXECUTE:
        _ladder_update(book, sym, si, key, qty if kind == ADD else -qty, True)
    else:
        book_apply(book, sym, kind, side, px, qty)
