"""The payload reader: one jitted pass from Binance message bytes to events.

The JSON scanning primitives live in ``binance_json``; this module walks the
message object and dispatches each key by the message kind.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import ASK, BID, CLEAR, EOM, SNAPSHOT, TICKER, TRADE
from hft_tui.feeds.binance_json import (
    _E_AGG,
    _E_DEPTH,
    _E_TICKER,
    _E_TRADE,
    _MS,
    _QUOTE,
    E_CAPACITY,
    E_EVENT,
    E_MISSING,
    E_SYNTAX,
    H_E,
    H_ERRPOS,
    H_FIRST,
    H_ID,
    H_LAST,
    H_PREV,
    H_SYM0,
    H_SYM1,
    H_T,
    K_AGGTRADE,
    K_DEPTH,
    K_SNAPSHOT,
    K_TICKER,
    K_TRADE,
    P_ENVELOPE,
    P_KIND,
    P_LOCAL_TS,
    P_LOT_DEC,
    P_LOT_STEP,
    P_SYM,
    P_TICK_DEC,
    P_TICK_STEP,
    _decimal,
    _int,
    _key_code,
    _levels,
    _same,
    _skip_value,
    _string_end,
    _ws,
)

# bits of "seen" while walking a payload: which required fields were present
_S_E = 1
_S_U = 2
_S_LU = 4
_S_B = 8
_S_A = 16
_S_ID = 32
_S_P = 64
_S_Q = 128
_S_M = 256
_S_BQ = 512
_S_AQ = 1024

_C_e = ord("e")
_C_E = ord("E")
_C_T = ord("T")
_C_U = ord("U")
_C_u = ord("u")
_C_pu = ord("p") * 256 + ord("u")
_C_s = ord("s")
_C_b = ord("b")
_C_a = ord("a")
_C_B = ord("B")
_C_A = ord("A")
_C_t = ord("t")
_C_p = ord("p")
_C_q = ord("q")
_C_m = ord("m")

_DATA = np.frombuffer(b"data", dtype=np.uint8).copy()
_LAST_UPDATE_ID = np.frombuffer(b"lastUpdateId", dtype=np.uint8).copy()
_BIDS = np.frombuffer(b"bids", dtype=np.uint8).copy()
_ASKS = np.frombuffer(b"asks", dtype=np.uint8).copy()


@njit(cache=True, nogil=True)
def _bool(buf, i, n):
    """(index after, value) for a JSON true/false at ``i``; index -1 if neither."""
    i = _ws(buf, i, n)
    if i + 4 <= n and buf[i] == 116 and buf[i + 1] == 114 and buf[i + 2] == 117 and buf[i + 3] == 101:
        return i + 4, True
    if i + 5 <= n and buf[i] == 102 and buf[i + 1] == 97 and buf[i + 2] == 108 and buf[i + 3] == 115:
        if buf[i + 4] == 101:
            return i + 5, False
    return -1, False


@njit(cache=True, nogil=True)
def _payload(buf, i, n, p, out, s0, hdr):
    """Walk the payload object at ``i``, writing events from ``out[s0]``; (index after, end, error)."""
    kind = p[P_KIND]
    k = s0 + 1 if kind == K_SNAPSHOT else s0  # out[s0] is the snapshot's CLEAR
    seen = 0
    px = 0
    qty = 0
    bid_px = 0
    bid_qty = 0
    ask_px = 0
    ask_qty = 0
    maker = False
    i = _ws(buf, i, n)
    if i >= n or buf[i] != 123:
        return i, 0, E_SYNTAX
    i = _ws(buf, i + 1, n)
    if i < n and buf[i] == 125:
        return i + 1, 0, E_MISSING
    while True:
        i = _ws(buf, i, n)
        if i >= n or buf[i] != _QUOTE:
            return i, 0, E_SYNTAX
        ke = _string_end(buf, i, n)
        if ke < 0:
            return i, 0, E_SYNTAX
        ks = i + 1
        i = _ws(buf, ke + 1, n)
        if i >= n or buf[i] != 58:
            return i, 0, E_SYNTAX
        i += 1
        code = _key_code(buf, ks, ke)
        err = 0
        if code == _C_e:
            i = _ws(buf, i, n)
            if i >= n or buf[i] != _QUOTE:
                return i, 0, E_SYNTAX
            ve = _string_end(buf, i, n)
            if ve < 0:
                return i, 0, E_SYNTAX
            if kind == K_DEPTH:
                ok = _same(buf, i + 1, ve, _E_DEPTH)
            elif kind == K_TRADE:
                ok = _same(buf, i + 1, ve, _E_TRADE)
            elif kind == K_AGGTRADE:
                ok = _same(buf, i + 1, ve, _E_AGG)
            elif kind == K_TICKER:
                ok = _same(buf, i + 1, ve, _E_TICKER)
            else:
                ok = False
            if not ok:
                return i, 0, E_EVENT
            seen |= _S_E
            i = ve + 1
        elif code == _C_E:
            i = _int(buf, i, n, hdr, H_E)
        elif code == _C_T:
            i = _int(buf, i, n, hdr, H_T)
        elif code == _C_s:
            i = _ws(buf, i, n)
            if i >= n or buf[i] != _QUOTE:
                return i, 0, E_SYNTAX
            ve = _string_end(buf, i, n)
            if ve < 0:
                return i, 0, E_SYNTAX
            hdr[H_SYM0] = i + 1
            hdr[H_SYM1] = ve
            i = ve + 1
        elif kind == K_DEPTH and code == _C_U:
            i = _int(buf, i, n, hdr, H_FIRST)
            seen |= _S_U
        elif (kind == K_DEPTH or kind == K_TICKER) and code == _C_u:
            i = _int(buf, i, n, hdr, H_LAST)
            seen |= _S_LU
        elif kind == K_DEPTH and code == _C_pu:
            i = _int(buf, i, n, hdr, H_PREV)
        elif kind == K_DEPTH and (code == _C_b or code == _C_a):
            side = BID if code == _C_b else ASK
            i, k, err = _levels(buf, i, n, out, k, side, 0, p)
            seen |= _S_B if code == _C_b else _S_A
        elif kind == K_SNAPSHOT and (_same(buf, ks, ke, _BIDS) or _same(buf, ks, ke, _ASKS)):
            side = BID if buf[ks] == 98 else ASK
            i, k, err = _levels(buf, i, n, out, k, side, SNAPSHOT, p)
            seen |= _S_B if side == BID else _S_A
        elif kind == K_SNAPSHOT and _same(buf, ks, ke, _LAST_UPDATE_ID):
            i = _int(buf, i, n, hdr, H_LAST)
            seen |= _S_LU
        elif (kind == K_TRADE and code == _C_t) or (kind == K_AGGTRADE and code == _C_a):
            i = _int(buf, i, n, hdr, H_ID)
            seen |= _S_ID
        elif (kind == K_TRADE or kind == K_AGGTRADE) and code == _C_p:
            i, px, err = _decimal(buf, i, n, p[P_TICK_DEC], p[P_TICK_STEP])
            seen |= _S_P
        elif (kind == K_TRADE or kind == K_AGGTRADE) and code == _C_q:
            i, qty, err = _decimal(buf, i, n, p[P_LOT_DEC], p[P_LOT_STEP])
            seen |= _S_Q
        elif (kind == K_TRADE or kind == K_AGGTRADE) and code == _C_m:
            i, maker = _bool(buf, i, n)
            seen |= _S_M
        elif kind == K_TICKER and (code == _C_b or code == _C_a):
            if code == _C_b:
                i, bid_px, err = _decimal(buf, i, n, p[P_TICK_DEC], p[P_TICK_STEP])
                seen |= _S_B
            else:
                i, ask_px, err = _decimal(buf, i, n, p[P_TICK_DEC], p[P_TICK_STEP])
                seen |= _S_A
        elif kind == K_TICKER and (code == _C_B or code == _C_A):
            if code == _C_B:
                i, bid_qty, err = _decimal(buf, i, n, p[P_LOT_DEC], p[P_LOT_STEP])
                seen |= _S_BQ
            else:
                i, ask_qty, err = _decimal(buf, i, n, p[P_LOT_DEC], p[P_LOT_STEP])
                seen |= _S_AQ
        else:
            i = _skip_value(buf, i, n)
        if err:
            return i, 0, err
        if i < 0:
            return i, 0, E_SYNTAX
        i = _ws(buf, i, n)
        if i < n and buf[i] == 44:
            i += 1
            continue
        if i < n and buf[i] == 125:
            i += 1
            break
        return i, 0, E_SYNTAX

    # required fields and the events that do not come from level arrays
    if kind == K_DEPTH:
        need = _S_E | _S_U | _S_LU | _S_B | _S_A
        if seen & need != need:
            return i, 0, E_MISSING
    elif kind == K_SNAPSHOT:
        if seen & (_S_LU | _S_B | _S_A) != (_S_LU | _S_B | _S_A):
            return i, 0, E_MISSING
        if len(out) < s0 + 1:
            return i, 0, E_CAPACITY
        ev = out[s0]
        ev.kind = CLEAR
        ev.side = 0
        ev.px = 0
        ev.qty = 0
        ev.flags = SNAPSHOT
    elif kind == K_TRADE or kind == K_AGGTRADE:
        need = _S_E | _S_ID | _S_P | _S_Q | _S_M
        if seen & need != need:
            return i, 0, E_MISSING
        if len(out) < s0 + 1:
            return i, 0, E_CAPACITY
        ev = out[s0]
        ev.kind = TRADE
        ev.side = ASK if maker else BID  # buyer is maker: the seller hit the bid
        ev.px = px
        ev.qty = qty
        ev.flags = 0
        k = s0 + 1
    elif kind == K_TICKER:
        need = _S_LU | _S_B | _S_A | _S_BQ | _S_AQ
        if seen & need != need:
            return i, 0, E_MISSING
        if len(out) < s0 + 2:
            return i, 0, E_CAPACITY
        ev = out[s0]
        ev.kind = TICKER
        ev.side = BID
        ev.px = bid_px
        ev.qty = bid_qty
        ev.flags = 0
        ev = out[s0 + 1]
        ev.kind = TICKER
        ev.side = ASK
        ev.px = ask_px
        ev.qty = ask_qty
        ev.flags = 0
        k = s0 + 2
    return i, k, 0


# Not nogil, on purpose: a call lasts microseconds, and releasing the GIL for each
# hands it to any busy thread (the engine) for up to sys.getswitchinterval() before
# the feed thread gets it back: one message per switch interval under load.
@njit(cache=True)
def parse_payload(buf, p, out, start, hdr):
    """Parse one message of kind ``p[P_KIND]`` into ``out[start:]``; events written or an error (< 0).

    ``buf`` is the message (bytes or a uint8 array).
    ``hdr`` receives the ids and times (see the ``H_`` slots). Every event gets
    the symbol index, the local receive time, the exchange time (T if the
    message has it, else E, else the local time), and ``order_id`` = the trade
    id or the update id (depth: u, snapshot: lastUpdateId, ticker: u); the last
    one carries EOM.
    """
    n = len(buf)
    hdr[:] = 0
    hdr[H_PREV] = -1
    hdr[H_SYM0] = -1
    hdr[H_SYM1] = -1
    i = _ws(buf, 0, n)
    if p[P_ENVELOPE] == 0:
        i, k, err = _payload(buf, i, n, p, out, start, hdr)
    else:
        k = -1
        err = 0
        if i >= n or buf[i] != 123:
            err = E_SYNTAX
        else:
            i += 1
        while err == 0:
            i = _ws(buf, i, n)
            if i >= n or buf[i] != _QUOTE:
                err = E_SYNTAX
                break
            ke = _string_end(buf, i, n)
            if ke < 0:
                err = E_SYNTAX
                break
            ks = i + 1
            i = _ws(buf, ke + 1, n)
            if i >= n or buf[i] != 58:
                err = E_SYNTAX
                break
            if _same(buf, ks, ke, _DATA):
                i, k, err = _payload(buf, i + 1, n, p, out, start, hdr)
            else:
                i = _skip_value(buf, i + 1, n)
                if i < 0:
                    err = E_SYNTAX
            if err or i < 0:
                err = err if err else E_SYNTAX
                break
            i = _ws(buf, i, n)
            if i < n and buf[i] == 44:
                i += 1
                continue
            if i < n and buf[i] == 125:
                i += 1
                break
            err = E_SYNTAX
        if err == 0 and k < 0:
            err = E_MISSING
    if err == 0 and _ws(buf, i, n) != n:
        err = E_SYNTAX  # trailing garbage
    if err:
        hdr[H_ERRPOS] = max(i, 0)
        return err
    if k > len(out):
        hdr[H_ERRPOS] = i
        return E_CAPACITY
    ts = hdr[H_T] if hdr[H_T] > 0 else hdr[H_E]
    exch = ts * _MS if ts > 0 else p[P_LOCAL_TS]
    if p[P_KIND] == K_TRADE or p[P_KIND] == K_AGGTRADE:
        oid = hdr[H_ID]
    else:
        oid = hdr[H_LAST]
    for j in range(start, k):
        ev = out[j]
        ev.exch_ts = exch
        ev.local_ts = p[P_LOCAL_TS]
        ev.order_id = oid
        ev.sym = p[P_SYM]
        ev.aux = 0
    if k > start:
        out[k - 1].flags |= EOM
    return k - start
