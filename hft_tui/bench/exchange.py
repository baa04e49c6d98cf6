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
- ``submit_ack_median_us``: the median wall time of sending an order from
  Python (``intents.submit``: checks, id, latency draw, ORDER_NEW, queued) plus
  the matcher's time per order (post-only check against the book, queue
  placement, ORDER_ACK), measured in batches inside ``exchange_flush``. The fixed
  cost of the ``exchange_run``/``exchange_flush`` call itself (~2 us of numba
  dispatch from Python) is left out: the engine pays it once per batch of
  market data whether or not an order is in flight.

Throughput figures are CPU time of the benchmark thread (``time.thread_time``),
so a busy shared machine inflates them less than wall time would.
"""

from __future__ import annotations

import time

import numpy as np

NO_DEADLINE = (1 << 63) - 1

FIGURES = {
    "exchange_l2_events_per_s": "L2 events/s through the exchange with 20 own orders resting (prob queue model)",
    "exchange_l3_events_per_s": "sim-venue L3 events/s through the exchange with 20 own orders in the queue",
    "submit_ack_median_us": "us, median: submit from Python + matcher check + ack (per-batch call cost excluded)",
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


def quoting_replay(events: np.ndarray, queue_model: str, warm: int) -> tuple[int, float, int, int]:
    """Replay ``events`` keeping 10 bids and 10 asks resting 0-9 ticks behind the touch.

    The quoting loop is deliberately lean (jitted entry points, no copies): the
    figure is about the exchange. Returns (events timed, CPU seconds, own fills,
    own orders resting at the end).
    """
    from hft_tui.book_ladder import M_BASE, M_BEST
    from hft_tui.events import ASK, BID, ORDER_DONE, ORDER_FILL
    from hft_tui.exchange import ExchangeConfig, SimExchange
    from hft_tui.exchange import codes as c
    from hft_tui.exchange.intents import submit
    from hft_tui.exchange.layout import C_FEED_NOW, C_NOUT
    from hft_tui.exchange.run import exchange_run

    ex = SimExchange(1, ExchangeConfig(queue_model=queue_model), book_window=1 << 14, book_capacity=1 << 14)
    book = ex.book
    ints, fl, out = ex.state
    i, _ = ex.run(events, 0, warm)
    level: dict[int, tuple[int, int]] = {}

    def place(side: int, k: int) -> None:
        si = 0 if side == BID else 1
        key = int(book.meta[0, si, M_BASE] + book.meta[0, si, M_BEST])  # the best level's key
        px = key - k if side == BID else -key + k
        oid = submit(ints, fl, out, int(ints[C_FEED_NOW]), 0, side, c.LIMIT, px, 50)
        level[int(oid)] = (side, k)

    for k in range(10):
        place(BID, k)
        place(ASK, k)
    ints[C_NOUT] = 0
    fills = 0
    n = len(events)
    start = i
    t0 = time.thread_time()
    while i < n:
        i, reason = exchange_run(book, ints, fl, out, events, i, n, c.STOP_OWN, -1, 1, NO_DEADLINE)
        if reason == c.STOP_END:
            break
        m = int(ints[C_NOUT])
        done = out[:m]
        done = done[(done["flags"] & ORDER_DONE) != 0]
        ints[C_NOUT] = 0
        fills += int(np.count_nonzero(done["kind"] == ORDER_FILL))
        for oid in done["order_id"].tolist():
            place(*level.pop(oid))
    secs = time.thread_time() - t0
    return n - start, secs, fills, len(ex.open_orders())


def submit_ack(n: int, batch: int = 50) -> tuple[np.ndarray, float]:
    """The two halves of the submit-to-ack path, zero latencies, a 20-level book.

    Returns the wall time (ns) of each ``submit`` call from Python (checks, id,
    latency draw, ORDER_NEW, queued), and the matcher's CPU time per order (ns):
    ``exchange_flush`` over ``batch`` due post-only orders (book check, queue
    placement, ORDER_ACK), minus the same call with nothing due, per order.
    """
    from hft_tui.events import ASK, BID, BUY
    from hft_tui.exchange import ExchangeConfig, SimExchange
    from hft_tui.exchange import codes as c
    from hft_tui.exchange.intents import cancel_all, submit
    from hft_tui.exchange.layout import C_NOUT
    from hft_tui.exchange.run import exchange_flush
    from hft_tui.exchange.tape import Tape

    ex = SimExchange(1, ExchangeConfig(entry_latency_ns=0, response_latency_ns=0))
    tape = Tape()
    for k in range(20):
        tape.level(1, BID, 1000 - k, 100, eom=False).level(1, ASK, 1001 + k, 100, eom=k == 19)
    ex.run(tape.events())
    book, (ints, fl, out) = ex.book, ex.state
    clock = time.perf_counter_ns
    cpu = time.thread_time_ns
    post = c.POST_ONLY
    walls = np.empty(n, np.int64)
    full = []
    empty = []
    t = 10
    for j in range(n):
        t += 1
        w = clock()
        submit(ints, fl, out, t, 0, BUY, post, 990 + j % 10, 1)
        walls[j] = clock() - w
        if j % batch == batch - 1:
            w = cpu()
            exchange_flush(book, ints, fl, out, t)
            full.append(cpu() - w)
            w = cpu()
            exchange_flush(book, ints, fl, out, t)
            empty.append(cpu() - w)
            cancel_all(ints, fl, out, t, -1)
            exchange_flush(book, ints, fl, out, t)
            ints[C_NOUT] = 0
    return walls, max(0.0, float(np.median(full) - np.median(empty))) / batch


def run(quick: bool) -> dict[str, float]:
    n = 1_000_000 if quick else 10_000_000
    warm = 50_000
    l3 = sim_events(n + warm)
    from hft_tui.exchange.l2_from_l3 import l3_to_l2

    l2 = l3_to_l2(l3)
    # compile (or load from the cache) everything the timed runs use
    quoting_replay(l3[: warm + 20_000], "risk_averse", warm)
    quoting_replay(l2[: warm + 20_000], "prob", warm)
    count, secs, _, _ = quoting_replay(l3, "risk_averse", warm)
    l3_rate = count / secs
    l2 = l2[: warm + n]  # the same number of timed events as L3
    count, secs, _, _ = quoting_replay(l2, "prob", warm)
    l2_rate = count / secs
    submit_ack(1_000)
    walls, match_ns = submit_ack(20_000 if quick else 200_000)
    return {
        "exchange_l3_events_per_s": l3_rate,
        "exchange_l2_events_per_s": l2_rate,
        "submit_ack_median_us": (float(np.median(walls)) + match_ns) / 1000.0,
    }
