"""Latency: feed time, entry latency (constant and seeded draws), response time, ties."""

import numpy as np
import pytest

from hft_tui.config import ConfigError, load
from hft_tui.events import ASK, BID, BUY
from hft_tui.exchange import ExchangeConfig, SimExchange, from_config
from hft_tui.exchange import codes as c
from hft_tui.exchange.tape import Tape, own_log


def book(ex: SimExchange) -> None:
    ex.run(Tape().level(100, BID, 99, 10, eom=False).level(100, ASK, 101, 10).events())


def arrivals(cfg: ExchangeConfig, n: int = 200) -> np.ndarray:
    ex = SimExchange(1, cfg)
    book(ex)
    for i in range(n):
        ex.submit(1_000 + i, 0, BUY, "limit", 90, 1)
    log = ex.drain()
    return log["exch_ts"] - log["local_ts"]


def test_constant_entry_and_response_latency():
    ex = SimExchange(1, ExchangeConfig(entry_latency_ns=700, response_latency_ns=300))
    book(ex)
    oid = ex.submit(1_000, 0, BUY, "limit", 99, 1)
    ex.flush()
    assert own_log(ex.drain()) == [
        ("new", oid, 99, 1, 1_700, 1_000, c.LIMIT, False),
        ("ack", oid, 99, 1, 1_700, 2_000, c.LIMIT, False),
    ]


def test_uniform_draws_are_seeded_bounded_and_fifo():
    cfg = ExchangeConfig(entry_latency="uniform", entry_latency_ns=100, entry_latency_max_ns=5_000, seed=7)
    lat = arrivals(cfg)
    assert np.array_equal(lat, arrivals(cfg))
    assert not np.array_equal(lat, arrivals(ExchangeConfig(**{**cfg.__dict__, "seed": 8})))
    assert lat.min() >= 100
    sent = 1_000 + np.arange(len(lat))
    arrive = sent + lat
    assert np.all(np.diff(arrive) >= 0)  # no action overtakes an earlier one
    # FIFO only ever delays: the first draw is raw
    assert lat[0] <= 5_000


def test_lognormal_draws_have_the_configured_median():
    cfg = ExchangeConfig(entry_latency="lognormal", entry_latency_ns=10_000, entry_latency_sigma=0.5, seed=3)
    ex = SimExchange(1, cfg)
    book(ex)
    sent = []
    for i in range(2_000):
        t = 10**9 * i  # far apart, so FIFO never binds
        ex.submit(t, 0, BUY, "limit", 90, 1)
        sent.append(t)
        if i % 500 == 499:
            ex.flush()
    log = ex.drain()
    lat = log[log["kind"] == 16]["exch_ts"] - log[log["kind"] == 16]["local_ts"]
    assert 9_000 < np.median(lat) < 11_000


def test_action_at_the_same_ns_as_a_message_comes_after_it():
    ex = SimExchange(1, ExchangeConfig(entry_latency_ns=100, response_latency_ns=0))
    book(ex)
    oid = ex.submit(100, 0, BUY, "limit", 100, 2)  # arrives at 200
    tape = Tape().level(200, ASK, 100, 1)  # an ask at 100 at 200: the book, then us
    log = own_log(ex.run_all(tape.events()))
    ex.flush()
    log += own_log(ex.drain())
    assert log[1:] == [
        ("ack", oid, 100, 2, 200, 200, c.LIMIT, False),
        ("fill", oid, 100, 1, 200, 200, c.TAKER, False),
    ]


def test_feed_time_uses_recorded_local_ts_or_a_constant():
    tape = Tape().level(1_000, BID, 99, 1, local=1_500).level(2_000, BID, 99, 2, local=2_100)
    events = tape.events()
    ex = SimExchange(1, ExchangeConfig(use_local_ts=True))
    assert ex.run(events, stop=c.STOP_DEADLINE, deadline=2_100) == (1, c.STOP_DEADLINE)
    assert ex.feed_now == 1_500
    ex = SimExchange(1, ExchangeConfig(use_local_ts=False, feed_latency_ns=50))
    assert ex.run(events, stop=c.STOP_DEADLINE, deadline=2_100) == (2, c.STOP_END)
    assert ex.feed_now == 2_050


def test_config_section_and_bad_values():
    cfg = from_config(load(overrides=["exchange.queue_model=prob", "exchange.maker_fee_bps=-0.5"], use_user_file=False))
    assert cfg.queue_model == "prob" and cfg.maker_fee_bps == -0.5
    with pytest.raises(ConfigError, match="queue_model"):
        from_config(load(overrides=["exchange.queue_model=magic"], use_user_file=False))
    with pytest.raises(ConfigError, match="unknown key"):
        from_config(load(overrides=["exchange.latency=1"], use_user_file=False))
    with pytest.raises(ConfigError, match="entry_latency_max_ns"):
        ExchangeConfig(entry_latency="uniform", entry_latency_ns=10, entry_latency_max_ns=5)
    with pytest.raises(ConfigError, match=r"^config \(command line\): exchange.out_capacity must be at least 784"):
        from_config(load(overrides=["exchange.out_capacity=1"], use_user_file=False))


def test_latencies_are_bounded_so_that_times_cannot_overflow():
    assert from_config(load(overrides=["exchange.entry_latency_ns=1e6"], use_user_file=False)).entry_latency_ns == 1_000_000
    for key in ("entry_latency_ns", "response_latency_ns", "feed_latency_ns", "entry_latency_max_ns"):
        with pytest.raises(ConfigError, match=f"{key} must be 0 to {c.MAX_LATENCY_NS}"):
            from_config(load(overrides=[f"exchange.{key}=9000000000000000000"], use_user_file=False))
    with pytest.raises(ConfigError, match="entry_latency_sigma must be 0 to 10"):
        ExchangeConfig(entry_latency="lognormal", entry_latency_sigma=11)
    # the widest lognormal: draws far out in the tail are capped, never negative
    cfg = ExchangeConfig(entry_latency="lognormal", entry_latency_ns=c.MAX_LATENCY_NS, entry_latency_sigma=10, seed=3)
    lat = arrivals(cfg, 50)
    assert lat.min() > 0 and lat.max() <= 50 * c.MAX_LATENCY_NS
