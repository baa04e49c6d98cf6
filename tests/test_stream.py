"""Several tick files as one stream: same-symbol concatenation, cross-symbol merge on messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.errors import HftError
from hft_tui.events import EOM, EVENT_DTYPE
from hft_tui.instrument import Instrument
from hft_tui.stream import EventStream, open_stream
from hft_tui.tickfile import TickReader, TickWriter

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
ETH = Instrument("ETHUSDT", "0.01", "0.0001")
SOL = Instrument("SOLUSDT", "0.001", "0.01")


def messages(sizes: list[int], times: list[int], tag: int, eom_at_end: bool = True) -> np.ndarray:
    """Events forming one message per size; order_id numbers events so order can be checked."""
    n = sum(sizes)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["order_id"] = tag * 1_000_000 + np.arange(n)
    ev["exch_ts"] = np.repeat(np.array(times, np.int64), np.array(sizes, np.int64))
    ev["px"] = tag
    ends = np.cumsum(sizes, dtype=np.int64) - 1
    ev["flags"][ends] = EOM
    if not eom_at_end and n:
        ev["flags"][-1] = 0
    return ev


def write(path, inst, events, chunk_events=7):
    with TickWriter(path, inst, chunk_events=chunk_events) as w:
        w.write(events)
    return path


def collect(stream) -> np.ndarray:
    batches = list(stream.batches())
    return np.concatenate(batches) if batches else np.empty(0, EVENT_DTYPE)


def reference_merge(sources: list[np.ndarray]) -> np.ndarray:
    """The specification: whole messages, ordered by (running-max start time, source), stable."""
    msgs = []
    for s, ev in enumerate(sources):
        if not len(ev):
            continue
        ends = list(np.flatnonzero(ev["flags"] & EOM))
        if not ends or ends[-1] != len(ev) - 1:
            ends.append(len(ev) - 1)
        start, key = 0, None
        for seq, end in enumerate(ends):
            t = int(ev["exch_ts"][start])
            key = t if key is None else max(key, t)
            part = ev[start : end + 1].copy()
            part["sym"] = s
            msgs.append((key, s, seq, part))
            start = end + 1
    msgs.sort(key=lambda m: m[:3])
    return np.concatenate([m[3] for m in msgs]) if msgs else np.empty(0, EVENT_DTYPE)


def assert_message_batches(batches, size):
    """Each batch ends a message (or its source), and holds at most size events
    unless it is one long message."""
    last_of_sym = {}
    for i, b in enumerate(batches):
        for sym in np.unique(b["sym"]):
            last_of_sym[int(sym)] = i, int(np.flatnonzero(b["sym"] == sym)[-1])
    source_ends = set(last_of_sym.values())
    for i, b in enumerate(batches):
        assert b["flags"][-1] & EOM or (i, len(b) - 1) in source_ends
        assert len(b) <= size or not (b["flags"][:-1] & EOM).any()


def test_single_file_yields_zero_copy_views_ending_on_messages(tmp_path):
    ev = messages([3] * 1000, list(range(1000)), tag=1)
    path = write(tmp_path / "a.hft", BTC, ev, chunk_events=1000)
    with open_stream([path], batch_events=400) as stream:
        assert stream.instruments == [BTC] and stream.n_events == 3000
        batches = list(stream)
        # Views into the read-only map, except the 2 messages split between chunks.
        assert sum(len(b) for b in batches if b.flags.writeable) == 2 * 3
        assert_message_batches(batches, 400)
        assert max(len(b) for b in batches) == 399
        assert np.concatenate(batches).tobytes() == ev.tobytes()
        assert stream.first_ts == 0 and stream.last_ts == 999 and stream.span_ns == 999


def test_small_chunks_are_gathered_into_batches(tmp_path):
    ev = messages([1] * 500, list(range(500)), tag=1)
    path = write(tmp_path / "a.hft", BTC, ev, chunk_events=10)
    with open_stream([path], batch_events=100) as stream:
        batches = list(stream)
    assert [len(b) for b in batches] == [100] * 5
    assert np.concatenate(batches).tobytes() == ev.tobytes()


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=80),
    chunk=st.sampled_from([1, 7, 50, 1000]),
    batch=st.sampled_from([1, 10, 64]),
    eom_at_end=st.booleans(),
)
def test_single_symbol_batches_end_on_messages(tmp_path_factory, sizes, chunk, batch, eom_at_end):
    ev = messages(sizes, list(range(len(sizes))), tag=1, eom_at_end=eom_at_end)
    path = write(tmp_path_factory.mktemp("s") / "a.hft", BTC, ev, chunk_events=chunk)
    with open_stream([path], batch_events=batch) as stream:
        batches = list(stream)
    assert np.concatenate(batches).tobytes() == ev.tobytes()
    assert_message_batches(batches, batch)


def test_hourly_files_play_in_time_order(tmp_path):
    hours = [messages([2] * 50, list(range(h * 100, h * 100 + 50)), tag=h) for h in range(3)]
    paths = [write(tmp_path / f"btc-{h}.hft", BTC, hours[h]) for h in range(3)]
    with open_stream([paths[2], paths[0], paths[1]], batch_events=64) as stream:
        assert stream.instruments == [BTC] and stream.warnings == []
        got = collect(stream)
    assert got.tobytes() == np.concatenate(hours).tobytes()


def test_overlapping_same_symbol_files_warn(tmp_path):
    a = write(tmp_path / "a.hft", BTC, messages([1] * 10, list(range(0, 100, 10)), tag=1))
    b = write(tmp_path / "b.hft", BTC, messages([1] * 10, list(range(5, 105, 10)), tag=2))
    with open_stream([a, b]) as stream:
        assert stream.warnings == [f"warning: {b}: starts before {a} ends; playing it after that file"]
        assert len(collect(stream)) == 20


def test_same_symbol_with_other_tick_size_is_an_error(tmp_path):
    a = write(tmp_path / "a.hft", BTC, messages([1], [0], tag=1))
    b = write(tmp_path / "b.hft", Instrument("BTCUSDT", "0.1", "0.00001"), messages([1], [1], tag=2))
    with pytest.raises(HftError, match=f"{b}: BTCUSDT has tick 0.1, lot 0.00001 but {a} has tick 0.01"):
        open_stream([a, b])


def test_two_symbols_merge_on_message_boundaries(tmp_path):
    btc = messages([3, 2, 4, 1], [10, 20, 20, 40], tag=1)
    eth = messages([2, 5, 1], [15, 20, 30], tag=2)
    a = write(tmp_path / "btc.hft", BTC, btc, chunk_events=2)
    b = write(tmp_path / "eth.hft", ETH, eth, chunk_events=3)
    with open_stream([a, b], batch_events=4) as stream:
        assert stream.instruments == [BTC, ETH]
        got = collect(stream)
    # time 20 ties: both BTC messages (first file) before ETH's.
    expected_tags = [1] * 3 + [2] * 2 + [1] * 2 + [1] * 4 + [2] * 5 + [2] + [1]
    assert list(got["px"]) == expected_tags
    assert list(got["sym"]) == [t - 1 for t in expected_tags]
    assert got.tobytes() == reference_merge([btc, eth]).tobytes()


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n_sources=st.integers(2, 3),
    batch=st.sampled_from([1, 5, 64, 1000]),
)
def test_merge_matches_reference(tmp_path_factory, data, n_sources, batch):
    tmp = tmp_path_factory.mktemp("merge")
    insts = [BTC, ETH, SOL][:n_sources]
    sources, paths = [], []
    for s, inst in enumerate(insts):
        n_msgs = data.draw(st.integers(0, 40))
        sizes = data.draw(st.lists(st.integers(1, 6), min_size=n_msgs, max_size=n_msgs))
        times = sorted(data.draw(st.lists(st.integers(0, 30), min_size=n_msgs, max_size=n_msgs)))
        n_files = data.draw(st.integers(1, 3)) if n_msgs else 1
        if n_files == 1 and n_msgs > 2 and data.draw(st.booleans()):  # a clock stepping back
            times[n_msgs // 2] -= 5
        ev = messages(sizes, times, tag=s + 1, eom_at_end=data.draw(st.booleans()))
        cuts = np.array_split(np.arange(n_msgs), n_files)
        pos = 0
        for f, part in enumerate(cuts):
            k = int(np.sum(np.array(sizes)[part])) if len(part) else 0
            chunk = data.draw(st.sampled_from([1, 4, 100]))
            paths.append(write(tmp / f"{inst.symbol}-{f}.hft", inst, ev[pos : pos + k], chunk))
            pos += k
        sources.append(ev)
    with open_stream(paths, batch_events=batch) as stream:
        batches = list(stream)
        assert stream.n_events == sum(len(e) for e in sources)
    assert_message_batches(batches, batch)
    got = np.concatenate(batches) if batches else np.empty(0, EVENT_DTYPE)
    assert got.tobytes() == reference_merge(sources).tobytes()


def test_merge_without_message_ends_is_cut_and_warned(tmp_path):
    btc = messages([1] * 50, list(range(50)), tag=1)
    btc["flags"] = 0
    eth = messages([1] * 50, list(range(50)), tag=2)
    a = write(tmp_path / "btc.hft", BTC, btc)
    b = write(tmp_path / "eth.hft", ETH, eth)
    stream = EventStream([TickReader(a), TickReader(b)], batch_events=8, max_message_events=16)
    got = collect(stream)
    assert len(got) == 100
    assert np.array_equal(got[got["sym"] == 0]["order_id"], btc["order_id"])
    assert stream.warnings == ["warning: BTCUSDT: no end-of-message flag within 16 events; cut there"]


def test_single_stream_without_message_ends_is_cut_and_warned(tmp_path):
    btc = messages([1] * 50, list(range(50)), tag=1)
    btc["flags"] = 0
    stream = EventStream([TickReader(write(tmp_path / "b.hft", BTC, btc))], max_message_events=20)
    assert [len(b) for b in stream] == [21, 21, 8]
    assert stream.warnings == ["warning: BTCUSDT: no end-of-message flag within 20 events; cut there"]


def test_stream_collects_file_warnings(tmp_path):
    a = write(tmp_path / "a.hft", BTC, messages([1] * 20, list(range(20)), tag=1), chunk_events=5)
    data = a.read_bytes()
    a.write_bytes(data[:-3])
    b = write(tmp_path / "b.hft", ETH, messages([1] * 5, list(range(5)), tag=2))
    with open_stream([a, b]) as stream:
        assert len(stream.warnings) == 1 and "last chunk truncated" in stream.warnings[0]
        assert stream.n_events == 20
        assert len(collect(stream)) == 20


def test_open_stream_errors_name_the_file(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n" * 100)
    good = write(tmp_path / "a.hft", BTC, messages([1], [0], tag=1))
    with pytest.raises(HftError, match="x.csv: not a tick file"):
        open_stream([good, bad])
    with pytest.raises(HftError, match="no tick files"):
        open_stream([])
