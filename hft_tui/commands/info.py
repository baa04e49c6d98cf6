"""`hft-tui info FILE [FILE ...]`: describe tick files and check their integrity.

Exit status 0 when every file is whole; 1 when a file is readable but damaged
(a truncated or corrupt chunk: its warnings go to stderr as well, and what can
be read is described), so that a script checking recordings sees it; 2 when a
file is not a tick file at all.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from hft_tui.errors import HftError, TickFileError
from hft_tui.text import counted, duration_ns, utc_iso

if TYPE_CHECKING:
    from hft_tui.tickfile import TickReader

HELP = "describe tick files (symbol, sizes, events, time span, chunks) and check their integrity"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="tick files (.hft)")


def _rows(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def _span(first: int | None, last: int | None) -> list[tuple[str, str]]:
    if first is None or last is None:
        return [("time span", "no events")]
    span = duration_ns(last - first) if last >= first else f"none: the last event is {duration_ns(first - last)} before the first"
    return [("first", utc_iso(first)), ("last", utc_iso(last)), ("duration", span)]


def _order(reader: TickReader) -> list[tuple[str, str]]:
    from hft_tui.time_order import BIG_STEP_NS, TimeOrder

    if not reader.n_events:
        return []
    order = TimeOrder()
    for chunk in reader.iter_chunks():
        order.add(chunk["exch_ts"])
    if not order.steps:
        return [("in order", "yes")]
    if order.worst < BIG_STEP_NS:
        return [("in order", f"nearly: {counted(order.steps, 'small step')} back, none over {duration_ns(order.worst)}")]
    return [("in order", f"no: time steps back {counted(order.steps, 'time')}, by up to {duration_ns(order.worst)}")]


def describe(reader: TickReader) -> str:
    inst = reader.instrument
    prefix = f"warning: {reader.path}: "
    problems = [w.removeprefix(prefix) for w in reader.warnings]
    rows = [
        ("symbol", inst.symbol),
        ("tick size", inst.tick_size),
        ("lot size", inst.lot_size),
        ("events", f"{reader.n_events:,}"),
        *_span(reader.first_ts, reader.last_ts),
        *_order(reader),
        ("chunks", f"{len(reader.chunks):,}"),
        ("size", f"{reader.size:,} bytes"),
        ("created", utc_iso(reader.created_ns)),
    ]
    rows += [("integrity", p) for p in problems] if problems else [("integrity", "ok")]
    return f"{reader.path}\n{_rows(rows)}"


def run(args: argparse.Namespace) -> int:
    from hft_tui.stream import EventStream
    from hft_tui.tickfile import TickReader

    status = 0
    readers = []
    for path in args.files:
        try:
            reader = TickReader(path)
        except TickFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
            continue
        print(("\n" if readers else "") + describe(reader))
        for warning in reader.warnings:
            print(warning, file=sys.stderr)
        if reader.warnings:
            status = max(status, 1)
        readers.append(reader)
    if len(readers) > 1:
        try:
            stream = EventStream(readers)
        except HftError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        own = stream.warnings[sum(len(r.warnings) for r in readers) :]
        rows = [
            ("symbols", ", ".join(i.symbol for i in stream.instruments)),
            ("events", f"{stream.n_events:,}"),
            *_span(stream.first_ts, stream.last_ts),
        ]
        rows += [("warning", w.removeprefix("warning: ")) for w in own]
        print(f"\nall {len(readers)} files as one stream\n{_rows(rows)}")
        for warning in own:
            print(warning, file=sys.stderr)
    for reader in readers:
        reader.close()
    return status
