"""The binance-raw importer: a raw recording converts to exactly the events the live feed gave."""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import re
import time

import numpy as np
import pytest
from fake_binance import FakeBinance
from fake_binance_market import FakeMarket
from hypothesis import given, settings
from hypothesis import strategies as st
from fake_binance_book import BookChecker
from test_binance_feed import config

from hft_tui.errors import HftError
from hft_tui.events import EOM, EVENT_DTYPE, TRADE
from hft_tui.feeds.binance_decode import snapshot_message
from hft_tui.feeds.binance_raw import RawStats, _Converter, convert_binance_raw, raw_events
from hft_tui.feeds.binance_rawio import read_lines
from hft_tui.feeds.binance_source import BinanceSource
from hft_tui.instrument import Instrument
from hft_tui.recorder import Recorder
from hft_tui.tickfile import TickReader

BTC = Instrument("BTCUSDT", "0.01", "0.00001")


def record_session(tmp_path, futures=False, faults=True):
    """A live session with faults, recorded (tick files + raw); returns the recorder."""
    fake = FakeBinance(interval=None, futures=futures, seed=5).start()
    source = BinanceSource(config(fake))
    rec = Recorder(tmp_path, source.instruments, raw=True, label="test")
    source.set_raw_sink(rec.write_raw)
    try:
        source.start()
        chk = BookChecker(source, fake)

        def pump(timeout=0.02):
            ev = source.read(1 << 16, timeout)
            rec.write(ev)
            rec.poll()

        chk.pump = pump  # the recorder takes the events instead of the checker
        steps = [None, "skip", None, "duplicate", "out_of_order", "malformed", "drop", None]
        for fault in steps if faults else [None] * 4:
            if fault == "malformed":
                fake.malformed()
            elif fault == "drop":
                fake.drop()
                fake.step(2)
                fake.wait_connections(2)
            elif fault:
                getattr(fake, fault)("BTCUSDT")
            for _ in range(5):
                fake.step()
                pump(0.05)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (any(source.stale_mask()) or source.health()["queue"]):
            fake.step()
            pump(0.1)
        pump(0.3)
    finally:
        source.stop()
        fake.stop()
    rec.write(source.read(1 << 20, 0))
    rec.close()
    return rec, source.health()


def recorded(tmp_path, symbol):
    return np.concatenate([TickReader(p).read_all() for p in sorted((tmp_path / symbol).glob("*.hft"))])


@pytest.mark.parametrize("futures", [False, True])
def test_raw_recording_converts_to_the_live_events_exactly(tmp_path, futures):
    rec, health = record_session(tmp_path, futures)
    assert health["resyncs"] >= 2 and health["parse_errors"] == 2 and health["reconnects"] == 1
    raw = sorted((tmp_path / "raw").glob("*.jsonl.gz"))
    for symbol in ("BTCUSDT", "ETHUSDT"):
        out = tmp_path / f"{symbol}.hft"
        stats = convert_binance_raw(raw, out, symbol=symbol, skip_bad=True)
        got = TickReader(out).read_all()
        want = recorded(tmp_path, symbol)
        assert len(got) > 100 and np.array_equal(got, want)  # bit for bit, timestamps included
        assert stats.bad == (2 if symbol == "BTCUSDT" else 1) and stats.truncated == []  # a cut diff of BTCUSDT
        assert set(stats.other_symbols) == {"BTCUSDT", "ETHUSDT"} - {symbol}
    assert stats.resyncs == 1  # ETHUSDT: the drop only


def test_bad_lines_stop_with_file_and_line_unless_skipped(tmp_path):
    path = tmp_path / "r.jsonl"
    good = b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"1.00","q":"1","T":2,"m":false}}'
    path.write_bytes(b"1 %s\nnot-a-number %s\n3 {broken\n\n4 %s\n" % (good, good, good))
    with pytest.raises(HftError, match=r"r\.jsonl:2: no <ns> timestamp"):
        convert_binance_raw([path], tmp_path / "o.hft", tick_size="0.01", lot_size="1")
    assert TickReader(tmp_path / "o.hft").n_events == 1  # the line before the bad one is kept
    stats = convert_binance_raw([path], tmp_path / "o2.hft", tick_size="0.01", lot_size="1", skip_bad=True)
    ev = TickReader(tmp_path / "o2.hft").read_all()
    assert stats.bad == 2 and stats.first_bad[1].endswith("r.jsonl:3: message without a stream name: '{broken'")
    assert ev[["kind", "order_id", "local_ts", "px"]].tolist() == [(TRADE, 7, 1, 100), (TRADE, 7, 4, 100)]


def test_truncated_gzip_reads_to_the_last_flush(tmp_path):
    lines = [b'%d {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":%d,"p":"1.00","q":"1","T":2,"m":true}}' % (i, i) for i in range(2000)]
    path = tmp_path / "cut.jsonl.gz"
    with open(path, "wb") as fh:
        gz = gzip.GzipFile(fileobj=fh, mode="wb")
        gz.write(b"\n".join(lines[:1500]) + b"\n")
        gz.flush()  # what the recorder does every second
        gz.write(b"\n".join(lines[1500:]) + b"\n")
        gz.fileobj = None  # a killed process: no final flush, no trailer
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5])
    stats = RawStats()
    inst = Instrument("BTCUSDT", "0.01", "1")
    ev = np.concatenate(list(raw_events([str(path)], inst, stats=stats)))
    assert len(ev) >= 1500 and ev["order_id"].tolist() == list(range(len(ev)))
    assert stats.truncated and "ends early" in stats.truncated[0]


def test_plain_multi_member_and_sidecar(tmp_path):
    a = b'5 {"stream":"ethusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"ETHUSDT","a":9,"p":"2.5","q":"0.5","f":1,"l":2,"T":3,"m":true}}\n'
    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(a) + gzip.compress(a))
    (tmp_path / "symbols.json").write_text('{"ETHUSDT": {"tick_size": "0.5", "lot_size": "0.25"}}')
    convert_binance_raw([path], tmp_path / "o.hft")
    r = TickReader(tmp_path / "o.hft")
    assert r.instrument.symbol == "ETHUSDT" and r.instrument.tick_size == "0.5"
    assert r.read_all()[["px", "qty", "side", "flags"]].tolist() == [(5, 2, -1, EOM)] * 2
    assert list(read_lines(path)) == [a.strip()] * 2
    (tmp_path / "symbols.json").unlink()
    with pytest.raises(HftError, match="tick and lot size of ETHUSDT unknown"):
        convert_binance_raw([path], tmp_path / "o3.hft")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), futures=st.booleans())
def test_fast_importer_equals_the_live_decoder_line_by_line(tmp_path_factory, seed, futures):
    """The importer's batch path (``scan_lines`` + ``apply_rows``) against ``FeedDecoder.feed``
    on every line, as the live client runs it: same events, bit for bit."""
    market = FakeMarket(("BTCUSDT", "ETHUSDT"), futures=futures, seed=seed)
    rng = random.Random(seed)
    lines = []
    for step in range(120):
        now = 1_700_000_000_000 + step
        for name in ("BTCUSDT", "ETHUSDT"):
            depth = market.diff(name, now, cross=rng.random() < 0.02)
            if rng.random() < 0.05:  # a snapshot newer than the stream: it holds this diff already
                body = json.dumps(market.snapshot(name, 1000)).encode()
                lines.append(snapshot_message(name, body))
            r = rng.random()
            if r > 0.05:  # else lost
                lines.append(depth.encode())
            if r > 0.95:
                lines.append(depth.encode())  # duplicate
            ticker = market.ticker(name, now)
            if ticker:
                lines.append(ticker.encode())
            if rng.random() < 0.3:
                lines += [m.encode() for _, m in market.trade(name, now)]
            if rng.random() < 0.12:  # a snapshot, now or from a little while ago
                fs = market.syms[name]
                at = rng.choice(list(fs.order)[-4:])
                body = json.dumps(market.snapshot(name, 1000, at=at)).encode()
                lines.append(snapshot_message(name, body))
        if rng.random() < 0.05:
            lines.append(b'{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,')
    path = tmp_path_factory.mktemp("raw") / "r.jsonl"
    path.write_bytes(b"".join(b"%d %s\n" % (1000 + i, m) for i, m in enumerate(lines)))
    inst = Instrument("BTCUSDT", "0.01", "0.00001")
    fast = np.concatenate(list(raw_events([str(path)], inst, skip_bad=True)) or [np.zeros(0, EVENT_DTYPE)])
    ref = _Converter(inst, RawStats(), skip_bad=True)  # its decoder, fed message by message
    for i, m in enumerate(lines):
        ref.dec.feed(m, 1000 + i)
    slow = ref.runs.take()
    assert len(fast) > 100 and np.array_equal(fast, slow)


def test_convert_command_reads_binance_raw(tmp_path, monkeypatch, capsys):
    from hft_tui import cli

    monkeypatch.setattr(cli, "COMMANDS", {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v)})
    good = b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"1.00","q":"1","T":2,"m":false}}'
    other = b'{"stream":"ethusdt@trade","data":{"e":"trade","E":1,"s":"ETHUSDT","t":8,"p":"1.00","q":"1","T":2,"m":false}}'
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(b"1 %s\n2 %s\n3 garbage\n4 %s\n" % (good, other, good)))
    base = ["convert", "-f", "binance-raw", str(path), "--tick-size", "0.01", "--lot-size", "1"]
    assert cli.main(base + ["-o", str(tmp_path / "a.hft")]) == 2
    assert "r.jsonl.gz:3: message without a stream name" in capsys.readouterr().err
    assert cli.main(base + ["-o", str(tmp_path / "b.hft"), "--skip-bad"]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 bad row" in err and "ETHUSDT (1 line)" in err
    assert TickReader(tmp_path / "b.hft").read_all()["local_ts"].tolist() == [1, 4]


def test_corrupt_gzip_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    from hft_tui import cli

    monkeypatch.setattr(cli, "COMMANDS", {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v)})
    line = b'%d {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":%d,"p":"1.00","q":"1","T":2,"m":true}}\n'
    data = bytearray(gzip.compress(b"".join(line % (i, i) for i in range(200)), mtime=0))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "x.gz"
    path.write_bytes(bytes(data))
    argv = ["convert", "-f", "binance-raw", str(path), "-o", str(tmp_path / "o.hft"), "--tick-size", "0.01", "--lot-size", "1"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}: cannot decompress: Error -3 while decompressing data")


@pytest.mark.parametrize("symbol", [None, "BTCUSDT"])
@pytest.mark.parametrize("data", [b"", b"\n  \n", gzip.compress(b"")], ids=["empty", "blank", "gzip"])
def test_empty_input_is_an_error_like_other_formats(tmp_path, symbol, data):
    good = b'1 {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"1.00","q":"1","T":2,"m":false}}\n'
    (tmp_path / "a.jsonl").write_bytes(good)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(data)
    with pytest.raises(HftError, match=f"^{re.escape(str(empty))}: empty file$"):
        convert_binance_raw([empty], tmp_path / "o.hft", symbol=symbol, tick_size="0.01", lot_size="1")
    with pytest.raises(HftError, match=f"^{re.escape(str(empty))}: empty file$"):
        convert_binance_raw([tmp_path / "a.jsonl", empty], tmp_path / "o2.hft", tick_size="0.01", lot_size="1")
    assert TickReader(tmp_path / "o2.hft").n_events == 1  # the input before it is converted
