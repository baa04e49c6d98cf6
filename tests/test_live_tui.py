"""`hft-tui live`: the workstation on the (fake) Binance feed, driven by Textual's pilot.

Every test runs a fake Binance on 127.0.0.1 (ephemeral port), builds the live
session exactly as the command does (``commands.live.build_engine``) and drives
the real app and engine with ``run_test``. Waits are bounded; each test takes a
few seconds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fake_binance import FakeBinance

from hft_tui.cli import build_parser, main
from hft_tui.commands.live import build_engine
from hft_tui.engine.commands import EnableStrategy
from hft_tui.instrument import Instrument
from hft_tui.risk import RiskManager
from hft_tui.ui.app import HftApp
from hft_tui.ui.launch import EngineAdapter
from hft_tui.ui.screens.dialogs import ConfirmScreen
from hft_tui.ui.widgets.ladder import DepthLadder
from hft_tui.ui.widgets.status import StatusBar

SYMS = ("BTCUSDT", "ETHUSDT")
# what the live session may ask of Binance: the stream, depth snapshots (no orders, ever)
ALLOWED_PATHS = {"/stream", "/api/v3/depth"}

CONFIG = """
[live]
ping_interval_s = 0.0
watchdog_s = 30.0
reconnect_min_s = 0.05
reconnect_max_s = 0.2
flush_s = 0.2

[live.instruments]
BTCUSDT = { tick_size = "0.01", lot_size = "0.00001" }
ETHUSDT = { tick_size = "0.01", lot_size = "0.00001" }
"""


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module", autouse=True)
def _warm():
    from hft_tui.jit import prepare

    prepare(stream=None)  # a first run compiles here, not inside the bounded waits


@pytest.fixture
def fake():
    server = FakeBinance(SYMS, interval=0.02, seed=3).start()
    try:
        yield server
    finally:
        server.stop()


def session(fake: FakeBinance, tmp_path: Path, *extra: str):
    cfg = tmp_path / "live.toml"
    cfg.write_text(CONFIG)
    argv = ["live", "--symbols", ",".join(SYMS), "--ws-url", fake.ws_url, "--rest-url", fake.rest_url,
            "--config", str(cfg), *extra]  # fmt: skip
    engine, _ = build_engine(build_parser().parse_args(argv))
    link = EngineAdapter(engine, "LIVE")
    return HftApp(link, engine.instruments), engine, link


async def until(pilot, cond, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return bool(cond())


def snap(engine):
    return engine.latest


def books_in_sync(engine) -> bool:
    s = snap(engine)
    return s is not None and all(b.bids and b.asks and not b.stale for b in s.books)


def open_orders(engine, sym: int | None = None):
    s = snap(engine)
    return [o for o in (s.orders if s else ()) if o.leaves > 0 and (sym is None or o.sym == sym)]


def screen_text(app) -> str:
    main_screen = next(s for s in app.screen_stack if s.__class__.__name__ == "MainScreen")
    bar = main_screen.query_one(StatusBar)
    ladder = main_screen.query_one(DepthLadder)
    lines = [ladder.render_line(y).text for y in range(ladder.size.height)]
    return str(bar.render()) + "\n" + "\n".join(lines)


async def enable_mm(pilot, app) -> None:
    await pilot.press("4", "space")  # the strategies panel, toggle the selected one


async def close(pilot, link) -> None:
    link.shutdown()
    await pilot.pause(0.1)
    await asyncio.get_running_loop().run_in_executor(None, link.finished.wait, 10.0)


async def test_live_shows_books_with_strategies_disabled_and_records(fake, tmp_path):
    rec = tmp_path / "rec"
    app, engine, link = session(fake, tmp_path, "--record", str(rec), "--raw")
    async with app.run_test(size=(160, 48)) as pilot:
        assert await until(pilot, lambda: books_in_sync(engine)), snap(engine)
        s = snap(engine)
        assert s.mode == "LIVE"
        assert [v.enabled for v in s.strategies] == [False], "live strategies must start disabled"
        await pilot.pause(0.5)
        assert engine.desk.sent == 0 and not open_orders(engine)
        text = screen_text(app)
        assert " LIVE " in text and "BTCUSDT" in text
        best_bid = engine.instruments[0].ticks_to_str(snap(engine).books[0].bids[0][0])
        assert await until(pilot, lambda: engine.instruments[0].ticks_to_str(snap(engine).books[0].bids[0][0]) in screen_text(app))
        status = str(app.screen.query_one(StatusBar).render())
        assert " REC " in status and "msg/s" in status and "rs 0 rc 0" in status, status
        assert best_bid
        feed = dict(snap(engine).feed)
        assert feed["recording"] == str(rec) and feed["messages"] > 0
        await close(pilot, link)
    files = sorted((rec / "BTCUSDT").glob("*.hft"))
    assert files and files[0].stat().st_size > 0
    assert list((rec / "raw").glob("*.jsonl.gz"))


async def test_enabling_a_strategy_paper_quotes_and_nothing_is_sent(fake, tmp_path):
    app, engine, link = session(fake, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        assert await until(pilot, lambda: books_in_sync(engine))
        await enable_mm(pilot, app)
        assert await until(pilot, lambda: snap(engine).strategies[0].enabled)
        assert await until(pilot, lambda: len(open_orders(engine)) >= 2), snap(engine).log[-5:]
        assert engine.desk.sent >= 2
        await close(pilot, link)
    # the fake saw the subscription and snapshot requests, and nothing else
    assert fake.client_messages == []
    assert set(fake.http_paths) <= ALLOWED_PATHS, fake.http_paths
    assert fake.http_paths.count("/stream") == fake.connections == 1


async def test_gap_makes_the_book_stale_pulls_quotes_until_resynced(fake, tmp_path):
    app, engine, link = session(fake, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        assert await until(pilot, lambda: books_in_sync(engine))
        await enable_mm(pilot, app)
        assert await until(pilot, lambda: open_orders(engine, 0))
        fake.snapshot_delay = 1.5  # keep the resync visible for a while
        fake.skip("BTCUSDT")
        assert await until(pilot, lambda: snap(engine).books[0].stale)
        assert await until(pilot, lambda: "STALE (resyncing)" in screen_text(app))
        assert await until(pilot, lambda: not open_orders(engine, 0)), "quotes on a stale book must go"
        # the other symbol trades on
        assert not snap(engine).books[1].stale
        logs = [line.text for line in snap(engine).log]
        assert any("BTCUSDT book resyncing (gap" in t for t in logs), logs[-8:]
        # while stale, no new order on it (the market maker keeps trying on the other one)
        await pilot.pause(0.5)
        assert snap(engine).books[0].stale and not open_orders(engine, 0)
        # back in sync: the marker goes, quoting resumes, the status counts the resync
        assert await until(pilot, lambda: not snap(engine).books[0].stale, 15)
        assert await until(pilot, lambda: "STALE" not in screen_text(app))
        assert await until(pilot, lambda: open_orders(engine, 0))
        assert dict(snap(engine).feed)["resyncs"] == 1
        assert await until(pilot, lambda: "rs 1 " in screen_text(app))
        await close(pilot, link)


async def test_kill_switch_cancels_and_halts_on_live_data(fake, tmp_path):
    app, engine, link = session(fake, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        assert await until(pilot, lambda: books_in_sync(engine))
        await enable_mm(pilot, app)
        assert await until(pilot, lambda: open_orders(engine))
        await pilot.press("ctrl+k")
        assert await until(pilot, lambda: snap(engine).killed and not open_orders(engine))
        assert "HALTED" in str(app.screen.query_one(StatusBar).render())
        sent = engine.desk.sent
        await pilot.pause(0.5)
        assert engine.desk.sent == sent, "nothing new after the kill"
        await close(pilot, link)


async def test_q_asks_before_leaving_a_live_session(fake, tmp_path):
    app, engine, link = session(fake, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        assert await until(pilot, lambda: snap(engine) is not None)
        await pilot.press("p")  # no pause on live data: the market does not wait
        await pilot.pause(0.3)
        assert snap(engine).engine_state == "running" and not engine.control.paused
        await pilot.press("q")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen) and not link.finished.is_set()
        await close(pilot, link)


def test_risk_refuses_every_new_order_on_a_resyncing_book():
    inst = [Instrument("BTCUSDT", "0.01", "0.00001"), Instrument("ETHUSDT", "0.01", "0.00001")]
    risk = RiskManager({}, inst, ["mm"])
    args = ("mm", 0, 1, 6_000_000, 10, "limit", 1, 5_999_999, 6_000_001)
    assert risk.check_order(*args) is None
    changes = risk.feed_resyncing(0, True, "gap", 2)
    assert [(c.scope, c.new, c.reason) for c in changes] == [("feed:BTCUSDT", "HALTED", "feed_resync")]
    assert risk.feed_resyncing(0, True, "gap", 3) == []  # once per transition
    assert risk.check_order(*args) == "stale_feed"
    assert risk.check_order("mm", 1, 1, 300_000, 10, "limit", 4, 299_999, 300_001) is None
    assert [c.new for c in risk.feed_resyncing(0, False, "", 5)] == ["ACTIVE"]
    assert risk.check_order(*args) is None


def test_source_clears_stale_only_after_the_snapshot_is_read():
    from hft_tui.feeds.binance_config import LiveConfig
    from hft_tui.feeds.binance_source import BinanceSource

    fake = FakeBinance(("BTCUSDT",), interval=None).start()
    sizes = {"tick_size": "0.01", "lot_size": "0.00001"}
    cfg = LiveConfig(symbols=["BTCUSDT"], ws_url=fake.ws_url, rest_url=fake.rest_url,
                     instruments={"BTCUSDT": sizes}, ping_interval_s=0.0, watchdog_s=30.0)  # fmt: skip
    source = BinanceSource(cfg)
    try:
        source.start()
        assert fake.wait_connections(1)
        end = time.monotonic() + 10
        while source.stale(0) and time.monotonic() < end:
            fake.step()
            time.sleep(0.02)
        assert not source.stale(0), source.health()
        assert source.read_stale(0), "the snapshot is queued but not read: not yet trusted"
        while len(source.read(1 << 20, 0.0)):
            pass
        assert not source.read_stale(0)
    finally:
        source.stop()
        fake.stop()


def test_raw_without_record_is_a_clear_error(capsys):
    assert main(["live", "--raw", "--ws-url", "ws://127.0.0.1:9", "--rest-url", "http://127.0.0.1:9"]) == 2
    assert "--raw needs --record" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["live", "record"])
def test_symbols_may_be_given_as_arguments(command):
    from hft_tui.cli import build_parser
    from hft_tui.commands.live import feed_settings
    from hft_tui.config import load
    from hft_tui.feeds.binance_config import live_config

    extra = ["-o", "out"] if command == "record" else []
    args = build_parser().parse_args([command, "btcusdt", "ETHUSDT", "--symbols", "SOLUSDT", *extra])
    live = feed_settings(live_config(load(use_user_file=False)), args)
    assert list(live.symbols) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


def test_a_symbol_given_twice_is_one_line(capsys):
    assert main(["live", "BTCUSDT", "--symbols", "btcusdt"]) == 2
    err = capsys.readouterr().err
    assert err == "error: config: live.symbols names BTCUSDT twice\n"
