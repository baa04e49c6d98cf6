"""The built-in stochastic venue: a seeded L3 limit order book that works offline.

The model follows Cont, Stoikov & Talreja (2010), "A stochastic model for order
book dynamics", with sizes and a clock added. Independent Poisson processes:

- limit orders, per side, at i = 1..K ticks from the *opposite* best quote with
  rate ``limit_rate / i**limit_alpha`` (so near the touch they often improve the
  quote, and deep ones build a book hundreds of ticks deep);
- market orders, per side, at rate ``market_rate``, sweeping the opposite side in
  price-time order (one EXECUTE per resting order hit, at most
  ``max_sweep_orders``);
- cancellations: every resting order is cancelled at rate ``cancel_rate``.

The next event comes after an exponential time with the total rate and is of each
type with its share of it. Sizes are lognormal in lots (at least one lot). Three
keep-alive rules emit ordinary ADD/CANCEL messages at no time cost: the initial
book (the CST stationary depth ``limit_rate / i**alpha / cancel_rate`` orders at
i ticks each side of the start price), a refill near the last price when a side
empties, and the purge of orders deeper than ``max_depth_ticks`` behind the
opposite best (stale quotes far from a moved market).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import NamedTuple

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.instrument import Instrument


@dataclass(frozen=True)
class SimParams:
    """The ``[sim]`` section of config.toml (units in the comments there)."""

    symbol: str = "BTCUSDT"
    tick_size: str = "0.01"
    lot_size: str = "0.00001"
    start_price: str = "60000.00"
    start_time: str = "2024-01-01T00:00:00Z"
    seed: int = 1
    limit_rate: float = 30.0
    limit_alpha: float = 0.3
    limit_levels: int = 500
    cancel_rate: float = 15.0
    market_rate: float = 15.0
    limit_size_mean: float = 300.0
    market_size_mean: float = 8000.0
    size_sigma: float = 1.2
    max_sweep_orders: int = 100
    max_depth_ticks: int = 1000
    latency_ns: int = 2_000_000
    latency_jitter_ns: int = 500_000

    def __post_init__(self) -> None:
        for name in ("limit_rate", "market_rate", "cancel_rate", "limit_alpha",
                     "limit_size_mean", "market_size_mean"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.size_sigma) and 0 <= self.size_sigma <= 5):
            raise ValueError(f"size_sigma must be between 0 and 5, got {self.size_sigma!r}")
        if not 1 <= self.limit_levels <= 100_000:
            raise ValueError(f"limit_levels must be 1 to 100000 ticks, got {self.limit_levels}")
        if not self.limit_levels < self.max_depth_ticks <= 1_000_000:
            raise ValueError(
                f"max_depth_ticks must be above limit_levels ({self.limit_levels}) and at most "
                f"1000000, got {self.max_depth_ticks}"
            )
        if not 1 <= self.max_sweep_orders <= 100_000:
            raise ValueError(f"max_sweep_orders must be 1 to 100000, got {self.max_sweep_orders}")
        if self.latency_ns < 0 or self.latency_jitter_ns < 0:
            raise ValueError("latency_ns and latency_jitter_ns must not be negative")
        if not 0 <= self.seed < 2**64:
            raise ValueError(f"seed must be 0 to 2**64-1, got {self.seed}")
        try:
            inst = self.instrument()
        except HftError as exc:
            raise ValueError(str(exc)) from None
        try:
            start = inst.price_to_ticks(self.start_price)
        except HftError as exc:
            raise ValueError(f"start_price: {exc}") from None
        if start <= self.limit_levels + 1:
            raise ValueError(
                f"start_price must be more than limit_levels + 1 ticks above zero, got {self.start_price}"
            )
        self.start_ns()
        resting = 2 * float(np.sum(self.distance_weights())) / self.cancel_rate
        if resting > 5_000_000:
            raise ValueError(
                f"limit_rate / cancel_rate would keep ~{resting:,.0f} orders resting (at most 5,000,000)"
            )

    def instrument(self) -> Instrument:
        return Instrument(self.symbol, self.tick_size, self.lot_size)

    def start_ns(self) -> int:
        """start_time as integer ns since the epoch (no time zone means UTC)."""
        try:
            t = datetime.fromisoformat(self.start_time)
        except ValueError:
            raise ValueError(f"start_time {self.start_time!r} is not an ISO 8601 time") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        delta = t - datetime(1970, 1, 1, tzinfo=timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000

    def distance_weights(self) -> np.ndarray:
        """Limit-order rate per side at distance 1..K ticks, orders/s."""
        i = np.arange(1, self.limit_levels + 1, dtype=np.float64)
        return self.limit_rate / i**self.limit_alpha


class Take(NamedTuple):
    events: int  # EXECUTE events written
    filled: int  # lots filled
    notional: int  # sum of px * lots, in ticks * lots (average price = notional / filled)


class SimVenue:
    """The venue's state (arrays only) and the Python face of the jitted kernel.

    ``generate`` continues the stream where the previous call stopped; the
    output depends only on ``params`` and ``seed`` (and on ``take`` calls), not
    on how it is split into calls.
    """

    def __init__(
        self, params: SimParams | None = None, seed: int | None = None, *, pool_capacity: int | None = None
    ) -> None:
        # numba loads here, not at import: `hft-tui --help` stays fast
        from hft_tui.feeds import sim_book as bk
        from hft_tui.feeds import sim_kernel as kn
        from hft_tui.feeds import sim_random as rnd

        self._bk, self._kn = bk, kn
        p = params if params is not None else SimParams()
        self.params = p
        self.seed = p.seed if seed is None else int(seed)
        if not 0 <= self.seed < 2**64:
            raise HftError(f"seed must be 0 to 2**64-1, got {self.seed}")
        self.instrument = p.instrument()
        start_px = self.instrument.price_to_ticks(p.start_price)
        weights = p.distance_weights()
        self._al_p, self._al_i = rnd.alias_table(weights)
        # The initial book: CST's stationary mean depth, lambda(i) / theta orders at
        # i ticks each side of the start price; inside-out, alternating sides.
        # Rounded cumulatively, so the sparse deep book (under one order per level)
        # is spread evenly instead of rounded away.
        cum = np.floor(np.cumsum(weights / p.cancel_rate) + 0.5).astype(np.int64)
        counts = np.diff(cum, prepend=0)
        dist = np.repeat(np.arange(1, p.limit_levels + 1, dtype=np.int64), counts)
        self._seed_px = np.empty(2 * len(dist), dtype=np.int64)
        self._seed_px[0::2] = start_px - dist
        self._seed_px[1::2] = start_px + dist
        self._seed_side = np.tile(np.array([0, 1], dtype=np.int64), len(dist))

        st = np.zeros(bk.ST_SIZE, dtype=np.int64)
        st[bk.ST_CLOCK] = p.start_ns()
        st[bk.ST_NEXT_ID] = 1
        st[bk.ST_LAST_PX] = start_px
        ring = 1 << int(2 * p.max_depth_ticks + 2).bit_length()
        st[bk.ST_MASK] = ring - 1
        st[bk.ST_DMAX] = p.max_depth_ticks
        st[bk.ST_K] = p.limit_levels
        st[bk.ST_SWEEP_CAP] = p.max_sweep_orders
        st[bk.ST_LAT_NS] = p.latency_ns
        st[bk.ST_TRADE_MIN] = np.iinfo(np.int64).max
        st[bk.ST_TRADE_MAX] = np.iinfo(np.int64).min
        fp = np.zeros(bk.FP_SIZE, dtype=np.float64)
        fp[bk.FP_LSUM] = float(np.sum(weights))
        fp[bk.FP_MU] = p.market_rate
        fp[bk.FP_THETA] = p.cancel_rate
        # lognormal with the configured mean: log-mean = ln(mean) - sigma^2 / 2
        fp[bk.FP_LSIZE_M] = rnd.lognormal_log_mean(p.limit_size_mean, p.size_sigma)
        fp[bk.FP_MSIZE_M] = rnd.lognormal_log_mean(p.market_size_mean, p.size_sigma)
        fp[bk.FP_SIZE_S] = p.size_sigma
        fp[bk.FP_JITTER_NS] = float(p.latency_jitter_ns)
        self._st, self._fp = st, fp
        self._tab = rnd.tables(fp[bk.FP_LSIZE_M], fp[bk.FP_MSIZE_M], p.size_sigma)
        self._rng = rnd.splitmix64_state(self.seed)
        self._lv = np.zeros((2, ring, 4), dtype=np.int64)
        self._pool = np.zeros((0, bk.POOL_COLS), dtype=np.int64)
        self._live = np.zeros(0, dtype=np.int64)
        st[bk.ST_FREE] = -1
        # The pool doubles whenever it fills; growth never changes the output.
        self._grow(pool_capacity or max(1024, int(1.5 * len(self._seed_px))))

    # --- generation ------------------------------------------------------------------
    @property
    def max_message_events(self) -> int:
        """The most events one message can hold (a sweep of max_sweep_orders)."""
        return max(1, self.params.max_sweep_orders)

    def generate(
        self,
        out: np.ndarray,
        n: int | None = None,
        *,
        min_events: int | None = None,
        until_ns: int | None = None,
    ) -> int:
        """Write whole messages into out[:n] (n defaults to len(out)); return the count.

        Without ``min_events`` it writes as many as fit. With it, it stops at the
        first message end at or after ``min_events`` events instead (``out`` must
        then hold ``min_events + max_message_events - 1`` events). With
        ``until_ns`` it also stops after the first message at or past that
        exchange time.
        """
        n = len(out) if n is None else min(int(n), len(out))
        if out.dtype != EVENT_DTYPE:
            raise TypeError(f"expected EVENT_DTYPE records, got {out.dtype}")
        target = n
        if min_events is not None:
            target = int(min_events)
            if n < target + self.max_message_events - 1:
                raise ValueError("out is too small for min_events")
        elif 0 < n < self.max_message_events:
            raise ValueError(f"out must hold at least {self.max_message_events} events")
        stop = np.iinfo(np.int64).max if until_ns is None else int(until_ns)
        bk, kn = self._bk, self._kn
        i = 0
        while True:
            i = int(kn.generate(self._st, self._fp, self._rng, self._tab, self._pool, self._live, self._lv,
                                self._al_p, self._al_i, self._seed_px, self._seed_side,
                                out, i, n, target, stop))
            if self._st[bk.ST_STATUS] != bk.NEED_POOL:
                return i
            self._grow(2 * len(self._pool))

    def _grow(self, capacity: int) -> None:
        """Enlarge the order pool; the new slots join the free chain."""
        bk = self._bk
        old = len(self._pool)
        pool = np.zeros((capacity, bk.POOL_COLS), dtype=np.int64)
        pool[:old] = self._pool
        live = np.zeros(capacity, dtype=np.int64)
        live[:old] = self._live
        nxt = np.arange(old + 1, capacity + 1, dtype=np.int64)
        nxt[-1] = self._st[bk.ST_FREE]
        pool[old:, bk.O_NEXT] = nxt
        self._st[bk.ST_FREE] = old
        self._pool, self._live = pool, live

    # --- own orders and the L3 queue ---------------------------------------------------
    def take(self, side: int, limit_px: int, qty: int, out: np.ndarray, start: int = 0,
             ts: int | None = None) -> Take:
        """Sweep resting orders like a market order limited to ``limit_px`` ticks:
        side 1 buys from the asks, -1 sells to the bids; ``qty`` lots at most.
        Writes the EXECUTE events (flag OWN) into out[start:], at exchange time
        ``ts`` (default: the venue's clock); stops early when out is full."""
        if side not in (1, -1):
            raise ValueError(f"side must be 1 (buy) or -1 (sell), got {side}")
        if qty < 0:
            raise ValueError(f"qty must not be negative, got {qty}")
        ts = self.clock_ns if ts is None else int(ts)
        k, filled, notional = self._kn.take(self._st, self._pool, self._live, self._lv,
                                            side, int(limit_px), int(qty), out, int(start), ts)
        return Take(int(k), int(filled), int(notional))

    def level_orders(self, side: int, px: int) -> tuple[np.ndarray, np.ndarray]:
        """Order ids and sizes resting at (side, px), in time order (head first)."""
        si = 0 if side == 1 else 1
        ids = np.empty(64, dtype=np.int64)
        qtys = np.empty(64, dtype=np.int64)
        n = self._bk.level_orders(self._st, self._pool, self._lv, si, int(px), ids, qtys)
        if n > len(ids):
            ids = np.empty(n, dtype=np.int64)
            qtys = np.empty(n, dtype=np.int64)
            self._bk.level_orders(self._st, self._pool, self._lv, si, int(px), ids, qtys)
        return ids[:n].copy(), qtys[:n].copy()

    def depth(self, side: int, levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The best ``levels`` non-empty levels of a side: prices, lots, order counts."""
        px = np.empty(levels, dtype=np.int64)
        qty = np.empty(levels, dtype=np.int64)
        cnt = np.empty(levels, dtype=np.int64)
        n = self._bk.depth(self._st, self._lv, 0 if side == 1 else 1, px, qty, cnt)
        return px[:n], qty[:n], cnt[:n]

    # --- state ---------------------------------------------------------------------------
    @property
    def initial_orders(self) -> int:
        """Orders of the initial book: the stream's first ADD messages, at the start time."""
        return len(self._seed_px)

    @property
    def clock_ns(self) -> int:
        return int(self._st[self._bk.ST_CLOCK])

    @property
    def best_bid(self) -> int | None:
        bk = self._bk
        return int(self._st[bk.ST_BEST]) if self._st[bk.ST_NORD] else None

    @property
    def best_ask(self) -> int | None:
        bk = self._bk
        return int(self._st[bk.ST_BEST + 1]) if self._st[bk.ST_NORD + 1] else None

    def stats(self) -> dict[str, float | int]:
        """Counters since the start and time-weighted book figures (ticks)."""
        bk, st, fp = self._bk, self._st, self._fp
        span = fp[bk.FP_TW_NS]
        avg = (lambda x: x / span) if span > 0 else (lambda x: float("nan"))
        return {
            "events": int(st[bk.ST_N_EVENTS]),
            "messages": int(st[bk.ST_N_MSGS]),
            "adds": int(st[bk.ST_N_ADD]),
            "cancels": int(st[bk.ST_N_CANCEL]),
            "executions": int(st[bk.ST_N_EXEC]),
            "market_orders": int(st[bk.ST_N_MARKET]),
            "refills": int(st[bk.ST_N_REFILL]),
            "purges": int(st[bk.ST_N_PURGE]),
            "volume_lots": int(st[bk.ST_VOLUME]),
            "own_takes": int(st[bk.ST_N_TAKE]),
            "trade_min": int(st[bk.ST_TRADE_MIN]) if st[bk.ST_N_EXEC] else None,
            "trade_max": int(st[bk.ST_TRADE_MAX]) if st[bk.ST_N_EXEC] else None,
            "last_px": int(st[bk.ST_LAST_PX]),
            "sim_ns": int(span),
            "resting_orders": int(st[bk.ST_NLIVE]),
            "mean_spread": avg(fp[bk.FP_TW_SPREAD]),
            "mean_depth_bid": avg(fp[bk.FP_TW_DEPTH]),
            "mean_depth_ask": avg(fp[bk.FP_TW_DEPTH + 1]),
            "mean_resting_orders": avg(fp[bk.FP_TW_NLIVE]),
        }


class SimSource:
    """The sim venue as an engine ``Source`` (see ``hft_tui.source``): event time,
    not wall time; the engine paces it."""

    realtime = False

    def __init__(self, venue: SimVenue) -> None:
        self.venue = venue
        self.instruments = [venue.instrument]
        self._buf: np.ndarray | None = None

    def start(self) -> None:
        pass

    def read(self, max_events: int, timeout: float) -> np.ndarray | None:
        if max_events < self.venue.max_message_events:
            raise ValueError(f"max_events must be at least {self.venue.max_message_events}")
        if self._buf is None or len(self._buf) < max_events:
            self._buf = np.zeros(max_events, dtype=EVENT_DTYPE)
        n = self.venue.generate(self._buf, max_events)
        return self._buf[:n].copy()  # the engine may keep a batch; the buffer is reused

    def health(self) -> dict[str, float | int | str]:
        s = self.venue.stats()
        return {"source": "sim", "events": s["events"], "messages": s["messages"],
                "sim_seconds": s["sim_ns"] / 1e9}

    def stop(self) -> None:
        pass
