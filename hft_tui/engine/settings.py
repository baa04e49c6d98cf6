"""The ``[engine]`` section of config.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hft_tui.config import section


@dataclass(frozen=True)
class EngineSettings:
    batch_events: int = 16384  # events per source read (the kill switch acts within one)
    sample_ms: float = 1000.0  # equity / position / mid sampling interval, event time
    markout_ms: float = 100.0  # mid grid for fill markouts, event time
    snapshot_ms: float = 30.0  # at most one viewer snapshot per this much wall time (the UI polls at 40 Hz)
    hook_budget_ms: float = 500.0  # a strategy hook running longer is interrupted and stopped
    log_lines: int = 2000  # log lines kept for viewers
    book_levels: int = 20  # book levels per side in a snapshot
    trade_window_ms: float = 60000.0  # traded-volume-per-price window of the ladder
    fast_mm: bool = True  # the built-in mm's wake-ups in jitted code (same fills; false: all in Python)

    def __post_init__(self) -> None:
        if self.batch_events < 1 or self.log_lines < 1 or self.book_levels < 1:
            raise ValueError("batch_events, log_lines and book_levels must be at least 1")
        for key in ("sample_ms", "markout_ms", "snapshot_ms", "hook_budget_ms", "trade_window_ms"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key} must be positive")


def engine_settings(cfg: Mapping[str, Any]) -> EngineSettings:
    return section(cfg, "engine", EngineSettings)
