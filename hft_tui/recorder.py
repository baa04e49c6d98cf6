"""Recording a live session to disk, crash-safe.

Layout under the output directory::

    <SYMBOL>/<SYMBOL>-<YYYYmmddTHHMMSS>Z.hft    normalised events, one tick file per symbol
    raw/<label>-<YYYYmmddTHHMMSS>Z.jsonl.gz     with raw=True: every message as received
    raw/symbols.json                            tick and lot sizes (raw messages lack them)

Files rotate on the clock (every ``rotate_s`` seconds, on multiples of it since
midnight UTC) or when a file reaches ``rotate_bytes``; the name carries the
time its file was opened (``_002``, ``_003``... for more in the same second),
so names sort in time order. A rotated tick file starts with an image of the
book as it stands (a CLEAR and every level, flagged SNAPSHOT), so each file
replays on its own; replayed in sequence the image changes nothing.

Crash safety: :meth:`poll`, called at least every ``flush_s``, writes every
buffered event as a checksummed chunk and sync-flushes the gzip stream, so a
process killed with SIGKILL loses at most the last ``flush_s`` of data. A
tick file cut mid-chunk reads up to its last whole chunk; a raw file cut
mid-stream decompresses up to its last flush (``binance-raw`` reads it so).

Raw lines are ``<local receive ns> <message>\\n`` with the message bytes exactly
as received; the REST snapshots taken for synchronisation are written as
``{"stream":"<symbol>@depthSnapshot","data":<response body>}`` at the point in
the stream where they were applied.

Threads: ``write_raw`` may be called from the feed thread (it only queues);
everything else, and all file I/O, happens on the caller of ``write``/``poll``.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from hft_tui.book import Book
from hft_tui.book import warm_up as warm_up_book
from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, CLEAR, EOM, EVENT_DTYPE, LEVEL, SNAPSHOT
from hft_tui.instrument import Instrument
from hft_tui.tickfile import TickWriter

IMAGE_MAX_LEVELS = 1 << 16  # per side, in a rotated file's opening book image


def _stamp(ns: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ns // 1_000_000_000))


class Recorder:
    @classmethod
    def for_live(cls, out_dir: str | os.PathLike[str], instruments: Any, live: Any, raw: bool) -> Recorder:
        """A recorder of a Binance feed with the rotation and flush settings of ``live``
        (``feeds.binance_config``): what ``record`` and ``live --record`` write."""
        return cls(
            out_dir,
            instruments,
            label=f"binance-{live.market}",
            raw=raw,
            rotate_s=live.rotate_minutes * 60.0,
            rotate_bytes=live.rotate_mb << 20,
            flush_s=live.flush_s,
        )

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        instruments: list[Instrument],
        *,
        label: str = "binance",
        raw: bool = False,
        rotate_s: float = 3600.0,
        rotate_bytes: int = 1 << 30,
        flush_s: float = 1.0,
        chunk_events: int = 65536,
        clock=time.time_ns,
    ):
        self.dir = Path(out_dir)
        self.instruments = list(instruments)
        self.label = label
        self.raw_enabled = raw
        self.rotate_ns = int(rotate_s * 1e9)
        self.rotate_bytes = rotate_bytes
        self.flush_ns = int(flush_s * 1e9)
        self.chunk_events = chunk_events
        self.clock = clock
        try:
            for inst in self.instruments:
                (self.dir / inst.symbol).mkdir(parents=True, exist_ok=True)
            if raw:
                (self.dir / "raw").mkdir(parents=True, exist_ok=True)
                self._write_sidecar()
        except OSError as exc:
            raise HftError(f"{self.dir}: cannot create the output directory: {exc.strerror}") from None
        warm_up_book()  # compile now, not on the first write while data queues up
        self.book = Book(len(self.instruments), window=1 << 12, capacity=1 << 16)
        self._writers: list[TickWriter | None] = [None] * len(self.instruments)
        self._sizes = [0] * len(self.instruments)
        self._last_ts = [0] * len(self.instruments)
        self._last_u = [0] * len(self.instruments)  # update id of the last book event
        self._raw_q: deque[tuple[int, bytes]] = deque()
        self._raw_fh: gzip.GzipFile | None = None
        self._raw_path: Path | None = None
        self.files: list[Path] = []
        self.events = 0
        self.raw_lines = 0
        now = clock()
        self._period_end = self._next_boundary(now)
        self._next_flush = now + self.flush_ns
        self._closed = False

    # --- input ---------------------------------------------------------------------------
    def write(self, events: np.ndarray) -> None:
        """Record events of the recorder's instruments (``sym`` indexes them)."""
        if len(events) == 0:
            return
        if self.clock() >= self._period_end:  # rotate before writing past the boundary
            self._rotate_period()
        syms = events["sym"]
        first = int(syms[0])
        if (syms == first).all():
            self._write_sym(first, events)
        else:
            for sym in np.unique(syms):
                self._write_sym(int(sym), events[syms == sym])
        self.book.apply(events)
        self.events += len(events)

    def write_raw(self, local_ns: int, message: bytes) -> None:
        """Queue one raw message (thread-safe); written by the next ``poll``."""
        if self.raw_enabled:
            self._raw_q.append((local_ns, message))

    def poll(self) -> None:
        """Rotate and flush when due; call at least every ``flush_s`` seconds."""
        now = self.clock()
        self._drain_raw()
        if now >= self._period_end:
            self._rotate_period()
        if now >= self._next_flush:
            self.flush()
            self._next_flush = now + self.flush_ns

    def flush(self) -> None:
        self._drain_raw()
        for w in self._writers:
            if w is not None:
                w.flush()
        if self._raw_fh is not None:
            self._raw_fh.flush()  # zlib sync flush: everything so far decompresses

    def rotate(self) -> None:
        """Close every open file; the next events open new ones."""
        for sym, w in enumerate(self._writers):
            if w is not None:
                w.close()
                self._writers[sym] = None
        if self._raw_fh is not None:
            self._drain_raw()
            self._raw_fh.close()
            self._raw_fh = None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._drain_raw()
        self.rotate()

    # --- internals -------------------------------------------------------------------------
    def _write_sidecar(self) -> None:
        """raw/symbols.json: tick and lot sizes, which raw messages do not carry."""
        path = self.dir / "raw" / "symbols.json"
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):
            known = {}
        for inst in self.instruments:
            known[inst.symbol] = {"tick_size": inst.tick_size, "lot_size": inst.lot_size}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)

    def _rotate_period(self) -> None:
        self._period_end = self._next_boundary(self.clock())
        self.rotate()

    def _next_boundary(self, now: int) -> int:
        return (now // self.rotate_ns + 1) * self.rotate_ns

    def _write_sym(self, sym: int, events: np.ndarray) -> None:
        if not 0 <= sym < len(self.instruments):
            raise HftError(f"recorder: event for symbol index {sym}, only {len(self.instruments)} instruments")
        w = self._writers[sym]
        if w is None or self._sizes[sym] >= self.rotate_bytes:
            if w is not None:
                w.close()
            w = self._open(sym)
        w.write(events)
        self._sizes[sym] += events.nbytes
        self._last_ts[sym] = int(events["local_ts"][-1])
        kinds = events["kind"]
        book_kinds = (kinds == CLEAR) | (kinds == LEVEL)
        if book_kinds.any():
            self._last_u[sym] = int(events["order_id"][book_kinds][-1])

    def _open(self, sym: int) -> TickWriter:
        inst = self.instruments[sym]
        path = self._fresh(self.dir / inst.symbol, inst.symbol, ".hft")
        # Created under a hidden name and renamed once its header is written, so a
        # kill at any moment never leaves a *.hft that is not a tick file.
        part = path.with_name(f".{path.name}.part")
        w = TickWriter(part, inst, chunk_events=self.chunk_events)
        os.replace(part, path)
        w.path = str(path)  # for its messages; the open descriptor follows the rename
        self._writers[sym] = w
        self._sizes[sym] = 0
        self.files.append(path)
        image = self._image(sym)
        if len(image):
            w.write(image)
            self._sizes[sym] += image.nbytes
        return w

    def _image(self, sym: int) -> np.ndarray:
        """The current book of ``sym`` as CLEAR + levels (empty if the book is empty)."""
        bpx, bqty = self.book.depth(sym, BID, IMAGE_MAX_LEVELS)
        apx, aqty = self.book.depth(sym, ASK, IMAGE_MAX_LEVELS)
        n = len(bpx) + len(apx)
        if n == 0:
            return np.zeros(0, dtype=EVENT_DTYPE)
        ev = np.zeros(n + 1, dtype=EVENT_DTYPE)
        ev["exch_ts"] = ev["local_ts"] = self._last_ts[sym]
        ev["order_id"] = self._last_u[sym]
        ev["sym"] = sym
        ev["flags"] = SNAPSHOT
        ev["kind"][0] = CLEAR
        ev["kind"][1:] = LEVEL
        ev["side"][1 : 1 + len(bpx)] = BID
        ev["side"][1 + len(bpx) :] = ASK
        ev["px"][1:] = np.concatenate([bpx, apx])
        ev["qty"][1:] = np.concatenate([bqty, aqty])
        ev["flags"][-1] |= EOM
        return ev

    def _fresh(self, folder: Path, stem: str, suffix: str) -> Path:
        base = f"{stem}-{_stamp(self.clock())}"
        path = folder / f"{base}{suffix}"
        k = 1
        while path.exists():  # size rotation within the same second; "_" sorts after "."
            k += 1
            path = folder / f"{base}_{k:03d}{suffix}"
        return path

    def _drain_raw(self) -> None:
        q = self._raw_q
        if not q:
            return
        if self._raw_fh is None:
            self._raw_path = self._fresh(self.dir / "raw", self.label, ".jsonl.gz")
            try:
                self._raw_fh = gzip.open(self._raw_path, "wb", compresslevel=6)
            except OSError as exc:
                raise HftError(f"{self._raw_path}: cannot write: {exc.strerror}") from None
            self.files.append(self._raw_path)
        lines = []
        while q:
            ts, msg = q.popleft()
            if b"\n" in msg or b"\r" in msg:
                # JSON allows raw line breaks only as whitespace: blanking them keeps the meaning
                msg = msg.replace(b"\n", b" ").replace(b"\r", b" ")
            lines.append(b"%d %s\n" % (ts, msg))
        self._raw_fh.write(b"".join(lines))
        self.raw_lines += len(lines)
        if self._raw_fh.fileobj.tell() >= self.rotate_bytes:
            self._raw_fh.close()
            self._raw_fh = None
