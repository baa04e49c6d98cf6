"""A readable way to write small market-event streams (tests, examples, docs).

    tape = Tape()
    tape.level(100, BID, 99, 10).level(100, ASK, 101, 10)
    tape.trade(200, SELL, 99, 4)
    events = tape.events()

Every call is one event; ``eom=False`` keeps the next event in the same message.
"""

from __future__ import annotations

import numpy as np

from hft_tui.events import ADD, CANCEL, CLEAR, EOM, EVENT_DTYPE, EXECUTE, LEVEL, QUOTE, TRADE


class Tape:
    def __init__(self) -> None:
        self._rows: list[tuple[int, int, int, int, int, int, int, int, int, int]] = []

    def event(
        self,
        ts: int,
        kind: int,
        side: int,
        px: int,
        qty: int,
        oid: int = 0,
        *,
        local: int = 0,
        eom: bool = True,
        flags: int = 0,
        sym: int = 0,
    ) -> Tape:
        self._rows.append((ts, local, px, qty, oid, kind, side, flags | (EOM if eom else 0), sym, 0))
        return self

    def level(self, ts: int, side: int, px: int, qty: int, **kw: int) -> Tape:
        return self.event(ts, LEVEL, side, px, qty, **kw)

    def quote(self, ts: int, side: int, px: int, qty: int, **kw: int) -> Tape:
        return self.event(ts, QUOTE, side, px, qty, **kw)

    def trade(self, ts: int, aggressor: int, px: int, qty: int, **kw: int) -> Tape:
        return self.event(ts, TRADE, aggressor, px, qty, **kw)

    def add(self, ts: int, side: int, px: int, qty: int, oid: int, **kw: int) -> Tape:
        return self.event(ts, ADD, side, px, qty, oid, **kw)

    def cancel(self, ts: int, side: int, px: int, qty: int, oid: int, **kw: int) -> Tape:
        return self.event(ts, CANCEL, side, px, qty, oid, **kw)

    def execute(self, ts: int, side: int, px: int, qty: int, oid: int, **kw: int) -> Tape:
        return self.event(ts, EXECUTE, side, px, qty, oid, **kw)

    def clear(self, ts: int, **kw: int) -> Tape:
        return self.event(ts, CLEAR, 0, 0, 0, **kw)

    def events(self) -> np.ndarray:
        return np.array(self._rows, dtype=EVENT_DTYPE)

    def __len__(self) -> int:
        return len(self._rows)


def own_log(events: np.ndarray) -> list[tuple[str, int, int, int, int, int, int, bool]]:
    """Own-order events as readable tuples:
    (kind name, order id, px, qty, exch_ts, local_ts, aux, done)."""
    from hft_tui.events import KIND_NAMES, ORDER_DONE

    return [
        (
            KIND_NAMES[int(e["kind"])],
            int(e["order_id"]),
            int(e["px"]),
            int(e["qty"]),
            int(e["exch_ts"]),
            int(e["local_ts"]),
            int(e["aux"]),
            bool(e["flags"] & ORDER_DONE),
        )
        for e in events
    ]
