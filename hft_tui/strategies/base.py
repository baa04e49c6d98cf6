"""The strategy API.

A strategy is a plain Python class. The engine wakes it only when something it
asked for happens (the best bid or ask moved, one of its orders filled, its
timer fired), never on every market event, so a Python strategy costs little
even in a replay at millions of events per second.

A strategy never touches the exchange: ``ctx.buy`` / ``ctx.sell`` / ``ctx.cancel``
/ ``ctx.replace`` hand intents to the risk manager, which may refuse them (the
call then returns None and the refusal is logged). Prices are integer ticks and
sizes integer lots of the symbol's instrument (``ctx.instrument(sym)`` converts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

# order kinds accepted by ctx.buy / ctx.sell
LIMIT = "limit"  # good till cancelled
POST_ONLY = "post_only"  # rejected if it would take liquidity
IOC = "ioc"  # immediate or cancel
FOK = "fok"  # fill or kill
MARKET = "market"
ORDER_KINDS = (LIMIT, POST_ONLY, IOC, FOK, MARKET)


@dataclass(frozen=True)
class Fill:
    order_id: int
    sym: int
    side: int  # 1 buy, -1 sell
    px: int  # ticks
    qty: int  # lots
    fee: float  # quote currency; negative is a rebate
    liquidity: str  # "maker" or "taker"
    ts: int  # exchange time of the fill, ns
    done: bool  # the order is fully filled


@dataclass(frozen=True)
class OpenOrder:
    order_id: int
    sym: int
    side: int
    px: int
    qty: int
    leaves: int
    kind: str
    state: str


class Context(Protocol):
    """What a strategy sees and does. The engine provides the implementation."""

    @property
    def now(self) -> int:
        """The strategy's clock: local receive time of the data it has seen, ns."""

    @property
    def params(self) -> Any: ...

    def instrument(self, sym: int = 0) -> Any: ...

    def best_bid(self, sym: int = 0) -> tuple[int, int] | None: ...

    def best_ask(self, sym: int = 0) -> tuple[int, int] | None: ...

    def depth(self, side: int, n: int, sym: int = 0) -> tuple[Any, Any]:
        """(prices, sizes) of the best n levels of a side, best first."""

    def position(self, sym: int = 0) -> int: ...

    def traded(self, sym: int = 0) -> tuple[int, int]:
        """Market volume traded since the start, in lots: (buyer-initiated, seller-initiated)."""

    def open_orders(self, sym: int | None = None) -> list[OpenOrder]: ...

    def buy(self, qty: int, px: int | None = None, sym: int = 0, kind: str = LIMIT) -> int | None: ...

    def sell(self, qty: int, px: int | None = None, sym: int = 0, kind: str = LIMIT) -> int | None: ...

    def cancel(self, order_id: int) -> bool: ...

    def cancel_all(self, sym: int | None = None) -> int: ...

    def replace(self, order_id: int, px: int | None = None, qty: int | None = None) -> bool:
        """Move a resting order to ``px`` and/or ``qty`` lots still open (None keeps it).
        A new price loses queue priority, a smaller size keeps it. False if refused."""

    def log(self, text: str) -> None: ...


class Strategy:
    """Base class. Override what you need; every hook is optional."""

    #: wake when the best bid or ask of a traded symbol moved by at least this many ticks
    #: (0: never wake on book changes)
    wake_ticks: ClassVar[int] = 1
    #: wake every this many milliseconds of event time (0: no timer)
    timer_ms: ClassVar[float] = 0.0
    #: symbols whose top of book wakes the strategy; None: the ``sym`` parameter if the
    #: strategy has one, else every symbol
    symbols: ClassVar[tuple[int, ...] | None] = None
    #: parameters and their defaults; the engine fills ``self.params`` from config and --param
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, name: str, params: dict[str, Any] | None = None) -> None:
        self.name = name
        self.params = dict(self.defaults)
        self.params.update(params or {})

    def on_start(self, ctx: Context) -> None:
        pass

    def on_wake(self, ctx: Context) -> None:
        pass

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        pass

    def on_order_closed(self, ctx: Context, order_id: int, reason: str) -> None:
        """One of your orders ended without a full fill and without your asking:
        rejected by the exchange, an IOC/FOK remainder, or cancelled by the kill
        switch, the risk manager or self-trade prevention. (Your own ``ctx.cancel``
        does not call it.)"""

    def on_stop(self, ctx: Context) -> None:
        pass
