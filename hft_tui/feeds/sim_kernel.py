"""The sim venue's generator: its RNG, the Poisson event loop and own takes.

See ``sim.py`` for the model and ``sim_book.py`` for the state arrays. All
randomness comes from one xoshiro256** stream held in ``rng`` (our own, not
numba's global ``np.random``), so a seed gives the same events bit for bit
whatever else runs and however generation is split into calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import ADD, CANCEL, EOM, OWN
from hft_tui.feeds.sim_book import (
    FP_JITTER_NS,
    FP_LSIZE_M,
    FP_LSUM,
    FP_MSIZE_M,
    FP_MU,
    FP_SIZE_S,
    FP_THETA,
    FP_TW_DEPTH,
    FP_TW_NLIVE,
    FP_TW_NS,
    FP_TW_SPREAD,
    L_HEAD,
    L_QTY,
    NEED_POOL,
    O_ID,
    O_PX,
    O_QTY,
    O_SIDE,
    ST_BEST,
    ST_CLOCK,
    ST_DMAX,
    ST_FREE,
    ST_K,
    ST_LAST_PX,
    ST_LAT_NS,
    ST_MASK,
    ST_N_ADD,
    ST_N_CANCEL,
    ST_N_EVENTS,
    ST_N_EXEC,
    ST_N_MARKET,
    ST_N_MSGS,
    ST_N_PURGE,
    ST_N_REFILL,
    ST_N_TAKE,
    ST_NEXT_ID,
    ST_NLIVE,
    ST_NORD,
    ST_SEED_POS,
    ST_STATUS,
    ST_SWEEP_CAP,
    ST_VOLUME,
    ST_WORST,
    book_add,
    book_remove,
    put,
    sweep,
)
from hft_tui.feeds.sim_random import (
    TAB_LIMIT_SIZE,
    TAB_MARKET_SIZE,
    distance,
    exp1,
    lots,
    rng_uniform,
)

_NS = 1e9
_NO_LIMIT = np.int64(1 << 62)  # a market order's price limit


@njit(cache=True, nogil=True, _nrt=False)
def _latency(st, fp, rng, tab):
    lat = st[ST_LAT_NS]
    if fp[FP_JITTER_NS] > 0.0:
        lat += np.int64(exp1(rng, tab) * fp[FP_JITTER_NS] + 0.5)
    return lat


@njit(cache=True, nogil=True, _nrt=False)
def _add(st, fp, rng, tab, pool, live, lv, si, px, out, i, ts):
    """Place a new limit order and write its ADD message (one event, EOM)."""
    qty = lots(rng, tab, TAB_LIMIT_SIZE, fp[FP_LSIZE_M], fp[FP_SIZE_S])
    oid = st[ST_NEXT_ID]
    st[ST_NEXT_ID] = oid + 1
    book_add(st, pool, live, lv, si, px, qty, oid)
    put(out, i, ts, ts + _latency(st, fp, rng, tab), px, qty, oid, ADD, 1 - 2 * si, EOM)
    st[ST_N_ADD] += 1


@njit(cache=True, nogil=True, _nrt=False)
def _cancel(st, fp, rng, tab, pool, live, lv, o, out, i, ts):
    """Cancel resting order slot o in full and write its CANCEL message."""
    si = pool[o, O_SIDE]
    px = pool[o, O_PX]
    q = pool[o, O_QTY]
    oid = pool[o, O_ID]
    lv[si, px & st[ST_MASK], L_QTY] -= q
    book_remove(st, pool, live, lv, o)
    put(out, i, ts, ts + _latency(st, fp, rng, tab), px, q, oid, CANCEL, 1 - 2 * si, EOM)
    st[ST_N_CANCEL] += 1


@njit(cache=True, nogil=True, _nrt=False)
def _housekeeping(st, fp, rng, tab, pool, live, lv, al_p, al_i, seed_px, seed_side, out, i):
    """Write at most one keep-alive message; return 1 if one was written.

    In order: announce the next order of the initial book, refill an empty side
    near the last price, purge the deepest order of a side that spans more than
    max_depth_ticks from the opposite best (this bounds each side's span so the
    level ring never aliases). All at the current clock: they take no time.
    """
    ts = st[ST_CLOCK]
    p = st[ST_SEED_POS]
    if p < seed_px.shape[0]:
        st[ST_SEED_POS] = p + 1
        _add(st, fp, rng, tab, pool, live, lv, seed_side[p], seed_px[p], out, i, ts)
        return 1
    for si in range(2):
        if st[ST_NORD + si] == 0:
            d = distance(rng, al_p, al_i)  # the limit-order law: near the last price
            other = st[ST_NORD + 1 - si] > 0
            obest = st[ST_BEST + 1 - si]
            k = st[ST_K]
            if si == 0:
                ref = min(st[ST_LAST_PX] + 1, obest) if other else st[ST_LAST_PX] + 1
                px = max(ref - d, obest - k) if other else ref - d
                px = max(px, np.int64(1))
            else:
                ref = max(st[ST_LAST_PX] - 1, obest) if other else st[ST_LAST_PX] - 1
                px = min(ref + d, obest + k) if other else ref + d
                px = max(px, np.int64(2))
            _add(st, fp, rng, tab, pool, live, lv, si, px, out, i, ts)
            st[ST_N_REFILL] += 1
            return 1
    dmax = st[ST_DMAX]
    for si in range(2):
        sg = 1 - 2 * si
        if (st[ST_BEST + 1 - si] - st[ST_WORST + si]) * sg > dmax:
            o = lv[si, st[ST_WORST + si] & st[ST_MASK], L_HEAD]
            _cancel(st, fp, rng, tab, pool, live, lv, o, out, i, ts)
            st[ST_N_PURGE] += 1
            return 1
    return 0


@njit(cache=True, nogil=True, _nrt=False)
def generate(
    st, fp, rng, tab, pool, live, lv, al_p, al_i, seed_px, seed_side, out, i, n_max, n_target, t_stop
):
    """Write whole messages to out[i:], stopping once out[:n_target] is reached,
    once the clock has reached t_stop (ns), or when the next message might not
    fit before n_max. Returns the new end.

    Sets ``st[ST_STATUS] = NEED_POOL`` and returns early when the order pool is
    full: the caller grows it and calls again. Every stop happens before any
    random draw for the next message (or rolls the draws back), so the output
    does not depend on how the work is split into calls.
    """
    st[ST_STATUS] = 0
    cap = st[ST_SWEEP_CAP]
    lsum = fp[FP_LSUM]
    mu = fp[FP_MU]
    theta = fp[FP_THETA]
    dmax = st[ST_DMAX]
    n_seed = seed_px.shape[0]
    start = i
    msgs = 0
    # time-weighted sums in registers, stored once at the end
    tw_ns = tw_spread = tw_bid = tw_ask = tw_live = 0.0
    while i < n_target and i < n_max and st[ST_CLOCK] < t_stop:
        if st[ST_FREE] < 0:
            st[ST_STATUS] = NEED_POOL
            break
        # the cheap test first: upkeep is rare and its call is not
        upkeep = (
            st[ST_SEED_POS] < n_seed or st[ST_NORD] == 0 or st[ST_NORD + 1] == 0
            or st[ST_BEST + 1] - st[ST_WORST] > dmax or st[ST_WORST + 1] - st[ST_BEST] > dmax
        )
        if upkeep and _housekeeping(st, fp, rng, tab, pool, live, lv, al_p, al_i, seed_px, seed_side, out, i):
            i += 1
            msgs += 1
            continue
        r0, r1, r2, r3 = rng[0], rng[1], rng[2], rng[3]
        nlive = st[ST_NLIVE]
        rate = 2.0 * (lsum + mu) + theta * nlive
        dt = np.int64(exp1(rng, tab) * (_NS / rate) + 0.5)
        u = rng_uniform(rng) * rate
        market = u >= 2.0 * lsum and u < 2.0 * (lsum + mu)
        if market:
            si = 1 if u < 2.0 * lsum + mu else 0  # the resting side a buy/sell sweeps
            need = min(cap, st[ST_NORD + si])
            if i + need > n_max:
                rng[0], rng[1], rng[2], rng[3] = r0, r1, r2, r3
                break
        # statistics over [clock, clock + dt): the book as it stood
        fdt = float(dt)
        tw_ns += fdt
        tw_spread += fdt * (st[ST_BEST + 1] - st[ST_BEST])
        tw_bid += fdt * (st[ST_BEST] - st[ST_WORST])
        tw_ask += fdt * (st[ST_WORST + 1] - st[ST_BEST + 1])
        tw_live += fdt * nlive
        ts = st[ST_CLOCK] + dt
        st[ST_CLOCK] = ts
        msgs += 1
        if u < 2.0 * lsum:
            si = 0 if u < lsum else 1
            d = distance(rng, al_p, al_i)
            if si == 0:
                px = max(st[ST_BEST + 1] - d, np.int64(1))
            else:
                px = st[ST_BEST] + d
            _add(st, fp, rng, tab, pool, live, lv, si, px, out, i, ts)
            i += 1
        elif market:
            qty = lots(rng, tab, TAB_MARKET_SIZE, fp[FP_MSIZE_M], fp[FP_SIZE_S])
            lts = ts + _latency(st, fp, rng, tab)
            no_limit = _NO_LIMIT if si == 1 else -_NO_LIMIT
            k, filled, _ = sweep(st, pool, live, lv, si, qty, no_limit, cap, out, i, ts, lts, 0)
            i += k
            st[ST_N_EXEC] += k
            st[ST_VOLUME] += filled
            st[ST_N_MARKET] += 1
        else:
            j = np.int64(rng_uniform(rng) * nlive)
            _cancel(st, fp, rng, tab, pool, live, lv, live[j], out, i, ts)
            i += 1
    st[ST_N_EVENTS] += i - start
    st[ST_N_MSGS] += msgs
    fp[FP_TW_NS] += tw_ns
    fp[FP_TW_SPREAD] += tw_spread
    fp[FP_TW_DEPTH] += tw_bid
    fp[FP_TW_DEPTH + 1] += tw_ask
    fp[FP_TW_NLIVE] += tw_live
    return i


@njit(cache=True, nogil=True, _nrt=False)
def take(st, pool, live, lv, side, limit_px, qty, out, i, ts):
    """An own aggressive order: side (BUY 1 / SELL -1) takes up to qty lots at
    prices no worse than limit_px, in price-time order, writing one EXECUTE
    (flag OWN, EOM on the last) per resting order hit into out[i:]; stops early
    when out is full. Returns (events written, lots filled, sum px * lots)."""
    si = 1 if side == 1 else 0
    k, filled, notional = sweep(st, pool, live, lv, si, qty, limit_px, out.shape[0] - i, out, i, ts, ts, OWN)
    if filled > 0:
        st[ST_N_TAKE] += 1
    return k, filled, notional


# registered in hft_tui.jit as "sim": the workstation's default venue is ready
# (compiled, or loaded from the cache) before its first frame
KERNELS = (generate,)
COMPILE_ESTIMATE_S = 25


def warm_up() -> None:
    from hft_tui.feeds.sim_source import SimSource

    src = SimSource(seed=1, max_events=2_000)
    src.start()
    while src.read(1_000) is not None:
        pass
    src.stop()
