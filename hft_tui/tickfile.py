"""Crash-safe tick files (``.hft``): writing and memory-mapped reading.

The layout is in ``hft_tui.tickformat``: a 256-byte header, then chunks of
event records, each with its record count and CRC32. The writer emits each
chunk with one write call, so a crash leaves at worst a truncated last chunk;
the reader reports it in one line and uses everything before it. A damaged
chunk in the middle is skipped: the reader finds the next good chunk by
scanning 16-byte boundaries for a chunk header whose CRC checks.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Iterator

import numpy as np

from hft_tui.errors import HftError, TickFileError
from hft_tui.events import EVENT_DTYPE
from hft_tui.instrument import Instrument
from hft_tui.tickformat import (
    CHUNK_HEADER,
    CHUNK_HEADER_SIZE,
    CHUNK_MAGIC,
    HEADER_SIZE,
    MAGIC,
    RECORD_SIZE,
    VERSION,
    Chunk,
    crc32,
    pack_header,
    parse_header,
)

__all__ = [
    "CHUNK_HEADER_SIZE",
    "DEFAULT_CHUNK_EVENTS",
    "HEADER_SIZE",
    "RECORD_SIZE",
    "VERSION",
    "Chunk",
    "TickReader",
    "TickWriter",
]

DEFAULT_CHUNK_EVENTS = 65536
# Drop mapped pages from our resident set in steps of this size once they have
# been read: the page cache keeps them, but RSS stays bounded on huge files.
_RELEASE_STEP = 8 << 20
_PAGE = mmap.PAGESIZE


class TickReader:
    """A read-only, memory-mapped view of a tick file, checked chunk by chunk on open.

    Records are never copied: ``iter_chunks`` yields numpy views into the map.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.warnings: list[str] = []
        self._chunks: list[Chunk] = []
        self._n_events = 0
        self._mm: mmap.mmap | None = None
        self._view: memoryview | None = None
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size >= HEADER_SIZE:
                    self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                else:
                    head = fh.read()
        except FileNotFoundError:
            raise TickFileError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise TickFileError(f"{self.path}: is a directory, not a tick file") from None
        except OSError as exc:
            raise TickFileError(f"{self.path}: {exc.strerror or exc}") from None
        if self._mm is None:
            if head.startswith(MAGIC):
                raise TickFileError(f"{self.path}: tick file header truncated ({size} bytes)")
            raise TickFileError(f"{self.path}: not a tick file")
        if hasattr(self._mm, "madvise"):
            self._mm.madvise(mmap.MADV_SEQUENTIAL)
        self._view = memoryview(self._mm)
        self._size = size
        try:
            header = parse_header(self._view, self.path)
            self.instrument, self.created_ns, self.flags = header
            self._walk()
        except BaseException:
            self.close()
            raise

    # --- chunk walk ----------------------------------------------------------------
    def _check_chunk(self, pos: int) -> tuple[str, int, int]:
        """(status, count, end) of the chunk at pos: ok, short, bad_header or bad_crc."""
        if self._size - pos < CHUNK_HEADER_SIZE:
            return "short", 0, self._size
        magic, count, crc, reserved = CHUNK_HEADER.unpack_from(self._view, pos)
        if magic != CHUNK_MAGIC or count == 0 or reserved != 0:
            return "bad_header", 0, pos + CHUNK_HEADER_SIZE
        end = pos + CHUNK_HEADER_SIZE + count * RECORD_SIZE
        if end > self._size:
            return "short", count, end
        if crc32(self._view[pos + CHUNK_HEADER_SIZE : end]) != crc:
            return "bad_crc", count, end
        return "ok", count, end

    def _resync(self, start: int) -> int | None:
        """Offset of the next good chunk at or after start (16-aligned), or None."""
        mm = self._mm
        assert mm is not None
        pos = start
        while True:
            found = mm.find(CHUNK_MAGIC, pos)
            if found < 0:
                return None
            if found % CHUNK_HEADER_SIZE == 0 and self._check_chunk(found)[0] == "ok":
                return found
            pos = found + 1

    def _walk(self) -> None:
        pos = HEADER_SIZE
        released = 0
        while pos < self._size:
            status, count, end = self._check_chunk(pos)
            if status == "ok":
                self._chunks.append(Chunk(pos, count))
                self._n_events += count
                pos = end
                released = self._release(released, pos)
                continue
            # A damaged chunk: scan for the next good one rather than trust its
            # count (a flipped count bit would otherwise skip good chunks too).
            nxt = self._resync(pos + CHUNK_HEADER_SIZE)
            if nxt is None:
                what = "truncated" if status == "short" else "corrupt"
                self.warnings.append(
                    f"warning: {self.path}: last chunk {what} at byte {pos}; "
                    f"replaying {self.n_events:,} events before it"
                )
                break
            if status == "bad_crc" and nxt == end:
                detail = f"corrupt chunk at byte {pos} (checksum mismatch); skipped {count:,} events"
            else:
                detail = f"garbled chunk at byte {pos}; skipped {nxt - pos:,} bytes"
            self.warnings.append(f"warning: {self.path}: {detail}, resuming at byte {nxt}")
            pos = nxt
        self._release(released, self._size, force=True)

    def _release(self, released: int, upto: int, force: bool = False) -> int:
        """Let go of the resident pages of [released, upto); returns the new mark."""
        if self._mm is None or not hasattr(self._mm, "madvise"):
            return released
        if upto - released < _RELEASE_STEP and not force:
            return released
        start = released - released % _PAGE
        length = min(upto, self._size) - start
        if length > 0:
            self._mm.madvise(mmap.MADV_DONTNEED, start, length)
        return upto

    # --- records -------------------------------------------------------------------
    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return tuple(self._chunks)

    @property
    def n_events(self) -> int:
        return self._n_events

    @property
    def data_end(self) -> int:
        """Byte offset just past the last good chunk (where an append continues)."""
        if not self._chunks:
            return HEADER_SIZE
        last = self._chunks[-1]
        return last.offset + CHUNK_HEADER_SIZE + last.count * RECORD_SIZE

    @property
    def size(self) -> int:
        return self._size

    def chunk(self, i: int) -> np.ndarray:
        """Records of the i-th good chunk: a read-only view into the map."""
        if self._mm is None:
            raise ValueError(f"{self.path}: reader is closed")
        c = self._chunks[i]
        return np.frombuffer(
            self._mm, dtype=EVENT_DTYPE, count=c.count, offset=c.offset + CHUNK_HEADER_SIZE
        )

    def iter_chunks(self, release: bool = True) -> Iterator[np.ndarray]:
        """Each good chunk's records as a view, in file order.

        With ``release`` the pages of chunks already consumed are dropped from the
        resident set (they stay in the page cache and fault back in if a kept view
        is read again), so replaying a file larger than memory stays bounded.
        """
        released = HEADER_SIZE
        for i in range(len(self._chunks)):
            c = self._chunks[i]
            yield self.chunk(i)
            if release:
                end = c.offset + CHUNK_HEADER_SIZE + c.count * RECORD_SIZE
                released = self._release(released, end)
        if release:
            self._release(released, self._size, force=True)

    def read_all(self) -> np.ndarray:
        """All events as one new array (a copy: for small files and tests)."""
        if not self._chunks:
            return np.empty(0, dtype=EVENT_DTYPE)
        return np.concatenate([self.chunk(i) for i in range(len(self._chunks))])

    @property
    def first_ts(self) -> int | None:
        return int(self.chunk(0)["exch_ts"][0]) if self._chunks else None

    @property
    def last_ts(self) -> int | None:
        return int(self.chunk(-1)["exch_ts"][-1]) if self._chunks else None

    def close(self) -> None:
        """Unmap the file. Views handed out keep the map alive until they are dropped."""
        if self._view is not None:
            self._view.release()
            self._view = None
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:
                pass  # numpy views still point into it; it closes when they go
            self._mm = None

    def __enter__(self) -> TickReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TickWriter:
    """Writes events to a tick file in checksummed chunks, each with one write call.

    ``write`` buffers and emits every full chunk; ``flush`` emits what is buffered
    as a (possibly short) chunk and hands it to the OS (and to the disk with
    ``fsync=True``). Leaving the ``with`` block, even on an exception, flushes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        instrument: Instrument,
        *,
        chunk_events: int = DEFAULT_CHUNK_EVENTS,
        created_ns: int | None = None,
        fsync: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        self.instrument = instrument
        self.created_ns = time.time_ns() if created_ns is None else int(created_ns)
        try:
            # Through a symbolic link, the file it names is replaced (the link stays).
            target = os.path.realpath(self.path)
            if os.path.isfile(target):
                # A new inode rather than truncating the old one: a process that is
                # replaying the old file keeps a valid map instead of dying of SIGBUS.
                os.unlink(target)
            fh = open(target, "wb", buffering=0)
        except OSError as exc:
            raise HftError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        self._setup(fh, chunk_events, fsync)
        self._write_all(memoryview(pack_header(instrument, self.created_ns)))
        self.flush()

    @classmethod
    def append(
        cls,
        path: str | os.PathLike[str],
        instrument: Instrument | None = None,
        *,
        chunk_events: int = DEFAULT_CHUNK_EVENTS,
        fsync: bool = False,
    ) -> TickWriter:
        """Continue an existing tick file; a damaged tail is cut off first (see ``warnings``)."""
        with TickReader(path) as reader:
            if instrument is not None and instrument != reader.instrument:
                raise TickFileError(
                    f"{reader.path}: holds {_describe(reader.instrument)}, "
                    f"cannot append {_describe(instrument)}"
                )
            found, end, size = reader.instrument, reader.data_end, reader.size
            created = reader.created_ns
        self = cls.__new__(cls)
        self.path = os.fspath(path)
        self.instrument = found
        self.created_ns = created
        try:
            fh = open(self.path, "r+b", buffering=0)
        except OSError as exc:
            raise HftError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        self._setup(fh, chunk_events, fsync)
        if size > end:
            fh.truncate(end)
            self.warnings.append(
                f"warning: {self.path}: cut {size - end:,} bytes of a damaged last chunk "
                f"at byte {end} before appending"
            )
        fh.seek(end)
        return self

    def _setup(self, fh: object, chunk_events: int, fsync: bool) -> None:
        if chunk_events < 1:
            raise ValueError("chunk_events must be at least 1")
        self._fh = fh
        self._fsync = fsync
        self._cap = int(chunk_events)
        # One buffer holds the chunk header and its records, so a chunk is one write.
        self._raw = np.zeros(CHUNK_HEADER_SIZE + self._cap * RECORD_SIZE, dtype=np.uint8)
        self._records = self._raw[CHUNK_HEADER_SIZE:].view(EVENT_DTYPE)
        self._n = 0
        self.n_written = 0
        self.warnings: list[str] = []

    def write(self, events: np.ndarray) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path}: writer is closed")
        if events.dtype != EVENT_DTYPE:
            raise TypeError(f"expected EVENT_DTYPE records, got {events.dtype}")
        i, total = 0, len(events)
        while i < total:
            take = min(self._cap - self._n, total - i)
            part = events[i : i + take]
            if part.flags.c_contiguous:  # a byte copy is ~7x faster than a record copy
                at = CHUNK_HEADER_SIZE + self._n * RECORD_SIZE
                self._raw[at : at + take * RECORD_SIZE] = part.view(np.uint8)
            else:
                self._records[self._n : self._n + take] = part
            self._n += take
            i += take
            if self._n == self._cap:
                self._emit()

    def _emit(self) -> None:
        n = self._n
        if n == 0:
            return
        # A single-instrument file: sym is 0 by definition (streams rely on it).
        self._records["sym"][:n] = 0
        end = CHUNK_HEADER_SIZE + n * RECORD_SIZE
        crc = crc32(self._raw[CHUNK_HEADER_SIZE:end])
        CHUNK_HEADER.pack_into(self._raw, 0, CHUNK_MAGIC, n, crc, 0)
        self._write_all(memoryview(self._raw[:end]))
        self.n_written += n
        self._n = 0

    def _write_all(self, data: memoryview) -> None:
        try:
            while len(data):
                written = self._fh.write(data)  # type: ignore[attr-defined]
                data = data[written:]
        except OSError as exc:
            raise HftError(f"{self.path}: write failed: {exc.strerror or exc}") from None

    def flush(self) -> None:
        """Write the buffered events as a chunk; with fsync, also force them to disk."""
        if self._fh is None:
            return
        self._emit()
        if self._fsync:
            os.fsync(self._fh.fileno())  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._fh is None:
            return
        try:
            self.flush()
        finally:
            self._fh.close()  # type: ignore[attr-defined]
            self._fh = None

    @property
    def closed(self) -> bool:
        return self._fh is None

    def __enter__(self) -> TickWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe(inst: Instrument) -> str:
    return f"{inst.symbol} (tick {inst.tick_size}, lot {inst.lot_size})"
