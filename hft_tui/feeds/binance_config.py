"""The ``[live]`` settings: which Binance market, where, which streams, how to reconnect."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hft_tui.config import section
from hft_tui.errors import ConfigError
from hft_tui.feeds.binance_protocol import MARKETS, TRADE_KINDS, Market, market


@dataclass(frozen=True)
class LiveConfig:
    market: str = "spot"  # "spot" or "usdm" (USD-M futures)
    symbols: list[str] = field(default_factory=lambda: ["BTCUSDT"])
    ws_url: str = ""  # empty: the market's public stream host
    rest_url: str = ""  # empty: the market's public REST host
    depth_ms: int = 100  # depth diff speed: spot 100 or 1000; usdm 0, 100, 250 or 500
    trade_stream: str = "trade"  # "trade", "aggTrade" or "" for none
    book_ticker: bool = True
    snapshot_limit: int = 1000  # levels per side in a REST snapshot (spot 5000 costs 250 weight)
    reconnect_min_s: float = 0.5  # first reconnect delay; doubles per failed attempt
    reconnect_max_s: float = 30.0
    watchdog_s: float = 10.0  # no message for this long: the connection is dead, reconnect
    ping_interval_s: float = 20.0  # our keepalive pings (0: none)
    ping_timeout_s: float = 20.0
    control_rate: float = 4.0  # control frames we send per second at most (Binance allows 5)
    open_timeout_s: float = 10.0
    rest_timeout_s: float = 10.0
    max_queue: int = 20000  # batches waiting for the engine before the feed sheds load
    max_buffer: int = 4096  # diffs buffered per symbol while waiting for a snapshot
    verify_ticker: bool = False  # resync when a book ticker disagrees with the book at its id
    exchange_info_ttl_h: float = 24.0  # how long cached tick/lot sizes are trusted
    instruments: dict[str, Any] = field(default_factory=dict)  # SYMBOL = {tick_size, lot_size}
    rotate_minutes: int = 60  # recorder: start new files every N minutes (on the clock)
    rotate_mb: int = 1024  # recorder: ... or when a file reaches this size
    flush_s: float = 1.0  # recorder: flush at least this often

    def __post_init__(self) -> None:
        if self.market not in MARKETS:
            raise ConfigError(f"config: live.market must be one of {', '.join(MARKETS)}")
        if self.trade_stream and self.trade_stream not in TRADE_KINDS:
            raise ConfigError('config: live.trade_stream must be "trade", "aggTrade" or ""')
        allowed = (0, 100, 250, 500) if self.market == "usdm" else (100, 1000)
        if self.depth_ms not in allowed:
            raise ConfigError(
                f"config: live.depth_ms must be one of {', '.join(map(str, allowed))} "
                f"on {self.market}"
            )
        for name in ("reconnect_min_s", "reconnect_max_s", "rest_timeout_s", "open_timeout_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"config: live.{name} must be positive")
        if self.control_rate <= 0 or self.control_rate > 5:
            raise ConfigError("config: live.control_rate must be in (0, 5] (Binance allows 5/s)")
        if not 5 <= self.snapshot_limit <= self.market_info.max_snapshot_limit:
            raise ConfigError(
                f"config: live.snapshot_limit must be 5..{self.market_info.max_snapshot_limit}"
            )
        for key in ("max_queue", "max_buffer", "rotate_minutes", "rotate_mb"):
            if getattr(self, key) < 1:
                raise ConfigError(f"config: live.{key} must be at least 1")
        if not self.symbols:
            raise ConfigError("config: live.symbols is empty")
        object.__setattr__(self, "symbols", [s.strip().upper() for s in self.symbols])
        twice = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
        if twice:
            raise ConfigError(f"config: live.symbols names {twice[0]} twice")
        for sym, spec in self.instruments.items():
            if not isinstance(spec, Mapping) or set(spec) != {"tick_size", "lot_size"}:
                raise ConfigError(
                    f"config: live.instruments.{sym} must be {{tick_size = \"..\", lot_size = \"..\"}}"
                )

    @property
    def market_info(self) -> Market:
        return market(self.market)

    @property
    def futures(self) -> bool:
        return self.market_info.futures

    @property
    def ws_base(self) -> str:
        return (self.ws_url or self.market_info.ws_url).rstrip("/")

    @property
    def rest_base(self) -> str:
        return (self.rest_url or self.market_info.rest_url).rstrip("/")

    def replace(self, **changes: Any) -> LiveConfig:
        """A copy with some values changed (command-line options), checked again."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def live_config(cfg: Mapping[str, Any]) -> LiveConfig:
    return section(cfg, "live", LiveConfig)
