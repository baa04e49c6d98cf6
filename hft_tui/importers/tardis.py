"""Tardis normalised CSVs: incremental_book_L2, trades, book_snapshot_N, quotes.

The data type comes from the header. Times are microseconds (``timestamp`` the
exchange's, ``local_timestamp`` the recorder's; an empty ``timestamp`` takes
the local one). A file may hold several symbols: only the rows of the output's
symbol (``--symbol``, else the first data row's) are converted, and the others
are counted in a note.

Message grouping of incremental_book_L2: consecutive update rows sharing a
``local_timestamp`` are one message (the recorder received them together: one
exchange depth update), so the book is observed only between whole updates. A
run of ``is_snapshot=true`` rows is one message however many timestamps it
spans (a book is never observed half rebuilt), and when ``is_snapshot`` turns
from false to true (at the start of a file and after a reconnect) it starts
with a CLEAR. Snapshot rows and their CLEAR carry the SNAPSHOT flag. A file
that starts with update rows (no snapshot) starts from an empty book.

trades: one TRADE per row (side = aggressor, ``unknown`` -> 0; order_id = the
trade id when it is an integer, else 0). book_snapshot_N: per row a CLEAR and
the row's non-empty levels, one message. quotes: a QUOTE per present side.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, BUY, CLEAR, EOM, EVENT_DTYPE, LEVEL, SELL, SNAPSHOT
from hft_tui.importers.common import (
    Grid,
    ImportContext,
    MessageCarry,
    check_nonnegative,
    check_positive,
    head,
    instrument_from,
    lot_grid,
    price_grid,
    quote_events,
    trade_events,
)
from hft_tui.instrument import Instrument
from hft_tui.text import counted

HELP = "Tardis CSVs (incremental_book_L2, trades, book_snapshot_N, quotes; .gz or plain)"

_TRUE_FALSE = {"true": 1, "false": 0}
_BOOK_SIDE = {"bid": BID, "ask": ASK}
_AGGRESSOR = {"buy": BUY, "sell": SELL, "unknown": 0, "": 0}


def add_arguments(group: Any) -> None:
    pass  # the data type and symbol come from the file


def detect(path: str) -> tuple[str, list[str]]:
    """(data type, header names) of a Tardis CSV."""
    lines = head(path, 1)
    if not lines:
        raise HftError(f"{path}: empty file")
    names = [f.strip() for f in lines[0].split(",")]
    has = set(names)
    if not {"exchange", "symbol", "local_timestamp"} <= has:
        raise HftError(f"{path}:1: not a Tardis CSV header: {lines[0][:80]!r}")
    if {"is_snapshot", "side", "price", "amount"} <= has:
        return "incremental_book_L2", names
    if {"side", "price", "amount"} <= has:
        return "trades", names
    if "asks[0].price" in has:
        return "book_snapshot", names
    if {"ask_amount", "ask_price", "bid_price", "bid_amount"} <= has:
        return "quotes", names
    raise HftError(f"{path}: Tardis data type not supported (header {lines[0][:80]!r})")


def instrument(args: Any) -> Instrument:
    symbol = None
    if not getattr(args, "symbol", None):
        lines = head(args.inputs[0], 2)
        if len(lines) == 2:
            names = [f.strip() for f in lines[0].split(",")]
            fields = lines[1].split(",")
            if "symbol" in names and len(fields) == len(names):
                symbol = fields[names.index("symbol")].strip()
    return instrument_from(args, "tardis", symbol=symbol)


class _Times:
    """exch_ts and local_ts in ns; an empty exchange time takes the local one."""

    def __init__(self, t: Any) -> None:
        ts_col, lts_col = t.column("timestamp"), t.column("local_timestamp")
        self.local = t.scaled(lts_col, 3, noun="a time in microseconds")
        exch = t.scaled(ts_col, 3, optional=True, noun="a time in microseconds")
        given = ~t.empty(ts_col)
        check_positive(t, self.local, lts_col)  # before 1970: not a time of this data
        check_positive(t, exch, ts_col, where=given)
        self.exch = np.where(given, exch, self.local)


def events(args: Any, inst: Instrument, ctx: ImportContext) -> Iterator[np.ndarray]:
    pg, lg = price_grid(inst), lot_grid(inst)
    carry = MessageCarry()
    others = 0
    for path in args.inputs:
        kind, names = detect(path)
        book = _L2State() if kind == "incremental_book_L2" else None
        carry.end_pending()  # a new file starts a new message
        header = True
        for t in ctx.tables(path, names):
            if header:
                t.drop_first()
                header = False
            mine = (t.match(t.column("symbol"), {inst.symbol: 1}) == 1) | (t.err != 0)
            if not mine.all():
                others += int((~mine).sum())
                t.select(mine)
            if t.n == 0:
                continue
            times = _Times(t)
            if book is not None:
                yield book.convert(t, times, pg, lg, ctx, carry)
            elif kind == "trades":
                px = t.scaled(t.column("price"), pg.exp10, pg.step, grid=pg.text)
                qty = _qty(t, "amount", lg)
                check_positive(t, px, t.column("price"))  # the engine takes no order at a price <= 0
                check_positive(t, qty, t.column("amount"))  # a trade of nothing did not happen
                side = t.tokens(t.column("side"), _AGGRESSOR, what="buy, sell, unknown")
                ids = t.lenient_int(t.column("id")) if "id" in names else 0
                k = t.good(ctx.bad)
                ids = ids[k] if isinstance(ids, np.ndarray) else ids
                yield trade_events(times.exch[k], times.local[k], px[k], qty[k], side[k], ids)
            elif kind == "quotes":
                yield _quotes(t, times, pg, lg, ctx)
            else:
                yield _snapshots(t, times, pg, lg, ctx)
    tail = carry.finish()
    if len(tail):
        yield tail
    if others:
        ctx.notes.append(f"ignored {counted(others, 'row')} of symbols other than {inst.symbol}")


def _qty(t: Any, name: str, lg: Grid, optional: bool = False) -> np.ndarray:
    col = t.column(name)
    qty = t.scaled(col, lg.exp10, lg.step, grid=lg.text, optional=optional)
    check_nonnegative(t, qty, col)
    return qty


class _L2State:
    """What incremental_book_L2 needs to know about the rows before this block."""

    def __init__(self) -> None:
        self.prev_snap = False
        self.prev_lts: int | None = None

    def convert(
        self, t: Any, times: _Times, pg: Grid, lg: Grid, ctx: ImportContext, carry: MessageCarry
    ) -> np.ndarray:
        """The block's events up to its last complete message (the rest waits in carry)."""
        snap = t.tokens(t.column("is_snapshot"), _TRUE_FALSE, what="true, false").astype(bool)
        side = t.tokens(t.column("side"), _BOOK_SIDE, what="bid, ask")
        px = t.scaled(t.column("price"), pg.exp10, pg.step, grid=pg.text)
        qty = _qty(t, "amount", lg)
        check_positive(t, px, t.column("price"))  # also for a level's removal (amount 0)
        k = t.good(ctx.bad)
        snap, side, px, qty = snap[k], side[k], px[k], qty[k]
        exch, lts = times.exch[k], times.local[k]
        n = len(px)
        if n == 0:
            return np.empty(0, dtype=EVENT_DTYPE)
        before = np.concatenate([[self.prev_snap], snap[:-1]])
        clear = snap & ~before
        # ends[i]: row i ends its message (the next row is in another update or snapshot)
        ends = np.zeros(n, dtype=bool)
        ends[:-1] = (snap[:-1] != snap[1:]) | (~snap[:-1] & (lts[:-1] != lts[1:]))
        first_starts = self.prev_lts is not None and (
            bool(snap[0]) != self.prev_snap or (not self.prev_snap and int(lts[0]) != self.prev_lts)
        )
        self.prev_snap, self.prev_lts = bool(snap[-1]), int(lts[-1])

        n_clear = int(clear.sum())
        ev = np.zeros(n + n_clear, dtype=EVENT_DTYPE)
        # the LEVEL rows: all of ev, or (when CLEARs are inserted) every slot but theirs
        pos = np.arange(n) + np.cumsum(clear) if n_clear else slice(None)
        flags = (snap * SNAPSHOT) | (ends * EOM)
        for name, values in (("exch_ts", exch), ("local_ts", lts), ("px", px), ("qty", qty),
                             ("side", side), ("flags", flags)):
            ev[name][pos] = values
        ev["kind"][pos] = LEVEL
        if not n_clear:
            return self._finish(ev, first_starts, carry)
        cpos = pos[clear] - 1
        ev["kind"][cpos] = CLEAR
        ev["flags"][cpos] = SNAPSHOT
        ev["exch_ts"][cpos], ev["local_ts"][cpos] = exch[clear], lts[clear]
        return self._finish(ev, first_starts, carry)

    @staticmethod
    def _finish(ev: np.ndarray, first_starts: bool, carry: MessageCarry) -> np.ndarray:
        if first_starts:
            carry.end_pending()  # the previous block's last message ended with it
        return carry.take(ev)


def _quotes(t: Any, times: _Times, pg: Grid, lg: Grid, ctx: ImportContext) -> np.ndarray:
    cols = {n: t.column(n) for n in ("bid_price", "bid_amount", "ask_price", "ask_amount")}
    bid_px = t.scaled(cols["bid_price"], pg.exp10, pg.step, grid=pg.text, optional=True)
    ask_px = t.scaled(cols["ask_price"], pg.exp10, pg.step, grid=pg.text, optional=True)
    bid_qty = _qty(t, "bid_amount", lg, optional=True)
    ask_qty = _qty(t, "ask_amount", lg, optional=True)
    has_bid = ~t.empty(cols["bid_price"]) & ~t.empty(cols["bid_amount"])
    has_ask = ~t.empty(cols["ask_price"]) & ~t.empty(cols["ask_amount"])
    check_positive(t, bid_px, cols["bid_price"], where=has_bid & (bid_qty != 0))
    check_positive(t, ask_px, cols["ask_price"], where=has_ask & (ask_qty != 0))
    k = t.good(ctx.bad)
    return quote_events(times.exch[k], times.local[k], bid_px[k], bid_qty[k], ask_px[k],
                        ask_qty[k], 0, has_bid[k], has_ask[k])


def _snapshots(t: Any, times: _Times, pg: Grid, lg: Grid, ctx: ImportContext) -> np.ndarray:
    depth = sum(1 for name in t.names if name.startswith("asks[") and name.endswith("].price"))
    n = t.n
    dense = np.zeros((n, 1 + 2 * depth), dtype=EVENT_DTYPE)
    present = np.zeros((n, 1 + 2 * depth), dtype=bool)
    dense["kind"][:, 0] = CLEAR
    present[:, 0] = True
    for j, (prefix, side) in enumerate((("asks", ASK), ("bids", BID))):
        for lvl in range(depth):
            pcol = t.column(f"{prefix}[{lvl}].price")
            qcol = t.column(f"{prefix}[{lvl}].amount")
            px = t.scaled(pcol, pg.exp10, pg.step, grid=pg.text, optional=True)
            qty = t.scaled(qcol, lg.exp10, lg.step, grid=lg.text, optional=True)
            check_nonnegative(t, qty, qcol)
            check_positive(t, px, pcol, where=~t.empty(pcol) & (qty > 0))
            c = 1 + j * depth + lvl
            dense["kind"][:, c] = LEVEL
            dense["side"][:, c] = side
            dense["px"][:, c], dense["qty"][:, c] = px, qty
            present[:, c] = ~t.empty(pcol) & (qty > 0)
    dense["exch_ts"] = times.exch[:, None]
    dense["local_ts"] = times.local[:, None]
    dense["flags"] = SNAPSHOT
    last = (present * np.arange(present.shape[1])).argmax(axis=1)
    dense["flags"][np.arange(n), last] |= EOM
    k = t.good(ctx.bad)
    return dense[k][present[k]]
