"""Benchmark area ``exchange``: replay throughput with resting own orders, submit-to-ack time.

- ``exchange_l3_events_per_s``: the sim venue's L3 stream (ADD/CANCEL/EXECUTE)
  through ``exchange_run`` (book update + own-order matching) with 20 own
  orders resting near the touch (10 per side); a minimal quoting loop in
  Python re-places every order that fills, so 20 rest throughout. Timed from
  the first own order to the end of the stream; compilation excluded (a warm-up
  run compiles first).
- ``exchange_l2_events_per_s``: the same stream converted to L2 (a LEVEL with
  the level's new size after every L3 event, a TRADE before every EXECUTE's
  LEVEL), probabilistic queue model, same quoting loop.
- ``submit_ack_median_us``: the median wall time, from Python, of sending an
  order (``intents.submit``: checks, id, latency draw, ORDER_NEW) plus the
  matcher handling it (``exchange_flush``: post-only check against the book,
  queue placement, ORDER_ACK), over many orders, each then cancelled.
"""

from __future__ import annotations

import time

import numpy as np

FIGURES = {
    "exchange_l2_events_per_s": "L2 events/s through the exchange with 20 own orders resting (prob queue model)",
    "exchange_l3_events_per_s": "sim-venue L3 events/s through the exchange with 20 own orders in the queue",
    "submit_ack_median_us": "us, median, from Python: submit an order, matcher checks it, ack emitted",
}


def sim_events(n: int, seed: int = 1) -> np.ndarray:
    """``n`` events of the default sim venue."""
    from hft_tui.events import EVENT_DTYPE
    from hft_tui.feeds.sim import SimParams, SimVenue

    venue = SimVenue(SimParams(), seed=seed)
    out = np.zeros(n, EVENT_DTYPE)
    k = 0
    while k < n - venue.max_message_events:
        k += venue.generate(out[k:])
    return out[:k]


def quoting_replay(events: np.ndarray, queue_model: str, warm: int) -> tuple[int, float, int]:
    """Replay ``events`` keeping 10 bids and 10 asks resting 0-9 ticks behind the touch.

    Returns (events timed, seconds, own fills).
    """
    from hft_tui.book import book_best_px
    from hft_tui.events import ASK, BID, ORDER_DONE
    from hft_tui.exchange import ExchangeConfig, SimExchange
    from hft_tui.exchange import codes as c

    ex = SimExchange(1, ExchangeConfig(queue_model=queue_model), book_window=1 << 14, book_capacity=1 << 14)
    i, _ = ex.run(events, 0, warm)
    slot_side: dict[int, tuple[int, int]] = {}

    def place(side: int, k: int, now: int) -> None:
        best = int(book_best_px(ex.book, 0, side))
        px = best - k if side == BID else best + k
        slot_side[ex.submit(now, 0, side, c.LIMIT, px, 50)] = (side, k)

    now = int(events["local_ts"][i - 1])
    for k in range(10):
        place(BID, k, now)
        place(ASK, k, now)
    fills = 0
    n = len(events)
    t0 = time.thread_time()
    start = i
    while i < n:
        i, reason = ex.run(events, i, n, stop=c.STOP_OWN)
        if reason == c.STOP_END:
            break
        out = ex.drain()
        now = ex.feed_now
        for e in out[(out["flags"] & ORDER_DONE) != 0]:
            side, k = slot_side.pop(int(e["order_id"]))
            fills += int(e["kind"] == 18)
            place(side, k, now)
    return n - start, time.thread_time() - t0, fills


def submit_ack_times(n: int) -> np.ndarray:
    """Wall time (ns) of submit + matcher + ack, one order at a time, from Python."""
    from hft_tui.events import ASK, BID, BUY
    from hft_tui.exchange import ExchangeConfig, SimExchange
    from hft_tui.exchange import codes as c
    from hft_tui.exchange.intents import cancel, submit
    from hft_tui.exchange.layout import C_NOUT
    from hft_tui.exchange.run import exchange_flush
    from hft_tui.exchange.tape import Tape

    ex = SimExchange(1, ExchangeConfig(entry_latency_ns=0, response_latency_ns=0))
    tape = Tape()
    for k in range(20):
        tape.level(1, BID, 1000 - k, 100, eom=False).level(1, ASK, 1001 + k, 100, eom=k == 19)
    ex.run(tape.events())
    book, (ints, fl, out) = ex.book, ex.state
    times = np.empty(n, np.int64)
    clock = time.perf_counter_ns
    post = c.POST_ONLY
    for j in range(n):
        t = clock()
        oid = submit(ints, fl, out, 10 + j, 0, BUY, post, 990 + j % 10, 1)
        exchange_flush(book, ints, fl, out, 10 + j)
        times[j] = clock() - t
        cancel(ints, fl, out, 10 + j, oid)
        exchange_flush(book, ints, fl, out, 10 + j)
        ints[C_NOUT] = 0
    return times


def run(quick: bool) -> dict[str, float]:
    n = 1_000_000 if quick else 10_000_000
    warm = 50_000
    l3 = sim_events(n + warm)
    from hft_tui.exchange.l2_from_l3 import l3_to_l2

    l2 = l3_to_l2(l3)
    # compile (or load from the cache) everything the timed runs use
    quoting_replay(l3[: warm + 20_000], "risk_averse", warm)
    quoting_replay(l2[: warm + 20_000], "prob", warm)
    count, secs, _ = quoting_replay(l3, "risk_averse", warm)
    l3_rate = count / secs
    l2 = l2[: warm + n]  # the same number of timed events as L3
    count, secs, _ = quoting_replay(l2, "prob", warm)
    l2_rate = count / secs
    submit_ack_times(1_000)
    times = submit_ack_times(20_000 if quick else 200_000)
    return {
        "exchange_l3_events_per_s": l3_rate,
        "exchange_l2_events_per_s": l2_rate,
        "submit_ack_median_us": float(np.median(times)) / 1000.0,
    }
