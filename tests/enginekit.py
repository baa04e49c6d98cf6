"""Helpers for the engine tests: an in-memory source, synthetic L2 streams, recording strategies."""

from __future__ import annotations

import numpy as np

from hft_tui.config import load
from hft_tui.events import ASK, BID, EOM, EVENT_DTYPE, LEVEL, TRADE
from hft_tui.instrument import Instrument
from hft_tui.strategies.base import Strategy
from hft_tui.strategies.loader import StrategySpec

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
T0 = 1_700_000_000_000_000_000


class ArraySource:
    """A Source over an event array, cut into batches of ``batch`` events on message ends."""

    realtime = False

    def __init__(self, events: np.ndarray, batch: int = 1000, instruments=None) -> None:
        self.events = events
        self.batch = batch
        self.instruments = list(instruments or [BTC])
        self.pos = 0
        self.stopped = False

    def start(self) -> None:
        pass

    def read(self, max_events: int, timeout: float = 0.0):
        if self.pos >= len(self.events):
            return None
        end = min(len(self.events), self.pos + min(max_events, self.batch))
        while end < len(self.events) and not self.events["flags"][end - 1] & EOM:
            end += 1
        out = self.events[self.pos : end]
        self.pos = end
        return out

    def health(self):
        return {"events": self.pos}

    def stop(self) -> None:
        self.stopped = True


def l2_walk(n_msgs: int, seed: int = 1, gap_ns: int = 10_000_000, start_px: int = 6_000_000) -> np.ndarray:
    """An L2 stream: every message moves the best bid and ask (random walk, random spread)
    and prints a trade now and then. Feed time = exch_ts + the feed latency."""
    rng = np.random.default_rng(seed)
    rows = []
    bid = start_px
    old_bid = old_ask = None
    for m in range(n_msgs):
        ts = T0 + (m + 1) * gap_ns
        bid += int(rng.integers(-3, 4))
        ask = bid + int(rng.integers(1, 5))
        msg = []
        if old_bid is not None and old_bid != bid:
            msg.append((ts, LEVEL, BID, old_bid, 0))
        if old_ask is not None and old_ask != ask:
            msg.append((ts, LEVEL, ASK, old_ask, 0))
        msg.append((ts, LEVEL, BID, bid, int(rng.integers(1, 500))))
        msg.append((ts, LEVEL, ASK, ask, int(rng.integers(1, 500))))
        if rng.random() < 0.2:
            side = BID if rng.random() < 0.5 else ASK
            msg.append((ts, TRADE, side, ask if side == BID else bid, int(rng.integers(1, 50))))
        for k, row in enumerate(msg):
            rows.append((*row, EOM if k == len(msg) - 1 else 0))
        old_bid, old_ask = bid, ask
    ev = np.zeros(len(rows), EVENT_DTYPE)
    arr = np.array(rows, dtype=np.int64)
    ev["exch_ts"] = arr[:, 0]
    ev["kind"] = arr[:, 1]
    ev["side"] = arr[:, 2]
    ev["px"] = arr[:, 3]
    ev["qty"] = arr[:, 4]
    ev["flags"] = arr[:, 5]
    ev["order_id"] = np.arange(len(rows))
    return ev


def config(**engine):
    overrides = [f"engine.{k}={v}" for k, v in engine.items()]
    return load(use_user_file=False, overrides=["risk.max_order_rate=inf", *overrides])


def spec(cls: type[Strategy], name: str | None = None, **params) -> StrategySpec:
    full = dict(cls.defaults)
    full.update(params)
    return StrategySpec(name or cls.__name__, f"test:{cls.__name__}", cls, full)


class Recorder(Strategy):
    """Wakes on best-price moves of ``ticks`` (and a timer of ``timer``), remembers each wake."""

    defaults = {"ticks": 1, "timer": 0.0}

    @property
    def wake_ticks(self):  # type: ignore[override]
        return self.params["ticks"]

    @property
    def timer_ms(self):  # type: ignore[override]
        return self.params["timer"]

    def on_start(self, ctx):
        self.wakes = []
        self.fills = []

    def on_wake(self, ctx):
        b, a = ctx.best_bid(), ctx.best_ask()
        self.wakes.append((ctx.now, b[0] if b else None, a[0] if a else None))

    def on_fill(self, ctx, fill):
        self.fills.append((fill, ctx.position(fill.sym)))
