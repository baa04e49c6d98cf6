"""The ``[exchange]`` settings: fees, latencies, queue model, capacities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hft_tui.config import section
from hft_tui.errors import ConfigError
from hft_tui.exchange.codes import LATENCY_KINDS, MAX_LATENCY_NS, QUEUE_MODELS


@dataclass(frozen=True)
class ExchangeConfig:
    maker_fee_bps: float = 2.0  # negative: a rebate
    taker_fee_bps: float = 5.0
    queue_model: str = "risk_averse"  # risk_averse | prob (L2 sources only)
    queue_power: float = 1.0  # prob model: ahead^n / (ahead^n + behind^n)
    use_local_ts: bool = True  # feed time = recorded local_ts where the data has one
    feed_latency_ns: int = 1_000_000  # else exch_ts + this
    entry_latency: str = "constant"  # constant | uniform | lognormal
    entry_latency_ns: int = 1_000_000  # constant value, uniform low bound, lognormal median
    entry_latency_max_ns: int = 0  # uniform high bound
    entry_latency_sigma: float = 0.5  # lognormal shape
    response_latency_ns: int = 1_000_000  # matcher -> strategy, for acks, fills, rejects
    seed: int = 1  # entry-latency draws
    max_orders: int = 4096  # live orders (pending or open), all symbols
    max_open_per_side: int = 64  # open orders per symbol and side
    max_walk_levels: int = 256  # levels one aggressive order may take from
    out_capacity: int = 65536  # own-order events buffered between drains

    def __post_init__(self) -> None:
        if self.queue_model not in QUEUE_MODELS:
            raise ConfigError(
                f"config: exchange.queue_model must be one of {', '.join(QUEUE_MODELS)}, "
                f"got {self.queue_model!r}"
            )
        if self.entry_latency not in LATENCY_KINDS:
            raise ConfigError(
                f"config: exchange.entry_latency must be one of {', '.join(LATENCY_KINDS)}, "
                f"got {self.entry_latency!r}"
            )
        for name in ("maker_fee_bps", "taker_fee_bps"):
            fee = getattr(self, name)
            if not -10_000 <= fee <= 10_000:  # also refuses nan and inf
                raise ConfigError(f"config: exchange.{name} must be -10000 to 10000 bps, got {fee}")
        for name in ("feed_latency_ns", "entry_latency_ns", "response_latency_ns", "entry_latency_max_ns"):
            if not 0 <= getattr(self, name) <= MAX_LATENCY_NS:
                raise ConfigError(
                    f"config: exchange.{name} must be 0 to {MAX_LATENCY_NS} (one day), got {getattr(self, name)}"
                )
        if self.entry_latency == "uniform" and self.entry_latency_max_ns < self.entry_latency_ns:
            raise ConfigError("config: exchange.entry_latency_max_ns must be >= entry_latency_ns")
        if not self.queue_power > 0:
            raise ConfigError(f"config: exchange.queue_power must be > 0, got {self.queue_power}")
        if not 0 <= self.entry_latency_sigma <= 10:
            raise ConfigError(f"config: exchange.entry_latency_sigma must be 0 to 10, got {self.entry_latency_sigma}")
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"config: exchange.seed must be 0 to 2**63-1, got {self.seed}")
        for name in ("max_orders", "max_open_per_side", "max_walk_levels", "out_capacity"):
            if getattr(self, name) < 1:
                raise ConfigError(f"config: exchange.{name} must be >= 1")
        # room for what one message or action can emit, twice (hft_tui.exchange.layout)
        need = 2 * (2 * self.max_open_per_side + self.max_walk_levels + 8)
        if self.out_capacity < need:
            raise ConfigError(
                f"config: exchange.out_capacity must be at least {need} with max_open_per_side "
                f"{self.max_open_per_side} and max_walk_levels {self.max_walk_levels}, got {self.out_capacity}"
            )


def from_config(cfg: Mapping[str, Any]) -> ExchangeConfig:
    """The ``[exchange]`` table of a loaded configuration (``hft_tui.config.load``)."""
    return section(cfg, "exchange", ExchangeConfig)
