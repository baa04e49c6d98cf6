"""The book benchmark area on tiny sizes: declared figures, sane values, no files left."""

from __future__ import annotations

import tempfile

import numpy as np

from hft_tui.bench import book as bench_book
from hft_tui.events import ASK, BID, EOM, LEVEL


def test_measure_small(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    figures = bench_book.measure(20_000, 2_000)
    assert set(figures) | {"jit_compile_s"} == set(bench_book.FIGURES)
    assert all(v > 0 for v in figures.values())
    assert figures["book_speedup_vs_reference"] > 1
    assert list(tmp_path.iterdir()) == [], "benchmark data left behind"


def test_l2_stream_looks_like_depth_diffs():
    ev = bench_book.l2_events(100_000)
    assert np.mean(ev["kind"] == LEVEL) > 0.8
    bids, asks = ev["px"][ev["side"] == BID], ev["px"][ev["side"] == ASK]
    assert np.median(asks) - np.median(bids) < 200  # both sides near one mid
    assert np.ptp(ev["px"]) < 5_000
    assert ev["flags"][-1] & EOM and 0.05 < np.mean(ev["flags"] & EOM) < 0.2
