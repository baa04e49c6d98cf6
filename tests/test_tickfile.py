"""Tick files: round trips, truncation at every byte, corruption, resync, bad headers, append."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.errors import TickFileError
from hft_tui.events import EOM, EVENT_DTYPE, LEVEL
from hft_tui.instrument import Instrument
from hft_tui.tickfile import (
    CHUNK_HEADER_SIZE,
    HEADER_SIZE,
    RECORD_SIZE,
    TickReader,
    TickWriter,
)

BTC = Instrument("BTCUSDT", "0.01", "0.00001")


def random_events(n: int, seed: int = 0, t0: int = 1_700_000_000_000_000_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["exch_ts"] = t0 + np.cumsum(rng.integers(0, 1000, n))
    ev["local_ts"] = ev["exch_ts"] + rng.integers(0, 5000, n)
    ev["px"] = rng.integers(6_000_000, 6_001_000, n)
    ev["qty"] = rng.integers(0, 10_000, n)
    ev["order_id"] = rng.integers(0, 2**62, n)
    ev["kind"] = LEVEL
    ev["side"] = rng.choice([-1, 1], n)
    ev["flags"] = np.where(rng.random(n) < 0.3, EOM, 0)
    ev["aux"] = rng.integers(0, 2**16, n)
    return ev


def write_file(path, events, chunk_events=5, **kw) -> None:
    with TickWriter(path, BTC, chunk_events=chunk_events, **kw) as w:
        w.write(events)


def read(path) -> tuple[np.ndarray, list[str]]:
    with TickReader(path) as r:
        return r.read_all(), list(r.warnings)


def chunk_bounds(path) -> list[tuple[int, int]]:
    with TickReader(path) as r:
        return [(c.offset, c.offset + CHUNK_HEADER_SIZE + c.count * RECORD_SIZE) for c in r.chunks]


# --- round trips ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 700),
    chunk_events=st.sampled_from([1, 3, 64, 256, 65536]),
    cuts=st.lists(st.integers(0, 700), max_size=6),
    flush_between=st.booleans(),
)
def test_round_trip(tmp_path_factory, n, chunk_events, cuts, flush_between):
    path = tmp_path_factory.mktemp("rt") / "a.hft"
    ev = random_events(n, seed=n)
    bounds = sorted({0, n, *(c for c in cuts if c <= n)})
    with TickWriter(path, BTC, chunk_events=chunk_events, created_ns=123) as w:
        for a, b in zip(bounds, bounds[1:]):
            w.write(ev[a:b])
            if flush_between:
                w.flush()
    with TickReader(path) as r:
        assert r.instrument == BTC and r.created_ns == 123 and r.warnings == []
        assert r.n_events == n
        assert all(0 < c.count <= chunk_events and c.offset % 16 == 0 for c in r.chunks)
        got = r.read_all()
        assert got.tobytes() == ev.tobytes()
        assert r.first_ts == (int(ev["exch_ts"][0]) if n else None)
        assert r.last_ts == (int(ev["exch_ts"][-1]) if n else None)
        if not flush_between:
            assert len(r.chunks) == -(-n // chunk_events)


def test_partial_chunk_flush_and_file_layout(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(10)
    with TickWriter(path, BTC, chunk_events=4) as w:
        w.write(ev[:6])  # one full chunk written, 2 buffered
        assert [c.count for c in TickReader(path).chunks] == [4]
        w.flush()
        assert [c.count for c in TickReader(path).chunks] == [4, 2]
        w.write(ev[6:])
    assert [c.count for c in TickReader(path).chunks] == [4, 2, 4]
    expected = HEADER_SIZE + 3 * CHUNK_HEADER_SIZE + 10 * RECORD_SIZE
    assert os.path.getsize(path) == expected


def test_non_contiguous_input(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(101)
    write_file(path, ev[::2], chunk_events=8)
    assert read(path)[0].tobytes() == ev[::2].copy().tobytes()
    with pytest.raises(TypeError, match="EVENT_DTYPE"), TickWriter(tmp_path / "b.hft", BTC) as w:
        w.write(np.zeros(3, dtype=np.int64))


def test_writer_zeroes_sym_and_flushes_on_exception(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(7)
    ev["sym"] = 3
    with pytest.raises(RuntimeError), TickWriter(path, BTC, chunk_events=100) as w:
        w.write(ev)
        raise RuntimeError("boom")
    got, warnings = read(path)
    assert warnings == [] and len(got) == 7 and (got["sym"] == 0).all()


def test_chunks_are_read_only_views(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(50), chunk_events=20)
    with TickReader(path) as r:
        arrays = list(r.iter_chunks())
        assert [len(a) for a in arrays] == [20, 20, 10]
        assert all(not a.flags.writeable and not a.flags.owndata for a in arrays)
        assert arrays[1]["px"][0] == r.read_all()["px"][20]


def test_rewriting_a_file_leaves_open_readers_intact(tmp_path):
    # Run apart: if the writer truncated the mapped file, reading it would be a SIGBUS.
    code = f"""
import numpy as np
from tests.test_tickfile import BTC, random_events, write_file
from hft_tui.tickfile import TickReader
path = {str(tmp_path / "a.hft")!r}
write_file(path, random_events(5000, seed=1), chunk_events=1000)
reader = TickReader(path)
write_file(path, random_events(10, seed=2))
assert sum(int(c["px"].sum()) for c in reader.iter_chunks()) == int(random_events(5000, seed=1)["px"].sum())
assert TickReader(path).n_events == 10
"""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_empty_file_is_valid(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(0))
    with TickReader(path) as r:
        assert r.n_events == 0 and r.chunks == () and r.first_ts is None and r.warnings == []


# --- damaged tails -------------------------------------------------------------------


def test_cut_at_every_byte_of_last_chunk(tmp_path):
    src = tmp_path / "src.hft"
    ev = random_events(15)
    write_file(src, ev, chunk_events=5)
    data = src.read_bytes()
    start, end = chunk_bounds(src)[-1]
    path = tmp_path / "cut.hft"
    for cut in range(start, end):
        path.write_bytes(data[:cut])
        got, warnings = read(path)
        assert got.tobytes() == ev[:10].tobytes(), cut
        if cut == start:
            assert warnings == []  # a clean chunk boundary: nothing is damaged
        else:
            assert warnings == [
                f"warning: {path}: last chunk truncated at byte {start}; "
                "replaying 10 events before it"
            ], cut


def test_warning_counts_use_thousands_separators(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(1_234_001), chunk_events=1_234_000)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) - 1)
    _, warnings = read(path)
    assert re.fullmatch(
        rf"warning: {re.escape(str(path))}: last chunk truncated at byte \d+; "
        r"replaying 1,234,000 events before it",
        warnings[0],
    )


def test_corrupt_last_chunk(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(15)
    write_file(path, ev, chunk_events=5)
    start, end = chunk_bounds(path)[-1]
    data = bytearray(path.read_bytes())
    data[end - 1] ^= 0x40
    path.write_bytes(data)
    got, warnings = read(path)
    assert got.tobytes() == ev[:10].tobytes()
    assert warnings == [
        f"warning: {path}: last chunk corrupt at byte {start}; replaying 10 events before it"
    ]


def test_zero_filled_tail_after_crash(tmp_path):
    # Some file systems leave zeros where unflushed data should have been.
    path = tmp_path / "a.hft"
    ev = random_events(10)
    write_file(path, ev, chunk_events=5)
    end = os.path.getsize(path)
    with open(path, "ab") as fh:
        fh.write(b"\0" * 1000)
    got, warnings = read(path)
    assert got.tobytes() == ev.tobytes()
    assert warnings == [f"warning: {path}: last chunk corrupt at byte {end}; replaying 10 events before it"]


# --- damage in the middle ----------------------------------------------------------------


def test_flipped_record_byte_in_middle_chunk_is_skipped(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(20)
    write_file(path, ev, chunk_events=5)
    bounds = chunk_bounds(path)
    start, end = bounds[1]
    data = bytearray(path.read_bytes())
    data[start + CHUNK_HEADER_SIZE + 100] ^= 0x01
    path.write_bytes(data)
    got, warnings = read(path)
    assert got.tobytes() == np.concatenate([ev[:5], ev[10:]]).tobytes()
    assert warnings == [
        f"warning: {path}: corrupt chunk at byte {start} (checksum mismatch); "
        f"skipped 5 events, resuming at byte {end}"
    ]


@pytest.mark.parametrize("field_offset", [0, 3, 4, 6, 12])  # magic, count, reserved
def test_garbled_middle_chunk_header_resynchronises(tmp_path, field_offset):
    path = tmp_path / "a.hft"
    ev = random_events(20)
    write_file(path, ev, chunk_events=5)
    start, end = chunk_bounds(path)[2]
    data = bytearray(path.read_bytes())
    data[start + field_offset] ^= 0x10
    path.write_bytes(data)
    got, warnings = read(path)
    assert got.tobytes() == np.concatenate([ev[:10], ev[15:]]).tobytes()
    assert len(warnings) == 1 and f"at byte {start}" in warnings[0]
    assert warnings[0].endswith(f"resuming at byte {end}")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_single_flip_loses_only_its_chunk(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("flip") / "a.hft"
    ev = random_events(23, seed=5)
    write_file(path, ev, chunk_events=4)
    bounds = chunk_bounds(path)
    raw = bytearray(path.read_bytes())
    at = data.draw(st.integers(HEADER_SIZE, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    path.write_bytes(raw)
    hit = next(i for i, (a, b) in enumerate(bounds) if a <= at < b)
    got, warnings = read(path)
    keep = [ev[4 * i : 4 * i + 4] for i in range(len(bounds)) if i != hit]
    assert got.tobytes() == np.concatenate(keep).tobytes()
    assert len(warnings) == 1 and f"at byte {bounds[hit][0]}" in warnings[0]


# --- bad headers -------------------------------------------------------------------------


def _patched_header(path, offset, fmt, value, fix_crc=True) -> None:
    raw = bytearray(path.read_bytes())
    struct.pack_into(fmt, raw, offset, value)
    if fix_crc:
        struct.pack_into("<I", raw, HEADER_SIZE - 4, zlib.crc32(raw[: HEADER_SIZE - 4]))
    path.write_bytes(raw)


def test_not_a_tick_file(tmp_path):
    for name, content in [("empty.hft", b""), ("short.txt", b"hello"), ("big.csv", b"a,b\n" * 200)]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(TickFileError, match=re.escape(f"{path}: not a tick file")):
            TickReader(path)
    with pytest.raises(TickFileError, match="no such file"):
        TickReader(tmp_path / "missing.hft")
    with pytest.raises(TickFileError, match="is a directory"):
        TickReader(tmp_path)


def test_truncated_header(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(TickFileError, match=re.escape(f"{path}: tick file header truncated")):
        TickReader(path)


def test_newer_version(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    _patched_header(path, 8, "<I", 2, fix_crc=False)
    with pytest.raises(TickFileError, match=re.escape(f"{path}: tick file format version 2 is newer")):
        TickReader(path)


def test_wrong_record_size(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    _patched_header(path, 16, "<I", 40)
    with pytest.raises(TickFileError, match=re.escape(f"{path}: header size 256 / record size 40")):
        TickReader(path)


def test_header_with_bad_crc(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    _patched_header(path, 32, "<4s", b"ETHU", fix_crc=False)
    with pytest.raises(TickFileError, match=re.escape(f"{path}: corrupt tick file header")):
        TickReader(path)


def test_bad_instrument_in_header(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    _patched_header(path, 64, "<32s", b"zero")
    with pytest.raises(TickFileError, match="bad instrument in header"):
        TickReader(path)


# --- append ------------------------------------------------------------------------------


def test_append_to_clean_file(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(30)
    write_file(path, ev[:12], chunk_events=5, created_ns=77)
    with TickWriter.append(path, BTC, chunk_events=5) as w:
        assert w.warnings == []
        w.write(ev[12:])
    with TickReader(path) as r:
        assert r.created_ns == 77 and r.warnings == []
        assert [c.count for c in r.chunks] == [5, 5, 2, 5, 5, 5, 3]
        assert r.read_all().tobytes() == ev.tobytes()


def test_append_after_truncation_cuts_the_damaged_tail(tmp_path):
    path = tmp_path / "a.hft"
    ev = random_events(30)
    write_file(path, ev[:15], chunk_events=5)
    start, _ = chunk_bounds(path)[-1]
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(size - 7)
    with TickWriter.append(path) as w:
        assert w.warnings == [
            f"warning: {path}: cut {size - 7 - start:,} bytes of a damaged last chunk "
            f"at byte {start} before appending"
        ]
        w.write(ev[10:])
    got, warnings = read(path)
    assert warnings == [] and got.tobytes() == ev.tobytes()


def test_append_refuses_other_instrument_and_non_tick_files(tmp_path):
    path = tmp_path / "a.hft"
    write_file(path, random_events(3))
    with pytest.raises(TickFileError, match="holds BTCUSDT .* cannot append ETHUSDT"):
        TickWriter.append(path, Instrument("ETHUSDT", "0.01", "0.0001"))
    other = tmp_path / "b.txt"
    other.write_bytes(b"x" * 1000)
    with pytest.raises(TickFileError, match="not a tick file"):
        TickWriter.append(other)
    assert other.read_bytes() == b"x" * 1000


def test_the_checksum_is_zlibs_crc32_whichever_library_computes_it():
    """Files written where zlib-ng is missing read where it is present, and back."""
    import random
    import zlib

    from hft_tui.tickformat import crc32

    rng = random.Random(7)
    for n in (0, 1, 15, 4096, 100_003):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        assert crc32(data) == zlib.crc32(data)
        assert crc32(memoryview(data)[n // 3 :]) == zlib.crc32(data[n // 3 :])


def test_writing_through_a_link_replaces_the_file_it_names(tmp_path):
    from hft_tui.feeds.sim_source import SimSource

    ins = SimSource(seed=1).instruments[0]
    real = tmp_path / "real.hft"
    link = tmp_path / "link.hft"
    with TickWriter(real, ins) as w:
        w.write(SimSource(seed=1, max_events=100).read(100))
    link.symlink_to(real)
    inode = real.stat().st_ino
    with TickReader(real):  # a replay holds the old file (and its inode number)
        with TickWriter(link, ins) as w:
            w.write(SimSource(seed=2, max_events=50).read(50))
    # a new file where the link points (a replay mapping the old one is not cut short)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.stat().st_ino != inode
    with TickReader(link) as r:
        assert 50 <= r.n_events < 100
