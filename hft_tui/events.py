"""The one currency of the engine: a numpy record per market or own-order event.

Every source (sim venue, Binance, tick files, importers) produces arrays of
``EVENT_DTYPE``; the book, the simulated exchange and the engine consume only
them. Prices are integer ticks and sizes integer lots of the event's instrument
(see ``instrument.Instrument``); times are integer nanoseconds since the Unix
epoch.

One source message (a depth diff of 20 levels, a snapshot, a market order that
sweeps five resting orders) usually becomes several events. The last event of
every source message carries ``EOM``; whatever observes the book (strategy
wake-ups, the UI, ``hft-tui book``) looks at it only on those boundaries, never
at a half-applied message.
"""

from __future__ import annotations

import numpy as np

EVENT_DTYPE = np.dtype(
    [
        ("exch_ts", "<i8"),  # exchange time, ns since the epoch
        ("local_ts", "<i8"),  # local receive time, ns since the epoch
        ("px", "<i8"),  # price in ticks
        ("qty", "<i8"),  # size in lots
        ("order_id", "<i8"),  # L3 order id, trade id, or own order id
        ("kind", "u1"),
        ("side", "i1"),
        ("flags", "<u2"),
        ("sym", "<u2"),  # instrument index within the stream (0 in a single-symbol file)
        ("aux", "<u2"),  # kind-specific small value (own-order kinds: reject reason, strategy id)
    ]
)
assert EVENT_DTYPE.itemsize == 48

# --- kinds: market data -------------------------------------------------------
CLEAR = 1  # forget both sides of sym's book (starts a snapshot)
LEVEL = 2  # L2: the level (side, px) now holds qty lots; qty 0 removes it
TRADE = 3  # a trade print; side is the aggressor (0 unknown); order_id = trade id; book unchanged
ADD = 4  # L3: new resting order order_id of qty at (side, px)
CANCEL = 5  # L3: qty lots cancelled from resting order order_id at (side, px)
EXECUTE = 6  # L3: qty lots of resting order order_id at (side, px) traded; aggressor is -side
QUOTE = 7  # quote-only source: best level of side is (px, qty); better levels of that side go
TICKER = 8  # best bid or ask as information only (Binance bookTicker beside depth diffs)

MARKET_KINDS = (CLEAR, LEVEL, TRADE, ADD, CANCEL, EXECUTE, QUOTE, TICKER)

# --- kinds: own orders (16 and up, emitted by the simulated exchange) ---------
ORDER_NEW = 16  # strategy sent an order (pending-new)
ORDER_ACK = 17  # exchange accepted it
ORDER_FILL = 18  # qty lots filled at px (partial unless the ORDER_DONE flag is set)
ORDER_CANCELED = 19  # cancelled (by request, IOC remainder, kill switch, self-trade prevention)
ORDER_REJECTED = 20  # rejected; aux holds the reason code
ORDER_REPLACED = 21  # price/size changed by a replace
# Own-order events (written by hft_tui.exchange): order_id is our order id; exch_ts is when it
# happened at the matcher (for ORDER_NEW: when the order will reach it) and local_ts when the
# strategy learns it (for ORDER_NEW: when it was sent); px/qty are the order's, or the fill's,
# or (ORDER_CANCELED) the lots cancelled. aux: order type (NEW, ACK), 1 maker / 2 taker (FILL),
# cancel reason (CANCELED), reject reason (REJECTED), 1 kept / 2 lost priority (REPLACED);
# the codes and their names are in hft_tui.exchange.codes.

KIND_NAMES = {
    CLEAR: "clear",
    LEVEL: "level",
    TRADE: "trade",
    ADD: "add",
    CANCEL: "cancel",
    EXECUTE: "execute",
    QUOTE: "quote",
    TICKER: "ticker",
    ORDER_NEW: "new",
    ORDER_ACK: "ack",
    ORDER_FILL: "fill",
    ORDER_CANCELED: "canceled",
    ORDER_REJECTED: "rejected",
    ORDER_REPLACED: "replaced",
}

# --- sides ----------------------------------------------------------------------
BID = BUY = 1
ASK = SELL = -1
NO_SIDE = 0

# --- flags ------------------------------------------------------------------------
EOM = 1 << 0  # last event of its source message
SNAPSHOT = 1 << 1  # part of a snapshot (follows a CLEAR)
HIDDEN = 1 << 2  # trade against hidden liquidity: no visible level changed
OWN = 1 << 3  # caused by one of our own (simulated) orders
CORRECTION = 1 << 4  # level fix-up emitted by an importer where messages disagree with truth
ORDER_DONE = 1 << 5  # own-order event after which the order is no longer open


def empty(n: int) -> np.ndarray:
    """A zeroed event array of length n."""
    return np.zeros(n, dtype=EVENT_DTYPE)


def message_ends(events: np.ndarray) -> np.ndarray:
    """Indices of the events that end a source message."""
    return np.flatnonzero(events["flags"] & EOM)
