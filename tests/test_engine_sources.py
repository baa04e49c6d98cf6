"""Engine sources: tick-file replay cut on message boundaries, the sim venue source."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.events import EOM, EVENT_DTYPE
from hft_tui.feeds.replay import ReplaySource
from hft_tui.instrument import Instrument
from hft_tui.tickfile import TickWriter

BTC = Instrument("BTCUSDT", "0.01", "0.00001")


def messages(sizes: list[int]) -> np.ndarray:
    n = sum(sizes)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["order_id"] = np.arange(n)
    ev["exch_ts"] = 1_000 + np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    ev["flags"][np.cumsum(sizes) - 1] = EOM
    return ev


def write(path, events, chunk_events=7):
    with TickWriter(path, BTC, chunk_events=chunk_events) as w:
        w.write(events)
    return str(path)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=40),
    max_events=st.integers(1, 50),
    batch=st.integers(4, 64),
    chunk=st.integers(1, 20),
)
def test_replay_batches_are_whole_messages_in_order(tmp_path_factory, sizes, max_events, batch, chunk):
    ev = messages(sizes)
    path = write(tmp_path_factory.mktemp("r") / "a.hft", ev, chunk)
    src = ReplaySource([path], batch_events=batch)
    src.start()
    got = []
    while (b := src.read(max_events, 0.0)) is not None:
        assert len(b) and b["flags"][-1] & EOM
        # at most max_events, unless the batch is one long message
        if len(b) > max_events:
            assert np.count_nonzero(b["flags"] & EOM) == 1
        got.append(np.array(b))
        assert 0 < src.progress <= 1
    assert src.read(max_events, 0.0) is None
    assert src.progress == 1.0
    assert np.array_equal(np.concatenate(got)["order_id"], ev["order_id"])
    src.stop()


def test_replay_seek_back_rewinds(tmp_path):
    ev = messages([3, 2, 4, 1])
    src = ReplaySource([write(tmp_path / "a.hft", ev)])
    src.start()
    first = np.array(src.read(5, 0.0))
    assert len(first) == 5 and src.position_ts == 1_001
    assert src.seek(1_003) is False  # ahead: play on
    assert src.seek(1_000) is True  # behind: from the start again
    assert src.events_read == 0
    again = np.array(src.read(5, 0.0))
    assert np.array_equal(again, first)
    src.stop()
    src.stop()  # twice is fine


def test_sim_source_stream_does_not_depend_on_batch_sizes():
    from hft_tui.feeds.sim_source import SimSource

    def drain(batch):
        src = SimSource(seed=9, max_events=20_000)
        parts = []
        while (b := src.read(batch, 0.0)) is not None:
            assert b["flags"][-1] & EOM
            parts.append(np.array(b))
        assert src.progress == 1.0
        return np.concatenate(parts)

    a, b = drain(4096), drain(333)
    assert len(a) >= 20_000 and np.array_equal(a, b)


def test_order_and_fill_log_lines_are_in_instrument_units():
    """The order log shows what the user trades in (0.001 @ 60003.71), not ticks and lots."""
    import re

    from hft_tui.config import load
    from hft_tui.engine.engine import Engine
    from hft_tui.feeds.sim_source import SimSource
    from hft_tui.strategies.loader import load_strategies

    cfg = load(use_user_file=False)
    engine = Engine(SimSource(seed=1, max_events=100_000), load_strategies(["mm"], cfg), cfg, mode="SIM")
    engine.want_snapshots(True)
    engine.run()
    texts = {line.category: line.text for line in engine.logs if line.category in ("order", "fill")}
    orders = [t.text for t in engine.logs if t.category == "order" and t.text.startswith(("new ", "replace "))]
    assert any(t.startswith("replace ") for t in orders)  # moved quotes are listed too
    for text in orders:
        assert re.fullmatch(r"(new post_only|replace) (buy|sell) 0\.\d{5} @ \d+\.\d\d #\d+", text), text
    assert re.fullmatch(r"(bought|sold) 0\.\d{5} @ \d+\.\d\d #\d+ \((maker|taker)\)", texts["fill"]), texts
