"""Several tick files played as one stream of event batches.

Files of one symbol (hourly files of a day, say) play one after another in time
order. Files of different symbols merge by exchange time on message
boundaries: a source message (a run of events ending with ``EOM``) is never
interleaved with another symbol's events, and messages with equal times keep
the order of the symbols' first files on the command line. ``sym`` in every
yielded event is the index of its instrument in ``EventStream.instruments``.

Batches end on message boundaries. A single-symbol stream yields read-only
views into the memory-mapped files (only messages split across chunks, and
runs of small chunks, are copied); a merged stream yields new arrays. Either way memory stays bounded by a few batches per symbol.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numba import njit

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
        """EVENT_DTYPE arrays of at most ``batch_events`` events, in stream order.

        Every batch ends on a message boundary (its last event has ``EOM``), as
        the engine's Source protocol wants. Exceptions: a single message longer
        than ``batch_events`` is a batch of its own; a file whose last event
        lacks ``EOM`` ends the stream that way; a message that never ends is cut
        after ``max_message_events`` (with a warning).
        """
        if len(self._groups) == 1:
            return self._single(self._chunks(0))
        return self._merged()

    def _chunks(self, g: int) -> Iterator[np.ndarray]:
        for reader in self._groups[g]:
            yield from reader.iter_chunks()

    def _single(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        # Runs of whole messages inside a chunk go out as views; only a message
        # split across two chunks, and runs of small chunks, are copied together.
        size = self.batch_events
        acc: list[np.ndarray] = []  # whole messages, then an unfinished one if is_open
        n_acc, is_open = 0, False
        for chunk in chunks:
            # only the first and last message ends are looked for (not every EOM of
            # the chunk: a scan of the whole chunk was a tenth of a backtest's time)
            last = last_message_end(chunk, 0, len(chunk))
            if last == 0:
                acc.append(chunk)
                n_acc, is_open = n_acc + len(chunk), True
                if n_acc >= self.max_message_events:
                    self._warn_endless(0)
                    yield from _cut(_concat(acc), size)
                    acc, n_acc, is_open = [], 0, False
                continue
            cut = 0
            if is_open:
                cut = first_message_end(chunk, 0, last)
                acc.append(chunk[:cut])
                n_acc, is_open = n_acc + cut, False
            whole = chunk[cut:last]
            if len(whole) >= size // 2:
                if acc:
                    yield from _cut(_concat(acc), size)
                    acc, n_acc = [], 0
                yield from _cut(whole, size)
            elif len(whole):
                acc.append(whole)
                n_acc += len(whole)
                if n_acc >= size:
                    *full, rest = _cut(_concat(acc), size)
                    yield from full
                    acc, n_acc = [rest], len(rest)
            tail = chunk[last:]
            if len(tail):
                acc.append(tail)
                n_acc, is_open = n_acc + len(tail), True
        if acc:
            yield from _cut(_concat(acc), size)

    def _warn_endless(self, index: int) -> None:
        sym = self.instruments[index].symbol
        n = self.max_message_events
        warning = f"warning: {sym}: no end-of-message flag within {n:,} events; cut there"
        if warning not in self._stream_warnings:
            self._stream_warnings.append(warning)

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
            out, msg_len = _interleave(live, takes)
            for s, n in zip(live, takes):
                s.consume(n)
            yield from _cut(out, self.batch_events, np.cumsum(msg_len) - 1)

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

    @property
    def done(self) -> bool:
        return self.exhausted and len(self.buf) == 0

    def fill(self, want: int) -> None:
        parts, n = [self.buf], len(self.buf)
        while not self.exhausted and n < want:
            n += self._pull(parts)
        if len(parts) > 1:
            self.buf = _concat(parts)
        ends = np.flatnonzero(self.buf["flags"] & EOM)
        while len(ends) == 0 and not self.exhausted and len(self.buf) < self.stream.max_message_events:
            parts = [self.buf]
            self._pull(parts)
            self.buf = _concat(parts)
            ends = np.flatnonzero(self.buf["flags"] & EOM)
        n = len(self.buf)
        if n and (len(ends) == 0 or ends[-1] != n - 1):
            # The tail of the last file ends a message; an endless message is cut.
            if self.exhausted:
                ends = np.append(ends, n - 1)
            elif len(ends) == 0:
                ends = np.array([n - 1])
                self.stream._warn_endless(self.index)
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


# numpy copies and gathers records field by field; as rows of six int64 words
# (48 bytes) the same copies run several times faster.
def _rows(events: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(events).view(np.int64).reshape(-1, EVENT_DTYPE.itemsize // 8)


def _records(rows: np.ndarray) -> np.ndarray:
    return rows.reshape(-1).view(EVENT_DTYPE)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return _records(np.concatenate([_rows(p) for p in parts]))


def _cut(events: np.ndarray, size: int, ends: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Views of events in runs of whole messages of at most size events (a longer
    message is a run of its own); ends are the messages' last indices, ascending
    (by default the events flagged EOM, looked for only near each cut)."""
    start, n = 0, len(events)
    while start < n:
        if ends is None:
            stop = last_message_end(events, start, min(n, start + size))
            if stop == start:
                stop = first_message_end(events, start + size, n)
                stop = n if stop < 0 else stop
        else:
            j = int(np.searchsorted(ends, start + size - 1, side="right")) - 1
            if j < 0 or ends[j] < start:
                j = int(np.searchsorted(ends, start))
            stop = int(ends[j]) + 1 if j < len(ends) else n
        yield events[start:stop]
        start = stop


@njit(cache=True, nogil=True)
def last_message_end(events, start, end):
    """Index after the last EOM event in events[start:end], or ``start`` if none."""
    i = end - 1
    while i >= start:
        if events[i].flags & EOM:
            return i + 1
        i -= 1
    return start


@njit(cache=True, nogil=True)
def first_message_end(events, start, end):
    """Index after the first EOM event in events[start:end], or -1 if none."""
    for i in range(start, end):
        if events[i].flags & EOM:
            return i + 1
    return -1


def _interleave(sources: list[_Source], takes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The first takes[k] messages of each source, merged stably by key, with sym
    set; and the length of each message in the result."""
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
        return _EMPTY, np.empty(0, np.int64)
    if len(pieces) == 1:
        out = _concat(pieces)
        out["sym"] = syms[0][0]
        return out, lengths[0]
    rows = _rows(_concat(pieces))
    order = np.argsort(np.concatenate(keys), kind="stable")
    msg_len = np.concatenate(lengths)[order]
    out_start = np.cumsum(msg_len) - msg_len
    shift = np.repeat(np.concatenate(starts)[order] - out_start, msg_len)
    out = _records(rows[np.arange(len(rows)) + shift])
    out["sym"] = np.repeat(np.concatenate(syms)[order], msg_len)
    return out, msg_len
