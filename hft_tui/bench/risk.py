"""Benchmark area ``risk``: the cost of a pre-trade check and of booking a fill.

The check runs in a market maker's typical state: a position, a few quotes
resting on both sides, two symbols, every limit on. Calls are timed in batches
of 100 (the timer costs about as much as a check) and the median batch is
reported per call.
"""

from __future__ import annotations

import time

FIGURES = {
    "risk_check_median_us": "microseconds per RiskManager.check_order that passes (median of 100-call batches)",
    "portfolio_fill_median_us": "microseconds per Portfolio.on_fill, position flips and partial closes included",
}

_BATCH = 100


def _median_us(batches: list[int]) -> float:
    batches.sort()
    return batches[len(batches) // 2] / _BATCH / 1000.0


def run(quick: bool) -> dict[str, float]:
    from hft_tui.instrument import Instrument
    from hft_tui.portfolio import Portfolio
    from hft_tui.risk import RiskConfig, RiskManager
    from hft_tui.strategies.base import LIMIT

    rounds = 200 if quick else 5000
    instruments = [Instrument("BTCUSDT", "0.01", "0.00001"), Instrument("ETHUSDT", "0.01", "0.0001")]
    rm = RiskManager(RiskConfig(max_order_rate=10**9), instruments, ["mm", "taker"])
    t0 = 1_700_000_000 * 10**9
    bid, ask = 6_000_000, 6_000_002
    rm.post_trade(t0, {}, 0.0, [t0, t0], mids=[bid + 1, 300_000.5])
    rm.on_fill("mm", 0, 1, 300)
    for i in range(4):  # quotes resting on both sides
        rm.on_order_sent(i * 2 + 1, "mm", 0, 1, bid - i, 100, LIMIT, t0)
        rm.on_order_sent(i * 2 + 2, "mm", 0, -1, ask + i, 100, LIMIT, t0)
    check = rm.check_order
    clock = time.perf_counter_ns
    batches = []
    for r in range(rounds):
        now = t0 + r * 1000
        start = clock()
        for _ in range(_BATCH):
            check("mm", 0, 1, bid - 5, 100, LIMIT, now, bid, ask)
        batches.append(clock() - start)
    assert check("mm", 0, 1, bid - 5, 100, LIMIT, t0, bid, ask) is None, rm.last_message
    out = {"risk_check_median_us": _median_us(batches)}

    p = Portfolio(instruments, ["mm"])
    sides = (1, 1, -1, -1, -1, 1)  # adds, partial closes and flips in turn
    batches = []
    for r in range(rounds):
        start = clock()
        for i in range(_BATCH):
            p.on_fill("mm", 0, sides[i % 6], bid + (i & 7), 70 + (i & 3) * 40, -0.001, "maker", t0 + r)
        batches.append(clock() - start)
    out["portfolio_fill_median_us"] = _median_us(batches)
    return out
