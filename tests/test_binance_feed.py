"""The live Binance feed against the fake server: exact books, faults, resyncs, reconnects.

Every test runs a fake Binance on 127.0.0.1 (ephemeral port) and a real
``BinanceSource`` in its thread; ``BookChecker`` compares the books built from
the source's events with the fake's true book after every message. Most tests
drive the fake step by step so that the count of resyncs and reconnects each
fault must cause is exact.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from fake_binance import FakeBinance
from fake_binance_book import BookChecker

from hft_tui.feeds.binance_config import LiveConfig
from hft_tui.feeds.binance_source import BinanceSource
from hft_tui.source import Source


SIZES = {"tick_size": "0.01", "lot_size": "0.00001"}


def config(fake: FakeBinance, **kw) -> LiveConfig:
    base = dict(
        market="usdm" if fake.futures else "spot",
        depth_ms=0 if fake.futures else 100,
        trade_stream="aggTrade" if fake.futures else "trade",
        symbols=list(fake.syms),
        ws_url=fake.ws_url,
        rest_url=fake.rest_url,
        instruments={s: SIZES for s in fake.syms},
        reconnect_min_s=0.05,
        reconnect_max_s=0.2,
        watchdog_s=30.0,
        ping_interval_s=0.0,
    )
    base.update(kw)
    return LiveConfig(**base)


@contextmanager
def running(fake_kw=None, **cfg_kw):
    fake = FakeBinance(**{"interval": None, **(fake_kw or {})}).start()
    source = BinanceSource(config(fake, **cfg_kw))
    try:
        source.start()
        yield fake, source, BookChecker(source, fake)
    finally:
        source.stop()
        fake.stop()


def per_symbol(source, name):
    return [getattr(s, name) for s in source.client.decoder.sync.sym]


def settle(checker, steps=3):
    """A few more diffs after a fault, then wait until every book is live and current."""
    checker.fake.step(steps)
    assert checker.sync(), f"did not resync: {checker.source.health()}"


def test_normal_flow_every_book_equals_the_truth():
    with running({"interval": 0.01}) as (fake, source, chk):
        assert isinstance(source, Source) and source.realtime
        assert chk.until(lambda: chk.checked > 300, 20)
        h = source.health()
    assert chk.mismatches == []
    assert h["resyncs"] == 0 and h["reconnects"] == 0 and h["parse_errors"] == 0
    assert per_symbol(source, "syncs") == [1, 1]
    # trades arrive in order, none missing since the first, with the aggressor from `m`
    for sym, name in enumerate(chk.names):
        got = chk.trades[sym]
        sent = [(t, px, q, -1 if maker else 1) for t, px, q, maker in fake.trades[name]]
        assert got
        first = sent.index(got[0])
        assert got == sent[first : first + len(got)]


def test_futures_pu_rule_and_its_faults():
    with running({"futures": True, "symbols": ("BTCUSDT",)}) as (fake, source, chk):
        assert chk.sync()
        fake.duplicate("BTCUSDT")
        settle(chk)
        assert per_symbol(source, "resyncs") == [0]
        fake.skip("BTCUSDT")
        settle(chk)
        assert per_symbol(source, "resyncs") == [1]
        fake.out_of_order("BTCUSDT")
        settle(chk)
        assert per_symbol(source, "resyncs") == [2]
    assert chk.mismatches == []
    assert source.client.decoder.sync.futures


@pytest.mark.parametrize(
    "fault, resyncs, counter",
    [
        ("skip", [1, 0], "gaps"),
        ("out_of_order", [1, 0], "gaps"),
        ("duplicate", [0, 0], "old_diffs"),
        ("crossed", [1, 0], "crossed"),
    ],
)
def test_depth_faults_resync_only_the_symbol_hit(fault, resyncs, counter):
    with running() as (fake, source, chk):
        assert chk.sync()
        getattr(fake, fault)("BTCUSDT")
        settle(chk)
        assert per_symbol(source, "resyncs") == resyncs
        assert per_symbol(source, counter)[0] == 1
        assert source.health()["reconnects"] == 0
        settle(chk)  # and it stays in sync afterwards
    assert chk.mismatches == []


def test_malformed_and_unknown_messages_are_counted_and_skipped():
    with running() as (fake, source, chk):
        assert chk.sync()
        fake.malformed()
        fake.unknown()
        settle(chk)
        h = source.health()
    assert h["parse_errors"] == 2 and h["unknown"] == 2
    assert h["resyncs"] == 0 and h["reconnects"] == 0
    assert chk.mismatches == []


@pytest.mark.parametrize("clean", [False, True])
def test_reconnect_without_a_gap_continues_without_a_snapshot(clean):
    with running() as (fake, source, chk):
        assert chk.sync()
        fake.drop(clean=clean)
        assert fake.wait_connections(2)
        assert chk.until(lambda: source.health()["reconnects"] == 1, 5)
        assert source.stale(0) and source.stale(1)  # until the stream proves continuous
        settle(chk)
        h = source.health()
    assert h["reconnects"] == 1 and h["resyncs"] == 0 and h["snapshots"] == 2
    assert chk.mismatches == []


def test_reconnect_after_missed_diffs_resyncs_each_symbol_once():
    with running(reconnect_min_s=0.4, reconnect_max_s=0.5) as (fake, source, chk):
        assert chk.sync()
        fake.drop()
        fake.step(2)  # generated while the client is away
        assert fake.wait_connections(2)
        settle(chk)
        h = source.health()
    assert h["reconnects"] == 1 and h["resyncs"] == 2
    assert per_symbol(source, "gaps") == [1, 1]
    assert chk.mismatches == []


def test_watchdog_reconnects_a_silent_connection():
    with running(watchdog_s=0.5) as (fake, source, chk):
        assert chk.sync()
        fake.silent()
        fake.step(2)  # sent to nobody: the open connection stays silent
        assert fake.wait_connections(2, timeout=5)
        settle(chk)
        h = source.health()
    assert h["reconnects"] == 1 and h["resyncs"] == 2 and h["last_error"].startswith("watchdog")
    assert chk.mismatches == []


def test_planned_disconnect_after_max_age():
    with running({"interval": 0.01, "symbols": ("BTCUSDT",)}) as (fake, source, chk):
        fake.max_age = 0.4  # the 24-hour limit, in seconds
        assert chk.until(lambda: source.health()["reconnects"] >= 2, 10)
        fake.max_age = None
        assert chk.until(lambda: chk.checked > 50 and not source.stale(0), 10)
    assert "1001" in source.health()["last_error"] or source.health()["reconnects"] >= 2
    assert chk.mismatches == []


def test_slow_snapshot_keeps_the_symbol_stale_and_buffers():
    with running() as (fake, source, chk):
        assert chk.sync()
        fake.snapshot_delay = 1.0
        fake.skip("BTCUSDT")
        fake.step(2)
        assert chk.until(lambda: source.stale(0), 2)
        t = time.monotonic()
        while time.monotonic() - t < 0.6:  # diffs keep coming while the snapshot is slow
            fake.step()
            chk.pump(0.05)
            assert source.stale(0) and not source.stale(1)
        fake.snapshot_delay = 0.0
        settle(chk)
    assert per_symbol(source, "resyncs") == [1, 0]
    assert chk.mismatches == []


def test_snapshot_older_than_the_buffer_is_fetched_again():
    with running() as (fake, source, chk):
        assert chk.sync()
        fake.old_snapshot("BTCUSDT")
        fake.skip("BTCUSDT")
        settle(chk)
    assert per_symbol(source, "stale_snapshots") == [1, 0]
    assert per_symbol(source, "resyncs") == [1, 0]
    assert chk.mismatches == []


@pytest.mark.parametrize("code", [429, 500])
def test_snapshot_http_errors_back_off_and_retry(code):
    with running() as (fake, source, chk):
        assert chk.sync()
        fake.http_errors = [code]
        fake.skip("BTCUSDT")
        settle(chk)
        assert str(code) in source.health()["last_error"] or source.client.snapshot_errors == 1
    assert chk.mismatches == []


def test_book_ticker_disagreeing_with_the_book_resyncs():
    with running(verify_ticker=True) as (fake, source, chk):
        assert chk.sync()
        settle(chk)
        assert per_symbol(source, "resyncs") == [0, 0]  # consistent tickers pass
        fake.bad_ticker("ETHUSDT")
        settle(chk)
    assert per_symbol(source, "ticker_mismatches") == [0, 1]
    assert per_symbol(source, "resyncs") == [0, 1]
    assert chk.mismatches == []


def test_server_pings_are_answered():
    with running({"interval": 0.02, "ping_interval": 0.1, "symbols": ("BTCUSDT",)}) as (fake, source, chk):
        chk.until(lambda: False, 2.0)  # 2 s: the fake pings every 0.1 s, closes on a missing pong
        h = source.health()
    assert fake.connections == 1 and h["reconnects"] == 0
    assert chk.checked > 20 and chk.mismatches == []


def test_keepalive_pings_respect_the_control_rate():
    with running({"interval": 0.02, "symbols": ("BTCUSDT",)}, ping_interval_s=0.01, control_rate=4.0) as (
        fake,
        source,
        chk,
    ):
        t0 = time.monotonic()
        chk.until(lambda: False, 2.0)
        elapsed = time.monotonic() - t0
        sent = source.health()["pings_sent"]
    assert 3 <= sent <= 1 + 4 * elapsed + 1  # burst of 1, then 4 per second
    assert source.health()["reconnects"] == 0


def test_engine_backlog_sheds_load_then_heals():
    with running({"interval": 0.005, "symbols": ("BTCUSDT",)}, max_queue=20) as (fake, source, chk):
        assert chk.until(lambda: chk.checked > 5, 10)
        time.sleep(1.0)  # the engine stops reading
        h = source.health()
        assert h["queue"] <= 20 and h["overloads"] == 1 and h["dropped_events"] > 0
        assert chk.until(lambda: per_symbol(source, "resyncs")[0] >= 1 and not source.read_stale(0), 10)
        chk.until(lambda: False, 0.3)
        chk.mismatches.clear()  # the engine's book was wrong while events were dropped
        n = chk.checked
        assert chk.until(lambda: chk.checked > n + 50, 10)
    assert chk.mismatches == []


def test_the_engine_log_says_why_the_feed_is_down():
    from enginekit import config as engine_config

    from hft_tui.engine.commands import Stop
    from hft_tui.engine.engine import Engine

    fake = FakeBinance(interval=None).start()
    source = BinanceSource(config(fake, ws_url=fake.ws_url + "/nowhere"))  # the fake answers 404
    engine = Engine(source, [], engine_config(), mode="LIVE")
    try:
        engine.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(x.category == "feed" for x in engine.logs):
            time.sleep(0.02)
        time.sleep(0.3)  # more failed attempts with the same error: still one line
        lines = [x.text for x in engine.logs if x.category == "feed"]
        assert lines == [f"{fake.ws_url}/nowhere: connect refused: HTTP 404"]
        assert source.health()["reconnects"] >= 2
    finally:
        engine.command(Stop())
        engine.join(10)
        fake.stop()


def test_a_malformed_message_after_a_lost_connection_is_still_logged():
    from enginekit import config as engine_config

    from hft_tui.engine.commands import Stop
    from hft_tui.engine.engine import Engine

    fake = FakeBinance(interval=0.02).start()
    source = BinanceSource(config(fake))
    engine = Engine(source, [], engine_config(), mode="LIVE")

    def feed_lines():
        return [x.text for x in engine.logs if x.category == "feed"]

    def wait(cond):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not cond():
            time.sleep(0.02)
        assert cond()

    try:
        engine.start()
        assert fake.wait_connections(1)
        fake.drop()  # the connection is lost: one line, then it reconnects
        wait(lambda: any("connection lost" in t or "closed" in t for t in feed_lines()))
        wait(lambda: fake.connected() >= 1 and source.client.connects >= 2)
        fake.malformed()
        wait(lambda: any("malformed" in t for t in feed_lines()))
    finally:
        engine.command(Stop())
        engine.join(10)
        fake.stop()
