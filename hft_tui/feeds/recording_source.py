"""``RecordingSource``: a live source that also records what it delivers.

The live workstation with ``--record DIR`` reads the feed through this wrapper:
every batch the engine takes is written to the ``Recorder`` on the engine's
thread (the recorder flushes at least every ``flush_s``, so a killed session
loses at most that much), and with raw recording the feed thread hands each
message to the recorder's queue as it arrives. The recorded files are the same
as ``hft-tui record`` writes.

A recorder that fails (a full disk) stops recording, not trading: the error is
in ``health()`` (and so on the status line) and the session goes on.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from hft_tui.errors import HftError
from hft_tui.recorder import Recorder

log = logging.getLogger("hft_tui.live")


class RecordingSource:
    realtime = True

    def __init__(self, source, recorder: Recorder, out_dir: str | os.PathLike[str]) -> None:
        self.source = source
        self.recorder = recorder
        self.out_dir = str(out_dir)
        self.instruments = source.instruments
        self.error = ""
        if recorder.raw_enabled:
            source.set_raw_sink(recorder.write_raw)

    def start(self) -> None:
        self.source.start()

    def read(self, max_events: int, timeout: float) -> np.ndarray:
        events = self.source.read(max_events, timeout)
        if not self.error:
            try:
                self.recorder.write(events)
                self.recorder.poll()
            except (OSError, HftError) as exc:
                self._fail(exc)
        return events

    def stop(self) -> None:
        self.source.stop()
        if not self.error:
            try:
                self.recorder.write(self.source.read(1 << 30, 0.0))  # what the feed had queued
            except (OSError, HftError) as exc:
                self._fail(exc)
        try:
            self.recorder.close()
        except (OSError, HftError) as exc:
            log.error("closing the recording failed: %s", exc)

    def health(self) -> dict[str, float | int | str]:
        h = self.source.health()
        h["recording"] = f"failed: {self.error}" if self.error else self.out_dir
        h["recorded_events"] = self.recorder.events
        return h

    # --- the live source's extras, passed through --------------------------------------
    def stale(self, sym: int) -> bool:
        return self.source.stale(sym)

    def read_stale(self, sym: int) -> bool:
        return self.source.read_stale(sym)

    def stale_reason(self, sym: int) -> str:
        return self.source.stale_reason(sym)

    @property
    def last_error(self) -> str:
        if self.error:
            return f"recording failed: {self.error}"
        return getattr(self.source, "last_error", "")

    def _fail(self, exc: BaseException) -> None:
        self.error = str(exc)
        self.source.set_raw_sink(None)
        log.error("recording stopped: %s", exc)
