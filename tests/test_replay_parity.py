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
