"""The batch loop: stop conditions, resuming, output buffer, the inlined book path, determinism."""

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.book import Book
from hft_tui.events import ASK, BID, BUY, SELL
from hft_tui.exchange import ExchangeConfig, SimExchange
from hft_tui.exchange import codes as c
from hft_tui.exchange.layout import C_IN_MSG
from hft_tui.exchange.tape import Tape, own_log

ZERO = ExchangeConfig(entry_latency_ns=0, response_latency_ns=0)


def quoted(cfg: ExchangeConfig = ZERO) -> SimExchange:
    ex = SimExchange(1, cfg)
    ex.run(Tape().level(100, BID, 99, 10, eom=False).level(100, ASK, 101, 10).events())
    return ex


def test_stop_on_own_event_waits_for_the_end_of_the_message():
    ex = quoted()
    oid = ex.submit(100, 0, BUY, "limit", 100, 1)
    ex.flush()
    ex.drain()
    tape = Tape().level(200, BID, 98, 5)
    tape.trade(300, SELL, 100, 1, eom=False).level(300, BID, 98, 6)
    tape.level(400, BID, 97, 1)
    events = tape.events()
    assert ex.run(events, stop=c.STOP_OWN) == (3, c.STOP_OWN)
    assert own_log(ex.drain()) == [("fill", oid, 100, 1, 300, 300, c.MAKER, True)]
    assert ex.run(events, 3, stop=c.STOP_OWN) == (4, c.STOP_END)


def test_stop_on_own_event_right_after_an_action():
    ex = quoted(ExchangeConfig(entry_latency_ns=50, response_latency_ns=0))
    oid = ex.submit(100, 0, BUY, "limit", 98, 1)  # reaches the matcher at 150
    ex.drain()
    events = Tape().level(120, BID, 97, 1).level(200, BID, 96, 1).level(300, BID, 95, 1).events()
    assert ex.run(events, stop=c.STOP_OWN) == (1, c.STOP_OWN)  # before the message at 200
    assert own_log(ex.drain()) == [("ack", oid, 98, 1, 150, 150, c.LIMIT, False)]
    assert ex.now == 150


def test_bbo_stop_honours_wake_ticks_and_sides_appearing():
    ex = SimExchange(1, ZERO)
    tape = Tape().level(1, BID, 100, 1).level(2, ASK, 110, 1)
    tape.level(3, BID, 101, 1).level(4, BID, 100, 0).level(5, BID, 102, 1)
    tape.level(6, ASK, 110, 0)
    events = tape.events()
    stops = []
    i = 0
    while i < len(events):
        i, reason = ex.run(events, i, stop=c.STOP_BBO, wake_ticks=2)
        stops.append((i, reason))
    # bid appears (1), ask appears (2), 101 is one tick: no stop; 102 is two ticks from 100
    assert stops == [(1, c.STOP_BBO), (2, c.STOP_BBO), (5, c.STOP_BBO), (6, c.STOP_BBO)]


def test_watch_sym_ignores_other_symbols():
    ex = SimExchange(2, ZERO)
    events = Tape().level(1, BID, 100, 1, sym=1).level(2, BID, 100, 1, sym=0).events()
    assert ex.run(events, stop=c.STOP_BBO, watch_sym=0) == (2, c.STOP_BBO)


def test_output_buffer_stops_and_resumes_without_loss():
    small = ExchangeConfig(
        entry_latency_ns=0, response_latency_ns=0, max_open_per_side=2, max_walk_levels=1, out_capacity=30
    )
    ex = quoted(small)  # reserve: 2 * 2 + 1 + 8 = 13 rows kept free
    ids = [ex.submit(500, 0, BUY, "ioc", 200, 1) for _ in range(12)]
    log = own_log(ex.drain())
    events = Tape().level(1_000, ASK, 103, 1).events()
    reasons = []
    i = 0
    while True:
        i, reason = ex.run(events, i)
        reasons.append(reason)
        log += own_log(ex.drain())
        if reason == c.STOP_END:
            break
    assert c.STOP_OUT_FULL in reasons
    # ask 101 holds 10 lots: ten IOCs fill one lot each, the last two find nothing
    assert [(k, o) for k, o, *_ in log if k == "fill"] == [("fill", o) for o in ids[:10]]
    assert [(k, o) for k, o, *_ in log if k == "canceled"] == [("canceled", o) for o in ids[10:]]
    assert len(log) == 36


def _stream(seed: int, n: int = 300) -> np.ndarray:
    """A random L2 stream around a random-walk mid: level updates, trades, some multi-event messages."""
    rng = np.random.default_rng(seed)
    tape = Tape()
    mid = 1_000
    t = 1_000
    for _ in range(n):
        t += int(rng.integers(1, 50))
        mid += int(rng.integers(-1, 2))
        parts = int(rng.integers(1, 4))
        for p in range(parts):
            eom = p == parts - 1
            if rng.random() < 0.2:
                side = int(rng.choice([BUY, SELL]))
                px = mid - 1 if side == SELL else mid + 1
                tape.trade(t, side, px + int(rng.integers(-1, 2)), int(rng.integers(1, 8)), eom=eom)
            else:
                side = int(rng.choice([BID, ASK]))
                px = mid - int(rng.integers(1, 6)) if side == BID else mid + int(rng.integers(1, 6))
                tape.level(t, side, px, int(rng.integers(0, 20)), eom=eom, local=t + 7)
    return tape.events()


def _orders(ex: SimExchange, seed: int, events: np.ndarray) -> list:
    """Random orders sent at random message boundaries while running ``events`` with random stops."""
    rng = np.random.default_rng(seed + 1)
    log = []
    ids = []
    i = 0
    n = len(events)
    while i < n:
        stop = int(rng.choice([0, c.STOP_OWN, c.STOP_BBO, c.STOP_OWN | c.STOP_BBO]))
        end = min(n, i + int(rng.integers(1, 60)))
        i, _ = ex.run(events, i, end, stop=stop)
        log += own_log(ex.drain())
        if ex.state.ints[C_IN_MSG] != 0:  # inside a message: orders only between messages
            continue
        now = ex.feed_now
        r = rng.random()
        if r < 0.3:
            kind = str(rng.choice(["limit", "post_only", "ioc", "fok", "market"]))
            side = int(rng.choice([BUY, SELL]))
            px = 1_000 + int(rng.integers(-6, 7))
            ids.append(ex.submit(now, 0, side, kind, px, int(rng.integers(1, 15))))
        elif r < 0.4 and ids:
            ex.cancel(now, int(rng.choice(ids)))
        elif r < 0.5 and ids:
            ex.replace(now, int(rng.choice(ids)), 1_000 + int(rng.integers(-6, 7)), int(rng.integers(1, 15)))
    ex.flush()
    return log + own_log(ex.drain())


def _digest(log: list) -> str:
    return hashlib.sha256(repr(log).encode()).hexdigest()


def test_determinism_two_runs_one_hash():
    cfg = ExchangeConfig(entry_latency="uniform", entry_latency_ns=5, entry_latency_max_ns=200, seed=11,
                         response_latency_ns=3, queue_model="prob")
    events = _stream(5, 2_000)
    digests = {_digest(_orders(SimExchange(1, cfg), 5, events)) for _ in range(2)}
    assert len(digests) == 1
    other = ExchangeConfig(**{**cfg.__dict__, "seed": 12})
    assert _digest(_orders(SimExchange(1, other), 5, events)) not in digests


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 400), max_size=12))
def test_stopping_anywhere_gives_the_same_result(seed, cuts):
    """Running in one call or in arbitrary pieces (with stops) processes the same way."""
    cfg = ExchangeConfig(entry_latency_ns=30, response_latency_ns=0, queue_model="prob")
    events = _stream(seed, 150)
    whole = SimExchange(1, cfg)
    pieces = SimExchange(1, cfg)
    for ex in (whole, pieces):
        ex.run(events, 0, 40)
        ex.submit(ex.feed_now, 0, BUY, "limit", 998, 5)
        ex.submit(ex.feed_now, 0, SELL, "limit", 1_002, 5)
    a = own_log(whole.run_all(events[40:]))
    b = []
    i = 40
    for cut in sorted(set(cuts)) + [len(events)]:
        while i < min(cut + 40, len(events)):
            i, _ = pieces.run(events, i, min(cut + 40, len(events)), stop=c.STOP_OWN | c.STOP_BBO)
            b += own_log(pieces.drain())
    assert a == b
    for x, y in zip(whole.book, pieces.book):
        assert np.array_equal(x, y)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_inlined_book_path_matches_book_apply(seed):
    """The exchange's inlined ladder calls give the book ``Book.apply`` gives."""
    events = _stream(seed, 400)
    rng = np.random.default_rng(seed)
    kinds = rng.choice(np.array([2, 4, 5, 6], np.uint8), len(events))  # LEVEL, ADD, CANCEL, EXECUTE
    events["kind"] = np.where(events["kind"] == 3, 3, kinds)
    events["order_id"] = np.arange(1, len(events) + 1)
    ex = SimExchange(1, ZERO, book_window=64, book_capacity=256)
    ex.submit(0, 0, BUY, "limit", 990, 1)  # an own order keeps the own-order path in play
    ex.run(events)
    ref = Book(1, window=64, capacity=256)
    ref.apply(events)
    for x, y in zip(ex.book, ref.state):
        assert np.array_equal(x, y)
