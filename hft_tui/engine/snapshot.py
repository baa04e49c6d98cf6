"""What the engine publishes for viewers, a few times per second.

A snapshot is immutable and self-contained: a viewer never reaches into the
engine's live state. Prices and sizes are integer ticks and lots; the
instrument list turns them into decimals for display. Log lines carry a
sequence number so a viewer appends only the ones it has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from hft_tui.instrument import Instrument

ACTIVE = "ACTIVE"
REDUCE_ONLY = "REDUCE-ONLY"
HALTED = "HALTED"


@dataclass(frozen=True)
class BookView:
    sym: int
    bids: tuple[tuple[int, int], ...]  # (px ticks, qty lots), best first
    asks: tuple[tuple[int, int], ...]
    last_trade_px: int | None = None
    last_trade_qty: int = 0
    last_trade_side: int = 0  # aggressor: 1 buy, -1 sell, 0 unknown
    last_trade_ts: int = 0
    #: traded volume per price (ticks -> lots) over the recent window, for the ladder
    traded: tuple[tuple[int, int], ...] = ()
    stale: bool = False  # live feed resyncing: do not trust it


@dataclass(frozen=True)
class OrderView:
    order_id: int
    strategy: str
    sym: int
    side: int
    px: int
    qty: int  # original size, lots
    leaves: int  # still open, lots
    state: str  # pending-new, accepted, partially-filled, ...
    kind: str  # limit, post-only, ioc, fok, market
    queue_ahead: int  # estimated lots ahead of it at its level (-1 unknown)


class LogLine(NamedTuple):
    """(A named tuple: thousands are made and pickled a second at full speed.)"""

    seq: int
    ts: int  # exchange time, ns
    category: str  # order, fill, risk, strategy, feed, engine
    strategy: str  # "" for engine-wide lines
    text: str
    level: str = "info"  # info, warning, error


@dataclass(frozen=True)
class PnLView:
    name: str  # strategy name, or "total"
    position: tuple[int, ...]  # lots, per sym
    realized: float
    unrealized: float
    fees: float
    equity: float
    equity_series: tuple[float, ...] = ()
    position_series: tuple[float, ...] = ()


@dataclass(frozen=True)
class LimitView:
    key: str  # e.g. "max_position"
    scope: str  # "global" or a strategy name
    used: float
    limit: float

    @property
    def utilisation(self) -> float:
        return abs(self.used) / self.limit if self.limit else 0.0


@dataclass(frozen=True)
class StrategyView:
    name: str
    kind: str  # built-in name or path:Class
    enabled: bool
    state: str  # ACTIVE, REDUCE-ONLY, HALTED
    params: tuple[tuple[str, object], ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Snapshot:
    mode: str  # SIM, LIVE, REPLAY
    instruments: tuple[Instrument, ...]
    exch_ts: int = 0
    feed_latency_ns: int = 0
    events_total: int = 0
    events_per_s: float = 0.0
    engine_state: str = "starting"  # starting, running, paused, ended, error
    engine_error: str = ""
    killed: bool = False
    kill_reason: str = ""
    global_state: str = ACTIVE
    speed: float | None = None  # replay speed, None = max
    progress: float | None = None  # replay position 0..1
    books: tuple[BookView, ...] = ()
    orders: tuple[OrderView, ...] = ()
    log: tuple[LogLine, ...] = ()  # most recent lines, oldest first
    pnl: tuple[PnLView, ...] = ()
    limits: tuple[LimitView, ...] = ()
    limit_settings: tuple[tuple[str, float | bool], ...] = ()  # every global limit, as [risk] has it
    rejections: tuple[tuple[str, int], ...] = ()  # reason -> count
    strategies: tuple[StrategyView, ...] = ()
    feed: tuple[tuple[str, float | int | str], ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
