"""Mid prices on a fixed event-time grid, for fill markouts.

The equity samples (``sample_ms``, a second by default) are too coarse for a
one-second markout, so the engine also records every symbol's mid on a finer
grid (``markout_ms``). The runner notes the book at each grid time as it
passes it (``runner.drive``), so a row holds the book as it stood at that time,
whatever the batches.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 4096


class MidRecorder:
    def __init__(self, n_syms: int, max_rows: int | None = None) -> None:
        self.n_syms = n_syms
        self.max_rows = max_rows
        self._ts: list[np.ndarray] = []
        self._mid: list[np.ndarray] = []
        self._cur_ts = np.empty(_CHUNK, np.int64)
        self._cur_mid = np.empty((_CHUNK, n_syms), np.float64)
        self._n = 0
        self.rows = 0

    def add(self, ts: int, mids: list[float | None]) -> None:
        if self._n == _CHUNK:
            self._ts.append(self._cur_ts)
            self._mid.append(self._cur_mid)
            self._cur_ts = np.empty(_CHUNK, np.int64)
            self._cur_mid = np.empty((_CHUNK, self.n_syms), np.float64)
            self._n = 0
            if self.max_rows is not None and len(self._ts) * _CHUNK > self.max_rows:
                self._ts.pop(0)
                self._mid.pop(0)
        self._cur_ts[self._n] = ts
        row = self._cur_mid[self._n]
        for j, m in enumerate(mids):
            row[j] = np.nan if m is None else m
        self._n += 1
        self.rows += 1

    def series(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """sym -> (ts ns, mid ticks), rows without a mid left out."""
        ts = np.concatenate([*self._ts, self._cur_ts[: self._n]])
        mid = np.concatenate([*self._mid, self._cur_mid[: self._n]]) if self.rows else np.empty((0, self.n_syms))
        out = {}
        for j in range(self.n_syms):
            ok = ~np.isnan(mid[:, j])
            out[j] = (ts[ok], mid[ok, j])
        return out
