"""A block of CSV rows split into fields, typed columns parsed in bulk, bad rows tracked.

``Table`` wraps the jitted kernels of ``parse.py``: each column accessor parses
one column for every row at once and records, per row, the first field that
failed, so that a bad row becomes one ``file:line: field F: ...`` message.
``common.BadRows`` decides what a bad row does (stop, or skip and count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from hft_tui.errors import HftError
from hft_tui.importers.common import BadRows
from hft_tui.importers import parse, split
from hft_tui.importers.parse import ERR_EMPTY, ERR_GRID, ERR_RANGE, ERR_SYNTAX, NO_MATCH

_ERR_FIELDS = 100  # wrong number of fields
_ERR_CUSTOM = 101  # a format's own check (reason text kept per row)


class Scratch:
    """Index arrays reused from block to block.

    Fresh multi-megabyte arrays per block would be page-faulted and zeroed by
    the kernel every time, which costs as much as the splitting itself. A
    table's index arrays are views into its scratch, valid until the next
    table made with the same scratch.
    """

    def __init__(self) -> None:
        self._pos = np.empty(0, dtype=np.int32)
        self._idx = np.empty(0, dtype=np.int64)
        self._rows = np.empty(0, dtype=np.int64)

    def pos(self, n: int) -> np.ndarray:
        if self._pos.size < n:
            self._pos = np.empty(n + n // 4, dtype=np.int32)
        return self._pos[:n]

    def index(self, rows: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, nfields, lines) for this many rows."""
        need = 2 * rows * width
        if self._idx.size < need:
            self._idx = np.empty(need + need // 4, dtype=np.int64)
        if self._rows.size < 2 * rows:
            self._rows = np.empty(2 * rows + rows // 2, dtype=np.int64)
        half = rows * width
        starts = self._idx[:half].reshape(rows, width)
        ends = self._idx[half:need].reshape(rows, width)
        return starts, ends, self._rows[:rows], self._rows[rows : 2 * rows]


class Table:
    """Rows of one block of text; ``names`` label the columns in error messages."""

    def __init__(
        self,
        name: str,
        data: bytes,
        first_line: int,
        names: Sequence[str],
        sep: str = ",",
        min_fields: int | None = None,
        scratch: Scratch | None = None,
    ) -> None:
        self.name = name
        self.names = list(names)
        if data and not data.endswith(b"\n"):
            data += b"\n"  # the splitter relies on it (the file's last line may lack one)
        self.buf = np.frombuffer(data, dtype=np.uint8)
        width = len(self.names)
        scratch = scratch if scratch is not None else Scratch()
        pos = scratch.pos(self.buf.size)
        n_pos, quotes = split.find_delims(self.buf, ord(sep), pos)
        cap = int(np.count_nonzero(self.buf[pos[:n_pos]] == 10)) if n_pos else 0
        self.starts, self.ends, nfields, lines = scratch.index(cap, width)
        if quotes:
            n = split.split_rows(self.buf, ord(sep), self.starts, self.ends, nfields, lines)
        else:
            n = split.split_delims(self.buf, pos, n_pos, self.starts, self.ends, nfields, lines)
        self.n = n
        self.starts, self.ends = self.starts[:n], self.ends[:n]
        self.nfields = nfields[:n]
        self.lines = lines[:n] + first_line  # 1-based line numbers in the file
        self.err = np.zeros(n, dtype=np.uint8)
        self.err_col = np.full(n, -1, dtype=np.int16)
        self._grids: dict[int, str] = {}
        self._nouns: dict[int, str] = {}
        self._reasons: dict[int, str] = {}
        self.min_fields = lo = width if min_fields is None else min_fields
        wrong = (self.nfields < lo) | (self.nfields > width)
        self._mark(wrong, -1, _ERR_FIELDS)

    # --- rows ------------------------------------------------------------------------
    def drop_first(self) -> None:
        """Forget row 0 (a header)."""
        self._take(slice(1, None))

    def select(self, keep: np.ndarray) -> None:
        """Keep only the rows where keep is True (a symbol filter)."""
        self._take(np.flatnonzero(keep))

    def _take(self, idx: slice | np.ndarray) -> None:
        self.starts, self.ends = self.starts[idx], self.ends[idx]
        self.nfields, self.lines = self.nfields[idx], self.lines[idx]
        self.err, self.err_col = self.err[idx], self.err_col[idx]
        self._reasons = {}
        self.n = len(self.lines)

    def text(self, r: int, col: int) -> str:
        s, e = int(self.starts[r, col]), int(self.ends[r, col])
        return bytes(self.buf[s:e]).decode("utf-8", "replace").strip()

    def row_texts(self, r: int) -> list[str]:
        return [self.text(r, c) for c in range(min(int(self.nfields[r]), len(self.names)))]

    def column(self, name: str) -> int:
        return self.names.index(name)

    def empty(self, col: int) -> np.ndarray:
        """Rows where the field is empty."""
        return self.ends[:, col] == self.starts[:, col]

    # --- typed columns ---------------------------------------------------------------
    def scaled(
        self, col: int, exp10: int, step: int = 1, *, grid: str = "", optional: bool = False,
        noun: str = "a decimal number",
    ) -> np.ndarray:
        """Column col times 10**exp10 / step as exact int64 (see ``parse._scaled``).

        ``grid`` names the step in off-grid messages ("0.01 (BTCUSDT)"); with
        ``optional`` an empty field is 0 instead of an error.
        """
        out = np.empty(self.n, dtype=np.int64)
        err = np.empty(self.n, dtype=np.uint8)
        parse.parse_scaled(self.buf, self.starts, self.ends, col, self.n, exp10, step, out, err)
        if optional:
            err[err == ERR_EMPTY] = 0
        self._grids[col] = grid
        self._nouns[col] = noun
        self._mark_codes(err, col)
        return out

    def scaled_many(
        self, cols: Sequence[int], exp10: Sequence[int], step: Sequence[int], grids: Sequence[str],
        noun: str | Sequence[str] = "a decimal number",
    ) -> np.ndarray:
        """Several columns at once (one pass over the rows): out[:, j] is column cols[j]."""
        k = len(cols)
        out = np.empty((self.n, k), dtype=np.int64)
        err = np.empty((self.n, k), dtype=np.uint8)
        parse.parse_scaled_rows(
            self.buf, self.starts, self.ends, np.asarray(cols, dtype=np.int64), self.n,
            np.asarray(exp10, dtype=np.int64), np.asarray(step, dtype=np.int64), out, err,
        )
        bad_cols = np.flatnonzero(err.any(axis=0)) if self.n else ()
        for j, col in enumerate(cols):
            self._grids[col] = grids[j]
            self._nouns[col] = noun if isinstance(noun, str) else noun[j]
        for j in bad_cols:
            self._mark_codes(err[:, j], cols[j])
        return out

    def integer(self, col: int, *, optional: bool = False) -> np.ndarray:
        return self.scaled(col, 0, 1, optional=optional, noun="an integer")

    def lenient_int(self, col: int) -> np.ndarray:
        """The column as an integer where it is one, else 0 (trade ids that may be text)."""
        out = np.empty(self.n, dtype=np.int64)
        err = np.empty(self.n, dtype=np.uint8)
        parse.parse_scaled(self.buf, self.starts, self.ends, col, self.n, 0, 1, out, err)
        out[err != 0] = 0
        return out

    def iso_ns(self, col: int) -> np.ndarray:
        out = np.empty(self.n, dtype=np.int64)
        err = np.empty(self.n, dtype=np.uint8)
        parse.parse_iso(self.buf, self.starts, self.ends, col, self.n, out, err)
        self._nouns[col] = "an ISO-8601 UTC time (YYYY-MM-DD HH:MM:SS[.fff][Z])"
        self._grids[col] = "1 ns"
        self._mark_codes(err, col)
        return out

    def tokens(self, col: int, mapping: Mapping[str, int], *, what: str = "") -> np.ndarray:
        """The code of each field's token (case-insensitive); others are bad rows."""
        codes = self.match(col, mapping)
        bad = codes == NO_MATCH
        if bad.any():
            shown = what or ", ".join(dict.fromkeys(k for k in mapping if k))
            self.reject(bad, col, f"is not one of {shown}")
        return codes

    def match(self, col: int, mapping: Mapping[str, int]) -> np.ndarray:
        """Like ``tokens`` but NO_MATCH is returned, not an error."""
        keys = [k.encode() for k in mapping]
        tok = np.frombuffer(b"".join(keys) or b"\0", dtype=np.uint8)
        bounds = np.cumsum([0] + [len(k) for k in keys])
        codes = np.array(list(mapping.values()), dtype=np.int16)
        out = np.empty(self.n, dtype=np.int16)
        parse.match_tokens(
            self.buf, self.starts, self.ends, col, self.n, tok,
            bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64), codes, out,
        )
        return out

    def reject(self, rows: np.ndarray, col: int, reason: str) -> None:
        """Mark rows bad: "field NAME: 'TEXT' REASON" (a format's own check)."""
        fresh = rows & (self.err == 0)
        self._mark(rows, col, _ERR_CUSTOM)
        for r in np.flatnonzero(fresh)[: BadRows.SHOWN + 1]:
            self._reasons[int(r)] = reason
        self._reasons.setdefault(-1 - col, reason)

    def out_of_range(self, rows: np.ndarray, col: int) -> None:
        """Mark rows bad as the parser marks a value beyond its range."""
        self._mark(rows, col, ERR_RANGE)

    # --- errors ----------------------------------------------------------------------
    def _mark_codes(self, err: np.ndarray, col: int) -> None:
        if err.any():
            for code in np.unique(err[err != 0]):
                self._mark(err == code, col, int(code))

    def _mark(self, rows: np.ndarray, col: int, code: int) -> None:
        fresh = rows & (self.err == 0)
        self.err[fresh] = code
        self.err_col[fresh] = col

    def message(self, r: int) -> str:
        code, col = int(self.err[r]), int(self.err_col[r])
        where = f"{self.name}:{self.lines[r]}"
        if code == _ERR_FIELDS:
            lo, hi = self.min_fields, len(self.names)
            want = f"{lo} to {hi}" if lo < hi else f"{hi}"
            return f"{where}: expected {want} fields, got {self.nfields[r]}"
        text = self.text(r, col)
        field = f"field {self.names[col]}"
        if code == ERR_EMPTY:
            return f"{where}: {field}: is empty"
        if code == ERR_SYNTAX:
            return f"{where}: {field}: '{text}' is not {self._nouns.get(col, 'a decimal number')}"
        if code == ERR_GRID:
            return f"{where}: {field}: {text} is not a multiple of {self._grids.get(col) or 1}"
        if code == ERR_RANGE:
            return f"{where}: {field}: {text} is out of range"
        reason = self._reasons.get(r) or self._reasons.get(-1 - col, "is not valid")
        return f"{where}: {field}: '{text}' {reason}"

    def good(self, bad_rows: BadRows) -> np.ndarray:
        """The rows to convert. A strict conversion keeps the rows before the first
        bad one and leaves the error pending (raised once they are written)."""
        bad = self.err != 0
        if not bad.any():
            return np.ones(self.n, dtype=bool)
        idx = np.flatnonzero(bad)
        if bad_rows.skip:
            bad_rows.add([self.message(int(r)) for r in idx[: BadRows.SHOWN]], len(idx))
            return ~bad
        first = int(idx[0])
        bad_rows.pending = HftError(self.message(first))
        keep = np.zeros(self.n, dtype=bool)
        keep[:first] = True
        return keep


def header_index(header: Iterable[str], wanted: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Column positions of the wanted fields, each known by one of several names."""
    pos = {h.strip().lower(): i for i, h in enumerate(header)}
    found = {}
    for key, aliases in wanted.items():
        for alias in aliases:
            if alias.lower() in pos:
                found[key] = pos[alias.lower()]
                break
    return found
