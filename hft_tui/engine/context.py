"""The ``ctx`` a strategy receives: its view of the market and its way to trade.

One context per strategy, so the engine always knows who is asking. Reads are
direct and cheap; ``buy`` / ``sell`` / ``cancel`` / ``replace`` go through the
risk manager to the simulated exchange and return at once (the order is in
flight; its ack and fills come later as events).

The mutating calls run with the watchdog masked (``masked += 1`` as the first
statement, see ``watchdog``), so a strategy interrupted by its time budget or
the kill switch never leaves an order half-registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hft_tui.instrument import Instrument
from hft_tui.strategies.base import LIMIT, OpenOrder

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine
    from hft_tui.engine.slots import Slot


class EngineContext:
    __slots__ = ("_engine", "_desk", "_slot", "_wd", "_name")

    def __init__(self, engine: Engine, slot: Slot) -> None:
        self._engine = engine
        self._desk = engine.desk
        self._slot = slot
        self._wd = engine.watchdog
        self._name = slot.name

    # --- reading -----------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self._engine.now

    @property
    def name(self) -> str:
        return self._name

    @property
    def params(self) -> Any:
        return self._slot.strategy.params

    def instrument(self, sym: int = 0) -> Instrument:
        return self._engine.instruments[sym]

    def best_bid(self, sym: int = 0) -> tuple[int, int] | None:
        return self._engine.xl.top(sym, 1)

    def best_ask(self, sym: int = 0) -> tuple[int, int] | None:
        return self._engine.xl.top(sym, -1)

    def depth(self, side: int, n: int, sym: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._engine.xl.depth(sym, side, n)

    def position(self, sym: int = 0) -> int:
        return self._engine.positions[self._slot.index][sym]

    def traded(self, sym: int = 0) -> tuple[int, int]:
        return self._engine.traded(sym)

    def open_orders(self, sym: int | None = None) -> list[OpenOrder]:
        return [
            OpenOrder(o.order_id, o.sym, o.side, o.px, o.qty, o.leaves, o.kind, o.state)
            for o in self._slot.orders.values()
            if sym is None or o.sym == sym
        ]

    # --- trading (masked: see the module docstring) -------------------------------------------
    def buy(self, qty: int, px: int | None = None, sym: int = 0, kind: str = LIMIT) -> int | None:
        wd = self._wd
        wd.masked += 1
        try:
            return self._desk.place(self._slot, 1, qty, px, sym, kind)
        finally:
            wd.masked -= 1

    def sell(self, qty: int, px: int | None = None, sym: int = 0, kind: str = LIMIT) -> int | None:
        wd = self._wd
        wd.masked += 1
        try:
            return self._desk.place(self._slot, -1, qty, px, sym, kind)
        finally:
            wd.masked -= 1

    def cancel(self, order_id: int) -> bool:
        wd = self._wd
        wd.masked += 1
        try:
            return self._desk.cancel(self._slot, order_id)
        finally:
            wd.masked -= 1

    def cancel_all(self, sym: int | None = None) -> int:
        wd = self._wd
        wd.masked += 1
        try:
            return self._desk.cancel_all(self._slot, sym)
        finally:
            wd.masked -= 1

    def replace(self, order_id: int, px: int | None = None, qty: int | None = None) -> bool:
        wd = self._wd
        wd.masked += 1
        try:
            return self._desk.replace(self._slot, order_id, px, qty)
        finally:
            wd.masked -= 1

    def log(self, text: str) -> None:
        wd = self._wd
        wd.masked += 1
        try:
            self._engine.log("strategy", self._name, str(text))
        finally:
            wd.masked -= 1
