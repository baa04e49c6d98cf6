"""Latency: when data reaches the strategy, when orders reach the matcher, when answers return.

- **Feed latency**: a market event is seen by the strategy at its *feed time*,
  the recorded ``local_ts`` when the source has one (live recordings, the sim
  venue) and ``use_local_ts`` is on, else ``exch_ts + feed_latency_ns``.
- **Order-entry latency**: an order, cancel or replace sent at local time ``t``
  reaches the matcher at ``t + L``, with ``L`` constant, uniform in
  ``[entry_latency_ns, entry_latency_max_ns]`` or lognormal with median
  ``entry_latency_ns`` and shape ``entry_latency_sigma`` (a draw is capped at
  ``MAX_LATENCY_NS``, one day), drawn from the
  exchange's own seeded generator (splitmix64), so a run is reproducible and
  independent of any other random stream. Entry is one ordered connection: an
  action never overtakes an earlier one (arrival = max(t + L, previous arrival)).
- **Response latency**: an ack, fill, cancel or reject produced at exchange
  time ``t`` reaches the strategy at ``t + response_latency_ns`` (the event's
  ``local_ts``).

A cancel sent while a fill is on its way therefore arrives after the fill and
is rejected as too late, as on a real venue.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from hft_tui.exchange.codes import LAT_LOGNORMAL, LAT_UNIFORM, MAX_LATENCY_NS
from hft_tui.exchange.layout import (
    C_ENTRY_KIND,
    C_ENTRY_MAX,
    C_ENTRY_NS,
    C_FEED_LAT,
    C_LAST_ARRIVE,
    C_RESP_NS,
    C_RNG,
    C_USE_LOCAL,
    F_SIGMA,
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True, inline="always")
def next_u64(ctl):
    """splitmix64: the next 64 random bits; the state lives in ctl[C_RNG]."""
    s = np.uint64(ctl[C_RNG]) + _GOLDEN
    ctl[C_RNG] = np.int64(s)
    z = (s ^ (s >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def next_unit(ctl):
    """A uniform float in (0, 1) with 53 random bits (never exactly 0)."""
    return (float(next_u64(ctl) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, inline="always")
def entry_latency(ctl, fl):
    """One draw of the order-entry latency, ns."""
    kind = ctl[C_ENTRY_KIND]
    base = ctl[C_ENTRY_NS]
    if kind == LAT_UNIFORM:
        span = ctl[C_ENTRY_MAX] - base
        return base + np.int64(next_unit(ctl) * (span + 1))
    if kind == LAT_LOGNORMAL:
        # Box-Muller: one standard normal from two uniforms
        z = math.sqrt(-2.0 * math.log(next_unit(ctl))) * math.cos(2.0 * math.pi * next_unit(ctl))
        draw = base * math.exp(fl[F_SIGMA] * z)
        return np.int64(draw) if draw < MAX_LATENCY_NS else np.int64(MAX_LATENCY_NS)
    return base


@njit(cache=True, nogil=True, inline="always")
def arrival_time(ctl, fl, sent):
    """When an action sent at local time ``sent`` reaches the matcher (FIFO entry)."""
    t = sent + entry_latency(ctl, fl)
    if t < ctl[C_LAST_ARRIVE]:
        t = ctl[C_LAST_ARRIVE]
    ctl[C_LAST_ARRIVE] = t
    return t


@njit(cache=True, nogil=True, inline="always")
def response_time(ctl, exch_ts):
    """When the strategy learns of something that happened at the matcher at ``exch_ts``."""
    return exch_ts + ctl[C_RESP_NS]


@njit(cache=True, nogil=True, inline="always")
def feed_time(ctl, exch_ts, local_ts):
    """When the strategy sees a market event."""
    if ctl[C_USE_LOCAL] != 0 and local_ts > 0:
        return local_ts
    return exch_ts + ctl[C_FEED_LAT]
