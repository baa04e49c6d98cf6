"""Trading states and the post-trade watch: daily loss, drawdown from peak, stale feed.

A scope (the whole book, or one strategy) is ACTIVE, REDUCE-ONLY or HALTED.
Loss and drawdown breaches are sticky: equity climbing back does not re-open
trading, a person does (``RiskManager.enable``); if the condition still holds
then, the next watch trips it again. A stale feed is a fact about data, not a
verdict, so it clears itself when data flows again.

Days are UTC days of event time, so a backtest's daily loss is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

from hft_tui.engine.snapshot import ACTIVE, HALTED, REDUCE_ONLY

# states as small ints for the hot path; the snapshot's names for everything else
S_ACTIVE, S_REDUCE, S_HALTED = 0, 1, 2
STATE_NAMES = (ACTIVE, REDUCE_ONLY, HALTED)
DAY_NS = 86_400 * 1_000_000_000
GLOBAL = "global"


@dataclass(frozen=True)
class StateChange:
    """A log-able record of one state transition (or kill-switch action)."""

    ts: int  # event time, ns
    scope: str  # "global", a strategy name, or "feed:SYMBOL"
    old: str  # ACTIVE, REDUCE-ONLY, HALTED
    new: str
    reason: str  # reason code: daily_loss, max_drawdown, stale_feed, killed, rearmed, enabled, ...
    text: str  # one line for the log

    @property
    def level(self) -> str:
        return "warning" if self.new != ACTIVE else "info"


class EquityWatch:
    """Peak equity and the UTC day's opening equity of one scope."""

    __slots__ = ("peak", "day", "day_open", "equity")

    def __init__(self) -> None:
        # equity is P&L since the start of the run: it starts at 0, and so do peak and day
        self.peak = 0.0
        self.day: int | None = None
        self.day_open = 0.0
        self.equity = 0.0

    def update(self, now_ns: int, equity: float) -> tuple[float, float]:
        """Record equity at ``now_ns``; return (loss today, drawdown from peak), both >= 0."""
        day = now_ns // DAY_NS
        if day != self.day:
            if self.day is not None:  # a new UTC day opens at the equity first seen in it
                self.day_open = equity
            self.day = day
        if equity > self.peak:
            self.peak = equity
        self.equity = equity
        return max(0.0, self.day_open - equity), max(0.0, self.peak - equity)

    def loss_today(self) -> float:
        return max(0.0, self.day_open - self.equity)

    def drawdown(self) -> float:
        return max(0.0, self.peak - self.equity)

    def restart(self) -> None:
        """Forget the past: today's loss and the drawdown count from the current equity."""
        self.peak = self.equity
        self.day_open = self.equity


def breach(loss: float, drawdown: float, daily_limit: float, dd_limit: float) -> tuple[str, str] | None:
    """(reason, text) of the first limit the figures break, or None."""
    if loss > daily_limit:
        return "daily_loss", f"daily loss {loss:.2f} > {daily_limit:g}"
    if drawdown > dd_limit:
        return "max_drawdown", f"drawdown {drawdown:.2f} from peak > {dd_limit:g}"
    return None
