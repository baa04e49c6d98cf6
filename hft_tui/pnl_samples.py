"""Equity, position and mid samples of a run, in event time.

The portfolio appends one row per sample (the engine decides when). A backtest
keeps every row for its report (arrays grow by doubling); a live session keeps
the last ``capacity`` rows in a ring so memory stays flat however long it runs.
Column order of equity and position: the strategies, then the total.
"""

from __future__ import annotations

import numpy as np


class SampleStore:
    def __init__(self, n_scopes: int, n_syms: int, capacity: int | None = None) -> None:
        if capacity is not None and capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.bounded = capacity is not None
        cap = capacity if capacity is not None else 1024
        self._ts = np.zeros(cap, dtype=np.int64)
        self._equity = np.zeros((cap, n_scopes), dtype=np.float64)
        self._position = np.zeros((cap, n_scopes, n_syms), dtype=np.int64)
        self._mid = np.zeros((cap, n_syms), dtype=np.float64)
        self.count = 0  # rows ever appended

    def __len__(self) -> int:
        return min(self.count, len(self._ts))

    def append(self, ts: int, equity: np.ndarray, position: np.ndarray, mid: np.ndarray) -> None:
        cap = len(self._ts)
        if self.count >= cap and not self.bounded:
            self._grow(2 * cap)
            cap = len(self._ts)
        i = self.count % cap
        self._ts[i] = ts
        self._equity[i] = equity
        self._position[i] = position
        self._mid[i] = mid
        self.count += 1

    def _grow(self, cap: int) -> None:
        for name in ("_ts", "_equity", "_position", "_mid"):
            old = getattr(self, name)
            new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def tail(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The last ``n`` rows (all kept rows if None), oldest first, as copies:
        (ts [rows], equity [rows, scopes], position [rows, scopes, syms], mid [rows, syms])."""
        kept = len(self)
        n = kept if n is None else min(n, kept)
        cap = len(self._ts)
        idx = (np.arange(self.count - n, self.count) % cap) if n else np.zeros(0, dtype=np.int64)
        return self._ts[idx], self._equity[idx], self._position[idx], self._mid[idx]
