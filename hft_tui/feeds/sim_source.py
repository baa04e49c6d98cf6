"""The sim venue as an engine source: batches of whole messages, generated on demand.

Generation is deterministic (same parameters and seed, same stream) and does
not depend on the batch sizes asked for. ``max_events`` caps the whole run (a
backtest of N events); the run ends at the first message end at or after it.
The venue is exposed as ``venue`` (its book, ``take``, ``level_orders``). The
engine does not pass own taker fills to ``venue.take``: the source generates
its events a batch ahead of the engine's clock, so a take would land at the
venue's clock rather than at the order's time and the stream would depend on
the batch sizes. Own aggressive orders therefore consume liquidity only in the
simulated exchange's record (as on a recording); the sim market does not react.

A batch is a view of a buffer that the next ``read`` overwrites.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hft_tui.events import EVENT_DTYPE
from hft_tui.feeds.sim import SimParams, SimVenue
from hft_tui.instrument import Instrument


class SimSource:
    realtime = False

    def __init__(
        self,
        params: SimParams | SimVenue | None = None,
        seed: int | None = None,
        max_events: int | None = None,
        batch_events: int = 1 << 16,
    ) -> None:
        # a ready venue (``SimSource(venue)``) or the parameters to build one
        self.venue = params if isinstance(params, SimVenue) else SimVenue(params, seed)
        self.instruments: list[Instrument] = [self.venue.instrument]
        self.max_events = max_events
        self.batch_events = max(1, int(batch_events))
        self._buf = np.zeros(self.batch_events + self.venue.max_message_events, EVENT_DTYPE)
        self.events_read = 0
        self.ended = False

    @property
    def progress(self) -> float | None:
        if not self.max_events:
            return None
        return min(1.0, self.events_read / self.max_events)

    def start(self) -> None:
        pass

    def read(self, max_events: int, timeout: float = 0.0) -> np.ndarray | None:
        if self.ended:
            return None
        want = max(1, min(int(max_events), self.batch_events))
        if self.max_events is not None:
            left = self.max_events - self.events_read
            if left <= 0:
                self.ended = True
                return None
            want = min(want, left)
        # Stop at the first message end at or after ``want``: the split of the
        # stream into batches never changes the stream itself.
        n = self.venue.generate(self._buf, len(self._buf), min_events=want)
        self.events_read += n
        return self._buf[:n]

    def health(self) -> dict[str, Any]:
        return {"events": self.events_read, "clock_ns": self.venue.clock_ns}

    def stop(self) -> None:
        self.ended = True
