"""The recorder: rotation with self-contained files, flushing, and surviving kill -9."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from fake_binance import FakeBinance

from hft_tui import cli
from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, CLEAR, EOM, EVENT_DTYPE, LEVEL, SNAPSHOT, TRADE
from hft_tui.feeds.binance_raw import read_lines
from hft_tui.instrument import Instrument
from hft_tui.recorder import Recorder
from hft_tui.reference import ReferenceBook
from hft_tui.tickfile import TickReader

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
ETH = Instrument("ETHUSDT", "0.01", "0.00001")
HOUR = 3600 * 10**9


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def levels(sym, changes, u, t):
    ev = np.zeros(len(changes), EVENT_DTYPE)
    for i, (side, px, qty) in enumerate(changes):
        ev[i] = (t, t, px, qty, u, LEVEL, side, 0, sym, 0)
    ev["flags"][-1] = EOM
    return ev


def replay(events, n=1):
    book = ReferenceBook(n)
    book.apply(events)
    return [
        tuple(dict(zip(*(a.tolist() for a in book.depth(s, side, 1000)))) for side in (BID, ASK))
        for s in range(n)
    ]


def test_hourly_rotation_files_replay_on_their_own(tmp_path):
    t0 = 1_700_000_000 * 10**9  # 22:13:20 UTC
    clock = Clock(t0)
    rec = Recorder(tmp_path, [BTC, ETH], rotate_s=3600, clock=clock)
    msgs = []
    for k in range(30):
        clock.t = t0 + k * 5 * 60 * 10**9  # every 5 minutes: crosses two hour boundaries
        ev = np.concatenate(
            [levels(0, [(BID, 100 - k % 7, k + 1), (ASK, 105 + k % 3, k + 2)], k, clock.t),
             levels(1, [(BID, 50, k + 1)], k, clock.t)]
        )
        msgs.append(ev)
        rec.write(ev)
        rec.poll()
    rec.close()
    files = sorted((tmp_path / "BTCUSDT").glob("*.hft"))
    assert [f.name for f in files] == [
        "BTCUSDT-20231114T221320Z.hft", "BTCUSDT-20231114T230320Z.hft", "BTCUSDT-20231115T000320Z.hft"
    ]
    every = np.concatenate(msgs)
    want_btc = replay(every[every["sym"] == 0])[0]
    # each rotated file starts with the book image, so the last file alone gives the final book
    last = TickReader(files[-1]).read_all()
    assert last["kind"][0] == CLEAR and (last["flags"][: int(np.argmax(last["flags"] & EOM)) + 1] & SNAPSHOT).all()
    assert replay(last)[0] == want_btc
    # and the files in sequence replay to the same book (the images change nothing)
    assert replay(np.concatenate([TickReader(f).read_all() for f in files]))[0] == want_btc
    assert replay(np.concatenate([TickReader(f).read_all() for f in sorted((tmp_path / "ETHUSDT").glob("*.hft"))]))[0] == replay(every[every["sym"] == 1], 2)[1]


def test_size_rotation_and_flush_makes_data_readable(tmp_path):
    clock = Clock(1_700_000_000 * 10**9)
    rec = Recorder(tmp_path, [BTC], raw=True, rotate_bytes=48 * 100, flush_s=1.0, clock=clock)
    for k in range(50):
        rec.write(levels(0, [(BID, 100, k + 1), (ASK, 101, 1), (ASK, 102 + k, 3)], k, clock.t))
        rec.write_raw(clock.t, b'{"stream":"x","data":{}}')
    clock.t += 2 * 10**9
    rec.poll()  # flush due: everything so far is on disk, in checksummed chunks
    files = sorted((tmp_path / "BTCUSDT").glob("*.hft"))
    assert len(files) >= 2 and [f.name for f in files][1].endswith("Z_002.hft")
    assert sum(TickReader(f).n_events for f in files) >= 150
    raw = next((tmp_path / "raw").glob("*.jsonl.gz"))
    with pytest.raises(EOFError):  # not closed yet, but readable up to the flush
        got = []
        for line in read_lines(raw):
            got.append(line)
    assert len(got) == 50 and got[0].endswith(b' {"stream":"x","data":{}}')
    rec.close()
    assert len(list(read_lines(raw))) == 50
    assert (tmp_path / "raw" / "symbols.json").exists()


def _cli_command() -> list[str]:
    """`python -m hft_tui`, or the same CLI without commands not written yet on this branch."""
    if all(importlib.util.find_spec(m) for m in cli.COMMANDS.values()):
        return [sys.executable, "-m", "hft_tui"]
    code = (
        "import sys, importlib.util; from hft_tui import cli; "
        "cli.COMMANDS = {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v)}; "
        "sys.exit(cli.main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code]


def _start_recorder(fake, out, *extra):
    env = dict(os.environ, XDG_CACHE_HOME=str(out.parent / "cache"), PYTHONPATH=os.getcwd())
    cmd = _cli_command() + [
        "record", "--symbols", "BTCUSDT,ETHUSDT", "--ws-url", fake.ws_url, "--rest-url", fake.rest_url,
        "-o", str(out), "--raw", "-q", *extra,
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_data(out, proc, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        files = list(out.glob("*/*.hft"))
        try:
            if len(files) >= 2 and all(TickReader(f).n_events > 200 for f in files):
                return
        except HftError:
            pass  # a chunk being written right now
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.2)
    raise AssertionError("the recorder wrote nothing")


def test_kill_9_loses_at_most_the_last_second(tmp_path):
    out = tmp_path / "rec"
    with FakeBinance(interval=0.01, seed=11) as fake:
        proc = _start_recorder(fake, out)
        try:
            _wait_for_data(out, proc)
            time.sleep(1.5)
            killed_at = time.time_ns()
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        files = sorted(out.glob("*/*.hft"))
        # every file is readable: whole (`hft-tui info` exits 0), or at worst its last
        # chunk was cut by the kill in the middle of a write (exit 1, that warning only)
        info = subprocess.run(_cli_command() + ["info", *map(str, files)], capture_output=True,
                              env=dict(os.environ, PYTHONPATH=os.getcwd()))
        problems = info.stderr.decode().splitlines()
        assert info.returncode == (1 if problems else 0), problems
        assert all("last chunk truncated" in line for line in problems), problems
        for f in files:
            ev = TickReader(f).read_all()
            symbol = f.parent.name
            # lost at most the last second (plus the time a flush takes)
            assert (killed_at - int(ev["local_ts"][-1])) / 1e9 < 1.5
            # what was recorded is exactly what the server sent: every book, every trade
            book = ReferenceBook(1)
            start = checked = 0
            trades = []
            for end in (np.flatnonzero(ev["flags"] & EOM) + 1).tolist():
                msg = ev[start:end]
                start = end
                if msg["kind"][-1] == TRADE:
                    trades.append((int(msg["order_id"][0]), int(msg["px"][0]), int(msg["qty"][0])))
                    continue
                book.apply(msg)
                if msg["kind"][-1] == LEVEL:
                    truth = fake.true_book(symbol, int(msg["order_id"][-1]))
                    got = tuple(dict(zip(*(a.tolist() for a in book.depth(0, s, 1000)))) for s in (BID, ASK))
                    assert got == truth
                    checked += 1
            assert checked > 50
            sent = [(t, px, q) for t, px, q, _ in fake.trades[symbol]]
            first = sent.index(trades[0])
            assert trades == sent[first : first + len(trades)]
        raw = next(out.glob("raw/*.jsonl.gz"))
        lines = []
        with pytest.raises(EOFError):  # no gzip trailer after SIGKILL, data up to the last flush
            for line in read_lines(raw):
                lines.append(line)
        assert len(lines) > 100 and (killed_at - int(lines[-1].split(b" ", 1)[0])) / 1e9 < 1.5


def test_sigterm_stops_cleanly_after_flushing(tmp_path):
    out = tmp_path / "rec"
    with FakeBinance(interval=0.01, seed=12) as fake:
        proc = _start_recorder(fake, out)
        try:
            _wait_for_data(out, proc)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    raw = next(out.glob("raw/*.jsonl.gz"))
    assert len(list(read_lines(raw))) > 100  # complete gzip stream: no EOFError
    for f in out.glob("*/*.hft"):
        assert TickReader(f).warnings == []


@pytest.fixture
def present_commands(monkeypatch):
    # other commands are written on other branches: build the parser from those that exist
    present = {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v) is not None}
    monkeypatch.setattr(cli, "COMMANDS", present)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--symbols", "NOPEUSDT"], "error: unknown symbol NOPEUSDT on Binance spot"),
        (["--set", "live.depth_ms=7"], "error: config (command line): live.depth_ms must be one of 100, 1000 on spot"),
        (["--market", "usdm", "--set", "live.snapshot_limit=5000"], "error: config: live.snapshot_limit must be 5..1000"),
        (["--duration", "0"], "error: --duration must be above 0 seconds, got 0"),
    ],
)
def test_record_bad_input_is_one_line(tmp_path, monkeypatch, capsys, present_commands, args, message):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with FakeBinance(interval=None) as fake:
        base = ["record", "--ws-url", fake.ws_url, "--rest-url", fake.rest_url, "-o", str(tmp_path / "o"), "-q"]
        assert cli.main(base + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err


def test_record_fetches_and_caches_symbol_rules(tmp_path, monkeypatch, present_commands):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with FakeBinance(interval=0.02, symbols=("ETHUSDT",)) as fake:
        base = ["record", "--symbols", "ethusdt", "--ws-url", fake.ws_url, "--rest-url", fake.rest_url, "-q"]
        assert cli.main(base + ["-o", str(tmp_path / "a"), "--duration", "1"]) == 0
        assert cli.main(base + ["-o", str(tmp_path / "b"), "--duration", "0.5"]) == 0
        assert fake.info_requests == 1  # the second run read the cache
    files = list((tmp_path / "a" / "ETHUSDT").glob("*.hft"))
    assert files and TickReader(files[0]).instrument == Instrument("ETHUSDT", "0.01", "0.00001")


def test_a_recording_that_received_nothing_fails_and_says_why(tmp_path, monkeypatch, capsys, present_commands):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with FakeBinance(interval=0.02) as fake:
        wrong = fake.ws_url.rstrip("/") + "/nope"
        args = ["record", "--ws-url", wrong, "--rest-url", fake.rest_url, "-o", str(tmp_path / "o"), "-q"]
        assert cli.main([*args, "--duration", "1.5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: no market data received from {wrong}") and "404" in err[-1]


def test_symbol_rules_are_cached_per_server(tmp_path, monkeypatch):
    """A local server's or a testnet's tick sizes never stand in for another's."""
    import json

    from hft_tui.feeds.binance_rest import resolve_instruments

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    class Rest:
        def __init__(self, base_url, tick):
            self.base_url, self.tick, self.requests = base_url, tick, 0

        def get(self, path, params):
            self.requests += 1
            filters = [{"filterType": "PRICE_FILTER", "tickSize": self.tick},
                       {"filterType": "LOT_SIZE", "stepSize": "0.00001"}]  # fmt: skip
            return json.dumps({"symbols": [{"symbol": "BTCUSDT", "filters": filters}]}).encode()

    a, b = Rest("http://127.0.0.1:1000", "0.01"), Rest("http://127.0.0.1:2000", "0.001")
    for rest, tick in ((a, "0.01"), (b, "0.001"), (a, "0.01"), (b, "0.001")):
        (inst,) = resolve_instruments(["BTCUSDT"], {}, rest, "/api/v3/exchangeInfo", "spot", 24.0)
        assert inst.tick_size == tick
    assert a.requests == b.requests == 1  # each server's answer was cached, apart


def test_recording_source_passes_the_feed_error_on_and_names_its_own_failure():
    from hft_tui.feeds.recording_source import RecordingSource

    class Feed:
        instruments = []
        last_error = "ws://127.0.0.1:1: connect refused: HTTP 404"

        def read(self, max_events, timeout):
            return np.zeros(0, EVENT_DTYPE)

        def set_raw_sink(self, sink):
            pass

    class FullDisk:
        raw_enabled = False

        def write(self, events):
            raise OSError(28, "No space left on device")

    src = RecordingSource(Feed(), FullDisk(), "/rec")
    assert src.last_error == Feed.last_error
    src.read(10, 0.0)  # the recorder fails: trading goes on, the log is told why
    assert src.last_error == "recording failed: [Errno 28] No space left on device"
