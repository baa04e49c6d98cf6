"""The market's trades as the engine keeps them: volume by aggressor side, recent prints.

Strategies read cumulative buyer- and seller-initiated volume per symbol
(``ctx.traded``); viewers read the last trade and the volume per price of the
recent prints (the ladder's traded column). One jitted pass over each stretch
of events the exchange has processed keeps both up to date.

A feed may report one trade twice, as an L3 EXECUTE of the resting order and
as a TRADE print; each symbol counts TRADE prints once it has seen one and
EXECUTEs only until then.

The same pass keeps, per symbol, the feed time of the last message that ended on
it (``last_feed``, -1 before the first): the risk manager's stale-feed watch
needs it per symbol, or a symbol whose data stopped would look fresh as long
as another one still ticks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import EOM, EXECUTE, TRADE
from hft_tui.exchange.latency import feed_time

RING = 4096  # recent prints kept for viewers
SPAN_SLOTS = 4 * RING  # prices further apart than this many ticks are sorted instead

# columns of vol[sym, :]
V_TRADE_BUY = 0
V_TRADE_SELL = 1
V_EXEC_BUY = 2
V_EXEC_SELL = 3
V_NF = 4

# columns of ring[k, :]
R_TS = 0
R_SYM = 1
R_PX = 2
R_QTY = 3
R_SIDE = 4
R_NF = 5


@njit(cache=True, nogil=True)
def tape_update(events, start, end, vol, ring, head, ctl, last_feed):
    """Count the trades of events[start:end]; append them to the ring (head[0] counts);
    note each message end's feed time (as the exchange computes it from ``ctl``)."""
    mask = ring.shape[0] - 1
    for i in range(start, end):
        e = events[i]
        if e.flags & EOM:
            last_feed[e.sym] = feed_time(ctl, e.exch_ts, e.local_ts)
        k = e.kind
        if k == TRADE:
            aggressor = e.side
            col = V_TRADE_BUY
        elif k == EXECUTE:
            aggressor = -e.side
            col = V_EXEC_BUY
        else:
            continue
        s = e.sym
        if aggressor > 0:
            vol[s, col] += e.qty
        elif aggressor < 0:
            vol[s, col + 1] += e.qty
        if k == EXECUTE and (vol[s, V_TRADE_BUY] or vol[s, V_TRADE_SELL]):
            continue  # this feed prints its trades: the ring shows those
        r = ring[head[0] & mask]
        r[R_TS] = e.exch_ts
        r[R_SYM] = s
        r[R_PX] = e.px
        r[R_QTY] = e.qty
        r[R_SIDE] = aggressor
        head[0] += 1


@njit(cache=True, nogil=True)
def tape_summary(ring, n, sym, since_ts):
    """(row of the last print, prices ascending, volume at each) of the kept prints of
    ``sym`` at or after since_ts; the row is -1 when there is none."""
    mask = ring.shape[0] - 1
    k = min(n, ring.shape[0])
    px = np.empty(k, np.int64)
    qty = np.empty(k, np.int64)
    m = 0
    last = -1
    lo = hi = 0
    for j in range(n - k, n):
        r = j & mask
        if ring[r, R_SYM] == sym and ring[r, R_TS] >= since_ts:
            p = ring[r, R_PX]
            px[m] = p
            qty[m] = ring[r, R_QTY]
            if m == 0 or p < lo:
                lo = p
            if m == 0 or p > hi:
                hi = p
            m += 1
            last = r
    if m and hi - lo <= SPAN_SLOTS:
        return last, *_by_slot(px[:m], qty[:m], lo, hi)
    order = np.argsort(px[:m])
    prices = np.empty(m, np.int64)
    volume = np.zeros(m, np.int64)
    c = 0
    for i in order:
        if c == 0 or prices[c - 1] != px[i]:
            prices[c] = px[i]
            c += 1
        volume[c - 1] += qty[i]
    return last, prices[:c], volume[:c]


@njit(cache=True, nogil=True)
def _by_slot(px, qty, lo, hi):
    """``tape_summary``'s prices and volumes, counted in one slot per tick from lo to hi
    (the last 4,096 prints of the 10M-event sim benchmark span 1,120 ticks: 15 us, where
    sorting them took 63 us)."""
    span = hi - lo + 1
    volume = np.zeros(span, np.int64)
    seen = np.zeros(span, np.bool_)
    for i in range(px.shape[0]):
        volume[px[i] - lo] += qty[i]
        seen[px[i] - lo] = True
    prices = np.empty(min(span, px.shape[0]), np.int64)
    c = 0
    for t in range(span):
        if seen[t]:  # (c <= t: the slots still to read are not overwritten)
            prices[c] = lo + t
            volume[c] = volume[t]
            c += 1
    return prices[:c], volume[:c]


class Tape:
    def __init__(self, n_syms: int, ctl: np.ndarray | None = None) -> None:
        self.vol = np.zeros((n_syms, V_NF), dtype=np.int64)
        self.ring = np.zeros((RING, R_NF), dtype=np.int64)
        self.head = np.zeros(1, dtype=np.int64)
        self.last_feed = np.full(n_syms, -1, dtype=np.int64)
        # the exchange's control block (feed latency settings); default: exch_ts as is
        if ctl is None:
            from hft_tui.exchange.layout import CTL_LEN

            ctl = np.zeros(CTL_LEN, dtype=np.int64)
        self.ctl = ctl

    def update(self, events: np.ndarray, start: int, end: int) -> None:
        if end > start:
            tape_update(events, start, end, self.vol, self.ring, self.head, self.ctl, self.last_feed)

    def forget_feed_times(self) -> None:
        """A seek: the feed times seen so far belong to another stretch of the data."""
        self.last_feed[:] = -1

    def traded(self, sym: int) -> tuple[int, int]:
        v = self.vol
        if v.item(sym, V_TRADE_BUY) or v.item(sym, V_TRADE_SELL):
            return v.item(sym, V_TRADE_BUY), v.item(sym, V_TRADE_SELL)
        return v.item(sym, V_EXEC_BUY), v.item(sym, V_EXEC_SELL)

    def summary(self, sym: int, since_ts: int) -> tuple[tuple[int, int, int, int] | None, tuple[tuple[int, int], ...]]:
        """The last print (ts, px, qty, side) and the volume per price since since_ts
        (jitted: this runs for every viewer snapshot, 33 times a second)."""
        last, prices, volume = tape_summary(self.ring, int(self.head[0]), sym, since_ts)
        if last < 0:
            return None, ()
        r = self.ring[last]
        return (r.item(R_TS), r.item(R_PX), r.item(R_QTY), r.item(R_SIDE)), tuple(zip(prices.tolist(), volume.tolist()))
