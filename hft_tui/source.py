"""What the engine reads market data from: the sim venue, a live feed or tick files.

A source hands the engine batches of events (``EVENT_DTYPE`` arrays with ``sym``
set to the index of the event's instrument in ``instruments``), each batch ending
on a source-message boundary (its last event has ``EOM``). The engine never
knows which kind of source it has beyond ``realtime``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from hft_tui.instrument import Instrument


@runtime_checkable
class Source(Protocol):
    #: the instruments of the stream; an event's ``sym`` indexes this list
    instruments: list[Instrument]
    #: True for live data (wall clock); False for sim and replay (event time)
    realtime: bool

    def start(self) -> None:
        """Begin producing (a live source starts its network thread here)."""

    def read(self, max_events: int, timeout: float) -> np.ndarray | None:
        """The next batch of at most ``max_events`` events ending on a message
        boundary; an empty array if nothing arrived within ``timeout`` seconds
        (live); None once the stream has ended (replay)."""

    def health(self) -> dict[str, float | int | str]:
        """Feed-health figures for the status line (messages/s, last message age,
        resyncs, reconnects, parse errors, queue length, ...)."""

    def stop(self) -> None:
        """Stop producing and release resources; safe to call twice."""
