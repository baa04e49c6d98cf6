"""Several tick files played as one stream of event batches.

Files of one symbol (hourly files of a day, say) play one after another in time
order. Files of different symbols merge by exchange time on message
boundaries: a source message (a run of events ending with ``EOM``) is never
interleaved with another symbol's events, and messages with equal times keep
the order of the symbols' first files on the command line. ``sym`` in every
yielded event is the index of its instrument in ``EventStream.instruments``.

A single-symbol stream yields read-only views into the memory-mapped files
(small chunks are gathered into one copied batch); a merged stream yields new
arrays. Either way memory stays bounded by a few batches per symbol.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EOM, EVENT_DTYPE
from hft_tui.instrument import Instrument
from hft_tui.tickfile import TickReader

DEFAULT_BATCH_EVENTS = 65536
# A merge waits for a message's end; a source that never flags one is cut here.
MAX_MESSAGE_EVENTS = 1 << 20
_EMPTY = np.empty(0, dtype=EVENT_DTYPE)


def open_stream(
    paths: Iterable[str | os.PathLike[str]], *, batch_events: int = DEFAULT_BATCH_EVENTS
) -> EventStream:
    """Open every file (raising TickFileError for the first unreadable one) as one stream."""
    readers: list[TickReader] = []
    try:
        for path in paths:
            readers.append(TickReader(path))
        return EventStream(readers, batch_events=batch_events)
    except BaseException:
        for r in readers:
            r.close()
        raise


class EventStream:
    """Batches of events from one or more tick files; see the module docstring."""

    def __init__(
        self,
        readers: Sequence[TickReader],
        *,
        batch_events: int = DEFAULT_BATCH_EVENTS,
        max_message_events: int = MAX_MESSAGE_EVENTS,
    ) -> None:
        if not readers:
            raise HftError("no tick files given")
        self.readers = list(readers)
        self.batch_events = int(batch_events)
        self.max_message_events = int(max_message_events)
        self.instruments: list[Instrument] = []
        self._groups: list[list[TickReader]] = []
        self._stream_warnings: list[str] = []
        self._group_files()

    def _group_files(self) -> None:
        first_file: dict[str, TickReader] = {}
        for r in self.readers:
            inst = r.instrument
            if inst.symbol not in first_file:
                first_file[inst.symbol] = r
                self.instruments.append(inst)
                self._groups.append([])
            elif inst != (seen := first_file[inst.symbol]).instrument:
                raise HftError(
                    f"{r.path}: {inst.symbol} has tick {inst.tick_size}, lot {inst.lot_size} "
                    f"but {seen.path} has tick {seen.instrument.tick_size}, "
                    f"lot {seen.instrument.lot_size}"
                )
            self._groups[self.instruments.index(inst)].append(r)
        for group in self._groups:
            # Time order; empty files anywhere (they add nothing); ties keep argument order.
            group.sort(key=lambda r: r.first_ts if r.first_ts is not None else 0)
            full = [r for r in group if r.n_events]
            for prev, nxt in zip(full, full[1:]):
                if nxt.first_ts < prev.last_ts:  # type: ignore[operator]
                    self._stream_warnings.append(
                        f"warning: {nxt.path}: starts before {prev.path} ends; "
                        "playing it after that file"
                    )

    # --- facts -------------------------------------------------------------------
    @property
    def n_events(self) -> int:
        return sum(r.n_events for r in self.readers)

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.readers for w in r.warnings] + self._stream_warnings

    @property
    def first_ts(self) -> int | None:
        ts = [r.first_ts for r in self.readers if r.first_ts is not None]
        return min(ts) if ts else None

    @property
    def last_ts(self) -> int | None:
        ts = [r.last_ts for r in self.readers if r.last_ts is not None]
        return max(ts) if ts else None

    @property
    def span_ns(self) -> int:
        first, last = self.first_ts, self.last_ts
        return 0 if first is None or last is None else last - first

    # --- batches -----------------------------------------------------------------
    def __iter__(self) -> Iterator[np.ndarray]:
        return self.batches()

    def batches(self) -> Iterator[np.ndarray]:
        """EVENT_DTYPE arrays of about ``batch_events`` events, in stream order.

        A batch may end inside a source message; observers look at the book
        only after events flagged ``EOM``.
        """
        if len(self._groups) == 1:
            return self._single(self._chunks(0))
        return self._merged()

    def _chunks(self, g: int) -> Iterator[np.ndarray]:
        for reader in self._groups[g]:
            yield from reader.iter_chunks()

    def _single(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        size = self.batch_events
        small: list[np.ndarray] = []
        n_small = 0
        for chunk in chunks:
            if len(chunk) >= size // 2:
                if small:
                    yield np.concatenate(small)
                    small, n_small = [], 0
                for i in range(0, len(chunk), size):
                    yield chunk[i : i + size]
                continue
            small.append(chunk)
            n_small += len(chunk)
            if n_small >= size:
                yield np.concatenate(small)
                small, n_small = [], 0
        if small:
            yield np.concatenate(small)

    def _merged(self) -> Iterator[np.ndarray]:
        sources = [_Source(g, self._chunks(g), self) for g in range(len(self._groups))]
        while True:
            live = [s for s in sources if not s.done]
            if not live:
                return
            for s in live:
                s.fill(self.batch_events)
            # Bound per waiting source: every later message of it has a key >= this.
            bounds = [(s.index, s.keys[-1]) for s in live if not s.exhausted]
            takes = []
            for s in live:
                n = len(s.keys)
                for i, bound in bounds:
                    if i != s.index:
                        # Equal keys: the lower source index goes first.
                        side = "right" if s.index < i else "left"
                        n = min(n, int(np.searchsorted(s.keys, bound, side=side)))
                takes.append(n)
            out = _interleave(live, takes)
            for s, n in zip(live, takes):
                s.consume(n)
            for i in range(0, len(out), self.batch_events):
                yield out[i : i + self.batch_events]

    def close(self) -> None:
        for r in self.readers:
            r.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Source:
    """One symbol's pending events during a merge, split into whole messages."""

    def __init__(self, index: int, chunks: Iterator[np.ndarray], stream: EventStream) -> None:
        self.index = index
        self.stream = stream
        self._chunks = chunks
        self.buf = _EMPTY
        self.exhausted = False
        self.floor = np.iinfo(np.int64).min  # key of the last message emitted
        self.ends = np.empty(0, np.int64)  # index of each complete message's last event
        self.keys = np.empty(0, np.int64)
        self._warned = False

    @property
    def done(self) -> bool:
        return self.exhausted and len(self.buf) == 0

    def fill(self, want: int) -> None:
        parts, n = [self.buf], len(self.buf)
        while not self.exhausted and n < want:
            n += self._pull(parts)
        if len(parts) > 1:
            self.buf = np.concatenate(parts)
        ends = np.flatnonzero(self.buf["flags"] & EOM)
        while len(ends) == 0 and not self.exhausted and len(self.buf) < self.stream.max_message_events:
            parts = [self.buf]
            self._pull(parts)
            self.buf = np.concatenate(parts)
            ends = np.flatnonzero(self.buf["flags"] & EOM)
        n = len(self.buf)
        if n and (len(ends) == 0 or ends[-1] != n - 1):
            # The tail of the last file ends a message; an endless message is cut.
            if self.exhausted:
                ends = np.append(ends, n - 1)
            elif len(ends) == 0:
                ends = np.array([n - 1])
                if not self._warned:
                    self._warned = True
                    sym = self.stream.instruments[self.index].symbol
                    self.stream._stream_warnings.append(
                        f"warning: {sym}: no end-of-message flag in {n:,} events; "
                        "merging other symbols in there"
                    )
        starts = np.concatenate(([0], ends[:-1] + 1)) if len(ends) else ends
        # Running maximum: a source whose clock steps back still plays in its own order.
        keys = np.maximum.accumulate(np.maximum(self.buf["exch_ts"][starts], self.floor))
        self.ends, self.keys = ends, keys

    def _pull(self, parts: list[np.ndarray]) -> int:
        chunk = next(self._chunks, None)
        if chunk is None:
            self.exhausted = True
            return 0
        parts.append(chunk)
        return len(chunk)

    def consume(self, n_messages: int) -> None:
        if n_messages:
            self.buf = self.buf[self.ends[n_messages - 1] + 1 :]
            self.floor = self.keys[n_messages - 1]


def _interleave(sources: list[_Source], takes: list[int]) -> np.ndarray:
    """The first takes[k] messages of each source, merged stably by key, sym set."""
    pieces, keys, starts, lengths, syms = [], [], [], [], []
    offset = 0
    for s, n in zip(sources, takes):
        if not n:
            continue
        ends = s.ends[:n]
        first = np.concatenate(([0], ends[:-1] + 1))
        pieces.append(s.buf[: ends[-1] + 1])
        keys.append(s.keys[:n])
        starts.append(first + offset)
        lengths.append(ends - first + 1)
        syms.append(np.full(n, s.index, np.uint16))
        offset += int(ends[-1]) + 1
    if not pieces:
        return _EMPTY
    if len(pieces) == 1:
        out = pieces[0].copy()
        out["sym"] = syms[0][0]
        return out
    events = np.concatenate(pieces)
    order = np.argsort(np.concatenate(keys), kind="stable")
    msg_len = np.concatenate(lengths)[order]
    out_start = np.cumsum(msg_len) - msg_len
    shift = np.repeat(np.concatenate(starts)[order] - out_start, msg_len)
    out = events[np.arange(len(events)) + shift]
    out["sym"] = np.repeat(np.concatenate(syms)[order], msg_len)
    return out
