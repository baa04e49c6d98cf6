"""Generic CSV of trades or quotes, mapped with ``--columns``.

``--columns ts=time,price=px,qty=size,side=side`` names the file's columns (by
header name, or by 1-based position when there is no header) for each field:

- trades: ts, price, qty (required), side, id, local_ts (optional; no side
  means unknown aggressor);
- quotes: ts, bid_px, bid_qty, ask_px, ask_qty (required), id, local_ts.

A trade's price and size must be positive; a quote size may be 0 (an empty
side, whose price may then be 0 too). An id is an integer (an empty one is 0).

Times (``--ts-unit``): s, ms, us or ns since the epoch, decimals allowed down to
the nanosecond ("1704067200.123456" in s), or iso (``2024-01-01T00:00:00.123Z``,
UTC); auto decides from the first data row (a date, else the magnitude: below
1e11 s, 1e14 ms, 1e17 us, else ns). Side values: buy/b/bid/1/+1 and
sell/s/ask/-1 (case-insensitive), empty/unknown/0 for no side; with
``--side-buyer-maker`` the side column holds is_buyer_maker booleans
(true/false, t/f, 1/0, yes/no: true means the seller aggressed).
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
    head,
    instrument_from,
    lot_grid,
    price_grid,
    quote_events,
    trade_events,
)
from hft_tui.instrument import Instrument

HELP = "a generic CSV of trades or quotes, columns mapped with --columns"

FIELDS = {
    "trades": (("ts", "price", "qty"), ("side", "id", "local_ts")),
    "quotes": (("ts", "bid_px", "bid_qty", "ask_px", "ask_qty"), ("id", "local_ts")),
}
_EXP10 = {"s": 9, "ms": 6, "us": 3, "ns": 0}
SIDES = {
    **dict.fromkeys(("buy", "b", "bid", "1", "+1"), BUY),
    **dict.fromkeys(("sell", "s", "ask", "-1"), SELL),
    **dict.fromkeys(("", "unknown", "0"), 0),
}
BUYER_MAKER = {
    **dict.fromkeys(("true", "t", "1", "yes", "y"), SELL),
    **dict.fromkeys(("false", "f", "0", "no", "n"), BUY),
}


def add_arguments(group: Any) -> None:
    group.add_argument(
        "--columns", metavar="MAP",
        help="field=column pairs, e.g. ts=time,price=px,qty=size,side=side "
        "(quotes: ts,bid_px,bid_qty,ask_px,ask_qty); columns by header name or 1-based number",
    )
    group.add_argument("--kind", choices=("trades", "quotes"), default="trades",
                       help="what each row is (default trades)")
    group.add_argument("--ts-unit", choices=("auto", "s", "ms", "us", "ns", "iso"), default="auto",
                       help="unit of the time column (default auto)")
    group.add_argument("--header", choices=("auto", "yes", "no"), default="auto",
                       help="is the first line a header (default auto)")
    group.add_argument("--sep", default=",", metavar="CHAR",
                       help="field separator (default ','; 'tab' for tabs)")
    group.add_argument("--side-buyer-maker", action="store_true",
                       help="the side column is is_buyer_maker (true: the seller aggressed)")


def instrument(args: Any) -> Instrument:
    return instrument_from(args, "csv")


def parse_columns(spec: str | None, kind: str) -> dict[str, str]:
    if not spec:
        required = ",".join(f"{f}=..." for f in FIELDS[kind][0])
        raise HftError(f"csv: give --columns ({required})")
    required, optional = FIELDS[kind]
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, col = part.partition("=")
        key, col = key.strip(), col.strip()
        if not sep or not key or not col:
            raise HftError(f"csv: --columns entry {part!r} is not field=column")
        if key not in required and key not in optional:
            raise HftError(f"csv: unknown field {key!r} for {kind} (fields: {', '.join(required + optional)})")
        if col.isdigit() and int(col) == 0:
            raise HftError(f"csv: --columns {key}={col}: columns are numbered from 1")
        mapping[key] = col
    missing = [f for f in required if f not in mapping]
    if missing:
        raise HftError(f"csv: --columns lacks {', '.join(missing)} for {kind}")
    return mapping


def _sep(text: str) -> str:
    sep = "\t" if text in ("tab", "\\t") else text
    if len(sep) != 1 or not sep.isascii():
        raise HftError(f"csv: --sep must be one ASCII character, got {text!r}")
    return sep


class _Layout:
    """Where each mapped field is in one file, and whether it has a header."""

    def __init__(self, path: str, mapping: dict[str, str], sep: str, header: str) -> None:
        lines = head(path, 1)
        if not lines:
            raise HftError(f"{path}: empty file")
        first = [f.strip().strip('"') for f in lines[0].split(sep)]
        by_name = any(not c.isdigit() for c in mapping.values())
        if header == "auto":
            if by_name:
                has_header = True
            else:
                ts = first[int(mapping["ts"]) - 1] if int(mapping["ts"]) <= len(first) else ""
                has_header = not ts[:1].isdigit() and not ts[:1] in "+-."
        else:
            has_header = header == "yes"
        self.header = has_header
        self.index: dict[str, int] = {}
        for key, col in mapping.items():
            if col.isdigit():
                i = int(col) - 1
                if i >= len(first):  # (column 0 is refused by parse_columns)
                    raise HftError(f"{path}:1: column {col} for {key} is beyond the {len(first)} columns")
            elif not has_header:
                raise HftError(f"csv: column {col!r} is a name but {path} has no header")
            elif col in first:
                i = first.index(col)
            else:
                raise HftError(f"{path}:1: no column {col!r} in the header ({', '.join(first[:12])})")
            self.index[key] = i
        if has_header:
            self.names = first
        else:
            keys = {i: k for k, i in self.index.items()}
            self.names = [f"{keys[i]} (column {i + 1})" if i in keys else f"column {i + 1}"
                          for i in range(len(first))]
        self.min_fields = max(self.index.values()) + 1


def _ts_unit(unit: str, text: str) -> str:
    if unit != "auto":
        return unit
    if "-" in text[1:] or ":" in text or "T" in text:
        return "iso"
    whole = text.lstrip("+-").split(".")[0].split("e")[0]
    v = int(whole) if whole.isdigit() else 0
    for name, limit in (("s", 10**11), ("ms", 10**14), ("us", 10**17)):
        if v < limit:
            return name
    return "ns"


def _times(t: Any, col: int, unit: str) -> np.ndarray:
    if unit == "iso":
        return t.iso_ns(col)
    noun = f"a time in {unit}"
    return t.scaled(col, _EXP10[unit], 1, grid="1 ns", noun=noun)


def events(args: Any, inst: Instrument, ctx: ImportContext) -> Iterator[np.ndarray]:
    kind = args.kind
    mapping = parse_columns(args.columns, kind)
    sep = _sep(args.sep)
    pg, lg = price_grid(inst), lot_grid(inst)
    sides = BUYER_MAKER if args.side_buyer_maker else SIDES
    for path in args.inputs:
        lay = _Layout(path, mapping, sep, args.header)
        col = lay.index
        unit: str | None = None
        skip_header = lay.header
        for t in ctx.tables(path, lay.names, sep, min_fields=lay.min_fields):
            if skip_header:
                t.drop_first()
                skip_header = False
            if t.n == 0:
                continue
            if unit is None:
                unit = _ts_unit(args.ts_unit, t.text(0, col["ts"]))
            ts = _times(t, col["ts"], unit)
            check_positive(t, ts, col["ts"])  # before 1970: a wrong column or unit
            local = ts
            if "local_ts" in col:
                local = _times(t, col["local_ts"], unit)
                check_positive(t, local, col["local_ts"])
            # an id that is not an integer is a bad row, not 0: the user mapped the
            # column, so text there is a wrong mapping (an empty id is no id: 0)
            ids = t.integer(col["id"], optional=True) if "id" in col else np.zeros(t.n, dtype=np.int64)

            def price(key: str) -> np.ndarray:
                return t.scaled(col[key], pg.exp10, pg.step, grid=pg.text)

            def qty(key: str) -> np.ndarray:
                return t.scaled(col[key], lg.exp10, lg.step, grid=lg.text)

            if kind == "trades":
                px, q = price("price"), qty("qty")
                check_positive(t, px, col["price"])  # the engine takes no order at a price <= 0
                check_positive(t, q, col["qty"])  # a trade of nothing did not happen
                what = "true, false" if args.side_buyer_maker else "buy, sell, b, s, 1, -1"
                side = (t.tokens(col["side"], sides, what=what) if "side" in col
                        else np.zeros(t.n, dtype=np.int16))
                k = t.good(ctx.bad)
                yield trade_events(ts[k], local[k], px[k], q[k], side[k], ids[k])
            else:
                bp, bq, ap, aq = price("bid_px"), qty("bid_qty"), price("ask_px"), qty("ask_qty")
                # a side of size 0 is empty (as in Binance bookTicker files): its price may be 0
                for p, q, pkey, qkey in ((bp, bq, "bid_px", "bid_qty"), (ap, aq, "ask_px", "ask_qty")):
                    check_positive(t, p, col[pkey], where=q != 0)
                    check_nonnegative(t, q, col[qkey])
                k = t.good(ctx.bad)
                yield quote_events(ts[k], local[k], bp[k], bq[k], ap[k], aq[k], ids[k])
