"""What every importer shares: the conversion context, grids, message assembly, event builders.

Import is cheap on purpose (numpy only): ``hft-tui --help`` loads every format's
options, and the jitted parsers (``table``, ``parse``) are imported only when a
conversion starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, EOM, EVENT_DTYPE, QUOTE, TRADE
from hft_tui.importers import files
from hft_tui.text import counted
from hft_tui.importers.files import Block, InputFile
from hft_tui.importers.progress import Progress
from hft_tui.instrument import Instrument

if TYPE_CHECKING:
    from hft_tui.importers.table import Table


class BadRows:
    """What bad rows do: stop the conversion (default) or skip and count (``--skip-bad``).

    A strict conversion stops on the first bad row with a one-line
    ``file:line: field F: ...`` error, after the good rows before it have been
    written; a skipping one keeps the first few messages for its report.
    """

    SHOWN = 5

    def __init__(self, skip: bool) -> None:
        self.skip = skip
        self.count = 0
        self.examples: list[str] = []
        self.pending: HftError | None = None

    def add(self, messages: Sequence[str], total: int) -> None:
        self.count += total
        room = self.SHOWN - len(self.examples)
        if room > 0:
            self.examples.extend(messages[:room])

    def check(self) -> None:
        """Raise the error a strict conversion stopped on, once its good rows are out."""
        if self.pending is not None:
            err, self.pending = self.pending, None
            raise err

    def report(self) -> list[str]:
        if not self.count:
            return []
        lines = [f"skipped {counted(self.count, 'bad row')}:"]
        lines += [f"  {m}" for m in self.examples]
        if self.count > len(self.examples):
            lines.append(f"  ... and {self.count - len(self.examples):,} more")
        return lines


class ImportContext:
    """Bad-row policy, progress and block size for one conversion."""

    def __init__(
        self, skip_bad: bool = False, progress: Progress | None = None, block_bytes: int | None = None
    ) -> None:
        self.bad = BadRows(skip_bad)
        self.progress = progress if progress is not None else Progress(0, enabled=False)
        self.block_bytes = block_bytes or files.BLOCK_BYTES
        self.notes: list[str] = []  # one-line remarks for the end of the conversion

    def tables(
        self, path: str, names: Sequence[str], sep: str = ",", min_fields: int | None = None,
        track: bool = True, then: Callable[[Table], Any] | None = None,
    ) -> Iterator[Any]:
        """One input as tables of whole lines, read and split a block ahead in a
        background thread; a pending strict error stops the iteration.

        ``track``: the file counts in the progress (a side file such as a
        LOBSTER orderbook does not). ``then``: work on each table done in the
        background thread too; its results are yielded instead of the tables.
        """
        from hft_tui.importers.prefetch import TablePrefetch
        from hft_tui.importers.table import Table

        def make(block: Block, scratch: Any) -> Any:
            table = Table(path, block.data, block.first_line, names, sep, min_fields, scratch)
            return (table.n, table) if then is None else (table.n, then(table))

        feed = TablePrefetch(path, self.block_bytes, make)
        for block, (n, item) in feed:
            self.bad.check()
            try:
                yield item
            finally:
                # counted once the importer is done with the table: a header row it
                # dropped (Table.drop_first) is no row of data
                if track:
                    self.progress.update(block.raw_pos, item.n if then is None else n)
        self.bad.check()
        if track:
            self.progress.file_done(feed.size)


def head(path: str, n: int = 1) -> list[str]:
    """The first n non-blank lines of an input (fewer if it is shorter)."""
    with InputFile(path) as fh:
        return fh.head(n)


def first_line(path: str) -> str:
    lines = head(path, 1)
    return lines[0] if lines else ""


# --- grids ------------------------------------------------------------------------------
class Grid(NamedTuple):
    """A decimal step as (decimals, step scaled by 10**decimals): 0.025 -> (3, 25)."""

    exp10: int
    step: int
    text: str


def grid(step_text: str, symbol: str = "") -> Grid:
    d = Decimal(step_text).normalize()
    exp10 = max(0, -int(d.as_tuple().exponent))
    step = int(d.scaleb(exp10))
    label = f"{format(d, 'f')} ({symbol})" if symbol else format(d, "f")
    return Grid(exp10, step, label)


def price_grid(inst: Instrument) -> Grid:
    return grid(inst.tick_size, inst.symbol)


def lot_grid(inst: Instrument) -> Grid:
    return grid(inst.lot_size, inst.symbol)


def instrument_from(args: object, fmt: str, symbol: str | None = None, tick: str | None = None,
                    lot: str | None = None) -> Instrument:
    """The instrument from --symbol/--tick-size/--lot-size, else the format's defaults."""
    symbol = getattr(args, "symbol", None) or symbol
    tick = getattr(args, "tick_size", None) or tick
    lot = getattr(args, "lot_size", None) or lot
    wanted = (
        ("--symbol", symbol, "the instrument's name", "BTCUSDT"),
        ("--tick-size", tick, "its price step", "0.01"),
        ("--lot-size", lot, "its size step", "0.00001"),
    )
    missing = [(flag, what, eg) for flag, v, what, eg in wanted if not v]
    if missing:
        flags = " and ".join(flag for flag, _, _ in missing)
        said = ", ".join(what for _, what, _ in missing)
        example = " ".join(f"{flag} {eg}" for flag, _, eg in missing)
        raise HftError(f"{fmt}: give {flags} ({said}; e.g. {example})")
    return Instrument(str(symbol), str(tick), str(lot))


def symbol_from_name(path: str) -> str | None:
    """'BTCUSDT-trades-2024-01-01.zip' -> 'BTCUSDT' (the data.binance.vision naming), else None."""
    m = re.match(r"([A-Z0-9]{2,32})-(trades|aggTrades|bookTicker)\b", os.path.basename(path))
    return m.group(1) if m else None


# --- messages ---------------------------------------------------------------------------
class MessageCarry:
    """Cuts event batches on message boundaries across blocks.

    A block's last message may continue in the next block; its events wait here
    until the message is known to have ended, so every batch handed on ends with
    an ``EOM`` event.
    """

    def __init__(self) -> None:
        self._pending = np.empty(0, dtype=EVENT_DTYPE)

    def end_pending(self) -> None:
        """The pending message is complete."""
        if len(self._pending):
            self._pending["flags"][-1] |= EOM

    def take(self, events: np.ndarray) -> np.ndarray:
        """Pending + events up to the last EOM; the rest waits."""
        if len(self._pending):
            events = np.concatenate([self._pending, events])
        ends = np.flatnonzero(events["flags"] & EOM)
        cut = int(ends[-1]) + 1 if len(ends) else 0
        self._pending = events[cut:].copy()
        return events[:cut]

    def finish(self) -> np.ndarray:
        """The last message at end of input."""
        self.end_pending()
        out, self._pending = self._pending, np.empty(0, dtype=EVENT_DTYPE)
        return out


# --- event builders ---------------------------------------------------------------------
def trade_events(exch_ts, local_ts, px, qty, side, ids, flags: int = 0) -> np.ndarray:
    """One TRADE per row, each its own message."""
    ev = np.zeros(len(px), dtype=EVENT_DTYPE)
    ev["exch_ts"] = exch_ts
    ev["local_ts"] = local_ts
    ev["px"] = px
    ev["qty"] = qty
    ev["side"] = side
    ev["order_id"] = ids
    ev["kind"] = TRADE
    ev["flags"] = flags | EOM
    return ev


def quote_events(exch_ts, local_ts, bid_px, bid_qty, ask_px, ask_qty, ids=0,
                 has_bid=None, has_ask=None) -> np.ndarray:
    """A QUOTE for the bid then one for the ask per row, one message per row.

    A side whose ``has_*`` is False is left out (a row with neither gives nothing).
    """
    n = len(bid_px)
    ev = np.zeros((n, 2), dtype=EVENT_DTYPE)
    ev["kind"] = QUOTE
    for j, (side, px, qty) in enumerate(((BID, bid_px, bid_qty), (ASK, ask_px, ask_qty))):
        col = ev[:, j]
        col["exch_ts"] = exch_ts
        col["local_ts"] = local_ts
        col["px"] = px
        col["qty"] = qty
        col["side"] = side
        col["order_id"] = ids
    keep = np.ones((n, 2), dtype=bool)
    if has_bid is not None:
        keep[:, 0] = has_bid
    if has_ask is not None:
        keep[:, 1] = has_ask
    ev["flags"][:, 1] = EOM
    ev["flags"][:, 0] = np.where(keep[:, 1], 0, EOM)
    return ev.reshape(-1)[keep.reshape(-1)]


def check_nonnegative(table: Table, values: np.ndarray, col: int) -> None:
    neg = values < 0
    if neg.any():
        table.reject(neg, col, "is negative")


def check_positive(table: Table, values: np.ndarray, col: int, where: np.ndarray | None = None) -> None:
    """Negative values are bad rows, and so are zeros (only in the rows ``where``, if given)."""
    check_nonnegative(table, values, col)
    zero = values == 0
    if where is not None:
        zero &= where
    if zero.any():
        table.reject(zero, col, "is zero")
