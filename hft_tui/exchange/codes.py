"""Small integer codes of the simulated exchange: order types, states, reasons.

They travel in the own-order events of ``hft_tui.events`` (kinds ORDER_NEW ..
ORDER_REPLACED): the reject reason of an ORDER_REJECTED, the cancel reason of an
ORDER_CANCELED, the liquidity (maker or taker) of an ORDER_FILL and the priority
outcome of an ORDER_REPLACED all go in the event's ``aux`` field.
"""

from __future__ import annotations

import numpy as np

# --- order types ----------------------------------------------------------------
LIMIT = 1  # good till cancelled; takes what crosses, rests the remainder
POST_ONLY = 2  # rejected if it would take liquidity
IOC = 3  # immediate or cancel: takes what crosses, cancels the remainder
FOK = 4  # fill or kill: fills in full at once or is rejected
MARKET = 5  # takes at any price, cancels the remainder

TYPE_NAMES = {LIMIT: "limit", POST_ONLY: "post_only", IOC: "ioc", FOK: "fok", MARKET: "market"}
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()}

# --- order states -----------------------------------------------------------------
PENDING_NEW = 1  # sent, not yet at the matcher
ACCEPTED = 2  # resting, nothing filled
PARTIAL = 3  # resting, partly filled
FILLED = 4
CANCELLED = 5
REJECTED = 6

STATE_NAMES = {
    PENDING_NEW: "pending-new",
    ACCEPTED: "accepted",
    PARTIAL: "partially-filled",
    FILLED: "filled",
    CANCELLED: "cancelled",
    REJECTED: "rejected",
}

# --- reject reasons (aux of ORDER_REJECTED) -----------------------------------------
REJ_POST_ONLY_WOULD_CROSS = 1  # post-only (or its replace) would have taken liquidity
REJ_FOK_UNFILLABLE = 2  # not enough liquidity within the limit to fill a FOK in full
REJ_NO_LIQUIDITY = 3  # market order into an empty side
REJ_BAD_QTY = 4  # size <= 0
REJ_BAD_PRICE = 5  # limit price <= 0
REJ_BAD_SYMBOL = 6  # symbol index beyond the exchange's symbols
REJ_BAD_SIDE = 7  # side neither BUY nor SELL
REJ_BAD_TYPE = 8  # unknown order type
REJ_CANCEL_TOO_LATE = 9  # cancel reached the matcher after the order was done (lost the race)
REJ_CANCEL_UNKNOWN = 10  # cancel of an order id never issued
REJ_REPLACE_TOO_LATE = 11  # replace reached the matcher after the order was done
REJ_REPLACE_UNKNOWN = 12  # replace of an order id never issued
REJ_TOO_MANY_ORDERS = 13  # more open orders than the exchange holds (table or one symbol side)
REJ_BUSY = 14  # submit refused at once: in-flight queue or output buffer full (drain, retry)

REJECT_NAMES = {
    REJ_POST_ONLY_WOULD_CROSS: "post-only would cross",
    REJ_FOK_UNFILLABLE: "fill-or-kill not fillable",
    REJ_NO_LIQUIDITY: "no liquidity",
    REJ_BAD_QTY: "bad size",
    REJ_BAD_PRICE: "bad price",
    REJ_BAD_SYMBOL: "bad symbol",
    REJ_BAD_SIDE: "bad side",
    REJ_BAD_TYPE: "bad order type",
    REJ_CANCEL_TOO_LATE: "cancel too late",
    REJ_CANCEL_UNKNOWN: "cancel of unknown order",
    REJ_REPLACE_TOO_LATE: "replace too late",
    REJ_REPLACE_UNKNOWN: "replace of unknown order",
    REJ_TOO_MANY_ORDERS: "too many open orders",
    REJ_BUSY: "exchange busy",
}

# --- cancel reasons (aux of ORDER_CANCELED) -------------------------------------------
CXL_REQUESTED = 1  # the strategy (or the kill switch) asked
CXL_UNFILLED = 2  # the unfilled remainder of an IOC or market order
CXL_SELF_TRADE = 3  # self-trade prevention: an own order on the other side would have hit it
CXL_REPLACED_TO_ZERO = 4  # a replace set the size at or below what had already filled

CANCEL_NAMES = {
    CXL_REQUESTED: "requested",
    CXL_UNFILLED: "unfilled remainder",
    CXL_SELF_TRADE: "self-trade prevention",
    CXL_REPLACED_TO_ZERO: "replaced to zero",
}

# --- liquidity of a fill (aux of ORDER_FILL) ------------------------------------------
# numpy scalars, not ints: jitted code passes them to compiled functions, and a plain
# int constant would make numba compile one specialization per value.
MAKER = np.int64(1)
TAKER = np.int64(2)
NO = np.bool_(False)  # a non-literal False, for the same reason

# --- priority after a replace (aux of ORDER_REPLACED) ---------------------------------
KEPT_PRIORITY = 1  # size decrease at the same price
LOST_PRIORITY = 2  # new price or larger size: back of the queue

# --- queue models (L2 sources) -----------------------------------------------------------
QUEUE_RISK_AVERSE = 0  # only trades at the order's price advance it
QUEUE_PROB = 1  # an unexplained decrease advances it by ahead^n / (ahead^n + behind^n)
QUEUE_MODELS = {"risk_averse": QUEUE_RISK_AVERSE, "prob": QUEUE_PROB}

# --- entry-latency distributions --------------------------------------------------------
LAT_CONSTANT = 0
LAT_UNIFORM = 1  # uniform in [entry_latency_ns, entry_latency_max_ns]
LAT_LOGNORMAL = 2  # median entry_latency_ns, shape entry_latency_sigma
LATENCY_KINDS = {"constant": LAT_CONSTANT, "uniform": LAT_UNIFORM, "lognormal": LAT_LOGNORMAL}
# Upper bound of every latency setting and of a lognormal draw: far beyond any real
# venue, and far from the int64 nanosecond clock's end
MAX_LATENCY_NS = 86_400 * 1_000_000_000

# --- why exchange_run returned (bit flags for the stop mask, one value as the reason) -----
STOP_END = 0  # reached the end of the slice
STOP_OWN = 1  # an own-order event was emitted
STOP_BBO = 2  # the best bid or ask of a watched symbol moved by wake_ticks or more
STOP_DEADLINE = 4  # the next message's feed time reached the deadline
STOP_OUT_FULL = 8  # the output buffer is nearly full: drain it (always on)

STOP_NAMES = {
    STOP_END: "end",
    STOP_OWN: "own",
    STOP_BBO: "bbo",
    STOP_DEADLINE: "deadline",
    STOP_OUT_FULL: "out-full",
}

# --- actions in flight (order entry to matcher) -------------------------------------------
ACT_NEW = 1
ACT_CANCEL = 2
ACT_REPLACE = 3
