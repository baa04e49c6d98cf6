"""The order-rate window: messages in the last second of event time.

A ring of the last ``cap`` message times in a numpy array, so that the Python
risk manager and the jitted quoting path (``hft_tui.engine.fast_quote``) test
and record against the same window with the same code: the two kernels below.
With capacity n, a new message is allowed when fewer than n were recorded or
the oldest of the last n is at least one second old: O(1) per message.

``st`` holds ``[cap, head, count, last]``: head is the ring index of the oldest
entry once the ring is full, ``last`` the latest time recorded (event times
from several sources may step back a little: the ring is kept ordered).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from hft_tui.jit import entry_point

WINDOW_NS = 1_000_000_000  # one second of event time
RING_MAX = 1 << 20  # a larger cap is as good as no limit: no ring is kept
ST_CAP, ST_HEAD, ST_COUNT, ST_LAST = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def rate_allows(ring, st, now, k):
    """Whether a message at ``now`` is allowed once ``k`` more at ``now`` are recorded
    (``k`` = 0: as things stand; the fast path asks for its second replace of a wake)."""
    cap = st[ST_CAP]
    if ring.shape[0] == 0:
        return cap > 0
    count = st[ST_COUNT]
    if count + k < cap:
        return True
    last = st[ST_LAST]
    t = now if now > last else last
    first = count + k - cap  # the oldest of the last cap entries, counted from the oldest kept
    oldest = ring[(st[ST_HEAD] + first) % cap] if first < count else t  # (a virtual one: at t)
    return oldest <= t - WINDOW_NS


@njit(cache=True, nogil=True)
def rate_record(ring, st, now):
    if ring.shape[0] == 0:
        return
    if now < st[ST_LAST]:
        now = st[ST_LAST]
    else:
        st[ST_LAST] = now
    cap = st[ST_CAP]
    count = st[ST_COUNT]
    if count < cap:
        ring[(st[ST_HEAD] + count) % cap] = now
        st[ST_COUNT] = count + 1
    else:
        head = st[ST_HEAD]
        ring[head] = now
        head += 1
        st[ST_HEAD] = 0 if head == cap else head


_ENTRIES: list[tuple[Any, Any]] = []


def _entries() -> tuple[Any, Any]:
    # compiled entry points: numba's type dispatch would cost more than the test itself.
    # Both are in place before either is seen: the engine's build runs beside the
    # kernels' loading, and both may ask at once.
    if not _ENTRIES:
        ring, st = np.zeros(1, np.int64), np.zeros(4, np.int64)
        _ENTRIES.append((entry_point(rate_allows, ring, st, 0, 0), entry_point(rate_record, ring, st, 0)))
    return _ENTRIES[0]


class RateWindow:
    __slots__ = ("cap", "ring", "st", "_allows", "_record")

    def __init__(self, cap: int, keep: list[int] | None = None) -> None:
        self.cap = cap
        self.ring = np.zeros(cap if cap < RING_MAX else 0, np.int64)
        self.st = np.array([cap, 0, 0, -(1 << 62)], np.int64)
        self._allows, self._record = _entries()
        for ts in (keep or [])[-cap:] if len(self.ring) else ():
            self.record(ts)

    def allows(self, now: int) -> bool:
        return self._allows(self.ring, self.st, now, 0)

    def record(self, now: int) -> None:
        self._record(self.ring, self.st, now)

    def recent(self) -> list[int]:
        head, count = self.st.item(ST_HEAD), self.st.item(ST_COUNT)
        return [self.ring.item((head + i) % self.cap) for i in range(count)]

    def in_window(self, now: int) -> int:
        """Messages recorded within the second before ``now`` (for the limits view)."""
        cut = max(now, self.st.item(ST_LAST)) - WINDOW_NS
        return sum(1 for ts in self.recent() if ts > cut)
