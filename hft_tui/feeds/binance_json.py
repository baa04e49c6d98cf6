"""Jitted parser for Binance market-data JSON: message bytes in, events out.

One function, :func:`parse_payload`, reads every message kind the feed uses
(depth diffs, depth snapshots, trades, aggregate trades, book tickers) straight
from the received bytes into ``EVENT_DTYPE`` records, converting the decimal
strings to integer ticks and lots exactly. Doing this in numba rather than with
``json.loads`` plus per-string conversion is what keeps a 20-level depth diff
well under the 20 us budget from text to book.

It is a real JSON reader for the subset Binance sends: keys may come in any
order, unknown keys and nested values are skipped, whitespace is allowed. Any
deviation (bad syntax, a number that is not a decimal, a price off the tick
grid, a missing field) returns a negative error code with the byte offset in
``hdr[H_ERRPOS]``; the caller counts it and skips the message.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import LEVEL

# message kinds (the caller knows the kind from the stream name)
K_DEPTH = 1
K_TRADE = 2
K_AGGTRADE = 3
K_TICKER = 4
K_SNAPSHOT = 5

# header slots filled by parse_payload
H_E = 0  # event time, ms (0 if absent)
H_T = 1  # transaction / trade time, ms (0 if absent)
H_FIRST = 2  # depth: U
H_LAST = 3  # depth: u; snapshot: lastUpdateId; ticker: u
H_PREV = 4  # futures depth: pu (-1 if absent)
H_ID = 5  # trade id (t) or aggregate trade id (a)
H_SYM0 = 6  # byte span of the "s" value
H_SYM1 = 7
H_ERRPOS = 8  # byte offset where parsing failed
HDR_LEN = 9

# parse_payload parameters, packed in one int64 array to keep the call cheap
P_KIND = 0
P_ENVELOPE = 1  # 1: the payload is the "data" member of a combined-stream envelope
P_SYM = 2
P_LOCAL_TS = 3
P_TICK_DEC = 4  # price = digits * 10**-TICK_DEC; tick = TICK_STEP such units
P_TICK_STEP = 5
P_LOT_DEC = 6
P_LOT_STEP = 7
PARAMS_LEN = 8

# error codes (negative return values)
E_SYNTAX = -1
E_NUMBER = -2  # a price or size that is not a plain decimal, or too many digits
E_GRID = -3  # a price or size off the instrument's tick or lot grid
E_CAPACITY = -4  # the output array is too small
E_MISSING = -5  # a required field is absent
E_EVENT = -6  # the "e" field names another event type
ERROR_NAMES = {
    E_SYNTAX: "malformed JSON",
    E_NUMBER: "bad decimal number",
    E_GRID: "price or size off the instrument's grid",
    E_CAPACITY: "output buffer too small",
    E_MISSING: "required field missing",
    E_EVENT: "unexpected event type",
}

_MS = 1_000_000  # ns per ms
_QUOTE = 34
_BACKSLASH = 92

# the "e" values each kind accepts, as byte arrays for comparison in numba
_E_DEPTH = np.frombuffer(b"depthUpdate", dtype=np.uint8).copy()
_E_TRADE = np.frombuffer(b"trade", dtype=np.uint8).copy()
_E_AGG = np.frombuffer(b"aggTrade", dtype=np.uint8).copy()
_E_TICKER = np.frombuffer(b"bookTicker", dtype=np.uint8).copy()


@njit(cache=True, nogil=True)
def _ws(buf, i, n):
    while i < n and (buf[i] == 32 or buf[i] == 10 or buf[i] == 13 or buf[i] == 9):
        i += 1
    return i


@njit(cache=True, nogil=True)
def _string_end(buf, i, n):
    """``buf[i]`` is an opening quote; the index of the closing one, or -1."""
    i += 1
    while i < n:
        c = buf[i]
        if c == _QUOTE:
            return i
        if c == _BACKSLASH:
            i += 1
        elif c < 32:
            return -1
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _skip_value(buf, i, n):
    """Skip one JSON value starting at ``i`` (after whitespace); index after it, or -1."""
    i = _ws(buf, i, n)
    if i >= n:
        return -1
    c = buf[i]
    if c == _QUOTE:
        e = _string_end(buf, i, n)
        return -1 if e < 0 else e + 1
    if c == 123 or c == 91:  # { or [: count brackets, stepping over strings
        depth = 0
        while i < n:
            c = buf[i]
            if c == _QUOTE:
                e = _string_end(buf, i, n)
                if e < 0:
                    return -1
                i = e
            elif c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1
    # number, true, false, null
    start = i
    while i < n:
        c = buf[i]
        if c == 44 or c == 125 or c == 93 or c == 32 or c == 10 or c == 13 or c == 9:
            break
        if not (c == 43 or c == 45 or c == 46 or 48 <= c <= 57 or 97 <= c <= 122 or c == 69):
            return -1
        i += 1
    return i if i > start else -1


@njit(cache=True, nogil=True)
def _int(buf, i, n, out, slot):
    """Read a JSON integer at ``i`` into ``out[slot]``; index after it, or -1."""
    i = _ws(buf, i, n)
    neg = False
    if i < n and buf[i] == 45:
        neg = True
        i += 1
    start = i
    v = 0
    while i < n and 48 <= buf[i] <= 57:
        v = v * 10 + (buf[i] - 48)
        i += 1
    if i == start or i - start > 18:
        return -1
    if i < n and (buf[i] == 46 or buf[i] == 101 or buf[i] == 69):
        return -1  # not an integer
    out[slot] = -v if neg else v
    return i


@njit(cache=True, nogil=True)
def _decimal(buf, i, n, dec, step):
    """A quoted decimal at ``i`` in units of ``step * 10**-dec``: (index after it, value, error).

    One pass over the text, exact: digits beyond ``dec`` must be zeros and the
    result must be a whole number of steps.
    """
    i = _ws(buf, i, n)
    if i >= n or buf[i] != _QUOTE:
        return -1, 0, E_SYNTAX
    i += 1
    v = 0
    digits = 0  # significant digits so far (int64 holds 18)
    frac = -1  # digits seen after the point, -1 before it
    start = i
    while i < n:
        c = buf[i]
        if 48 <= c <= 57:
            if frac >= 0:
                frac += 1
                if frac > dec:
                    if c != 48:
                        return i, 0, E_GRID
                    i += 1
                    continue
            if digits > 0 or c != 48:
                digits += 1
            v = v * 10 + (c - 48)
        elif c == 46 and frac < 0:
            frac = 0
        elif c == _QUOTE:
            break
        else:
            return i, 0, E_NUMBER
        i += 1
    if i >= n:
        return -1, 0, E_SYNTAX
    if i == start or (frac == 0 and i - start == 1):
        return i, 0, E_NUMBER  # "" or "."
    shift = dec - (frac if frac > 0 else 0)
    if shift < 0:
        shift = 0
    if digits + shift > 18:
        return i, 0, E_NUMBER
    for _ in range(shift):
        v *= 10
    if v % step:
        return i, 0, E_GRID
    return i + 1, v // step, 0


@njit(cache=True, nogil=True)
def _levels(buf, i, n, out, k, side, flags, p):
    """An array of [price, size] pairs at ``i`` into ``out[k:]``: (index after, new k, error)."""
    i = _ws(buf, i, n)
    if i >= n or buf[i] != 91:
        return -1, k, E_SYNTAX
    i = _ws(buf, i + 1, n)
    if i < n and buf[i] == 93:
        return i + 1, k, 0
    while True:
        i = _ws(buf, i, n)
        if i >= n or buf[i] != 91:
            return -1, k, E_SYNTAX
        i, px, err = _decimal(buf, i + 1, n, p[P_TICK_DEC], p[P_TICK_STEP])
        if err:
            return i, k, err
        i = _ws(buf, i, n)
        if i >= n or buf[i] != 44:
            return -1, k, E_SYNTAX
        i, qty, err = _decimal(buf, i + 1, n, p[P_LOT_DEC], p[P_LOT_STEP])
        if err:
            return i, k, err
        i = _ws(buf, i, n)
        while i < n and buf[i] == 44:  # extra members of the pair (old formats): skip
            i = _skip_value(buf, i + 1, n)
            if i < 0:
                return -1, k, E_SYNTAX
            i = _ws(buf, i, n)
        if i >= n or buf[i] != 93:
            return -1, k, E_SYNTAX
        if k >= len(out):
            return i, k, E_CAPACITY
        ev = out[k]
        ev.kind = LEVEL
        ev.side = side
        ev.px = px
        ev.qty = qty
        ev.flags = flags
        k += 1
        i = _ws(buf, i + 1, n)
        if i < n and buf[i] == 44:
            i += 1
            continue
        if i < n and buf[i] == 93:
            return i + 1, k, 0
        return -1, k, E_SYNTAX


@njit(cache=True, nogil=True)
def _same(buf, s, e, word):
    if e - s != len(word):
        return False
    for j in range(len(word)):
        if buf[s + j] != word[j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _key_code(buf, s, e):
    """A small code for the short keys Binance uses: 1 or 2 bytes packed, 0 otherwise."""
    if e - s == 1:
        return np.int64(buf[s])
    if e - s == 2:
        return np.int64(buf[s]) * 256 + buf[s + 1]
    return np.int64(0)
