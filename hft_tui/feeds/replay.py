"""Tick files as an engine source: batches cut on message boundaries, progress, rewind.

The stream (``hft_tui.stream``) hands out batches that may end inside a source
message; the engine wants whole messages, so the source cuts each batch after
its last ``EOM`` and carries the rest over. Batches are read-only views into
the memory-mapped files where possible (valid until the next ``read``).

Seeking: an L3 or L2 book at time t is only known by applying everything
before t, so ``seek`` merely rewinds when the target lies behind the current
position; the engine then fast-forwards the book (without strategies) to the
target (see ``Engine._seek``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.instrument import Instrument
from hft_tui.stream import DEFAULT_BATCH_EVENTS, EventStream, first_message_end, last_message_end, open_stream

_EMPTY = np.empty(0, dtype=EVENT_DTYPE)


class ReplaySource:
    """Replays tick files (several files: one stream) in exchange-time order."""

    realtime = False

    def __init__(self, paths: Iterable[str | os.PathLike[str]], batch_events: int = DEFAULT_BATCH_EVENTS) -> None:
        self.paths = [os.fspath(p) for p in paths]
        self.batch_events = batch_events
        self._stream: EventStream = open_stream(self.paths, batch_events=batch_events)
        self.instruments: list[Instrument] = list(self._stream.instruments)
        self.n_events = self._stream.n_events
        self.first_ts = self._stream.first_ts
        self.last_ts = self._stream.last_ts
        self._it: Iterator[np.ndarray] | None = None
        self._buf = _EMPTY
        self._pos = 0
        self.events_read = 0
        self.position_ts = self.first_ts or 0
        self.ended = False

    @property
    def warnings(self) -> list[str]:
        return self._stream.warnings

    def require_events(self, doing: str) -> None:
        """HftError naming why (a truncated file, say) when there is no event to ``doing``."""
        if not self.n_events:
            why = "; ".join(w.removeprefix("warning: ") for w in self.warnings) or "the files are empty"
            raise HftError(f"nothing to {doing}: no readable events ({why})")

    @property
    def progress(self) -> float:
        """Fraction of the events handed out so far, 0..1."""
        return self.events_read / self.n_events if self.n_events else 1.0

    def start(self) -> None:
        if self._it is None:
            self._it = iter(self._stream.batches())

    def _next_chunk(self) -> np.ndarray | None:
        if self._it is None:
            self.start()
        assert self._it is not None
        return next(self._it, None)

    def read(self, max_events: int, timeout: float = 0.0) -> np.ndarray | None:
        """Up to ``max_events`` events ending on a message end (more only for a
        message longer than that); None at the end of the stream."""
        max_events = max(1, int(max_events))
        while True:
            avail = len(self._buf) - self._pos
            if avail:
                end = min(len(self._buf), self._pos + max_events)
                cut = last_message_end(self._buf, self._pos, end)
                if cut == self._pos:
                    # One message longer than max_events: hand it out whole.
                    cut = first_message_end(self._buf, end, len(self._buf))
                if cut > self._pos:
                    return self._hand_out(cut)
            chunk = self._next_chunk()
            if chunk is None:
                if avail:  # the stream ends inside a message: that end is its end
                    return self._hand_out(len(self._buf))
                self.ended = True
                return None
            # No message end within reach: join the tail with what follows.
            self._buf = np.concatenate((self._buf[self._pos :], chunk)) if avail else chunk
            self._pos = 0

    def _hand_out(self, cut: int) -> np.ndarray:
        out = self._buf[self._pos : cut]
        self._pos = cut
        self.events_read += len(out)
        self.position_ts = int(out["exch_ts"][-1])
        return out

    def seek(self, ts_ns: int) -> bool:
        """Prepare to play from exchange time ``ts_ns``; True if that meant rewinding
        (the caller must then reset its book and fast-forward to ``ts_ns``)."""
        if ts_ns >= self.position_ts and self.events_read:
            return False
        self.rewind()
        return True

    def rewind(self) -> None:
        self._it = iter(self._stream.batches())
        self._buf = _EMPTY
        self._pos = 0
        self.events_read = 0
        self.position_ts = self.first_ts or 0
        self.ended = False

    def health(self) -> dict[str, float | int | str]:
        return {
            "events": self.events_read,
            "progress": round(self.progress, 6),
            "files": len(self.paths),
            "warnings": len(self.warnings),
        }

    def stop(self) -> None:
        self._it = None
        self._buf = _EMPTY
        self._stream.close()
