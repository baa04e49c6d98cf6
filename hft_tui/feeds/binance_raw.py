"""The ``binance-raw`` importer: raw Binance WebSocket recordings to events and tick files.

Input: ``<local receive ns> <message>`` lines, gzip or plain, as ``hft-tui
record --raw`` writes them (combined-stream envelopes; the REST snapshots taken
for synchronisation as ``<symbol>@depthSnapshot`` lines) or as other recorders
do. Each line goes through the live feed's own decoder (``FeedDecoder``: the
same parser and the same sync state machine), so converting a recording gives
the events the live session gave, message for message.

One symbol per output file: ``symbol`` picks it (default: the first one met;
lines of other symbols are counted and reported). Tick and lot sizes come from
the arguments or from the ``symbols.json`` that ``record`` writes beside the raw
files. USD-M recordings are recognised by their diffs' ``pu`` field.

Streaming and bounded in memory; a gzip file cut short (a killed recorder) is
read up to its last complete line. Bad lines stop the conversion with
``file:line`` in the message, or with ``skip_bad`` are counted and skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hft_tui.errors import HftError
from hft_tui.feeds.binance_decode import CONTROL, FeedDecoder
from hft_tui.feeds.binance_json import ERROR_NAMES
from hft_tui.feeds.binance_lines import (
    R_COUNT,
    R_ERR,
    R_ERRPOS,
    R_FIRST,
    R_LAST,
    R_LINE,
    R_ME,
    R_MS,
    R_NS,
    R_PREV,
    R_ROUTE,
    R_SE,
    R_SS,
    R_START,
    R_STATUS,
    ROW_LEN,
    S_BADNS,
    S_EMPTY,
    S_NOSTREAM,
    S_OK,
    S_OTHER,
    S_SYMBOL,
    S_UNKNOWN,
    apply_rows,
    scan_lines,
)
from hft_tui.feeds.binance_sync import LIVE
from hft_tui.feeds.binance_rawio import prefetch, read_blocks, read_lines
from hft_tui.feeds.binance_protocol import (
    ARENA_EVENTS,
    K_AGGTRADE,
    K_DEPTH,
    K_SNAPSHOT,
    K_TICKER,
    K_TRADE,
    SNAPSHOT_SUFFIX,
    EventRuns,
    Router,
)
from hft_tui.text import counted
from hft_tui.instrument import Instrument

SIDECAR = "symbols.json"
BATCH_EVENTS = 1 << 16
# every depth stream name a recording may hold (spot and USD-M speeds)
_DEPTH_SUFFIXES = ("depth", "depth@100ms", "depth@1000ms", "depth@0ms", "depth@250ms", "depth@500ms")


@dataclass
class RawStats:
    lines: int = 0
    events: int = 0
    bad: int = 0  # malformed lines skipped (skip_bad)
    unknown: int = 0  # streams or event types the feed does not handle
    control: int = 0  # replies to control messages
    other_symbols: dict[str, int] = field(default_factory=dict)  # lines of symbols not converted
    snapshots_requested: int = 0  # resyncs that waited for a snapshot line
    resyncs: int = 0
    truncated: list[str] = field(default_factory=list)  # gzip files cut short
    first_bad: list[str] = field(default_factory=list)  # file:line: reason, the first few


def _first_symbol(paths: list[str]) -> str:
    blank = True
    for path in paths:
        try:
            for line in read_lines(path):
                blank = blank and not line.strip()
                stream = Router.stream_of(line)
                if stream and b"@" in stream:
                    return stream.split(b"@", 1)[0].decode(errors="replace").upper()
        except EOFError:
            pass
    raise HftError(f"{paths[0]}: {'empty file' if blank else 'no Binance stream message found'}")


def instrument_for(
    paths: list[str], symbol: str | None, tick_size: str | None, lot_size: str | None
) -> Instrument:
    """The output instrument: the symbol given or found, sizes given or from ``symbols.json``."""
    if not paths:
        raise HftError("binance-raw: no input files")
    sym = (symbol or _first_symbol(paths)).upper()
    if tick_size is None or lot_size is None:
        side = Path(paths[0]).parent / SIDECAR
        try:
            known = json.loads(side.read_text()).get(sym, {})
        except (OSError, ValueError, AttributeError):
            known = {}
        tick_size = tick_size or known.get("tick_size")
        lot_size = lot_size or known.get("lot_size")
    if tick_size is None or lot_size is None:
        raise HftError(
            f"binance-raw: tick and lot size of {sym} unknown: pass them "
            f"(--tick-size, --lot-size) or keep {SIDECAR} beside the recording"
        )
    return Instrument(sym, tick_size, lot_size)


def raw_events(
    paths: list[str],
    inst: Instrument,
    *,
    skip_bad: bool = False,
    stats: RawStats | None = None,
    progress: Callable[[int, int], None] | None = None,
    file_done: Callable[[int], None] | None = None,
) -> Iterator[np.ndarray]:
    """Event batches (whole messages, about BATCH_EVENTS each) of ``inst``'s streams.

    ``progress(bytes of the current file read, lines since the last call)`` and
    ``file_done(file size)`` report progress. A bad line without ``skip_bad``
    raises HftError after the events of the lines before it have been yielded.
    """
    st = stats if stats is not None else RawStats()
    conv = _Converter(inst, st, skip_bad)
    try:
        for path in paths:
            rest = b""
            lines0 = st.lines
            blank = True  # an empty input is an error, as in the other formats
            try:
                for block, raw_pos in prefetch(read_blocks(path)):
                    blank = blank and not block.strip()
                    data = rest + block
                    cut = data.rfind(b"\n") + 1
                    rest = data[cut:]
                    if cut:
                        yield from conv.lines(data, cut, path)
                    if progress is not None:
                        progress(raw_pos, st.lines - lines0)
                        lines0 = st.lines
            except EOFError:
                rest = b""  # a partial last line is not data
                blank = False  # cut short, not empty: the note says so
                st.truncated.append(f"{path}: ends early (recording interrupted?); read to line {conv.line}")
            if blank:
                raise _Stop(f"{path}: empty file")
            if rest.strip():
                yield from conv.lines(rest + b"\n", len(rest) + 1, path)
            conv.line = 0
            if file_done is not None:
                file_done(os.path.getsize(path))
    except _Stop as stop:
        if conv.runs.n:  # the good lines before the bad one are not lost
            st.events += conv.runs.n
            yield conv.runs.take()
        raise HftError(str(stop)) from None
    st.resyncs = conv.dec.sync.sym[0].resyncs
    if conv.runs.n:
        st.events += conv.runs.n
        yield conv.runs.take()


class _Stop(Exception):
    """A bad line in a strict conversion, or an empty input: stop after handing on
    what came before."""


class _Converter:
    """Runs blocks of lines through ``scan_lines`` and the feed's sync state machine."""

    def __init__(self, inst: Instrument, st: RawStats, skip_bad: bool):
        self.st = st
        self.skip_bad = skip_bad
        s = inst.symbol.lower()
        names = [(f"{s}@{d}", K_DEPTH) for d in _DEPTH_SUFFIXES]
        names += [(f"{s}@trade", K_TRADE), (f"{s}@aggTrade", K_AGGTRADE), (f"{s}@bookTicker", K_TICKER)]
        names.append((f"{s}@{SNAPSHOT_SUFFIX}", K_SNAPSHOT))
        self.table = np.zeros((len(names), 64), dtype=np.uint8)
        self.lengths = np.array([len(n) for n, _ in names], dtype=np.int64)
        self.kinds = np.array([k for _, k in names], dtype=np.int64)
        for r, (name, _) in enumerate(names):
            self.table[r, : len(name)] = np.frombuffer(name.encode(), dtype=np.uint8)
        self.prefix = (s + "@").encode()
        self.symbol = np.frombuffer(inst.symbol.encode(), dtype=np.uint8).copy()

        def request(sym: int, reason: str) -> None:
            st.snapshots_requested += 1  # the recording's next snapshot line answers it

        self.dec = FeedDecoder([inst], Router([inst.symbol], [names]), None, self._emit, request)
        self.parser = self.dec.parser
        self.runs = EventRuns(self.parser)
        self.rows = np.zeros((4096, ROW_LEN), dtype=np.int64)
        self.line = 0

    def _emit(self, events: np.ndarray) -> None:
        self.runs.add(events)

    def lines(self, data: bytes, cut: int, path: str) -> Iterator[np.ndarray]:
        buf = np.frombuffer(data, dtype=np.uint8)
        parser, rows, st = self.parser, self.rows, self.st
        pos = 0
        while pos < cut:
            pos, m, apos = scan_lines(
                buf, pos, cut, self.line, self.table, self.lengths, self.kinds, self.symbol,
                parser.params[0], parser.arena, parser.pos, rows, parser.hdr,
            )
            if m == 0:  # the next line did not fit in the arena: start a fresh one
                longest = cut - pos
                parser.arena = np.empty(max(ARENA_EVENTS, longest // 8 + 16), dtype=parser.arena.dtype)
                parser.pos = 0
                continue
            arena = parser.arena
            parser.pos = apos
            self.line = int(rows[m - 1, R_LINE])
            st.lines += m
            self._rows(rows[:m], arena, data, path)
            if self.runs.n >= BATCH_EVENTS:
                st.events += self.runs.n
                yield self.runs.take()

    def _rows(self, rows: np.ndarray, arena: np.ndarray, data: bytes, path: str) -> None:
        """Hand on the rows' events in line order, as the live decoder would.

        While the book is in sync, ``apply_rows`` takes the everyday case
        (continuous diffs, trades, tickers) a whole run of rows at a time; every
        other row goes through the sync state machine one by one.
        """
        kinds = self.kinds[rows[:, R_ROUTE]]
        runs, sync = self.runs, self.dec.sync
        st0 = sync.sym[0]
        n = len(rows)
        j = 0
        while j < n:
            if st0.state == LIVE and sync.futures is not None and not sync.verify_ticker:
                j2, last_u, first, crossed = apply_rows(
                    *sync.book, arena, rows, kinds, j, sync.futures, st0.first, st0.last_u, 0
                )
                if j2 > j:
                    end = rows[j2 - 1]
                    runs.add_range(arena, int(rows[j, R_START]), int(end[R_START] + end[R_COUNT]))
                if last_u != st0.last_u or first != st0.first:  # diffs were applied
                    st0.last_u, st0.first, st0.stale = int(last_u), bool(first), False
                    st0.old_run = 0  # as DepthSync._live does for each diff it applies
                if crossed:  # row j2 was applied and crossed the book: it is not handed on
                    st0.crossed += 1
                    sync.resync(0, "crossed book")
                    j = j2 + 1
                    continue
                j = j2
                if j == n:
                    break
            self._row(rows[j], int(kinds[j]), arena, data, path)
            j += 1

    def _row(self, r: np.ndarray, kind: int, arena: np.ndarray, data: bytes, path: str) -> None:
        """One row through the state machine (what ``FeedDecoder.feed`` does for a message)."""
        code = int(r[R_STATUS])
        if code == S_EMPTY:
            return
        if code != S_OK:
            self._odd(r, code, kind, data, path)
            return
        start, end = int(r[R_START]), int(r[R_START] + r[R_COUNT])
        if kind != K_DEPTH and kind != K_SNAPSHOT:
            self.runs.add_range(arena, start, end)
            return
        sync, parser = self.dec.sync, self.parser
        view = arena[start:end]
        parser.last, parser.last_range = view, (arena, start, end)
        if kind == K_SNAPSHOT:
            sync.on_snapshot(0, int(r[R_LAST]), view)
            return
        if sync.futures is None:  # USD-M diffs carry pu, spot ones do not
            sync.futures = bool(r[R_PREV] >= 0)
        sync.on_diff(0, int(r[R_FIRST]), int(r[R_LAST]), int(r[R_PREV]), view)

    def _odd(self, r: np.ndarray, code: int, kind: int, data: bytes, path: str) -> None:
        st = self.st
        line = int(r[R_LINE])
        if code == S_BADNS:
            _bad(st, self.skip_bad, path, line, "no <ns> timestamp at the start of the line")
        elif code == S_NOSTREAM:
            msg = data[int(r[R_MS]) : int(r[R_ME])]
            if self.dec.feed(msg, int(r[R_NS])) == CONTROL:
                st.control += 1
            else:
                _bad(st, self.skip_bad, path, line, self.dec.last_error)
        elif code == S_OTHER:
            stream = data[int(r[R_SS]) : int(r[R_SE])]
            if b"@" in stream and not stream.startswith(self.prefix):
                other = stream.split(b"@", 1)[0].decode(errors="replace").upper()
                st.other_symbols[other] = st.other_symbols.get(other, 0) + 1
            else:
                st.unknown += 1
        elif code == S_UNKNOWN:
            st.unknown += 1
        else:
            stream = data[int(r[R_SS]) : int(r[R_SE])].decode(errors="replace")
            if code == S_SYMBOL:
                reason = "symbol of the message is not the stream's"
            else:
                reason = f"{ERROR_NAMES.get(int(r[R_ERR]), 'error')} at byte {int(r[R_ERRPOS])}"
            if kind == K_SNAPSHOT:
                self.dec.sync.snapshot_failed(0, reason)
            _bad(st, self.skip_bad, path, line, f"{stream}: {reason}")


def convert_binance_raw(
    paths,
    out_path,
    *,
    symbol: str | None = None,
    tick_size: str | None = None,
    lot_size: str | None = None,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RawStats:
    """Convert raw recordings to one tick file; returns the counts (see ``RawStats``).

    ``progress(bytes of the current file read, lines since the last call)``."""
    from hft_tui.tickfile import TickWriter

    paths = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    inst = instrument_for(paths, symbol, tick_size, lot_size)
    stats = RawStats()
    with TickWriter(out_path, inst) as writer:
        for batch in raw_events(paths, inst, skip_bad=skip_bad, stats=stats, progress=progress):
            writer.write(batch)
    return stats


def _bad(st: RawStats, skip: bool, path: str, lineno: int, reason: str) -> None:
    where = f"{path}:{lineno}: {reason}"
    if not skip:
        raise _Stop(f"{where} (--skip-bad skips such lines)")
    st.bad += 1
    if len(st.first_bad) < 5:
        st.first_bad.append(where)


def notes(st: RawStats) -> list[str]:
    """One-line remarks on a finished conversion."""
    out = list(st.truncated)
    if st.other_symbols:
        others = ", ".join(f"{s} ({counted(n, 'line')})" for s, n in sorted(st.other_symbols.items()))
        out.append(f"other symbols left out: {others}")
    if st.unknown:
        out.append(f"{counted(st.unknown, 'message')} of streams or event types not handled")
    if st.resyncs:
        out.append(f"{counted(st.resyncs, 'resync')} (gaps in the recorded diffs)")
    return out
