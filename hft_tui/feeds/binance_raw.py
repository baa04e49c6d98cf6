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
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.feeds.binance_decode import BAD, CONTROL, UNKNOWN, FeedDecoder
from hft_tui.feeds.binance_protocol import (
    K_AGGTRADE,
    K_DEPTH,
    K_TICKER,
    K_TRADE,
    Router,
)
from hft_tui.instrument import Instrument

SIDECAR = "symbols.json"
BATCH_EVENTS = 1 << 16
_READ = 1 << 20
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


def read_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The lines of a plain or gzip file (several gzip members allowed), without newlines.

    A gzip stream that ends early yields everything up to its last complete
    line and then raises ``EOFError`` (the caller decides how to report it).
    """
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise HftError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        head = fh.read(2)
        fh.seek(0)
        gz = head == b"\x1f\x8b"
        dec = zlib.decompressobj(wbits=31) if gz else None
        rest = b""
        while True:
            block = fh.read(_READ)
            if not block:
                break
            if dec is not None:
                data = dec.decompress(block)
                while dec.eof and dec.unused_data:  # the next gzip member
                    tail = dec.unused_data
                    dec = zlib.decompressobj(wbits=31)
                    data += dec.decompress(tail)
                block = data
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest.strip():
            if dec is not None and not dec.eof:
                raise EOFError(str(path))  # cut mid-line: the partial line is not data
            yield rest
        if dec is not None and not dec.eof:
            raise EOFError(str(path))


def _first_symbol(paths: list[str]) -> str:
    for path in paths:
        try:
            for line in read_lines(path):
                stream = Router.stream_of(line)
                if stream and b"@" in stream:
                    return stream.split(b"@", 1)[0].decode(errors="replace").upper()
        except EOFError:
            pass
    raise HftError(f"{paths[0]}: no Binance stream message found")


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
) -> Iterator[np.ndarray]:
    """Event batches (whole messages, about BATCH_EVENTS each) of ``inst``'s streams."""
    st = stats if stats is not None else RawStats()
    s = inst.symbol.lower()
    names = [(f"{s}@{d}", K_DEPTH) for d in _DEPTH_SUFFIXES]
    names += [(f"{s}@trade", K_TRADE), (f"{s}@aggTrade", K_AGGTRADE), (f"{s}@bookTicker", K_TICKER)]
    out = _Batch()

    def request(sym: int, reason: str) -> None:
        st.snapshots_requested += 1  # the recording's next snapshot line answers it

    dec = FeedDecoder([inst], Router([inst.symbol], [names]), None, out.add, request)
    prefix = (s + "@").encode()
    for path in paths:
        lineno = 0
        try:
            for line in read_lines(path):
                lineno += 1
                st.lines += 1
                ns_text, _, msg = line.partition(b" ")
                try:
                    ns = int(ns_text)
                except ValueError:
                    if not line.strip():
                        continue
                    _bad(st, skip_bad, path, lineno, "no <ns> timestamp at the start of the line")
                    continue
                result = dec.feed(msg, ns)
                if result == UNKNOWN:
                    stream = Router.stream_of(msg) or b""
                    if b"@" in stream and not stream.startswith(prefix):
                        other = stream.split(b"@", 1)[0].decode(errors="replace").upper()
                        st.other_symbols[other] = st.other_symbols.get(other, 0) + 1
                    else:
                        st.unknown += 1
                elif result == BAD:
                    _bad(st, skip_bad, path, lineno, dec.last_error)
                elif result == CONTROL:
                    st.control += 1
                if out.n >= BATCH_EVENTS:
                    st.events += out.n
                    yield out.take()
                    if progress is not None:
                        progress(st.lines, st.events)
        except EOFError:
            st.truncated.append(f"{path}: ends early (recording interrupted?); read to line {lineno}")
    st.resyncs = dec.sync.sym[0].resyncs
    if out.n:
        st.events += out.n
        yield out.take()
    if progress is not None:
        progress(st.lines, st.events)


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
    """Convert raw recordings to one tick file; returns the counts (see ``RawStats``)."""
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
        raise HftError(f"{where} (skip_bad skips such lines)")
    st.bad += 1
    if len(st.first_bad) < 5:
        st.first_bad.append(where)


class _Batch:
    """Events of whole messages, gathered into one growing array."""

    def __init__(self) -> None:
        self.buf = np.zeros(BATCH_EVENTS * 2, dtype=EVENT_DTYPE)
        self.n = 0

    def add(self, events: np.ndarray) -> None:
        k = len(events)
        if self.n + k > len(self.buf):
            grown = np.zeros(max(2 * len(self.buf), self.n + k), dtype=EVENT_DTYPE)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : self.n + k] = events
        self.n += k

    def take(self) -> np.ndarray:
        out = self.buf[: self.n].copy()
        self.n = 0
        return out
