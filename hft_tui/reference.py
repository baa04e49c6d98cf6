"""The order book in plain Python: the readable specification of ``hft_tui.book``.

Same semantics, same Python API as ``book.Book``, no window and no numba: each
side of each symbol is a SortedDict from price to size holding only non-empty
levels. Property tests feed both books the same events and compare them.
"""

from __future__ import annotations

import numpy as np
from sortedcontainers import SortedDict

from hft_tui.errors import HftError
from hft_tui.events import ADD, ASK, BID, CANCEL, CLEAR, EXECUTE, LEVEL, QUOTE


class ReferenceBook:
    def __init__(self, n_symbols: int = 1, window: int = 0, capacity: int = 0):
        # window and capacity are accepted for a drop-in swap with Book; unbounded here.
        self.n_symbols = n_symbols
        self.sides = [{BID: SortedDict(), ASK: SortedDict()} for _ in range(n_symbols)]

    def _levels(self, sym: int, side: int) -> SortedDict:
        if not 0 <= sym < self.n_symbols:
            raise HftError(f"symbol index {sym} is not in 0..{self.n_symbols - 1}")
        if side != BID and side != ASK:
            raise HftError(f"side must be BID ({BID}) or ASK ({ASK}), got {side!r}")
        return self.sides[sym][side]

    def apply(self, events: np.ndarray) -> None:
        for e in events:
            self.apply_one(int(e["sym"]), int(e["kind"]), int(e["side"]), int(e["px"]), int(e["qty"]))

    def apply_one(self, sym: int, kind: int, side: int, px: int, qty: int) -> None:
        if kind == CLEAR:
            self.clear(sym)
            return
        if kind not in (LEVEL, ADD, CANCEL, EXECUTE, QUOTE) or side not in (BID, ASK):
            return  # TRADE, TICKER, own-order kinds, no side: the book does not change
        levels = self._levels(sym, side)
        old = levels.get(px, 0)
        if kind == LEVEL:
            new = qty
        elif kind == ADD:
            new = old + qty
        elif kind in (CANCEL, EXECUTE):
            new = old - qty
        else:  # QUOTE: this level becomes the best of its side
            if side == BID:
                better = list(levels.irange(minimum=px, inclusive=(False, False)))
            else:
                better = list(levels.irange(maximum=px, inclusive=(False, False)))
            for p in better:
                del levels[p]
            new = qty
        if new > 0:
            levels[px] = new
        else:
            levels.pop(px, None)

    def _best(self, sym: int, side: int) -> tuple[int, int] | None:
        levels = self._levels(sym, side)
        if not levels:
            return None
        return levels.peekitem(-1 if side == BID else 0)

    def best_bid(self, sym: int = 0) -> tuple[int, int] | None:
        return self._best(sym, BID)

    def best_ask(self, sym: int = 0) -> tuple[int, int] | None:
        return self._best(sym, ASK)

    def depth(self, sym: int, side: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        levels = self._levels(sym, side)
        n = max(n, 0)
        if side == BID:  # highest first
            prices = list(levels.islice(max(len(levels) - n, 0), reverse=True))
        else:
            prices = list(levels.islice(0, n))
        return (
            np.array(prices, dtype=np.int64),
            np.array([levels[p] for p in prices], dtype=np.int64),
        )

    def level_qty(self, sym: int, side: int, px: int) -> int:
        return self._levels(sym, side).get(px, 0)

    def qty_through(self, sym: int, side: int, px: int) -> int:
        levels = self._levels(sym, side)
        return sum(q for p, q in levels.items() if (p >= px if side == BID else p <= px))

    def clear(self, sym: int = 0) -> None:
        for side in (BID, ASK):
            self._levels(sym, side).clear()
