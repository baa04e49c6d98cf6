"""The jitted book and the reference book agree after every event of random streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hft_tui import jit
from hft_tui.book import OK, Book, book_apply, book_apply_batch, book_apply_until
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


@pytest.fixture(scope="module", autouse=True)
def kernels():
    jit.prepare(["book"], stream=None)  # also drops kernels cached from older sources



@st.composite
def streams(draw, n_symbols: int, spread: int, max_len: int = 80, jump: int = 5000):
    """Events around a wandering mid, both sides priced on both sides of it (crossing).

    Hypothesis draws a seed, a length and a jump rate; numpy draws the events,
    because the mix matters and hypothesis' own choices are not uniform: the mid
    mostly stays, sometimes drifts, sometimes moves about the window size
    (``spread``) and sometimes jumps up to ``jump`` ticks either way; many events
    go back to the level (side, price) of a recent event, so levels are topped
    up, emptied and refilled. The stream of length n is a prefix of
    the one of length n + 1, so shrinking finds the shortest failing prefix.
    Two profiles: deep books (fewer returns to a level and deletes), and thin
    books that empty often.
    """
    seed = draw(st.integers(0, 2**63 - 1))
    n = draw(st.integers(1, max_len))
    p_jump = draw(st.sampled_from([0.0, 0.01, 0.05]))
    p_back, p_zero = draw(st.sampled_from([(0.35, 0.3), (0.6, 0.5)]))  # deep or thin books
    rng = np.random.default_rng(seed)
    u = rng.random(max_len)
    move = np.select(
        [u < 0.8, u < 0.93, u < 1.0 - p_jump],
        [0, rng.integers(-3, 4, max_len), rng.integers(-2 * spread, 2 * spread + 1, max_len)],
        rng.integers(-jump, jump + 1, max_len),
    )
    near = rng.random(max_len) < 0.6
    offset = np.where(near, rng.integers(-3, 4, max_len), rng.integers(-spread, spread + 1, max_len))
    ev = empty(max_len)
    ev["px"] = rng.integers(-(10**6), 10**6) + np.cumsum(move) + offset
    ev["kind"] = rng.choice(KINDS, max_len)
    ev["side"] = rng.choice(SIDES, max_len)
    ev["sym"] = rng.integers(0, n_symbols, max_len)
    ev["qty"] = np.where(rng.random(max_len) < p_zero, 0, rng.integers(1, 10, max_len))
    ev["flags"] = np.where(rng.random(max_len) < 0.5, EOM, 0)
    back = np.where(rng.random(max_len) < p_back, rng.integers(1, 13, max_len), 0)
    for i in np.flatnonzero((back > 0) & (back <= np.arange(max_len))):
        for field in ("sym", "side", "px"):  # the same level as a recent event
            ev[field][i] = ev[field][i - back[i]]
    return ev[:n]


def assert_same(book: Book, ref: ReferenceBook, sym: int, where: object) -> None:
    """Same best levels and top-100 depth; ``where`` is printed on failure only."""
    assert book.best_bid(sym) == ref.best_bid(sym), where
    assert book.best_ask(sym) == ref.best_ask(sym), where
    for side in (BID, ASK):
        got, want = book.depth(sym, side, 100), ref.depth(sym, side, 100)
        assert got[0].tolist() == want[0].tolist(), where
        assert got[1].tolist() == want[1].tolist(), where


def check_every_event(ev: np.ndarray, n_symbols: int, window: int, capacity: int) -> None:
    """Both jitted paths against the reference: the batch loop, one event at a time
    (its fast path and its fallback), and book_apply (the general path)."""
    looped = Book(n_symbols, window=window, capacity=capacity)
    single = Book(n_symbols, window=window, capacity=capacity)
    ref = ReferenceBook(n_symbols)
    for i, (sym, kind, side, px, qty) in enumerate(
        zip(*(ev[f].tolist() for f in ("sym", "kind", "side", "px", "qty")))
    ):
        book_apply_batch(looped.state, ev, i, i + 1)
        assert book_apply(single.state, sym, kind, side, px, qty) == OK
        ref.apply_one(sym, kind, side, px, qty)
        assert_same(looped, ref, sym, ("after event", i))
        assert_same(single, ref, sym, ("book_apply, after event", i))
    for sym in range(n_symbols):
        assert_same(looped, ref, sym, "at the end")
        for px in np.unique(ev["px"][ev["sym"] == sym])[:20].tolist():
            for side in (BID, ASK):
                assert looped.level_qty(sym, side, px) == ref.level_qty(sym, side, px)
                assert looped.qty_through(sym, side, px) == ref.qty_through(sym, side, px)


def fast(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast(800)
@given(streams(n_symbols=1, spread=20))
def test_small_window_agrees_after_every_event(ev):
    """W=16: most updates cross the window edge, re-anchor it or live in the overflow."""
    check_every_event(ev, 1, window=16, capacity=4096)


@fast(400)
@given(streams(n_symbols=1, spread=6))
def test_smallest_window_agrees_after_every_event(ev):
    check_every_event(ev, 1, window=4, capacity=4096)


@fast(500)
@given(streams(n_symbols=3, spread=80))
def test_window_64_several_symbols_agree(ev):
    check_every_event(ev, 3, window=64, capacity=4096)


@fast(400)
@given(streams(n_symbols=2, spread=300, jump=200_000))
def test_default_window_agrees(ev):
    check_every_event(ev, 2, window=1 << 16, capacity=1 << 16)


@fast(300)
@given(streams(n_symbols=2, spread=40, max_len=200), st.integers(1, 5))
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
            assert_same(book, ref, sym, ("events", start, stop))
        start = stop
    assert count[0] == np.count_nonzero(ev["flags"] & EOM)
