"""The sim venue's state layout and its L3 book: price-time FIFO queues in arrays.

The venue's whole state lives in a handful of arrays (created by ``SimVenue`` in
``sim.py``), so the generator can stop on any message boundary and resume in a
later call with bit-identical output:

- ``st``    int64 scalars (clock, ids, best/worst prices, counters): ``ST_*``.
- ``fp``    float64 scalars (rates, size laws, time-weighted statistics): ``FP_*``.
- ``rng``   uint64[4], xoshiro256** state (see ``sim_kernel``).
- ``pool``  int64[cap, 8], one cache line per order: ``O_*`` columns. Orders of
  a level form a doubly linked FIFO list through ``O_PREV``/``O_NEXT``; free
  slots are chained through ``O_NEXT`` from ``st[ST_FREE]``.
- ``live``  int64[cap], dense index of live slots (``O_LPOS`` is the position)
  so a uniformly random resting order is one draw, removal a swap.
- ``lv``    int64[2, L, 4], per side a ring of price levels indexed by
  ``px & (L - 1)``: ``L_*`` columns. Deep orders are purged (see ``sim.py``) so
  a side never spans more than ``max_depth_ticks`` < L and slots never alias.

Side index ``si`` is 0 for bids, 1 for asks; ``sg = 1 - 2 * si`` is the event's
side (+1/-1) and the direction in which prices get better.

Every kernel is compiled with ``_nrt=False``: numba's reference-count pruning
leaves an atomic incref/decref per array argument around calls into functions
that branch (numba issues #2345, #2350); with these helpers that was ~70% of
the generator's run time. The kernels allocate nothing, so they do not need the
runtime.
"""

from __future__ import annotations

from numba import njit

from hft_tui.events import EOM, EXECUTE

# --- st: int64 scalars -----------------------------------------------------------
ST_CLOCK = 0  # exchange time of the last message, ns
ST_NEXT_ID = 1  # next order id
ST_NLIVE = 2  # resting orders, both sides
ST_FREE = 3  # first free pool slot, -1 when the pool is full
ST_BEST = 4  # + side index (0 bid, 1 ask): best price in ticks
ST_WORST = 6  # + side index: worst (deepest) price in ticks
ST_NORD = 8  # + side index: resting orders on that side
ST_LAST_PX = 10  # last trade price (start price before the first trade)
ST_MASK = 11  # ring size - 1
ST_DMAX = 12  # max_depth_ticks
ST_K = 13  # limit_levels
ST_SEED_POS = 14  # next entry of the initial-book plan to announce
ST_SWEEP_CAP = 15  # max_sweep_orders
ST_STATUS = 16  # 0 ok, NEED_POOL when the kernel stopped for a bigger pool
ST_LAT_NS = 17  # constant feed latency, ns
ST_N_EVENTS = 18
ST_N_MSGS = 19
ST_N_ADD = 20
ST_N_CANCEL = 21
ST_N_EXEC = 22
ST_N_MARKET = 23  # market orders (sweeps), each one message
ST_N_REFILL = 24  # keep-alive adds on an emptied side
ST_N_PURGE = 25  # cancels of orders deeper than max_depth_ticks
ST_TRADE_MIN = 26
ST_TRADE_MAX = 27
ST_VOLUME = 28  # lots executed by market orders
ST_N_TAKE = 29  # own take() calls that filled something
ST_SIZE = 32

# --- fp: float64 scalars ---------------------------------------------------------
FP_LSUM = 0  # limit-order rate per side, 1/s (sum over the K distances)
FP_MU = 1  # market-order rate per side, 1/s
FP_THETA = 2  # cancel rate per resting order, 1/s
FP_LSIZE_M = 3  # log-mean of limit sizes (lognormal), log lots
FP_MSIZE_M = 4  # log-mean of market sizes
FP_SIZE_S = 5  # log-sd of both size laws
FP_JITTER_NS = 6  # mean exponential latency jitter, ns
FP_TW_NS = 7  # simulated time covered by the statistics below, ns
FP_TW_SPREAD = 8  # integral of spread (ticks) dt
FP_TW_DEPTH = 9  # + side index: integral of (best - worst) ticks dt
FP_TW_NLIVE = 11  # integral of resting orders dt
FP_SIZE = 16

# --- pool columns, level columns -----------------------------------------------------
O_ID, O_PX, O_QTY, O_SIDE, O_PREV, O_NEXT, O_LPOS = 0, 1, 2, 3, 4, 5, 6
POOL_COLS = 8
L_HEAD, L_TAIL, L_QTY, L_COUNT = 0, 1, 2, 3

NEED_POOL = 1


# --- the book -------------------------------------------------------------------------
@njit(cache=True, nogil=True, _nrt=False)
def book_add(st, pool, live, lv, si, px, qty, oid):
    o = st[ST_FREE]
    st[ST_FREE] = pool[o, O_NEXT]
    l = px & st[ST_MASK]
    pool[o, O_ID] = oid
    pool[o, O_PX] = px
    pool[o, O_QTY] = qty
    pool[o, O_SIDE] = si
    pool[o, O_NEXT] = -1
    if lv[si, l, L_COUNT] == 0:
        pool[o, O_PREV] = -1
        lv[si, l, L_HEAD] = o
    else:
        tail = lv[si, l, L_TAIL]
        pool[o, O_PREV] = tail
        pool[tail, O_NEXT] = o
    lv[si, l, L_TAIL] = o
    lv[si, l, L_COUNT] += 1
    lv[si, l, L_QTY] += qty
    n = st[ST_NLIVE]
    live[n] = o
    pool[o, O_LPOS] = n
    st[ST_NLIVE] = n + 1
    sg = 1 - 2 * si  # +1 bid, -1 ask: "better" is higher for bids
    if st[ST_NORD + si] == 0:
        st[ST_BEST + si] = px
        st[ST_WORST + si] = px
    elif (px - st[ST_BEST + si]) * sg > 0:
        st[ST_BEST + si] = px
    elif (st[ST_WORST + si] - px) * sg > 0:
        st[ST_WORST + si] = px
    st[ST_NORD + si] += 1
    return o


@njit(cache=True, nogil=True, _nrt=False)
def book_remove(st, pool, live, lv, o):
    """Take order slot o out of its level, the live index and the side; free it.

    The caller has already taken the order's remaining size off ``L_QTY``.
    """
    si = pool[o, O_SIDE]
    px = pool[o, O_PX]
    mask = st[ST_MASK]
    l = px & mask
    prev = pool[o, O_PREV]
    nxt = pool[o, O_NEXT]
    if prev >= 0:
        pool[prev, O_NEXT] = nxt
    else:
        lv[si, l, L_HEAD] = nxt
    if nxt >= 0:
        pool[nxt, O_PREV] = prev
    else:
        lv[si, l, L_TAIL] = prev
    lv[si, l, L_COUNT] -= 1
    p = pool[o, O_LPOS]
    n = st[ST_NLIVE] - 1
    last = live[n]
    live[p] = last
    pool[last, O_LPOS] = p
    st[ST_NLIVE] = n
    pool[o, O_NEXT] = st[ST_FREE]
    pool[o, O_QTY] = 0
    st[ST_FREE] = o
    st[ST_NORD + si] -= 1
    if lv[si, l, L_COUNT] > 0 or st[ST_NORD + si] == 0:
        return
    sg = 1 - 2 * si
    if px == st[ST_BEST + si]:
        # the side is not empty and spans less than the ring: the scan ends
        q = px - sg
        while lv[si, q & mask, L_COUNT] == 0:
            q -= sg
        st[ST_BEST + si] = q
    elif px == st[ST_WORST + si]:
        q = px + sg
        while lv[si, q & mask, L_COUNT] == 0:
            q += sg
        st[ST_WORST + si] = q


@njit(cache=True, nogil=True, _nrt=False)
def put(out, i, ts, lts, px, qty, oid, kind, side, flags):
    out[i]["exch_ts"] = ts
    out[i]["local_ts"] = lts
    out[i]["px"] = px
    out[i]["qty"] = qty
    out[i]["order_id"] = oid
    out[i]["kind"] = kind
    out[i]["side"] = side
    out[i]["flags"] = flags
    out[i]["sym"] = 0
    out[i]["aux"] = 0


@njit(cache=True, nogil=True, _nrt=False)
def sweep(st, pool, live, lv, si, qty, limit_px, cap, out, i, ts, lts, flags):
    """Execute up to qty lots against side si in price-time order.

    Stops at cap executions, when the side is empty, or when the best price is
    beyond limit_px. Returns (events written, lots filled, sum px * lots).
    """
    sg = 1 - 2 * si
    mask = st[ST_MASK]
    rem = qty
    k = 0
    notional = 0
    while rem > 0 and k < cap and st[ST_NORD + si] > 0:
        px = st[ST_BEST + si]
        if (limit_px - px) * sg > 0:  # bid below a sell limit / ask above a buy limit
            break
        l = px & mask
        o = lv[si, l, L_HEAD]
        q = pool[o, O_QTY]
        x = q if q < rem else rem
        put(out, i + k, ts, lts, px, x, pool[o, O_ID], EXECUTE, sg, flags)
        k += 1
        rem -= x
        notional += x * px
        lv[si, l, L_QTY] -= x
        if x == q:
            book_remove(st, pool, live, lv, o)
        else:
            pool[o, O_QTY] = q - x
        st[ST_LAST_PX] = px
        if px < st[ST_TRADE_MIN]:
            st[ST_TRADE_MIN] = px
        if px > st[ST_TRADE_MAX]:
            st[ST_TRADE_MAX] = px
    if k > 0:
        out[i + k - 1]["flags"] |= EOM
    return k, qty - rem, notional


@njit(cache=True, nogil=True, _nrt=False)
def level_orders(st, pool, lv, si, px, ids, qtys):
    """Resting orders at (side index si, px) in time order: ids and sizes into
    ids/qtys (as many as fit). Returns the number of orders at the level."""
    n = st[ST_NORD + si]
    sg = 1 - 2 * si
    if n == 0 or (px - st[ST_BEST + si]) * sg > 0 or (st[ST_WORST + si] - px) * sg > 0:
        return 0  # outside the side's span: the ring slot may hold another price
    l = px & st[ST_MASK]
    o = lv[si, l, L_HEAD]
    k = 0
    while o >= 0:
        if k < ids.shape[0]:
            ids[k] = pool[o, O_ID]
            qtys[k] = pool[o, O_QTY]
        k += 1
        o = pool[o, O_NEXT]
    return k


@njit(cache=True, nogil=True, _nrt=False)
def depth(st, lv, si, px_out, qty_out, cnt_out):
    """The best len(px_out) non-empty levels of side si, best first: price,
    lots, orders. Returns how many levels were written."""
    if st[ST_NORD + si] == 0:
        return 0
    sg = 1 - 2 * si
    mask = st[ST_MASK]
    worst = st[ST_WORST + si]
    px = st[ST_BEST + si]
    k = 0
    while k < px_out.shape[0] and (px - worst) * sg >= 0:
        l = px & mask
        if lv[si, l, L_COUNT] > 0:
            px_out[k] = px
            qty_out[k] = lv[si, l, L_QTY]
            cnt_out[k] = lv[si, l, L_COUNT]
            k += 1
        px -= sg
    return k
