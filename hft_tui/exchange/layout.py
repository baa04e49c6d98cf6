"""Where the exchange keeps its state: three plain arrays and the views cut from them.

``ExchState`` is ``(ints, floats, out)``: every integer of the exchange (control
scalars, the order table, the in-flight action queue, the per-side lists of open
orders, the consumed-liquidity table, ...) lives in the one int64 array
``ints``, the fee parameters and totals in ``floats``, and the own-order events
go to ``out`` (``EVENT_DTYPE``). Three flat arrays because numba's dispatcher
pays per argument array (and much more for a tuple of arrays) on every call from
Python, and ``submit`` is called from Python once per order.

Code gets an ``ExchView`` of named 1-D and 2-D views (the offsets are stored in
``ints`` itself): :func:`view` from Python (plain numpy views), :func:`jview` in
jitted code, once per entry point (borrowed views, inlined into the caller).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numba.extending import overload

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.exchange.hotpath import borrow, borrow2d

# --- ctl: control scalars, ints[0:CTL_LEN] ----------------------------------------------
C_NSYM = 0
C_CAP = 1  # order table rows
C_ACAP = 2  # action ring rows (power of two)
C_MAXSIDE = 3  # open orders per (symbol, side)
C_CCAP = 4  # consumed-liquidity rows
C_WALK = 5  # levels an aggressive order may walk
C_RING = 6  # id -> slot ring size (power of two)
C_RESERVE = 7  # out slots kept free before each message or action
C_NEXT_ID = 8  # next own order id (ids start at 1 and increase)
C_NEXT_SEQ = 9  # next queue-priority sequence number
C_NOUT = 10  # events written to out
C_AHEAD = 11  # action ring: index of the oldest action (monotonic counter)
C_ATAIL = 12  # action ring: index after the newest action
C_LAST_ARRIVE = 13  # arrival time of the newest action (entry is FIFO)
C_NOW = 14  # exchange time of the last processed event or action
C_FEED_NOW = 15  # latest feed time of the processed messages (what the strategy has seen)
C_IN_MSG = 16  # 1 when the last processed event did not end its message
C_NFREE = 17  # free order slots on the stack
C_RNG = 18  # splitmix64 state (uint64 bits)
C_FEED_LAT = 19  # ns added to exch_ts when an event has no local_ts
C_USE_LOCAL = 20  # 1: use recorded local_ts where > 0
C_ENTRY_KIND = 21  # LAT_* code
C_ENTRY_NS = 22
C_ENTRY_MAX = 23
C_RESP_NS = 24
C_QMODEL = 25  # QUEUE_* code
C_EMITTED = 26  # own events emitted since the last stop
C_N_EVENTS = 27  # market events processed
C_N_FILLS = 28
C_STOP = 29  # reason of the last exchange_run return
C_OFF = 32  # offsets of the views, in the order of _VIEWS below
CTL_LEN = 48

# --- orders[slot, :] ---------------------------------------------------------------------
O_ID = 0  # own order id (0: free slot)
O_SYM = 1
O_SIDE = 2  # BUY 1 / SELL -1
O_TYPE = 3
O_STATE = 4
O_PX = 5  # limit price, ticks (0 for market orders)
O_QTY = 6  # total size, lots
O_LEAVES = 7  # open size, lots
O_FILLED = 8
O_AHEAD = 9  # queue units (lots * QSCALE) ahead of the order at its level
O_PENDING = 10  # L2: lots traded at the order's price since that level's last update
O_WMARK = 11  # L3: highest market order id seen when the order joined the queue
O_SEQ = 12  # time priority among own orders (lower is earlier)
O_SENT = 13  # local time the order was sent
O_ARRIVE = 14  # exchange time it reached the matcher
O_DONE = 15  # 1 while the order sits in an active list but is no longer open
O_NF = 16

# --- actions[k & (ACAP - 1), :] ------------------------------------------------------------
A_KIND = 0
A_ID = 1
A_ARRIVE = 2
A_SENT = 3
A_PX = 4
A_QTY = 5
A_SYM = 6  # of the order, for the event of a refused cancel or replace
A_SIDE = 7
A_NF = 8

# --- symv[sym, :] ------------------------------------------------------------------------------
S_MAXID = 0  # highest L3 order id seen on the symbol
S_L2 = 1  # 1 once the symbol is fed L2 events (LEVEL/QUOTE), 0 for L3 (ADD/CANCEL/EXECUTE)
S_LAST_BID = 2  # best bid at the last BBO stop
S_LAST_ASK = 3
S_NCONS = 4  # consumed-liquidity rows of the symbol
S_WAKE_TICKS = 5  # the symbol's own BBO stop width (0: the run call's wake_ticks)
S_NF = 8

# --- cons[row, :]: liquidity own aggressive orders took from levels the data still shows ----
K_SYM = 0
K_SI = 1  # side index of the level: 0 bid, 1 ask
K_PX = 2
K_QTY = 3  # lots (0: free row)
K_NF = 4

# --- floats ----------------------------------------------------------------------------------------
F_MAKER_BPS = 0
F_TAKER_BPS = 1
F_QPOWER = 2  # exponent n of the probabilistic queue model
F_SIGMA = 3  # lognormal entry-latency shape
F_SYM0 = 8  # per-symbol blocks of FS_NF start here
FS_MULT = 0  # quote currency per (tick * lot): tick_size * lot_size
FS_FEES = 1  # fees paid (negative: rebates received)
FS_MAKER_LOTS = 2
FS_TAKER_LOTS = 3
FS_NOTIONAL = 4  # quote currency traded
FS_NF = 5

# Queue positions are kept in 1/QSCALE lot so that the probabilistic model can
# advance an order by a fraction of a lot; fills are whole lots, rounded down.
QSCALE = 1024


class ExchState(NamedTuple):
    ints: np.ndarray  # int64, the layout above
    floats: np.ndarray  # float64
    out: np.ndarray  # EVENT_DTYPE: own-order events, out[:ints[C_NOUT]]


class ExchView(NamedTuple):
    ctl: np.ndarray
    orders: np.ndarray  # [cap, O_NF]
    actions: np.ndarray  # [acap, A_NF]
    act: np.ndarray  # [nsym * 2, maxside]: open order slots per (sym, side index), best first
    nact: np.ndarray  # [nsym * 2]
    symv: np.ndarray  # [nsym, S_NF]
    cons: np.ndarray  # [ccap, K_NF]
    wpx: np.ndarray  # [walk] scratch for aggressive walks
    wqty: np.ndarray  # [walk]
    idring: np.ndarray  # [ring]: slot of order id & (ring - 1)
    free: np.ndarray  # [cap]: stack of free slots
    fl: np.ndarray  # floats
    out: np.ndarray


def _pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def new_state(
    n_symbols: int = 1,
    *,
    max_orders: int = 4096,
    max_open_per_side: int = 64,
    out_capacity: int = 1 << 16,
    max_walk_levels: int = 256,
    consumed_capacity: int = 1024,
) -> ExchState:
    """An empty exchange state; latency, queue and fee parameters are set by the caller."""
    if n_symbols < 1 or max_orders < 1 or max_open_per_side < 1 or max_walk_levels < 1:
        raise HftError("exchange needs n_symbols, max_orders, max_open_per_side, max_walk_levels >= 1")
    acap = _pow2(2 * max_orders)
    ring = _pow2(4 * max_orders)
    reserve = 2 * max_open_per_side + max_walk_levels + 8
    if out_capacity < 2 * reserve:
        raise HftError(f"exchange out_capacity must be at least {2 * reserve}")
    sizes = (
        max_orders * O_NF,
        acap * A_NF,
        n_symbols * 2 * max_open_per_side,
        n_symbols * 2,
        n_symbols * S_NF,
        consumed_capacity * K_NF,
        max_walk_levels,
        max_walk_levels,
        ring,
        max_orders,
    )
    ints = np.zeros(CTL_LEN + sum(sizes), dtype=np.int64)
    off = CTL_LEN
    for i, size in enumerate(sizes):
        ints[C_OFF + i] = off
        off += size
    ints[C_NSYM] = n_symbols
    ints[C_CAP] = max_orders
    ints[C_ACAP] = acap
    ints[C_MAXSIDE] = max_open_per_side
    ints[C_CCAP] = consumed_capacity
    ints[C_WALK] = max_walk_levels
    ints[C_RING] = ring
    ints[C_RESERVE] = reserve
    ints[C_NEXT_ID] = 1
    ints[C_NFREE] = max_orders
    st = ExchState(ints, np.zeros(F_SYM0 + FS_NF * n_symbols), np.zeros(out_capacity, EVENT_DTYPE))
    v = view(st.ints, st.floats, st.out)
    v.free[:] = np.arange(max_orders - 1, -1, -1)  # pop from the end: slot 0 first
    v.idring[:] = -1
    v.symv[:, S_LAST_BID] = np.iinfo(np.int64).min
    v.symv[:, S_LAST_ASK] = np.iinfo(np.int64).min
    st.floats[F_QPOWER] = 1.0
    st.floats[F_SYM0 + FS_MULT :: FS_NF] = 1.0
    return st


@njit(cache=True, nogil=True, inline="always")
def jview(ints, floats, out):
    """Named *borrowed* views of the state arrays, for jitted code (``hotpath.borrow``).

    Inlined into the caller, so that its hot loops count no references; the views
    must not leave the call that made them (use :func:`view` from Python).
    """
    bi = borrow(ints)
    o = bi[C_OFF : C_OFF + 10]
    nsym = bi[C_NSYM]
    return ExchView(
        bi[:CTL_LEN],
        borrow2d(bi[o[0] : o[1]], bi[C_CAP], O_NF),
        borrow2d(bi[o[1] : o[2]], bi[C_ACAP], A_NF),
        borrow2d(bi[o[2] : o[3]], nsym * 2, bi[C_MAXSIDE]),
        bi[o[3] : o[4]],
        borrow2d(bi[o[4] : o[5]], nsym, S_NF),
        borrow2d(bi[o[5] : o[6]], bi[C_CCAP], K_NF),
        bi[o[6] : o[7]],
        bi[o[7] : o[8]],
        bi[o[8] : o[9]],
        bi[o[9] : o[9] + bi[C_CAP]],
        borrow(floats),
        borrow(out),
    )


def view(ints: np.ndarray, floats: np.ndarray, out: np.ndarray) -> ExchView:
    """Named views of the state arrays (no copies), for Python: numpy views that keep
    the arrays alive. (Jitted callers get :func:`jview` through the overload below.)"""
    o = [int(x) for x in ints[C_OFF : C_OFF + 10]]
    nsym = int(ints[C_NSYM])
    return ExchView(
        ints[:CTL_LEN],
        ints[o[0] : o[1]].reshape(int(ints[C_CAP]), O_NF),
        ints[o[1] : o[2]].reshape(int(ints[C_ACAP]), A_NF),
        ints[o[2] : o[3]].reshape(nsym * 2, int(ints[C_MAXSIDE])),
        ints[o[3] : o[4]],
        ints[o[4] : o[5]].reshape(nsym, S_NF),
        ints[o[5] : o[6]].reshape(int(ints[C_CCAP]), K_NF),
        ints[o[6] : o[7]],
        ints[o[7] : o[8]],
        ints[o[8] : o[9]],
        ints[o[9] : o[9] + int(ints[C_CAP])],
        floats,
        out,
    )


@overload(view, jit_options={"cache": True, "nogil": True})
def _view_jitted(ints, floats, out):
    # Not inlined: numba miscompiled this overload inlined into callers that index the
    # views (seen with numba 0.68); the exchange's own hot code calls jview instead.
    def impl(ints, floats, out):
        return jview(ints, floats, out)

    return impl
