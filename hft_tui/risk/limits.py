"""Risk limits: the ``[risk]`` settings, per-strategy overrides, and their integer form.

Limits are written by people in instrument units (sizes in the base asset,
notionals and losses in the quote currency). The pre-trade check compares
integers, so each limit is turned once per symbol into lots or into
``tick x lot`` quote units with exact decimal arithmetic. A limit off the
symbol's grid is floored to it: a maximum of 0.00015 BTC on a 0.0001 lot grid
allows 1 lot, never 2. ``inf`` (TOML ``inf``) switches a limit off; 0 allows
nothing.

Scopes: the values in ``[risk]`` are the global limits. A strategy's limits are
the global ones with its ``[risk.strategies.NAME]`` keys on top. Per-order
limits (size, notional, price band, post-only, self-trade, stale feed) use the
strategy's values; aggregate limits (position, gross notional, open orders,
order rate, daily loss, drawdown) are checked twice: the strategy's own book
against its values and the sum over all strategies against the global values.

Interface changes against the engine brief: none; ``breach_action`` was added
(what a daily-loss or drawdown breach does: "reduce_only" or "halt").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hft_tui.config import from_mapping, section
from hft_tui.errors import HftError
from hft_tui.instrument import Instrument

#: "no limit" in integer form; far above any real size or notional in lots/units
UNLIMITED = 1 << 62

SIZE_KEYS = ("max_order_qty", "max_position")  # base units, floored to lots per symbol
QUOTE_KEYS = ("max_order_notional", "max_gross_notional", "daily_loss", "max_drawdown")
COUNT_KEYS = ("max_open_orders", "max_order_rate")  # whole numbers
SWITCH_KEYS = ("post_only_check", "self_trade_check")  # true/false (1/0 at run time)
LIMIT_KEYS = (
    "max_order_qty",
    "max_order_notional",
    "max_position",
    "max_gross_notional",
    "max_open_orders",
    "max_order_rate",
    "price_band_bps",
    "daily_loss",
    "max_drawdown",
    "stale_feed_ms",
    "post_only_check",
    "self_trade_check",
)
BREACH_ACTIONS = ("reduce_only", "halt")


@dataclass(frozen=True)
class LimitValues:
    """One scope's limits in instrument units. Defaults suit a BTCUSDT-like sim."""

    max_order_qty: float = 0.05  # base units per order
    max_order_notional: float = 5000.0  # quote per order (px x qty)
    max_position: float = 0.2  # base units, absolute, per symbol, open orders included
    max_gross_notional: float = 20000.0  # quote: sum over symbols of |exposure| x mid
    max_open_orders: float = 20  # open and in-flight orders
    max_order_rate: float = 100  # orders + replaces + cancels per second of event time
    price_band_bps: float = 100.0  # limit price within this many bps of mid
    daily_loss: float = 500.0  # quote, equity below the UTC day's first value
    max_drawdown: float = 1000.0  # quote, equity below its running peak
    stale_feed_ms: float = 2000.0  # no data for this long: only risk-reducing orders
    post_only_check: bool = True  # refuse post-only orders that would cross the best
    self_trade_check: bool = True  # refuse orders that would cross an own resting order

    def __post_init__(self) -> None:
        for key in LIMIT_KEYS:
            check_value(key, getattr(self, key))

    def items(self) -> tuple[tuple[str, float | bool], ...]:
        """(key, value) of every limit, as ``[risk]`` writes it (inf: no limit)."""
        return tuple((key, getattr(self, key)) for key in LIMIT_KEYS)


@dataclass(frozen=True)
class LimitOverrides:
    """A strategy's ``[risk.strategies.NAME]`` table: any subset of the limit keys."""

    max_order_qty: float | None = None
    max_order_notional: float | None = None
    max_position: float | None = None
    max_gross_notional: float | None = None
    max_open_orders: float | None = None
    max_order_rate: float | None = None
    price_band_bps: float | None = None
    daily_loss: float | None = None
    max_drawdown: float | None = None
    stale_feed_ms: float | None = None
    post_only_check: bool | None = None
    self_trade_check: bool | None = None

    def __post_init__(self) -> None:
        for key in LIMIT_KEYS:
            value = getattr(self, key)
            if value is not None:
                check_value(key, value)

    def given(self) -> dict[str, Any]:
        return {k: v for k in LIMIT_KEYS if (v := getattr(self, k)) is not None}


@dataclass(frozen=True)
class RiskConfig(LimitValues):
    """The ``[risk]`` section: global limits, breach action, per-strategy overrides."""

    breach_action: str = "reduce_only"
    strategies: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.breach_action not in BREACH_ACTIONS:
            raise ValueError(f"breach_action must be one of {', '.join(BREACH_ACTIONS)}, got {self.breach_action!r}")
        parsed = {}
        for name, table in self.strategies.items():
            if isinstance(table, LimitOverrides):
                parsed[name] = table
            elif isinstance(table, Mapping):
                parsed[name] = from_mapping(table, LimitOverrides, f"risk.strategies.{name}")
            else:
                raise ValueError(f"strategies.{name} must be a table")
        object.__setattr__(self, "strategies", parsed)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> RiskConfig:
        return section(cfg, "risk", cls)

    def global_values(self) -> LimitValues:
        return LimitValues(**{k: getattr(self, k) for k in LIMIT_KEYS})

    def for_strategy(self, name: str) -> LimitValues:
        over = self.strategies.get(name)
        base = self.global_values()
        return dataclasses.replace(base, **over.given()) if over else base


def check_value(key: str, value: Any) -> Any:
    """The value if it is a valid setting for ``key``; ValueError with one line otherwise."""
    if key in SWITCH_KEYS:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise ValueError(f"{key} must be true or false (1 or 0), got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"{key} must be >= 0 (inf for no limit), got {value!r}")
    if key in COUNT_KEYS and not math.isinf(value) and value != int(value):
        raise ValueError(f"{key} must be a whole number, got {value!r}")
    return value


def _floor_units(value: float, step: Decimal) -> int:
    """``value`` (instrument units) as a whole number of ``step``s, floored, exactly."""
    if math.isinf(value):
        return UNLIMITED
    # repr is the shortest decimal that round-trips: 0.1 stays 0.1, not 0.1000000000000000055
    return min(UNLIMITED, int(Decimal(repr(float(value))) // step))


class ScopeLimits:
    """One scope's limits in the integer form the hot path compares against.

    Per-symbol lists are indexed by the symbol's index in the instrument list.
    """

    __slots__ = (
        "values",
        "order_lots",
        "position_lots",
        "notional_units",
        "gross_notional",
        "open_orders",
        "rate",
        "band_bps",
        "band_on",
        "daily_loss",
        "max_drawdown",
        "stale_ns",
        "post_only_check",
        "self_trade_check",
    )

    def __init__(self, values: LimitValues, instruments: list[Instrument]) -> None:
        self.values = values
        lots = [Decimal(i.lot_size) for i in instruments]
        units = [Decimal(i.tick_size) * Decimal(i.lot_size) for i in instruments]
        self.order_lots = [_floor_units(values.max_order_qty, s) for s in lots]
        self.position_lots = [_floor_units(values.max_position, s) for s in lots]
        self.notional_units = [_floor_units(values.max_order_notional, u) for u in units]
        self.gross_notional = float(values.max_gross_notional)
        self.open_orders = UNLIMITED if math.isinf(values.max_open_orders) else int(values.max_open_orders)
        self.rate = UNLIMITED if math.isinf(values.max_order_rate) else int(values.max_order_rate)
        self.band_bps = float(values.price_band_bps)
        self.band_on = not math.isinf(self.band_bps)
        self.daily_loss = float(values.daily_loss)
        self.max_drawdown = float(values.max_drawdown)
        self.stale_ns = UNLIMITED if math.isinf(values.stale_feed_ms) else int(values.stale_feed_ms * 1_000_000)
        self.post_only_check = bool(values.post_only_check)
        self.self_trade_check = bool(values.self_trade_check)


def parse_limit(key: str, value: Any) -> Any:
    """A run-time limit change (``SetLimit``, ``--risk key=value``) validated, or HftError."""
    if key not in LIMIT_KEYS:
        raise HftError(f"unknown risk limit {key!r} (known: {', '.join(LIMIT_KEYS)})")
    try:
        return check_value(key, value)
    except ValueError as exc:
        raise HftError(f"risk limit {exc}") from None
