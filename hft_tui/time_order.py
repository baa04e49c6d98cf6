"""Where exchange time steps back in a stream of events.

A tick file plays in the order it was written; time that steps back (inputs
given to ``convert`` out of order, a recording whose sources disagree) still
plays, with the engine's clock holding at its running maximum, but it is
rarely what anyone wanted. ``info`` shows it and ``convert`` notes large steps.
"""

from __future__ import annotations

import numpy as np

#: a step back this large is a mistake (inputs out of order, most likely); smaller
#: ones are the clocks of a feed's streams disagreeing (a live recording has them)
BIG_STEP_NS = 1_000_000_000


class TimeOrder:
    """Feed it the events' ``exch_ts`` batch by batch, in stream order."""

    __slots__ = ("last", "steps", "worst")

    def __init__(self) -> None:
        self.last: int | None = None
        self.steps = 0  # events earlier than the one before them
        self.worst = 0  # ns, the largest such step

    def add(self, ts: np.ndarray) -> None:
        if not len(ts):
            return
        if self.last is not None and ts[0] < self.last:
            self.steps += 1
            self.worst = max(self.worst, self.last - int(ts[0]))
        if len(ts) > 1:
            d = np.diff(ts)
            n = int(np.count_nonzero(d < 0))
            if n:
                self.steps += n
                self.worst = max(self.worst, -int(d.min()))
        self.last = int(ts[-1])
