"""Reading many ``<ns> <message>`` lines in one jitted call (the raw importer's fast path).

The live client parses one message per call; a recording holds millions, and
the Python work around each call would cap the importer far below its target.
:func:`scan_lines` walks a block of complete lines: the timestamp, the stream
name, the route (a small table of the converted symbol's stream names) and
the payload, through the same ``parse_payload`` kernel the live feed uses,
into the parser's arena. It returns one row per line; the importer then runs
only the depth diffs and snapshots through the sync state machine, in line
order, and hands the runs of other messages on as they are.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.feeds.binance_json import (
    E_EVENT,
    H_FIRST,
    H_LAST,
    H_PREV,
    H_SYM0,
    H_SYM1,
    H_ERRPOS,
    P_ENVELOPE,
    P_KIND,
    P_LOCAL_TS,
    _QUOTE,
)
from hft_tui.feeds.binance_parse import parse_payload
from hft_tui.feeds.binance_protocol import K_DEPTH, K_SNAPSHOT
from hft_tui.feeds.binance_sync import APPLY, apply_checked, continuity_jit

# row status
S_OK = 0
S_EMPTY = 1  # a blank line
S_BADNS = 2  # no "<ns> " at the start
S_NOSTREAM = 3  # no stream name: a control reply or garbage (the caller looks)
S_OTHER = 4  # a stream not in the table (another symbol, an unknown stream)
S_UNKNOWN = 5  # a known stream with an event type we do not handle
S_BAD = 6  # malformed payload (R_ERR holds the parse error code, R_ERRPOS where)
S_SYMBOL = 7  # the payload's "s" is not the stream's symbol

# row columns
R_LINE = 0  # line number (1-based, counted over the whole input)
R_STATUS = 1
R_ROUTE = 2  # index in the stream table
R_START = 3  # events in the arena: [start, start + count)
R_COUNT = 4
R_FIRST = 5  # depth U / snapshot lastUpdateId / ...: the parser's header
R_LAST = 6
R_PREV = 7
R_ERR = 8
R_ERRPOS = 9
R_MS = 10  # the message's byte span in the block
R_ME = 11
R_SS = 12  # the stream name's byte span
R_SE = 13
R_NS = 14  # the line's timestamp
ROW_LEN = 15

_STREAM_KEY = np.frombuffer(b'"stream"', dtype=np.uint8).copy()


@njit(cache=True, nogil=True)
def _find(buf, s, e, pat):
    m = len(pat)
    for i in range(s, e - m + 1):
        if buf[i] == pat[0]:
            ok = True
            for j in range(1, m):
                if buf[i + j] != pat[j]:
                    ok = False
                    break
            if ok:
                return i
    return -1


@njit(cache=True, nogil=True)
def _stream_span(buf, ms, me):
    """Byte span of the stream name of the message ``buf[ms:me]``, or (-1, -1)."""
    k = _find(buf, ms, min(me, ms + 256), _STREAM_KEY)
    if k < 0:
        return -1, -1
    i = k + 8
    while i < me and (buf[i] == 32 or buf[i] == 9):
        i += 1
    if i >= me or buf[i] != 58:
        return -1, -1
    i += 1
    while i < me and (buf[i] == 32 or buf[i] == 9):
        i += 1
    if i >= me or buf[i] != _QUOTE:
        return -1, -1
    s = i + 1
    e = s
    while e < me and buf[e] != _QUOTE:
        e += 1
    return (s, e) if e < me else (-1, -1)


@njit(cache=True, nogil=True)
def _route(buf, s, e, names, lengths):
    for r in range(len(lengths)):
        if lengths[r] == e - s:
            ok = True
            for j in range(e - s):
                if names[r, j] != buf[s + j]:
                    ok = False
                    break
            if ok:
                return r
    return -1


@njit(cache=True, nogil=True)
def scan_lines(block, pos, end, line0, names, lengths, kinds, symbol, params, arena, apos, rows, hdr):
    """Parse the lines of ``block[pos:end]`` (which ends on a line end) into ``rows``.

    Stops when ``rows`` is full or the arena could not take the next message.
    Returns (position after the last line read, rows filled, arena position).
    """
    n_rows = 0
    line = line0
    while pos < end and n_rows < len(rows):
        le = pos
        while le < end and block[le] != 10:
            le += 1
        me = le
        if me > pos and block[me - 1] == 13:
            me -= 1
        if (me - pos) // 8 + 16 + apos > len(arena):
            break  # the caller gives us a fresh arena
        line += 1
        r = rows[n_rows]
        r[:] = 0
        r[R_LINE] = line
        n_rows += 1
        i = pos
        while i < me and (block[i] == 32 or block[i] == 9):
            i += 1
        if i == me:
            r[R_STATUS] = S_EMPTY
            pos = le + 1
            continue
        ns = 0
        d = i
        while d < me and 48 <= block[d] <= 57 and d - i < 19:
            ns = ns * 10 + (block[d] - 48)
            d += 1
        if d == i or d >= me or block[d] != 32:
            r[R_STATUS] = S_BADNS
            pos = le + 1
            continue
        ms = d + 1
        r[R_NS] = ns
        r[R_MS] = ms
        r[R_ME] = me
        pos = le + 1
        ss, se = _stream_span(block, ms, me)
        if ss < 0:
            r[R_STATUS] = S_NOSTREAM
            continue
        r[R_SS] = ss
        r[R_SE] = se
        route = _route(block, ss, se, names, lengths)
        if route < 0:
            r[R_STATUS] = S_OTHER
            continue
        r[R_ROUTE] = route
        params[P_KIND] = kinds[route]
        params[P_ENVELOPE] = 1
        params[P_LOCAL_TS] = ns
        n = parse_payload(block[ms:me], params, arena, apos, hdr)
        if n < 0:
            r[R_STATUS] = S_UNKNOWN if n == E_EVENT else S_BAD
            r[R_ERR] = n
            r[R_ERRPOS] = hdr[H_ERRPOS]
            continue
        s0 = hdr[H_SYM0]
        if s0 >= 0:
            same = hdr[H_SYM1] - s0 == len(symbol)
            if same:
                for j in range(len(symbol)):
                    if block[ms + s0 + j] != symbol[j]:
                        same = False
                        break
            if not same:
                r[R_STATUS] = S_SYMBOL
                continue
        r[R_START] = apos
        r[R_COUNT] = n
        r[R_FIRST] = hdr[H_FIRST]
        r[R_LAST] = hdr[H_LAST]
        r[R_PREV] = hdr[H_PREV]
        apos += n
    return pos, n_rows, apos


@njit(cache=True, nogil=True)
def apply_rows(qty, meta, okey, oqty, arena, rows, row_kinds, j, futures, first, last_u, sym):
    """The sync machine's everyday case in one call: from row ``j`` on, while every
    depth diff continues the book (``continuity``), apply it to the book (``qty`` ..
    ``oqty``: its arrays) and pass trades and tickers by.

    Stops at the first row that needs the state machine proper (not OK, a
    snapshot, a diff that is old or leaves a gap) and returns (that row,
    last_u, first, crossed); ``crossed``: that row was applied and crossed the
    book (the caller resyncs and does not hand it on).
    """
    n = len(rows)
    while j < n:
        r = rows[j]
        if r[R_STATUS] != S_OK:
            return j, last_u, first, False
        kind = row_kinds[j]
        if kind == K_SNAPSHOT:
            return j, last_u, first, False
        if kind == K_DEPTH:
            if r[R_FIRST] > r[R_LAST]:
                return j, last_u, first, False
            if continuity_jit(futures, first, last_u, r[R_FIRST], r[R_LAST], r[R_PREV]) != APPLY:
                return j, last_u, first, False
            last_u = r[R_LAST]
            first = False
            start = r[R_START]
            count = r[R_COUNT]
            if count and apply_checked(qty, meta, okey, oqty, arena[start : start + count], count, sym):
                return j, last_u, first, True
        j += 1
    return j, last_u, first, False
