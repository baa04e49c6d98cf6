"""Binance public data (data.binance.vision): trades, aggTrades and bookTicker CSVs.

The file kind comes from the header row, or, in the older spot files that have
none, from the number of columns (and, at 7 columns, from which of the last two
fields are booleans). Times are milliseconds, or microseconds in spot files
from 2025 on: the first data row of each file decides (a value of 10**14 or
more is microseconds), and a row in the other unit is a bad row. The rows do not
name their symbol: the file name does, and every input must name the output's.

- trades, aggTrades: one TRADE per row, its own message; the aggressor is the
  seller when ``is_buyer_maker`` is true; order_id is the (aggregate) trade id.
- bookTicker: a QUOTE for the bid then one for the ask, one message per row;
  exch_ts is ``transaction_time``, local_ts ``event_time`` (the closest thing to
  a receive time the file has).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import BUY, SELL
from hft_tui.importers.common import (
    ImportContext,
    check_nonnegative,
    check_positive,
    first_line,
    instrument_from,
    lot_grid,
    price_grid,
    quote_events,
    symbol_from_name,
    trade_events,
)
from hft_tui.instrument import Instrument

HELP = "Binance public data CSVs (trades, aggTrades, bookTicker; .zip, .gz or plain)"

# kind -> (column names in file order, how many are required)
LAYOUTS: dict[str, tuple[list[str], int]] = {
    "trades": (["id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match"], 6),
    "aggTrades": (
        ["agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id",
         "transact_time", "is_buyer_maker", "is_best_match"],
        7,
    ),
    "bookTicker": (
        ["update_id", "best_bid_price", "best_bid_qty", "best_ask_price", "best_ask_qty",
         "transaction_time", "event_time"],
        7,
    ),
}
_BOOLS = ("true", "false")
_AGGRESSOR = {"true": SELL, "false": BUY}  # is_buyer_maker: the buyer rested, the seller hit
US_FROM = 10**14  # a time this large is microseconds (10**14 ms is the year 5138)


def add_arguments(group: Any) -> None:
    pass  # everything comes from the file: the common options are enough


def instrument(args: Any) -> Instrument:
    for path in args.inputs:
        detect(path)  # a file that cannot be converted (bookDepth) is refused before options are asked for
    inst = instrument_from(args, "binance-vision", symbol=symbol_from_name(args.inputs[0]))
    # The rows carry no symbol: a file named for another one would be written as
    # this one's data. Checked before anything is converted.
    for path in args.inputs:
        named = symbol_from_name(path)
        if named and named != inst.symbol:
            raise HftError(
                f"{path}: {named} data (by its name), but the output is {inst.symbol}: "
                "convert each symbol to its own tick file"
            )
    return inst


def detect(path: str) -> tuple[str, bool]:
    """(file kind, has a header row) from the first line."""
    line = first_line(path)
    fields = [f.strip().strip('"').lower() for f in line.split(",")]
    if not fields or not fields[0]:
        raise HftError(f"{path}: empty file")
    if not fields[0].isdigit():
        if "agg_trade_id" in fields:
            return "aggTrades", True
        if "best_bid_price" in fields:
            return "bookTicker", True
        if "quote_qty" in fields and "is_buyer_maker" in fields:
            return "trades", True
        if "percentage" in fields and "depth" in fields:
            raise HftError(f"{path}: bookDepth files hold depth bands, not a book; not supported")
        raise HftError(f"{path}:1: header {line[:80]!r} is not a trades, aggTrades or bookTicker header")
    n = len(fields)
    if n == 6:
        return "trades", False
    if n == 8:
        return "aggTrades", False
    if n == 7:
        if fields[5] in _BOOLS:
            return "trades", False  # ...,time,is_buyer_maker,is_best_match
        if fields[6] in _BOOLS:
            return "aggTrades", False  # ...,transact_time,is_buyer_maker
        return "bookTicker", False
    raise HftError(f"{path}:1: {n} columns is none of trades, aggTrades or bookTicker")


def _time_ns(table: Any, col: int, unit_us: bool) -> np.ndarray:
    raw = table.integer(col)
    wrong = (raw < US_FROM) if unit_us else (raw >= US_FROM)
    if wrong.any():
        unit = "microsecond" if unit_us else "millisecond"
        table.reject(wrong, col, f"is not a {unit} time like the file's first row")
    scale = 1_000 if unit_us else 1_000_000
    # A time past int64 ns (from 9.22e12 ms or 9.22e15 us, the year 2262) is a bad row,
    # not a wrapped date. Checked on the integers already parsed: parsing the column
    # again through the scaling parser cost a third of the conversion time.
    limit = np.iinfo(np.int64).max // scale
    over = (raw > limit) | (raw < -limit)
    if over.any():
        table.out_of_range(over, col)
    return raw * scale


def events(args: Any, inst: Instrument, ctx: ImportContext) -> Iterator[np.ndarray]:
    pg, lg = price_grid(inst), lot_grid(inst)
    for path in args.inputs:
        kind, header = detect(path)
        names, required = LAYOUTS[kind]
        time_col = names.index({"trades": "time", "aggTrades": "transact_time"}.get(kind, "transaction_time"))
        unit_us: bool | None = None
        skip_header = header
        for t in ctx.tables(path, names, min_fields=required):
            if skip_header:
                t.drop_first()
                skip_header = False
            if t.n == 0:
                continue
            if unit_us is None:
                first = t.text(0, time_col)
                unit_us = first.isdigit() and int(first) >= US_FROM
            ts = _time_ns(t, time_col, unit_us)
            check_positive(t, ts, time_col)
            if kind == "bookTicker":
                local = _time_ns(t, names.index("event_time"), unit_us)
                check_positive(t, local, names.index("event_time"))
                bid_px = t.scaled(1, pg.exp10, pg.step, grid=pg.text)
                bid_qty = t.scaled(2, lg.exp10, lg.step, grid=lg.text)
                ask_px = t.scaled(3, pg.exp10, pg.step, grid=pg.text)
                ask_qty = t.scaled(4, lg.exp10, lg.step, grid=lg.text)
                # a side of size 0 is empty: its price may be 0
                check_positive(t, bid_px, 1, where=bid_qty != 0)
                check_positive(t, ask_px, 3, where=ask_qty != 0)
                check_nonnegative(t, bid_qty, 2)
                check_nonnegative(t, ask_qty, 4)
                ids = t.integer(0)
                keep = t.good(ctx.bad)
                yield quote_events(ts[keep], local[keep], bid_px[keep], bid_qty[keep],
                                   ask_px[keep], ask_qty[keep], ids[keep])
            else:
                px = t.scaled(1, pg.exp10, pg.step, grid=pg.text)
                qty = t.scaled(2, lg.exp10, lg.step, grid=lg.text)
                check_positive(t, px, 1)  # the engine takes no order at a price <= 0
                check_positive(t, qty, 2)  # a trade of nothing did not happen
                side = t.tokens(names.index("is_buyer_maker"), _AGGRESSOR, what="true, false")
                ids = t.integer(0)
                keep = t.good(ctx.bad)
                yield trade_events(ts[keep], ts[keep], px[keep], qty[keep], side[keep], ids[keep])
