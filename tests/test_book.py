"""Hand-written cases for each event kind, run on the jitted book and the reference."""

from __future__ import annotations

import numpy as np
import pytest

from hft_tui import jit
from hft_tui.book import (
    ERR_CAPACITY,
    ERR_SYMBOL,
    NO_PRICE,
    OK,
    Book,
    BookCapacityError,
    BookSymbolError,
    book_apply,
    book_apply_batch,
    book_apply_until,
    book_best_px,
    book_best_qty,
    book_cum_depth,
)
from hft_tui.book_ladder import M_NOVF
from hft_tui.errors import HftError
from hft_tui.events import (
    ADD,
    ASK,
    BID,
    CANCEL,
    CLEAR,
    EOM,
    EXECUTE,
    LEVEL,
    ORDER_FILL,
    QUOTE,
    TICKER,
    TRADE,
    empty,
)
from hft_tui.reference import ReferenceBook


@pytest.fixture(scope="module", autouse=True)
def kernels():
    jit.prepare(["book"], stream=None)  # also drops kernels cached from older sources


def events(*rows):
    """rows of (kind, side, px, qty[, sym[, flags]]) -> an event array."""
    ev = empty(len(rows))
    for i, row in enumerate(rows):
        kind, side, px, qty, *rest = row
        ev[i]["kind"], ev[i]["side"], ev[i]["px"], ev[i]["qty"] = kind, side, px, qty
        if rest:
            ev[i]["sym"] = rest[0]
        if len(rest) > 1:
            ev[i]["flags"] = rest[1]
    return ev


@pytest.fixture(params=["jit", "jit-small", "reference"])
def make(request):
    """A book factory; jit-small has a 16-tick window to force re-anchoring."""

    def factory(n_symbols=1):
        if request.param == "jit":
            return Book(n_symbols)
        if request.param == "jit-small":
            return Book(n_symbols, window=16, capacity=64)
        return ReferenceBook(n_symbols)

    return factory


def levels(book, side, sym=0):
    px, qty = book.depth(sym, side, 100)
    return list(zip(px.tolist(), qty.tolist()))


def test_level_sets_replaces_and_removes(make):
    b = make()
    b.apply(events((LEVEL, BID, 100, 5), (LEVEL, BID, 99, 7), (LEVEL, ASK, 101, 3)))
    assert b.best_bid() == (100, 5) and b.best_ask() == (101, 3)
    b.apply(events((LEVEL, BID, 100, 2)))
    assert levels(b, BID) == [(100, 2), (99, 7)]
    b.apply(events((LEVEL, BID, 100, 0)))
    assert b.best_bid() == (99, 7)
    b.apply(events((LEVEL, BID, 42, 0), (LEVEL, ASK, 500, 0)))  # absent: no-op
    assert levels(b, BID) == [(99, 7)] and levels(b, ASK) == [(101, 3)]


def test_add_cancel_execute_adjust_and_clamp(make):
    b = make()
    b.apply(events((ADD, ASK, 200, 4), (ADD, ASK, 200, 6)))
    assert b.level_qty(0, ASK, 200) == 10
    b.apply(events((CANCEL, ASK, 200, 3)))
    assert b.best_ask() == (200, 7)
    b.apply(events((EXECUTE, ASK, 200, 5)))
    assert b.best_ask() == (200, 2)
    b.apply(events((ADD, ASK, 201, 1), (EXECUTE, ASK, 200, 50)))  # more than there is
    assert b.best_ask() == (201, 1) and b.level_qty(0, ASK, 200) == 0
    b.apply(events((CANCEL, ASK, 300, 5)))  # absent level stays absent
    assert levels(b, ASK) == [(201, 1)]


def test_quote_removes_strictly_better_levels(make):
    b = make()
    b.apply(events(*[(LEVEL, BID, p, 1) for p in (95, 96, 97, 98)], (LEVEL, ASK, 99, 1)))
    b.apply(events((QUOTE, BID, 96, 9)))
    assert levels(b, BID) == [(96, 9), (95, 1)]
    assert levels(b, ASK) == [(99, 1)]  # the other side is untouched
    b.apply(events((QUOTE, ASK, 103, 2)))
    assert levels(b, ASK) == [(103, 2)]
    b.apply(events((QUOTE, ASK, 101, 0)))  # nothing better than 101; size 0 sets nothing
    assert levels(b, ASK) == [(103, 2)]


def test_quote_keeps_worse_levels(make):
    b = make()
    b.apply(events((LEVEL, ASK, 103, 2), (LEVEL, ASK, 104, 1), (QUOTE, ASK, 101, 5)))
    assert levels(b, ASK) == [(101, 5), (103, 2), (104, 1)]
    b.apply(events((QUOTE, ASK, 104, 0)))
    assert levels(b, ASK) == []


def test_clear_empties_both_sides_of_its_symbol_only(make):
    b = make(2)
    b.apply(events((LEVEL, BID, 10, 1, 0), (LEVEL, ASK, 12, 1, 0), (LEVEL, BID, 50, 4, 1)))
    b.apply(events((CLEAR, 0, 0, 0, 0)))
    assert b.best_bid(0) is None and b.best_ask(0) is None
    assert b.best_bid(1) == (50, 4)
    b.apply(events((LEVEL, ASK, 9000, 2, 0)))  # usable again, anywhere
    assert b.best_ask(0) == (9000, 2)
    b.clear(1)
    assert b.best_bid(1) is None


@pytest.mark.parametrize("kind", [TRADE, TICKER, ORDER_FILL])
def test_non_book_kinds_change_nothing(make, kind):
    b = make()
    b.apply(events((LEVEL, BID, 10, 1), (LEVEL, ASK, 12, 1)))
    b.apply(events((kind, BID, 10, 1), (kind, ASK, 12, 1), (kind, ASK, 5, 7)))
    assert levels(b, BID) == [(10, 1)] and levels(b, ASK) == [(12, 1)]


def test_book_kind_without_side_is_ignored(make):
    b = make()
    b.apply(events((LEVEL, 0, 10, 1), (ADD, 0, 10, 1), (QUOTE, 0, 10, 1)))
    assert b.best_bid() is None and b.best_ask() is None


def test_crossed_book_is_kept(make):
    b = make()
    b.apply(events((LEVEL, BID, 105, 1), (LEVEL, ASK, 100, 2), (LEVEL, ASK, 106, 1)))
    assert b.best_bid() == (105, 1) and b.best_ask() == (100, 2)


def test_far_levels_and_jumps_stay_exact(make):
    """Jumps far beyond any window, both ways, with deep levels left behind."""
    b = make()
    b.apply(events(*[(LEVEL, BID, 1000 - 7 * i, i + 1) for i in range(10)]))
    b.apply(events((LEVEL, BID, 50_000, 3)))  # far above: re-anchor up
    assert b.best_bid() == (50_000, 3)
    assert levels(b, BID)[:3] == [(50_000, 3), (1000, 1), (993, 2)]
    b.apply(events((LEVEL, BID, 50_000, 0)))  # back down onto the old levels
    assert b.best_bid() == (1000, 1)
    b.apply(events((LEVEL, BID, -70_000, 9)))  # far below: an overflow level
    assert levels(b, BID)[-2:] == [(937, 10), (-70_000, 9)]
    b.apply(events(*[(LEVEL, BID, 1000 - 7 * i, 0) for i in range(10)]))
    assert b.best_bid() == (-70_000, 9)
    assert b.level_qty(0, BID, -70_000) == 9 and b.level_qty(0, BID, 1000) == 0
    b.apply(events((LEVEL, ASK, 10**12, 1), (LEVEL, ASK, -(10**12), 2)))
    assert levels(b, ASK) == [(-(10**12), 2), (10**12, 1)]


def test_qty_through_sums_levels_at_or_better(make):
    b = make()
    b.apply(events(*[(LEVEL, ASK, 100 + 10 * i, i + 1) for i in range(5)]))
    assert b.qty_through(0, ASK, 99) == 0
    assert b.qty_through(0, ASK, 100) == 1
    assert b.qty_through(0, ASK, 125) == 1 + 2 + 3
    assert b.qty_through(0, ASK, 10**9) == 15
    b.apply(events((LEVEL, BID, 90, 4), (LEVEL, BID, 10, 5)))
    assert b.qty_through(0, BID, 50) == 4 and b.qty_through(0, BID, -5) == 9


def test_bad_symbol_and_side_are_clear_errors(make):
    b = make(2)
    with pytest.raises(HftError, match="symbol index 2"):
        b.best_bid(2)
    with pytest.raises(HftError, match="side"):
        b.depth(0, 0, 5)


def test_event_beyond_symbols_is_rejected():
    b = Book(1)
    with pytest.raises(BookSymbolError):
        b.apply(events((LEVEL, BID, 10, 1, 3)))
    assert book_apply(b.state, 1, LEVEL, BID, 10, 1) == ERR_SYMBOL  # jitted: a code
    with pytest.raises(BookSymbolError):  # a jitted batch raises
        book_apply_batch(b.state, events((LEVEL, BID, 10, 1, 3)), 0, 1)


def test_overflow_capacity_is_a_clear_error():
    b = Book(1, window=8, capacity=4)
    b.apply(events(*[(LEVEL, BID, 1000 - 100 * i, 1) for i in range(5)]))  # 4 in the overflow
    assert b.state.meta[0, 0, M_NOVF] == 4
    with pytest.raises(BookCapacityError, match="overflow full"):
        b.apply(events((LEVEL, BID, 1, 1)))
    with pytest.raises(BookCapacityError):  # re-anchoring up would push one more out
        b.apply(events((LEVEL, BID, 5000, 1)))
    assert book_apply(b.state, 0, LEVEL, BID, 5000, 1) == ERR_CAPACITY
    assert book_apply(b.state, 0, LEVEL, BID, 1000, 0) == OK  # the book is unchanged
    assert b.depth(0, BID, 9)[0].tolist() == [900, 800, 700, 600]


def test_constructor_rejects_nonsense():
    with pytest.raises(HftError):
        Book(0)
    with pytest.raises(HftError):
        Book(1, window=2)


def test_jitted_best_and_cum_depth():
    b = Book(1)
    assert book_best_px(b.state, 0, BID) == NO_PRICE and book_best_qty(b.state, 0, ASK) == 0
    b.apply(events((LEVEL, BID, 10, 1), (LEVEL, BID, 8, 2), (LEVEL, BID, 5, 4)))
    px = np.zeros(2, np.int64)
    cum = np.zeros(2, np.int64)
    assert book_cum_depth(b.state, 0, BID, 5, px, cum) == 2  # bounded by the arrays
    assert px.tolist() == [10, 8] and cum.tolist() == [1, 3]


def test_apply_until_stops_after_the_kth_message_of_a_symbol():
    ev = events(
        (LEVEL, BID, 10, 1, 0, EOM),
        (LEVEL, BID, 11, 1, 1, EOM),  # another symbol: not counted
        (LEVEL, BID, 12, 1, 0),
        (LEVEL, BID, 13, 1, 0, EOM),
        (LEVEL, BID, 14, 1, 0, EOM),
    )
    b = Book(2)
    count = np.zeros(1, np.int64)
    assert book_apply_until(b.state, ev, 0, 5, 0, 2, count) == 4
    assert count[0] == 2 and b.best_bid(0) == (13, 1)
    assert book_apply_until(b.state, ev, 4, 5, 0, 2, count) == 5  # ran out
    assert count[0] == 3
    count[0] = 0
    assert book_apply_until(Book(2).state, ev, 0, 5, -1, 2, count) == 2  # any symbol
