"""The markout mid grid, which the runner records without stopping: each row is the
book as it stood at the grid time, whatever the batches and however full the
runner's row buffer gets."""

from __future__ import annotations

import numpy as np
import pytest
from enginekit import ArraySource, Recorder, config, l2_walk, spec

from hft_tui.book import Book
from hft_tui.engine import exchange_link
from hft_tui.engine.engine import Engine
from hft_tui.events import EOM

FEED_LATENCY = 1_000_000  # [exchange] feed_latency_ns default; the events carry no local_ts
MID_NS = 20_000_000


def reference(events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grid times, mids): at each grid time before the last message, the mid after every
    message seen (feed time) strictly before it."""
    ends = np.flatnonzero(events["flags"] & EOM) + 1
    feed = events["exch_ts"][ends - 1] + FEED_LATENCY
    first = int(events["exch_ts"][0]) + FEED_LATENCY
    g = first - first % MID_NS + MID_NS
    book = Book(1, window=1 << 12, capacity=1 << 12)
    ts, mids, start, m = [], [], 0, 0
    while g <= feed[-1]:
        while m < len(ends) and feed[m] < g:
            book.apply(events[start : ends[m]])
            start = ends[m]
            m += 1
        b, a = book.best_bid(), book.best_ask()
        ts.append(g)
        mids.append(np.nan if b is None or a is None else (b[0] + a[0]) * 0.5)
        g += MID_NS
    return np.array(ts, np.int64), np.array(mids)


@pytest.mark.parametrize("batch, rows", [(16384, 256), (37, 256), (500, 2), (16384, 1)])
def test_mid_rows_hold_the_book_at_each_grid_time(monkeypatch, batch, rows):
    monkeypatch.setattr(exchange_link, "GRID_ROWS", rows)  # a full buffer: the engine stops instead
    ev = l2_walk(600, seed=41, gap_ns=7_000_000)
    cfg = config(markout_ms=MID_NS / 1e6)
    engine = Engine(ArraySource(ev, batch=batch), [spec(Recorder, "r", ticks=3, timer=45.0)], cfg)
    engine.run()
    ts, mid = engine.sampler.mids_rec.series()[0]
    want_ts, want_mid = reference(ev)
    assert len(want_ts) > 100
    assert ts.tolist() == want_ts.tolist()
    assert mid.tolist() == want_mid.tolist()


def test_the_grid_costs_no_runner_stop():
    ev = l2_walk(600, seed=42, gap_ns=7_000_000)
    engine = Engine(ArraySource(ev, batch=16384), [], config(markout_ms=MID_NS / 1e6, sample_ms=1e6))
    engine.run()
    assert engine.sampler.mids_rec.rows > 100
    assert engine.stops < 10
