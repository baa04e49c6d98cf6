"""`hft-tui replay` and `hft-tui backtest` on the command line: bad input is one line and
exit 2; inputs that are not tick files are converted on the fly, with the result of
converting first."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from hft_tui import cli
from hft_tui.commands.replay import open_replay, parse_speed
from hft_tui.feeds.inputs import prepare_inputs
from hft_tui.events import LEVEL
from enginekit import l2_walk
from replay_kit import backtest_fills, ended, fills_of, make_app, record, settings, specs, wait_until

TARDIS_OPTS = ["--tick-size", "0.01", "--lot-size", "0.00001"]
FLIPPER = str(Path(__file__).parent / "flip_strategy.py") + ":Flipper"  # trades on L2 data alone


@pytest.fixture(autouse=True)
def _user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record(tmp_path_factory.mktemp("cli") / "sim.hft", 1.0, 3)


def one_line_error(capsys, argv) -> str:
    """Run the CLI; it must fail with status 2 and exactly one line on stderr."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("command", ["replay", "backtest"])
def test_missing_file_and_not_a_tick_file(tmp_path, capsys, command, recorded):
    extra = ["--strategy", "mm"] if command == "backtest" else []
    line = one_line_error(capsys, [command, str(recorded), str(tmp_path / "nope.hft"), *extra])
    assert "nope.hft: no such file" in line
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    line = one_line_error(capsys, [command, str(text), *extra])
    assert "notes.txt: not a tick file" in line and "--format" in line
    line = one_line_error(capsys, [command, str(tmp_path), *extra])
    assert "is a directory" in line
    line = one_line_error(capsys, [command, str(recorded), "--format", "tardis", *extra])
    assert "already a tick file" in line


@pytest.mark.parametrize("speed", ["fast", "0", "-10", "nan", "inf", ""])
def test_bad_speed(capsys, recorded, speed):
    line = one_line_error(capsys, ["replay", str(recorded), "--speed", speed])
    assert "--speed" in line and "max" in line


def test_speed_words():
    assert parse_speed("max") is None and parse_speed("MAX") is None
    assert parse_speed("10") == 10.0 and parse_speed("0.5") == 0.5
    with pytest.raises(argparse.ArgumentTypeError):
        parse_speed("-1")


@pytest.mark.parametrize(
    "start, words",
    [("yesterday", "neither a UTC time"), ("+1h", "after the last event"), ("2030-01-01 00:00:00", "after the last")],
)
def test_bad_start(capsys, recorded, start, words):
    line = one_line_error(capsys, ["replay", str(recorded), "--start", start])
    assert line.startswith("error: --start") and words in line


def test_good_start_forms(recorded):
    cfg = settings()
    for text in ("+0.5s", "00:00:00.500", "2024-01-01 00:00:00.5", "2024-01-01T00:00:00.500Z"):
        link = open_replay([str(recorded)], [], cfg, start=text)
        try:
            assert link.start_ns == link.span[0] + 500_000_000, text
        finally:
            link.source.close()


# --- conversion on the fly ------------------------------------------------------------------
def tardis_book_csv(path, n_msgs=4000, seed=31):
    """An incremental_book_L2 CSV of an L2 random walk (one message per local timestamp)."""
    ev = l2_walk(n_msgs, seed=seed)
    ev = ev[ev["kind"] == LEVEL]
    lines = ["exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"]
    for e in ev:
        us = int(e["exch_ts"]) // 1000
        px, q = int(e["px"]), int(e["qty"])
        side = "bid" if e["side"] > 0 else "ask"
        lines.append(f"binance,BTCUSDT,{us},{us + 700},false,{side},{px // 100}.{px % 100:02d},"
                     f"{q // 100000}.{q % 100000:05d}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def tardis(tmp_path_factory):
    d = tmp_path_factory.mktemp("tardis")
    return tardis_book_csv(d / "binance_incremental_book_L2_BTCUSDT.csv")


def test_backtest_converts_on_the_fly_like_convert_then_backtest(tardis, tmp_path, capsys):
    hft = tmp_path / "converted.hft"
    assert cli.main(["convert", "--format", "tardis", str(tardis), "-o", str(hft), *TARDIS_OPTS]) == 0
    runs = {}
    for name, inputs in (("first", [str(hft)]), ("fly", [str(tardis), "--format", "tardis", *TARDIS_OPTS])):
        fills, report = tmp_path / f"{name}.csv", tmp_path / f"{name}.json"
        argv = ["backtest", *inputs, "--strategy", FLIPPER, "--strategy", "mm", "--fills", str(fills),
                "--report", str(report), "-q", "--no-progress"]
        assert cli.main(argv) == 0
        runs[name] = fills.read_text(), json.loads(report.read_text())["results"]
        if name == "fly":  # the report names no temporary file (it is gone after the run)
            err = capsys.readouterr().err
            assert " for this run (BTCUSDT, " in err and "hft-tui-" not in err
    capsys.readouterr()
    (fills_a, res_a), (fills_b, res_b) = runs["first"], runs["fly"]
    assert fills_a.count("\n") > 5 and fills_a == fills_b
    src_a, src_b = res_a["input"].pop("source"), res_b["input"].pop("source")
    assert res_a == res_b
    assert src_b == {"kind": "files", "files": [tardis.name], "format": "tardis"}
    assert src_a["files"] == ["converted.hft"]


async def test_replay_converts_on_the_fly_and_keeps_the_backtest_fills(tardis, tmp_path):
    cfg = settings()
    hft = tmp_path / "converted.hft"
    assert cli.main(["convert", "--format", "tardis", str(tardis), "-o", str(hft), *TARDIS_OPTS]) == 0
    reference = backtest_fills([hft], cfg, [FLIPPER])
    assert reference.count("\n") > 5
    args = argparse.Namespace(files=[str(tardis)], format="tardis", symbol=None, tick_size="0.01",
                              lot_size="0.00001", skip_bad=False)
    with prepare_inputs(args) as inputs:
        assert inputs.converted == [str(tardis)] and inputs.paths[0].endswith("tardis.hft")
        link = open_replay(inputs.paths, specs(cfg, [FLIPPER]), cfg, speed=None)
        app = make_app(link)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: ended(link))
            assert fills_of(link.engine) == reference
            await pilot.press("q")
        tmp = inputs.paths[0]
    assert not os.path.exists(tmp)  # the temporary conversion is gone


def test_on_the_fly_conversion_reports_bad_rows_like_convert(tardis, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    lines = tardis.read_text().splitlines()
    lines[10] = lines[10].replace(",bid,", ",middle,").replace(",ask,", ",middle,")
    bad.write_text("\n".join(lines) + "\n")
    line = one_line_error(capsys, ["backtest", str(bad), "--format", "tardis", *TARDIS_OPTS, "--strategy", "mm"])
    assert "bad.csv:11" in line


def test_a_converted_input_takes_the_place_of_the_first_one_converted(tardis, recorded, tmp_path):
    other = record(tmp_path / "other.hft", 0.2, 4)
    args = argparse.Namespace(files=[str(recorded), str(tardis), str(other)], format="tardis", symbol=None,
                              tick_size="0.01", lot_size="0.00001", skip_bad=False)
    with prepare_inputs(args) as inputs:
        assert inputs.paths[0] == str(recorded) and inputs.paths[2] == str(other)
        assert inputs.paths[1].endswith("tardis.hft") and os.path.exists(inputs.paths[1])
        # a warning about the temporary file names the input it came from
        said = inputs.named(f"warning: {inputs.paths[1]}: chunk 2 is corrupt")
        assert said == f"warning: {tardis} (as converted for this run): chunk 2 is corrupt"


@pytest.mark.parametrize("command", ["replay", "backtest"])
def test_a_file_with_no_readable_event_is_one_line(tmp_path, capsys, command, recorded):
    cut = tmp_path / "cut.hft"
    cut.write_bytes(recorded.read_bytes()[:300])  # the header and a piece of the first chunk
    extra = ["--strategy", "mm"] if command == "backtest" else []
    line = one_line_error(capsys, [command, str(cut), *extra])
    assert line.startswith(f"error: nothing to {command}: no readable events (") and "truncated" in line
