"""`hft-tui info`: what it prints for good, damaged and foreign files, and its exit status."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from hft_tui import cli
from hft_tui.commands.info import duration_ns
from hft_tui.text import utc_iso
from hft_tui.events import EOM, EVENT_DTYPE
from hft_tui.instrument import Instrument
from hft_tui.tickfile import TickWriter

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
T0 = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123456789Z


@pytest.fixture(autouse=True)
def _present_commands(monkeypatch):
    # Other commands are written on other branches; build the parser from those that exist.
    present = {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v) is not None}
    monkeypatch.setattr(cli, "COMMANDS", present)


def make(path, inst=BTC, n=1000, t0=T0, chunk_events=300):
    ev = np.zeros(n, EVENT_DTYPE)
    ev["exch_ts"] = t0 + np.arange(n) * 3_600_000_000  # 3.6 s apart
    ev["flags"] = EOM
    with TickWriter(path, inst, chunk_events=chunk_events, created_ns=1_750_000_000_000_000_001) as w:
        w.write(ev)
    return path


def test_registered():
    assert cli.COMMANDS["info"] == "hft_tui.commands.info"


def test_time_formatting():
    assert utc_iso(T0) == "2023-11-14T22:13:20.123456789Z"
    assert utc_iso(0) == "1970-01-01T00:00:00.000000000Z"
    assert duration_ns(3_723_000_000_001) == "1:02:03.000000001"
    assert duration_ns(90_061_500_000_000) == "1d 1:01:01.500000000"
    assert duration_ns(-1) == "-0:00:00.000000001"


def test_info_on_a_good_file(tmp_path, capsys):
    path = make(tmp_path / "btc.hft")
    assert cli.main(["info", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        str(path),
        "  symbol     BTCUSDT",
        "  tick size  0.01",
        "  lot size   0.00001",
        "  events     1,000",
        "  first      2023-11-14T22:13:20.123456789Z",
        "  last       2023-11-14T23:13:16.523456789Z",
        "  duration   0:59:56.400000000",
        "  in order   yes",
        "  chunks     4",
        f"  size       {path.stat().st_size:,} bytes",
        "  created    2025-06-15T15:06:40.000000001Z",
        "  integrity  ok",
    ]


def test_info_on_a_damaged_file_warns_and_exits_1(tmp_path, capsys):
    path = make(tmp_path / "btc.hft")
    path.write_bytes(path.read_bytes()[:-10])
    assert cli.main(["info", str(path)]) == 1
    out, err = capsys.readouterr()
    warning = f"warning: {path}: last chunk truncated at byte 43504; replaying 900 events before it"
    assert err.splitlines() == [warning]
    assert "  events     900" in out.splitlines()
    assert out.splitlines()[-1] == "  integrity  last chunk truncated at byte 43504; replaying 900 events before it"


def test_info_on_foreign_files_exits_2(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not ticks\n" * 50)
    good = make(tmp_path / "btc.hft")
    assert cli.main(["info", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {bad}: not a tick file\n"
    # A bad file among good ones: the good ones are still described.
    assert cli.main(["info", str(good), str(tmp_path / "missing.hft")]) == 2
    out, err = capsys.readouterr()
    assert "BTCUSDT" in out and err == f"error: {tmp_path / 'missing.hft'}: no such file\n"


def test_info_on_several_files_summarises_the_stream(tmp_path, capsys):
    a = make(tmp_path / "btc.hft")
    b = make(tmp_path / "eth.hft", Instrument("ETHUSDT", "0.01", "0.0001"), n=10, t0=T0 - 1_000_000_000)
    assert cli.main(["info", str(a), str(b)]) == 0
    out, _ = capsys.readouterr()
    summary = out.split("all 2 files as one stream\n")[1].splitlines()
    assert summary == [
        "  symbols   BTCUSDT, ETHUSDT",
        "  events    1,010",
        "  first     2023-11-14T22:13:19.123456789Z",
        "  last      2023-11-14T23:13:16.523456789Z",
        "  duration  0:59:57.400000000",
    ]


def test_info_shows_where_time_steps_back(tmp_path, capsys):
    ev = np.zeros(6, EVENT_DTYPE)
    ev["exch_ts"] = T0 + np.array([0, 5, 2, 9, 9, 1]) * 1_000_000_000
    ev["flags"] = EOM
    path = tmp_path / "back.hft"
    with TickWriter(path, BTC, chunk_events=4) as w:  # one step back inside a chunk, one across
        w.write(ev)
    assert cli.main(["info", str(path)]) == 0  # it plays: not damage
    out, err = capsys.readouterr()
    assert err == "" and "  in order   no: time steps back 2 times, by up to 0:00:08.000000000" in out.splitlines()
    ev["exch_ts"] = T0 + np.array([0, 5, 2, 9, 9, 1]) * 100_000_000  # the same, by a tenth
    with TickWriter(path, BTC, chunk_events=4) as w:
        w.write(ev)
    assert cli.main(["info", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "  in order   nearly: 2 small steps back, none over 0:00:00.800000000" in out.splitlines()
    ev["exch_ts"] = T0 + np.array([9, 5, 2, 9, 9, 1]) * 1_000_000_000  # ends before it starts
    with TickWriter(path, BTC, chunk_events=4) as w:
        w.write(ev)
    assert cli.main(["info", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "  duration   none: the last event is 0:00:08.000000000 before the first" in out.splitlines()


def test_info_on_conflicting_instruments_exits_2(tmp_path, capsys):
    a = make(tmp_path / "a.hft")
    b = make(tmp_path / "b.hft", Instrument("BTCUSDT", "0.1", "0.00001"))
    assert cli.main(["info", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {b}: BTCUSDT has tick 0.1") and err.count("\n") == 1


def test_info_needs_a_file(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["info"])
    assert exc.value.code == 2
