"""One running strategy as the engine sees it: its state, wake conditions and orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hft_tui.engine.snapshot import ACTIVE, HALTED
from hft_tui.strategies.base import Strategy
from hft_tui.strategies.loader import StrategySpec

NO_TIMER = 1 << 62


@dataclass(eq=False)
class OwnOrder:
    """An own order the engine knows about (open or in flight)."""

    order_id: int
    slot: int
    sym: int
    side: int
    px: int  # ticks; 0 for market orders
    qty: int
    leaves: int
    kind: str
    state: str = "pending-new"
    sent_ts: int = 0


@dataclass(eq=False)
class Slot:
    index: int
    spec: StrategySpec
    strategy: Strategy
    n_syms: int
    enabled: bool = True
    state: str = ACTIVE
    error: str = ""
    started: bool = False
    wake_ticks: int = 0
    timer_ns: int = 0
    symbols: tuple[int, ...] = ()
    next_timer: int = NO_TIMER
    wake_now: bool = False
    wakes: int = 0
    # best bid / ask per symbol when the strategy was last woken
    ref_bid: list[int] = field(default_factory=list)
    ref_ask: list[int] = field(default_factory=list)
    orders: dict[int, OwnOrder] = field(default_factory=dict)
    # cancels this strategy asked for: their ORDER_CANCELED does not call on_order_closed
    asked_cancel: set[int] = field(default_factory=set)
    # cancels the engine sent for it (a live book went stale) -> why: the strategy is told
    pulled: dict[int, str] = field(default_factory=dict)
    ctx: Any = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def live(self) -> bool:
        """May be woken and may trade."""
        return self.enabled and self.state != HALTED

    def read_wake_settings(self) -> None:
        """Take wake_ticks / timer_ms / symbols from the strategy (instance or class)."""
        s = self.strategy
        self.wake_ticks = max(0, int(getattr(s, "wake_ticks", 0) or 0))
        self.timer_ns = max(0, int(float(getattr(s, "timer_ms", 0.0) or 0.0) * 1_000_000))
        syms = getattr(s, "symbols", None)
        if syms is None:
            sym = s.params.get("sym") if isinstance(s.params, dict) else None
            syms = (sym,) if isinstance(sym, int) else tuple(range(self.n_syms))
        self.symbols = tuple(int(x) for x in syms if 0 <= int(x) < self.n_syms)
        if not self.ref_bid:
            self.ref_bid = [0] * self.n_syms
            self.ref_ask = [0] * self.n_syms
