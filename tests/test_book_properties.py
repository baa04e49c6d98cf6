"""The jitted book and the reference book agree after every event of random streams."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hft_tui.book import Book, book_apply_until
from hft_tui.events import (
    ADD,
    ASK,
    BID,
    CANCEL,
    CLEAR,
    EOM,
    EXECUTE,
    LEVEL,
    ORDER_ACK,
    QUOTE,
    TICKER,
    TRADE,
    empty,
)
from hft_tui.reference import ReferenceBook

KINDS = [LEVEL] * 5 + [ADD] * 2 + [CANCEL, EXECUTE, QUOTE, CLEAR, TRADE, TICKER, ORDER_ACK]
SIDES = [BID, ASK] * 4 + [0]

# mostly stay put; sometimes drift; sometimes jump thousands of ticks either way
moves = st.one_of(st.just(0), st.just(0), st.integers(-3, 3), st.integers(-5000, 5000))


@st.composite
def streams(draw, n_symbols: int, spread: int, max_len: int = 80):
    """Events around a wandering mid: both sides priced on both sides of it (crossing)."""
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_symbols - 1),
                st.sampled_from(KINDS),
                st.sampled_from(SIDES),
                moves,
                st.integers(-spread, spread),
                st.integers(0, 9),
                st.booleans(),
            ),
            min_size=1,
            max_size=max_len,
        )
    )
    ev = empty(len(rows))
    mid = draw(st.integers(-(10**6), 10**6))
    for i, (sym, kind, side, move, offset, qty, eom) in enumerate(rows):
        mid += move
        ev[i] = (0, 0, mid + offset, qty, 0, kind, side, EOM if eom else 0, sym, 0)
    return ev


def assert_same(book: Book, ref: ReferenceBook, sym: int, where: str) -> None:
    assert book.best_bid(sym) == ref.best_bid(sym), where
    assert book.best_ask(sym) == ref.best_ask(sym), where
    for side in (BID, ASK):
        got, want = book.depth(sym, side, 1000), ref.depth(sym, side, 1000)
        assert got[0].tolist() == want[0].tolist(), where
        assert got[1].tolist() == want[1].tolist(), where


def check_every_event(ev: np.ndarray, n_symbols: int, window: int, capacity: int) -> None:
    book = Book(n_symbols, window=window, capacity=capacity)
    ref = ReferenceBook(n_symbols)
    for i in range(len(ev)):
        book.apply(ev[i : i + 1])
        ref.apply(ev[i : i + 1])
        assert_same(book, ref, int(ev[i]["sym"]), f"after event {i}: {ev[i]}")
    for sym in range(n_symbols):
        assert_same(book, ref, sym, "at the end")
        for px in np.unique(ev["px"][ev["sym"] == sym])[:20].tolist():
            for side in (BID, ASK):
                assert book.level_qty(sym, side, px) == ref.level_qty(sym, side, px)
                assert book.qty_through(sym, side, px) == ref.qty_through(sym, side, px)




def fast(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast(1500)
@given(streams(n_symbols=1, spread=100))
def test_small_window_agrees_after_every_event(ev):
    """W=16: most updates cross the window edge, re-anchor it or live in the overflow."""
    check_every_event(ev, 1, window=16, capacity=4096)


@fast(700)
@given(streams(n_symbols=3, spread=60))
def test_window_64_several_symbols_agree(ev):
    check_every_event(ev, 3, window=64, capacity=4096)


@fast(500)
@given(streams(n_symbols=2, spread=300))
def test_default_window_agrees(ev):
    check_every_event(ev, 2, window=1 << 16, capacity=1 << 16)


@fast(300)
@given(streams(n_symbols=2, spread=100, max_len=200), st.integers(1, 5))
def test_batches_stopping_at_messages_agree(ev, every):
    """Whole batches, cut at every k-th message, give the same book as the reference."""
    book = Book(2, window=32, capacity=4096)
    ref = ReferenceBook(2)
    count = np.zeros(1, np.int64)
    start = 0
    while start < len(ev):
        stop = book_apply_until(book.state, ev, start, len(ev), -1, count[0] + every, count)
        ref.apply(ev[start:stop])
        assert stop == len(ev) or ev[stop - 1]["flags"] & EOM
        for sym in (0, 1):
            assert_same(book, ref, sym, f"events {start}..{stop}")
        start = stop
    assert count[0] == np.count_nonzero(ev["flags"] & EOM)
