"""Replaying events through the book into LOBSTER-style depth rows (``hft-tui book``).

A row is ``msg,ask_px_1,ask_sz_1,bid_px_1,bid_sz_1,...`` up to N levels, taken
right after a source message ends (an event with EOM), never inside one. ``msg``
counts the chosen symbol's messages from 0: in a stream of several symbols only
that symbol's messages are counted and shown (the others do not touch its book).

The replay between rows is jitted: one call per batch applies the events and
writes the depth of every K-th message into an int64 matrix; Python only turns
the rows it prints into text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

import numpy as np
from numba import njit

from hft_tui.book import Book, book_apply_batch, book_apply_until, book_depth
from hft_tui.book_depth import NO_PRICE
from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, EOM, EVENT_DTYPE, LEVEL
from hft_tui.instrument import Instrument
from hft_tui.stream import first_message_end, last_message_end

ROWS_PER_CALL = 4096  # rows the kernel writes before handing them to Python


@njit(cache=True, nogil=True)
def snapshot_row(st, sym, row, px, qty):
    """Write the depth of ``sym`` into ``row[1:]`` (ask px, ask qty, bid px, bid qty per level)."""
    n = px.shape[0]
    for c in range(1, row.shape[0]):
        row[c] = NO_PRICE if c % 2 == 1 else 0
    for j, side in enumerate((ASK, BID)):
        k = book_depth(st, sym, side, n, px, qty)
        for i in range(k):
            row[1 + 4 * i + 2 * j] = px[i]
            row[2 + 4 * i + 2 * j] = qty[i]


@njit(cache=True, nogil=True)
def replay_rows(st, events, start, end, sym, every, count, rows, px, qty):
    """Apply events from ``start``; after every ``every``-th message of ``sym`` add a row.

    ``count[0]`` is the running number of ``sym``'s messages. Stops when ``rows``
    is full or at ``end``; returns (index after the last applied event, rows written).
    """
    r = 0
    i = start
    while i < end:
        stop = (count[0] // every + 1) * every
        i = book_apply_until(st, events, i, end, sym, stop, count)
        if count[0] == stop:
            rows[r, 0] = stop - 1
            snapshot_row(st, sym, rows[r], px, qty)
            r += 1
            if r == rows.shape[0]:
                break
    return i, r


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True), without sorting when the values
    span a narrow range (prices near the touch, and most sizes)."""
    lo, hi = int(values.min()), int(values.max())
    if lo == NO_PRICE:  # empty levels: one code of their own
        real = values[values != NO_PRICE]
        lo, hi = (int(real.min()), int(real.max())) if len(real) else (0, 0)
    if hi - lo > 4 * len(values):
        return np.unique(values, return_inverse=True)
    offset = np.where(values == NO_PRICE, 0, values - lo + 1)
    present = np.zeros(hi - lo + 2, dtype=bool)
    present[offset] = True
    codes = np.cumsum(present) - 1
    found = np.flatnonzero(present)
    distinct = np.where(found == 0, NO_PRICE, found + lo - 1)
    return distinct, codes[offset]


class DepthCsv:
    """Formats depth rows as CSV text with exact decimals; empty levels are empty fields."""

    def __init__(self, instrument: Instrument, levels: int):
        self.instrument = instrument
        self.levels = levels

    def header(self) -> str:
        cols = ["msg"]
        for i in range(1, self.levels + 1):
            cols += [f"ask_px_{i}", f"ask_sz_{i}", f"bid_px_{i}", f"bid_sz_{i}"]
        return ",".join(cols) + "\n"

    def rows(self, rows: np.ndarray) -> str:
        """``rows`` as int64 [n, 1 + 4 * levels]: msg, then px, qty pairs.

        Each distinct number is formatted once (np.unique), the cells are put
        in place by numpy indexing, and each line is one str.join.
        """
        if not len(rows):
            return ""
        cells = np.empty(rows.shape, dtype=object)
        cells[:, 0] = [str(m) for m in rows[:, 0].tolist()]
        for col, fmt, empty_value in (
            (slice(1, None, 2), self.instrument.ticks_to_str, NO_PRICE),
            (slice(2, None, 2), self.instrument.lots_to_str, 0),
        ):
            values, where = _distinct(rows[:, col].ravel())
            text = np.array([fmt(v) if v != empty_value else "" for v in values.tolist()], dtype=object)
            cells[:, col] = text[where].reshape(len(rows), -1)
        return "\n".join(map(",".join, cells.tolist())) + "\n"


def replay_csv(
    batches: Iterable[np.ndarray],
    instrument: Instrument,
    out: TextIO,
    *,
    levels: int,
    every: int | None = None,
    symbol: int = 0,
    n_symbols: int = 1,
) -> int:
    """Write the header, then a row after every ``every``-th message of ``symbol``.

    ``every=None``: one row, after the last message. Returns the number of
    messages of ``symbol`` seen.
    """
    if levels < 1:
        raise HftError(f"levels must be at least 1, got {levels}")
    if every is not None and every < 1:
        raise HftError(f"every must be at least 1, got {every}")
    if not 0 <= symbol < n_symbols:
        raise HftError(f"symbol index {symbol} is not in 0..{n_symbols - 1}")
    st = Book(n_symbols).state
    csv = DepthCsv(instrument, levels)
    out.write(csv.header())
    px = np.empty(levels, np.int64)
    qty = np.empty(levels, np.int64)
    count = np.zeros(1, np.int64)
    rows = np.empty((ROWS_PER_CALL if every else 1, 1 + 4 * levels), np.int64)
    for events in batches:
        n = len(events)
        if every:
            i = 0
            while i < n:
                i, r = replay_rows(st, events, i, n, symbol, every, count, rows, px, qty)
                if r:
                    out.write(csv.rows(rows[:r]))
            continue
        # Only the last message matters: snapshot after this batch's last one.
        ends = np.flatnonzero((events["flags"] & EOM).astype(bool) & (events["sym"] == symbol))
        if len(ends):
            book_apply_batch(st, events, 0, int(ends[-1]) + 1)
            count[0] += len(ends)
            rows[0, 0] = count[0] - 1
            snapshot_row(st, symbol, rows[0], px, qty)
            book_apply_batch(st, events, int(ends[-1]) + 1, n)
        else:
            book_apply_batch(st, events, 0, n)
    if not every and count[0]:
        out.write(csv.rows(rows[:1]))
    return int(count[0])


def warm_up() -> None:
    ev = np.zeros(2, dtype=EVENT_DTYPE)
    ev["kind"] = LEVEL
    ev["side"] = (BID, ASK)
    ev["px"] = (10, 11)
    ev["qty"] = 1
    ev["flags"] = EOM
    frozen = ev.copy()
    frozen.flags.writeable = False
    st = Book(1, window=8, capacity=4).state
    rows = np.zeros((1, 5), np.int64)
    px = np.zeros(1, np.int64)
    for events in (ev, frozen):  # writable arrays, and read-only tick-file views
        replay_rows(st, events, 0, 2, 0, 1, np.zeros(1, np.int64), rows, px, px.copy())
        last_message_end(events, 0, 2)  # the stream's cuts
        first_message_end(events, 0, 2)
    snapshot_row(st, 0, rows[0], px, px.copy())


COMPILE_ESTIMATE_S = 4
KERNELS = (snapshot_row, replay_rows, last_message_end, first_message_end)
