"""A replay in the workstation gives the fills of the headless backtest, at every speed.

The recorded file covers 3 s of exchange time, so a replay at 10x takes about
0.3 s of wall time; the app is driven by Textual's pilot, the engine is the
real one.
"""

from __future__ import annotations

import csv
import io

import pytest

from hft_tui import cli
from hft_tui.commands.replay import open_replay
from replay_kit import backtest_fills, ended, fills_of, make_app, record, settings, specs, wait_until


@pytest.fixture(autouse=True)
def _user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record(tmp_path_factory.mktemp("rec") / "sim.hft", 3.0, 5)


@pytest.fixture(scope="module")
def reference(recorded):
    """The fills of `hft-tui backtest FILE --strategy mm --fills OUT`."""
    out = recorded.parent / "fills.csv"
    assert cli.main(["backtest", str(recorded), "--strategy", "mm", "--fills", str(out), "-q", "--no-progress"]) == 0
    text = out.read_text()
    assert len(list(csv.reader(io.StringIO(text)))) > 10, "the file must give the strategy some fills"
    assert text == backtest_fills([recorded], settings())
    return text


@pytest.mark.parametrize("speed", [10.0, None], ids=["10x", "max"])
async def test_tui_replay_fills_equal_the_backtest(recorded, reference, speed):
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=speed)
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: ended(link))
        assert fills_of(link.engine) == reference
        await pilot.pause(0.1)
        status = str(app.screen.query_one("StatusBar").render())
        assert "ended" in status and "100.0%" in status
        await pilot.press("q")


async def test_speed_change_mid_replay_keeps_the_fills(recorded, reference):
    """Start at 1x, then + three times (10x, 100x, max) after some events."""
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0)
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: link.engine.desk.n_fills > 0 or link.engine.events_total > 2000)
        for expected in (10.0, 100.0, None):
            await pilot.press("plus")
            await wait_until(pilot, lambda: link.latest().speed == expected or ended(link))
        await wait_until(pilot, lambda: ended(link))
        assert 0 < link.engine.stops
        assert fills_of(link.engine) == reference
        await pilot.press("q")


async def test_back_to_start_reproduces_the_fills(recorded, reference):
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=None)
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        log = app.screen.query_one("OrderLog")
        # the UI draws the final snapshot on its next tick after the engine ends
        await wait_until(pilot, lambda: ended(link) and bool(log._lines))
        first = link.engine
        assert log._lines
        await pilot.press("home")
        await wait_until(pilot, lambda: link.engine is not first and ended(link))
        assert link.session == 1
        assert fills_of(link.engine) == reference
        # the log panel restarted with the new session: one "back to start", no old lines
        await pilot.pause(0.2)
        texts = [line.text for line in log._lines]
        assert texts.count("back to start") == 1 and texts[0] == "back to start"
        await pilot.press("q")


async def test_a_replay_saves_the_backtests_report_and_fills(recorded, reference, tmp_path):
    """`replay --report --fills` writes, when the data ends, what `backtest --report
    --fills` writes for the same file (the run's wall time aside); again at quit."""
    import json

    from hft_tui.commands.backtest import files_info
    from hft_tui.commands.replay import add_arguments

    ref_report = tmp_path / "backtest.json"
    assert cli.main(["backtest", str(recorded), "--strategy", "mm", "--report", str(ref_report), "-q", "--no-progress"]) == 0
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(recorded)])
    report, fills = tmp_path / "replay.json", tmp_path / "replay.csv"
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=None, report=str(report), fills=str(fills),
                       source_info=files_info(args))
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: ended(link) and fills.exists())
        assert fills.read_text() == reference
        assert json.loads(report.read_text())["results"] == json.loads(ref_report.read_text())["results"]
        await wait_until(pilot, lambda: any(line.text.startswith("saved ") for line in link.latest().log))
        fills.unlink()
        await pilot.press("q")
    link.finished.wait(10)
    assert fills.read_text() == reference  # written again at quit
    assert link.notes == [("info", f"saved {report} and {fills}")]


async def test_a_replay_left_mid_way_saves_what_it_did(recorded, tmp_path):
    fills = tmp_path / "part.csv"
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=0.5, fills=str(fills))
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: link.engine.desk.n_fills >= 2)
        await pilot.press("q")
    link.finished.wait(10)
    assert link.engine.events_total < link.source.n_events  # quit before the end
    rows = list(csv.reader(io.StringIO(fills.read_text())))
    assert rows[0][0] == "ts" and len(rows) - 1 == link.engine.desk.n_fills >= 2


def test_replay_outputs_are_checked_before_the_workstation_opens(recorded, tmp_path, capsys):
    assert cli.main(["replay", str(recorded), "--report", str(tmp_path / "nowhere" / "r.json")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such directory" in err[0]
    assert cli.main(["replay", str(recorded), "--fills", str(recorded)]) != 0
    assert "is also an input" in capsys.readouterr().err


async def test_a_save_that_fails_is_an_error_in_the_log_and_for_the_exit(recorded, tmp_path):
    out = tmp_path / "gone"
    out.mkdir()
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=None, paused=True, report=str(out / "r.json"))
    app = make_app(link)
    async with app.run_test(size=(160, 48)) as pilot:
        out.rmdir()  # after the check at start: the directory went away meanwhile
        await wait_until(pilot, lambda: app.frames > 0)
        await pilot.press("space")
        await wait_until(pilot, lambda: ended(link) and link.notes)
        level, text = link.notes[0]
        assert level == "error" and text.startswith(f"replay not saved: {out / 'r.json'}: cannot write")
        await wait_until(pilot, lambda: any(line.text == text and line.level == "error" for line in link.latest().log))
        await pilot.press("q")
