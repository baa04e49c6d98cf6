"""One running strategy as the engine sees it: its state, wake conditions and orders."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hft_tui.engine.exchange_link import NO_PX, band
from hft_tui.engine.snapshot import ACTIVE, HALTED
from hft_tui.strategies.base import Strategy
from hft_tui.strategies.loader import StrategyError, StrategySpec

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
    # orders that ended while it was not live, and why: on_order_closed when it is enabled
    untold: list[tuple[int, str]] = field(default_factory=list)
    ctx: Any = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def live(self) -> bool:
        """May be woken and may trade."""
        return self.enabled and self.state != HALTED

    def wake_due(self, now: int, tops: list[tuple[int, int]]) -> bool:
        """Its timer fired, it asked to be woken, or a best price of one of its symbols
        moved by ``wake_ticks`` from where it stood at the last wake."""
        if self.wake_now or self.next_timer <= now:
            return True
        wt = self.wake_ticks
        if wt:
            for sym in self.symbols:
                b, a = tops[sym]
                r = self.ref_bid[sym]
                if b != r and (b == NO_PX or r == NO_PX or abs(b - r) >= wt):
                    return True
                r = self.ref_ask[sym]
                if a != r and (a == NO_PX or r == NO_PX or abs(a - r) >= wt):
                    return True
        return False

    def read_wake_settings(self) -> None:
        """Take wake_ticks / timer_ms / symbols from the strategy (instance or class)."""
        s = self.strategy
        try:  # the user's class: attributes, or properties that may raise
            ticks = getattr(s, "wake_ticks", 0) or 0
            timer = getattr(s, "timer_ms", 0.0) or 0.0
            syms = getattr(s, "symbols", None)
        except Exception as exc:
            raise StrategyError(f"strategy {self.name}: reading its wake settings: {type(exc).__name__}: {exc}") from None
        if isinstance(ticks, bool) or not hasattr(ticks, "__index__"):
            raise StrategyError(f"strategy {self.name}: wake_ticks must be a whole number of ticks, got {ticks!r}")
        if isinstance(timer, bool) or not isinstance(timer, (int, float)) or not 0 <= timer < 1e12:
            raise StrategyError(f"strategy {self.name}: timer_ms must be a number of milliseconds >= 0, got {timer!r}")
        if syms is None:
            sym = s.params.get("sym") if isinstance(s.params, dict) else None
            syms = (sym,) if isinstance(sym, int) else tuple(range(self.n_syms))
        try:
            symbols = tuple(operator.index(x) for x in syms)
        except TypeError:
            raise StrategyError(f"strategy {self.name}: symbols must be symbol indexes (0, 1, ...), got {syms!r}") from None
        beyond = [x for x in symbols if not 0 <= x < self.n_syms]
        if beyond:
            raise StrategyError(
                f"strategy {self.name}: symbol {beyond[0]} is beyond this run's "
                f"{self.n_syms} symbol{'s' if self.n_syms != 1 else ''} (0..{self.n_syms - 1})"
            )
        # all checked: only now does anything change (a refused run-time change leaves
        # the slot as it was, and the engine goes on with it)
        self.wake_ticks = max(0, operator.index(ticks))
        self.timer_ns = int(float(timer) * 1_000_000)
        self.symbols = symbols
        if not self.ref_bid:
            self.ref_bid = [0] * self.n_syms
            self.ref_ask = [0] * self.n_syms


def watch_bands(watchers: Sequence[list[Slot]]) -> list[tuple[int, int, int, int] | None]:
    """Per symbol, the best-price moves that matter to the slots watching it: None if
    none does, else (bid ref, half width, ask ref, half width), a band inside every
    watching slot's (ref - wake_ticks, ref + wake_ticks)."""
    bands: list[tuple[int, int, int, int] | None] = []
    for sym, slots in enumerate(watchers):
        if not slots:
            bands.append(None)
        elif len(slots) == 1:
            s = slots[0]
            wt = s.wake_ticks
            bands.append((s.ref_bid[sym], wt, s.ref_ask[sym], wt))
        else:
            bands.append(
                (*band([(s.ref_bid[sym], s.wake_ticks) for s in slots]),
                 *band([(s.ref_ask[sym], s.wake_ticks) for s in slots]))
            )  # fmt: skip
    return bands
