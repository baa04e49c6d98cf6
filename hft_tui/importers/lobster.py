"""LOBSTER (NASDAQ L3 reconstructions): a message file with its orderbook file.

Each message row is one source message: type 1 ADD, 2 and 3 CANCEL (of the
size removed), 4 EXECUTE (the resting order's side; the aggressor is the other
one), 5 a TRADE flagged HIDDEN (aggressor = -direction; the visible book does
not change), 6 a TRADE with no aggressor (auction cross). Type 7 (trading halt
indicators) has no event kind of its own: the row becomes one no-op LEVEL
correction (the best level restated), so that message i stays orderbook row i.

The orderbook file is the truth for the visible levels: after every message the
kernel (``lobster_book``) emits LEVEL corrections flagged CORRECTION wherever
the messages do not explain the next orderbook row, and the first message
carries the start state (the first orderbook row with the first message undone)
as a CLEAR and SNAPSHOT levels. ``hft-tui book OUT.hft --levels N --every 1``
therefore prints the orderbook file row for row.

Units: times are seconds after midnight New York time (``--date``, from the
file name by default; ``--timezone`` to change), prices 1/10000 dollars (the
default instrument has tick 0.0001 and lot 1 share; a coarser ``--tick-size``
must divide every price).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.importers.common import ImportContext, grid, instrument_from, lot_grid
from hft_tui.instrument import Instrument

HELP = "LOBSTER message files with their orderbook files (NASDAQ L3)"

MSG_NAMES = ["time", "type", "order_id", "size", "price", "direction"]
_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})_")
_NAME = re.compile(r"([A-Za-z0-9.]{1,32})_\d{4}-\d{2}-\d{2}_")  # TICKER_YYYY-MM-DD_...
LOBSTER_DECIMALS = 4  # prices are dollars times 10**4


def add_arguments(group: Any) -> None:
    group.add_argument(
        "--orderbook", action="append", metavar="FILE",
        help="the orderbook file of each message file, in the same order "
        "(default: the message file's name with _message_ -> _orderbook_)",
    )
    group.add_argument("--date", metavar="YYYY-MM-DD",
                       help="trading date (default: from each message file's name)")
    group.add_argument("--timezone", default="America/New_York",
                       help="time zone of the LOBSTER times (default America/New_York)")


def instrument(args: Any) -> Instrument:
    m = _NAME.match(os.path.basename(args.inputs[0]))
    symbol = m.group(1) if m else None
    return instrument_from(args, "lobster", symbol=symbol, tick="0.0001", lot="1")


def _pairs(args: Any) -> list[tuple[str, str, str]]:
    """(message file, orderbook file, date) for each input."""
    books = args.orderbook or []
    if books and len(books) != len(args.inputs):
        raise HftError(f"lobster: {len(args.inputs)} message files but {len(books)} --orderbook files")
    out = []
    for i, msg in enumerate(args.inputs):
        if books:
            ob = books[i]
        elif "_message_" in os.path.basename(msg):
            ob = os.path.join(os.path.dirname(msg), os.path.basename(msg).replace("_message_", "_orderbook_"))
        else:
            raise HftError(f"lobster: give --orderbook for {msg} (its name has no _message_)")
        day = args.date
        if day is None:
            m = _DATE.search(os.path.basename(msg))
            if not m:
                raise HftError(f"lobster: give --date for {msg} (its name has no _YYYY-MM-DD_)")
            day = m.group(1)
        out.append((msg, ob, day))
    return out


class _Clock:
    """Nanoseconds after local midnight -> ns since the epoch, DST days included."""

    def __init__(self, day: str, tz_name: str) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            d = date.fromisoformat(day)
        except ValueError:
            raise HftError(f"lobster: date {day!r} is not YYYY-MM-DD") from None
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise HftError(f"lobster: unknown time zone {tz_name!r}") from None
        midnight = datetime(d.year, d.month, d.day, tzinfo=tz)

        def offset_ns(sec: int) -> int:  # UTC offset at this wall-clock second of the day
            off = (midnight + timedelta(seconds=sec)).utcoffset()
            return int(off.total_seconds()) * 10**9 if off is not None else 0

        self.wall0 = (d - date(1970, 1, 1)).days * 86400 * 10**9
        self.off0, self.off1 = offset_ns(0), offset_ns(86399)
        lo, hi = 0, 86399  # first second with the later offset (a DST change that day)
        while self.off0 != self.off1 and lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if offset_ns(mid) == self.off1 else (mid + 1, hi)
        self.switch = lo * 10**9

    def __call__(self, ns_after_midnight: np.ndarray) -> np.ndarray:
        if self.off0 == self.off1:
            return ns_after_midnight + (self.wall0 - self.off0)
        off = np.where(ns_after_midnight < self.switch, self.off0, self.off1)
        return ns_after_midnight + self.wall0 - off


class _PriceGrid:
    """LOBSTER integer prices (dollars * 10**4) -> ticks, exactly: ticks = p * num // den."""

    def __init__(self, inst: Instrument) -> None:
        g = grid(inst.tick_size, inst.symbol)
        self.num = 10 ** max(0, g.exp10 - LOBSTER_DECIMALS)
        self.den = g.step * 10 ** max(0, LOBSTER_DECIMALS - g.exp10)
        self.text = g.text

    def ticks(self, t: Any, raw: np.ndarray, rows: np.ndarray, col: int) -> np.ndarray:
        scaled = raw * self.num
        off = rows & (scaled % self.den != 0)
        if off.any():
            t.reject(off, col, f"is not a multiple of the tick {self.text} (prices are $ * 10000)")
        return np.where(rows, scaled // self.den, 0)


class _Rows:
    """Parsed rows of one file: arrays, the bad-row mask and messages for the first few."""

    def __init__(self, t: Any, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.bad = t.err != 0
        self.lines = t.lines
        idx = np.flatnonzero(self.bad)[:6]
        self.messages = {int(r): t.message(int(r)) for r in idx}
        self.n = t.n


def _parse_messages(t: Any, clock: _Clock, pgrid: _PriceGrid, lg: Any) -> _Rows:
    # time (ns after midnight), type, order id, size (lots), price (raw), direction: one pass
    cols = t.scaled_many(
        range(6), [9, 0, 0, lg.exp10, 0, 0], [1, 1, 1, lg.step, 1, 1],
        ["1 ns", "1", "1", lg.text, "1", "1"],
        noun=["a time in seconds", "an integer", "an integer", "a decimal number", "an integer", "an integer"],
    )
    ts = clock(cols[:, 0])
    typ, oid, size, raw_px, dirn = (np.ascontiguousarray(cols[:, j]) for j in range(1, 6))
    ok = t.err == 0
    bad_type = ok & ((typ < 1) | (typ > 7))
    if bad_type.any():
        t.reject(bad_type, 1, "is not a LOBSTER event type (1 to 7)")
    sided = (typ >= 1) & (typ <= 5)
    bad_dir = sided & (dirn != 1) & (dirn != -1)
    if bad_dir.any():
        t.reject(bad_dir, 5, "is not a direction (1 buy, -1 sell)")
    bad_size = (typ >= 1) & (typ <= 6) & (size <= 0)
    if bad_size.any():
        t.reject(bad_size, 3, "is not a positive size")
    px = pgrid.ticks(t, raw_px, (typ >= 1) & (typ <= 6), 4)
    return _Rows(t, {"ts": ts, "typ": typ, "oid": oid, "size": size, "px": px, "dir": dirn})


def _parse_book(t: Any, pgrid: _PriceGrid, lg: Any) -> _Rows:
    n_lv = len(t.names) // 4
    width = 4 * n_lv
    # prices as raw integers (empty levels hold +-9999999999, off any coarse grid), sizes on the lot grid
    exp10 = [lg.exp10 if c % 2 else 0 for c in range(width)]
    step = [lg.step if c % 2 else 1 for c in range(width)]
    grids = [lg.text if c % 2 else "1" for c in range(width)]
    ob = t.scaled_many(range(width), exp10, step, grids, noun="an integer")
    sizes = ob[:, 1::2]
    if (sizes < 0).any():
        for c in range(1, width, 2):
            neg = ob[:, c] < 0
            if neg.any():
                t.reject(neg, c, "is negative")
    for c in range(0, width, 2):  # prices of non-empty levels, to ticks
        ob[:, c] = pgrid.ticks(t, ob[:, c], ob[:, c + 1] > 0, c)
    for off, sgn in ((0, 1), (2, -1)):  # asks rise, bids fall; empty levels come last
        for k in range(n_lv - 1):
            a, b = 4 * k + off, 4 * (k + 1) + off
            here, there = ob[:, a + 1] > 0, ob[:, b + 1] > 0
            bad = (there & ~here) | (here & there & (ob[:, b] * sgn <= ob[:, a] * sgn))
            if bad.any():
                t.reject(bad, b, f"is out of order after level {k + 1}")
    return _Rows(t, {"ob": ob})


def _book_names(n_fields: int, path: str) -> list[str]:
    if n_fields % 4 or n_fields == 0:
        raise HftError(f"{path}:1: {n_fields} columns is not 4 per level (ask px, ask size, bid px, bid size)")
    return [f"{name}_{k + 1}" for k in range(n_fields // 4) for name in ("ask_px", "ask_sz", "bid_px", "bid_sz")]


class _BookFeed:
    """Orderbook rows handed out in step with the message rows."""

    def __init__(self, path: str, ctx: ImportContext, pgrid: _PriceGrid, lg: Any) -> None:
        from hft_tui.importers.common import head

        first = head(path, 1)
        if not first:
            raise HftError(f"{path}: empty orderbook file")
        self.path = path
        self.names = _book_names(len(first[0].split(",")), path)
        self.n_levels = len(self.names) // 4
        # parsed in the prefetch thread: the orderbook is most of LOBSTER's bytes
        self._parsed = ctx.tables(path, self.names, track=False, then=lambda t: _parse_book(t, pgrid, lg))
        self._parts: list[_Rows] = []
        self._buffered = 0

    def take(self, m: int, msg_path: str, last_line: int) -> list[_Rows]:
        """The next m orderbook rows, as one or more parsed parts."""
        while self._buffered < m:
            rows = next(self._parsed, None)
            if rows is None:
                raise HftError(
                    f"{self.path}: ends before {msg_path}:{last_line} (the files must have equal rows)"
                )
            self._parts.append(rows)
            self._buffered += rows.n
        out, need = [], m
        while need:
            part = self._parts[0]
            if part.n <= need:
                out.append(self._parts.pop(0))
                need -= part.n
            else:
                out.append(_slice(part, 0, need))
                self._parts[0] = _slice(part, need, part.n)
                need = 0
        self._buffered -= m
        return out

    def finish(self, msg_path: str) -> None:
        extra = self._buffered + sum(rows.n for rows in self._parsed)
        if extra:
            raise HftError(f"{self.path}: has more rows than {msg_path} (the files must have equal rows)")


def _slice(rows: _Rows, a: int, b: int) -> _Rows:
    out = _Rows.__new__(_Rows)
    out.arrays = {k: v[a:b] for k, v in rows.arrays.items()}
    out.bad, out.lines, out.n = rows.bad[a:b], rows.lines[a:b], b - a
    out.messages = {r - a: m for r, m in rows.messages.items() if a <= r < b}
    return out


def _join(parts: list[_Rows]) -> _Rows:
    if len(parts) == 1:
        return parts[0]
    out = _Rows.__new__(_Rows)
    out.arrays = {k: np.concatenate([p.arrays[k] for p in parts]) for k in parts[0].arrays}
    out.bad = np.concatenate([p.bad for p in parts])
    out.lines = np.concatenate([p.lines for p in parts])
    out.messages, base = {}, 0
    for p in parts:
        out.messages.update({r + base: m for r, m in p.messages.items()})
        base += p.n
    out.n = base
    return out


def _triage(msg: _Rows, book: _Rows, ctx: ImportContext) -> tuple[np.ndarray, np.ndarray]:
    """(rows to convert, rows whose message is dropped but whose orderbook row stays).

    A bad orderbook row drops its message too (there is no truth for it); a bad
    message with a good orderbook row becomes corrections only, so the output
    keeps one message per orderbook row.
    """
    bad_any = msg.bad | book.bad
    if not bad_any.any():
        return np.ones(msg.n, dtype=bool), np.zeros(msg.n, dtype=bool)
    idx = np.flatnonzero(bad_any)
    texts = [msg.messages.get(int(r)) or book.messages.get(int(r)) or "bad row" for r in idx[:6]]
    if not ctx.bad.skip:
        ctx.bad.pending = HftError(texts[0])
        keep = np.zeros(msg.n, dtype=bool)
        keep[: idx[0]] = True
        return keep, np.zeros(msg.n, dtype=bool)
    ctx.bad.add(texts, len(idx))
    return ~book.bad, msg.bad & ~book.bad


def events(args: Any, inst: Instrument, ctx: ImportContext) -> Iterator[np.ndarray]:
    from hft_tui.importers.lobster_book import NO_MESSAGE, lobster_rows, max_events_per_row

    pgrid, lg = _PriceGrid(inst), lot_grid(inst)
    for msg_path, ob_path, day in _pairs(args):
        clock = _Clock(day, args.timezone)
        feed = _BookFeed(ob_path, ctx, pgrid, lg)
        prev_ob = np.zeros(4 * feed.n_levels, dtype=np.int64)
        first = True
        for t in ctx.tables(msg_path, MSG_NAMES):
            if t.n == 0:
                continue
            msg = _parse_messages(t, clock, pgrid, lg)
            book = _join(feed.take(t.n, msg_path, int(t.lines[-1])))
            keep, no_msg = _triage(msg, book, ctx)
            a = {k: v[keep] for k, v in msg.arrays.items()}
            typ = np.where(no_msg[keep], NO_MESSAGE, a["typ"])
            ob = np.ascontiguousarray(book.arrays["ob"][keep])
            r, n = 0, len(typ)
            cap = max(4 * n, 8 * max_events_per_row(feed.n_levels))
            while r < n:
                out = np.zeros(cap, dtype=EVENT_DTYPE)
                nxt, k = lobster_rows(a["ts"], typ, a["oid"], a["size"], a["px"], a["dir"],
                                      ob, r, prev_ob, first, out)
                first = False
                prev_ob = ob[nxt - 1].copy()
                r = nxt
                yield out[:k]
        feed.finish(msg_path)
