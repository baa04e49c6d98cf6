"""Jitted field parsers over byte buffers: exact decimals, tokens, ISO times.

A block of input text is a ``uint8`` array holding whole lines, already split
into fields (``split.py``); each parser reads only the bytes of its column.
Nothing here makes a Python object per row: the Python level is crossed once
per column per block.

Decimals are converted exactly, never through a float: the digits are read as
an integer mantissa and a power of ten, scaled to the caller's grid, and
rejected when they do not land on it (``ERR_GRID``) or do not fit in int64
(``ERR_RANGE``). ``Instrument.price_to_ticks`` is the specification; the tests
compare the two on random input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Per-field error codes, shared with table.py (which turns them into messages).
OK = 0
ERR_EMPTY = 1
ERR_SYNTAX = 2
ERR_GRID = 3
ERR_RANGE = 4

_I64_MAX = 9223372036854775807

NO_MATCH = -32768  # match_tokens: the field is none of the tokens

_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)


@njit(cache=True, nogil=True)
def _scaled_general(buf, s, e, exp10, step):
    """(value, error) of the decimal text buf[s:e] times 10**exp10, divided by step.

    Accepts [+-]digits[.digits][(e|E)[+-]digits], surrounding spaces allowed.
    Zeros are multiplied in only when a non-zero digit follows, so trailing
    zeros ("42000.01000000") cost nothing and never overflow; below 19
    significant digits no overflow check is needed at all.
    """
    while s < e and (buf[s] == 32 or buf[s] == 9):
        s += 1
    while e > s and (buf[e - 1] == 32 or buf[e - 1] == 9):
        e -= 1
    if s == e:
        return 0, ERR_EMPTY
    neg = False
    if buf[s] == 45:
        neg = True
        s += 1
    elif buf[s] == 43:
        s += 1
    mant = 0
    pending = 0  # zeros read but not yet multiplied in
    sig = 0  # digits since the first non-zero one
    ndig = 0
    frac = 0
    dot = False
    i = s
    while i < e:
        d = np.int64(buf[i]) - 48
        if 0 <= d <= 9:
            ndig += 1
            if dot:
                frac += 1
            if mant != 0:
                sig += 1
            if d == 0:
                pending += 1
            elif mant == 0:
                mant = d
                pending = 0
                sig = 1
            else:
                k = pending + 1
                if sig > 18:
                    if k > 18 or mant > (_I64_MAX - d) // _POW10[k]:
                        return 0, ERR_RANGE
                mant = mant * _POW10[k] + d
                pending = 0
        elif d == -2 and not dot:  # '.'
            dot = True
        elif d == 53 or d == 21:  # 'e' or 'E'
            break
        else:
            return 0, ERR_SYNTAX
        i += 1
    if ndig == 0:
        return 0, ERR_SYNTAX
    exp = 0
    if i < e:  # exponent
        i += 1
        eneg = False
        if i < e and (buf[i] == 45 or buf[i] == 43):
            eneg = buf[i] == 45
            i += 1
        if i == e:
            return 0, ERR_SYNTAX
        while i < e:
            c = buf[i]
            if c < 48 or c > 57:
                return 0, ERR_SYNTAX
            if exp < 100000:
                exp = exp * 10 + (c - 48)
            i += 1
        if eneg:
            exp = -exp
    if mant == 0:
        return 0, OK
    shift = pending + exp - frac + exp10
    if shift > 0:
        if shift > 18:
            return 0, ERR_RANGE
        p = _POW10[shift]
        if mant > _I64_MAX // p:
            return 0, ERR_RANGE
        mant *= p
    elif shift < 0:
        if -shift > 18:
            return 0, ERR_GRID
        p = _POW10[-shift]
        if mant % p != 0:
            return 0, ERR_GRID
        mant //= p
    if step != 1:
        if mant % step != 0:
            return 0, ERR_GRID
        mant //= step
    return (-mant if neg else mant), OK


@njit(cache=True, nogil=True)
def _scaled(buf, s, e, exp10, step):
    """``_scaled_general`` with a fast path for the common case: plain digits with
    an optional fraction, at most 18 digits, no sign, spaces or exponent.

    One pass, no branch per digit beyond the loop itself: the count of trailing
    zeros tells whether a scale-down is exact, so no remainder is computed.
    """
    mant = 0
    nd = 0
    tz = 0
    dot = -1
    i = s
    while i < e:
        d = np.int64(buf[i]) - 48
        if 0 <= d <= 9:
            mant = mant * 10 + d
            nd += 1
            tz = (tz + 1) * (d == 0)
        elif d == -2 and dot < 0:
            dot = i
        else:
            return _scaled_general(buf, s, e, exp10, step)
        i += 1
    if nd == 0 or nd > 18:
        return _scaled_general(buf, s, e, exp10, step)
    frac = e - dot - 1 if dot >= 0 else 0
    shift = exp10 - frac
    if mant == 0:
        return 0, OK
    if shift > 0:
        if nd + shift > 18:
            return _scaled_general(buf, s, e, exp10, step)
        mant *= _POW10[shift]
    elif shift < 0:
        if tz < -shift:
            return 0, ERR_GRID
        mant //= _POW10[-shift]
    if step != 1:
        if mant % step != 0:
            return 0, ERR_GRID
        mant //= step
    return mant, OK


@njit(cache=True, nogil=True)
def parse_scaled(buf, starts, ends, col, nrows, exp10, step, out, err):
    """Column col of each row as an exact integer on the grid (see ``_scaled``)."""
    for r in range(nrows):
        v, c = _scaled(buf, starts[r, col], ends[r, col], exp10, step)
        out[r] = v
        err[r] = c


@njit(cache=True, nogil=True)
def parse_scaled_rows(buf, starts, ends, cols, nrows, exp10, step, out, err):
    """``parse_scaled`` for several columns in one pass over the rows: out[r, j] is
    column cols[j] with grid (exp10[j], step[j]). Row by row, so a wide file
    (LOBSTER's 40 orderbook columns) is read once instead of once per column."""
    for r in range(nrows):
        for j in range(cols.size):
            c = cols[j]
            v, code = _scaled(buf, starts[r, c], ends[r, c], exp10[j], step[j])
            out[r, j] = v
            err[r, j] = code


@njit(cache=True, nogil=True)
def match_tokens(buf, starts, ends, col, nrows, tok, tok_start, tok_end, tok_code, out):
    """out[r] = the code of the token that column col equals (ASCII case-insensitive,
    surrounding spaces ignored), or NO_MATCH."""
    for r in range(nrows):
        s = starts[r, col]
        e = ends[r, col]
        while s < e and buf[s] == 32:
            s += 1
        while e > s and buf[e - 1] == 32:
            e -= 1
        out[r] = NO_MATCH
        for t in range(tok_code.size):
            ts = tok_start[t]
            if tok_end[t] - ts != e - s:
                continue
            same = True
            for k in range(e - s):
                a = buf[s + k]
                b = tok[ts + k]
                if 65 <= a <= 90:
                    a += 32
                if 65 <= b <= 90:
                    b += 32
                if a != b:
                    same = False
                    break
            if same:
                out[r] = tok_code[t]
                break


@njit(cache=True, nogil=True)
def _digits(buf, s, n):
    v = 0
    for k in range(s, s + n):
        c = buf[k]
        if c < 48 or c > 57:
            return -1
        v = v * 10 + (c - 48)
    return v


@njit(cache=True, nogil=True)
def _days_from_civil(y, m, d):
    # Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date.
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, nogil=True)
def _iso_ns(buf, s, e):
    """(ns since the epoch, error) of 'YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|+00:00]' in UTC."""
    while s < e and buf[s] == 32:
        s += 1
    while e > s and buf[e - 1] == 32:
        e -= 1
    if s == e:
        return 0, ERR_EMPTY
    if e - s < 19 or buf[s + 4] != 45 or buf[s + 7] != 45 or buf[s + 13] != 58 or buf[s + 16] != 58:
        return 0, ERR_SYNTAX
    if buf[s + 10] != 84 and buf[s + 10] != 32 and buf[s + 10] != 116:
        return 0, ERR_SYNTAX
    y = _digits(buf, s, 4)
    mo = _digits(buf, s + 5, 2)
    d = _digits(buf, s + 8, 2)
    hh = _digits(buf, s + 11, 2)
    mi = _digits(buf, s + 14, 2)
    ss = _digits(buf, s + 17, 2)
    if y < 0 or mo < 1 or mo > 12 or d < 1 or d > 31 or hh < 0 or hh > 23:
        return 0, ERR_SYNTAX
    if mi < 0 or mi > 59 or ss < 0 or ss > 60:
        return 0, ERR_SYNTAX
    i = s + 19
    frac = 0
    if i < e and buf[i] == 46:
        i += 1
        nd = 0
        while i < e and 48 <= buf[i] <= 57:
            if nd == 9:
                if buf[i] != 48:
                    return 0, ERR_GRID  # finer than a nanosecond
            else:
                frac = frac * 10 + (buf[i] - 48)
                nd += 1
            i += 1
        if nd == 0:
            return 0, ERR_SYNTAX
        frac *= _POW10[9 - nd]
    if i < e:
        rest = e - i
        if rest == 1 and (buf[i] == 90 or buf[i] == 122):
            pass
        elif rest == 6 and (buf[i] == 43 or buf[i] == 45) and _digits(buf, i + 1, 2) == 0 \
                and buf[i + 3] == 58 and _digits(buf, i + 4, 2) == 0:
            pass
        else:
            return 0, ERR_SYNTAX  # only UTC: a local offset is ambiguous in a tick file
    days = _days_from_civil(y, mo, d)
    secs = days * 86400 + hh * 3600 + mi * 60 + ss
    return secs * 1_000_000_000 + frac, OK


@njit(cache=True, nogil=True)
def parse_iso(buf, starts, ends, col, nrows, out, err):
    for r in range(nrows):
        v, c = _iso_ns(buf, starts[r, col], ends[r, col])
        out[r] = v
        err[r] = c


def warm_up() -> None:
    """Call every kernel once on a tiny input, so numba compiles or loads them now."""
    from hft_tui.importers.table import Table  # which calls the splitters of split.py

    for text in (b'1,2.5,x,2024-01-01 00:00:00\n', b'"3",4,y,2024-01-01 00:00:01\n'):  # both splitters
        t = Table("warm-up", text, 1, ["a", "b", "c", "d"])
        t.scaled(1, 1, 5)
        t.match(2, {"x": 1})
        t.iso_ns(3)
        t.scaled_many([0, 1], [0, 1], [1, 5], ["1", "0.5"])
