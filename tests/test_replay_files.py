"""Several files as one replay: a day cut into pieces, several symbols, a damaged chunk."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from hft_tui import cli
from hft_tui.commands.replay import open_replay
from hft_tui.tickfile import TickReader, TickWriter
from hft_tui.tickformat import CHUNK_HEADER_SIZE
from replay_kit import backtest_fills, ended, fills_of, make_app, record, settings, specs, split, wait_until

SECOND = 1_000_000_000
BTC_PX = re.compile(r"\b(59|60)\d{3}\.\d\d\b")  # around 60000.00
ETH_PX = re.compile(r"(?<![\d.])(29|30)\d\d\.\d\d\b")  # around 3000.00


@pytest.fixture(autouse=True)
def _user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """A 3 s recording and the same data cut into three 1 s files ("hourly files")."""
    d = tmp_path_factory.mktemp("day")
    whole = record(d / "btc.hft", 3.0, 11)
    with TickReader(whole) as r:
        t0 = r.first_ts
    return whole, split(whole, [t0 + SECOND, t0 + 2 * SECOND], d)


@pytest.fixture(scope="module")
def eth(tmp_path_factory):
    d = tmp_path_factory.mktemp("eth")
    return record(d / "eth.hft", 3.0, 12, "sim.symbol=ETHUSDT", 'sim.start_price="3000.00"')


def n_events(path) -> int:
    with TickReader(path) as r:
        return r.n_events


async def replay_to_end(paths, cfg, strategies=("mm",), size=(160, 48), then=None):
    link = open_replay([str(p) for p in paths], specs(cfg, list(strategies)), cfg, speed=None)
    app = make_app(link)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: ended(link))
        await pilot.pause(0.15)
        if then is not None:
            await then(app, pilot, link)
        await pilot.press("q")
    return link


async def test_pieces_of_a_day_play_as_one_stream(day):
    whole, pieces = day
    cfg = settings()
    reference = backtest_fills([whole], cfg)
    assert reference.count("\n") > 10
    assert backtest_fills(pieces, cfg) == reference
    # in any order on the command line: files of one symbol play in time order
    link = await replay_to_end(list(reversed(pieces)), cfg)
    assert link.engine.events_total == n_events(whole)
    assert fills_of(link.engine) == reference


async def test_two_symbols_merge_by_exchange_time_and_s_switches_the_ladder(day, eth):
    whole, _ = day
    cfg = settings()
    reference = backtest_fills([whole, eth], cfg)

    async def look(app, pilot, link):
        ladder = app.screen.query_one("DepthLadder")
        status = app.screen.query_one("StatusBar")
        text = lambda: "\n".join(ladder.render_line(y).text for y in range(ladder.size.height))  # noqa: E731
        assert "BTCUSDT" in str(status.render()) and BTC_PX.search(text())
        await pilot.press("s")
        await pilot.pause(0.2)
        assert "ETHUSDT" in str(status.render())
        assert ETH_PX.search(text()) and not BTC_PX.search(text())
        await pilot.press("s")
        await pilot.pause(0.2)
        assert "BTCUSDT" in str(status.render())

    link = await replay_to_end([whole, eth], cfg, then=look)
    assert [i.symbol for i in link.instruments] == ["BTCUSDT", "ETHUSDT"]
    assert link.engine.events_total == n_events(whole) + n_events(eth)
    assert fills_of(link.engine) == reference


def damaged_copy(src, dst, chunk_events=2000, bad_chunk=3):
    """src rewritten in small chunks, one of them with a flipped byte; returns the events lost."""
    with TickReader(src) as r:
        ev, inst = r.read_all(), r.instrument
    with TickWriter(dst, inst, chunk_events=chunk_events) as w:
        w.write(ev)
    with TickReader(dst) as r:
        chunk = r.chunks[bad_chunk]
    data = bytearray(dst.read_bytes())
    data[chunk.offset + CHUNK_HEADER_SIZE + 100] ^= 0xFF
    dst.write_bytes(bytes(data))
    return chunk.count


@pytest.fixture(scope="module")
def damaged(day, tmp_path_factory):
    _, pieces = day
    d = tmp_path_factory.mktemp("damaged")
    middle = d / "btc-01-damaged.hft"
    lost = damaged_copy(pieces[1], middle)
    return [pieces[0], middle, pieces[2]], lost, sum(n_events(p) for p in pieces)


def test_backtest_reports_a_damaged_chunk_and_plays_the_rest(damaged, tmp_path, capsys):
    files, lost, total = damaged
    report = tmp_path / "r.json"
    code = cli.main(["backtest", *map(str, files), "--strategy", "mm", "--report", str(report), "-q", "--no-progress"])
    assert code == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "corrupt chunk" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "btc-01-damaged.hft" in lines[0]
    assert f"skipped {lost:,} events" in lines[0]
    assert json.loads(report.read_text())["results"]["input"]["events"] == total - lost


async def test_replay_reports_a_damaged_chunk_in_the_log_and_plays_the_rest(damaged):
    files, lost, total = damaged
    cfg = settings()

    async def look(app, pilot, link):
        log = app.screen.query_one("OrderLog")
        warnings = [line for line in log._lines if line.level == "warning" and "corrupt chunk" in line.text]
        assert len(warnings) == 1 and warnings[0].category == "feed"
        assert "btc-01-damaged.hft" in warnings[0].text

    link = await replay_to_end(files, cfg, then=look)
    assert link.engine.events_total == total - lost
    # and the data after the damage is there: the replay reached the last event of the day
    with TickReader(files[2]) as r:
        last = r.last_ts
    assert link.latest().exch_ts >= last
    assert np.isfinite(link.engine.portfolio.equity())
