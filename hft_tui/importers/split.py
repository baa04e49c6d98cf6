"""Jitted CSV splitting: the field boundaries of every row of a block, in one pass.

``find_delims`` records where the separators and newlines are; a block without
double quotes (nearly all market data) is then cut into rows and fields from
those positions alone (``split_delims``). A block with quotes takes the
byte-by-byte ``split_rows``, which keeps separators inside quotes.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def find_delims(buf, sep, pos):
    """Positions of every separator and newline in buf, written to pos; returns
    (how many, how many double quotes): a block without quotes is then split
    from the positions alone (``split_delims``), with one pass over the bytes."""
    k = 0
    quotes = 0
    for i in range(buf.size):
        c = buf[i]
        if c == sep or c == 10:
            pos[k] = i
            k += 1
        elif c == 34:
            quotes += 1
    return k, quotes


@njit(cache=True, nogil=True)
def split_rows(buf, sep, starts, ends, nfields, lines):
    """Split buf (which must end with a newline) into rows of fields; returns the row count.

    For row r: ``starts[r, f]:ends[r, f]`` is field f (fields beyond the arrays'
    width are counted in ``nfields[r]`` but not stored; absent ones read as
    empty), ``lines[r]`` is the 0-based line of the row within buf. Blank lines
    are skipped but counted. A trailing CR is dropped; a field wrapped in double
    quotes loses them, and separators inside quotes do not split (quoted
    newlines and doubled quotes are not supported: no field parsed here needs them).
    """
    n = buf.size
    width = starts.shape[1]
    row = 0
    line = 0
    i = 0
    while i < n:
        f = 0
        blank = True
        while True:
            s = i
            if buf[i] == 34:  # quoted: separators inside do not count
                i += 1
                while buf[i] != 34 and buf[i] != 10:
                    i += 1
                if buf[i] == 34:
                    i += 1
            c = buf[i]
            while c != sep and c != 10:
                i += 1
                c = buf[i]
            e = i
            if c == 10 and e > s and buf[e - 1] == 13:
                e -= 1
            if e - s >= 2 and buf[s] == 34 and buf[e - 1] == 34:
                s += 1
                e -= 1
            if f < width:
                starts[row, f] = s
                ends[row, f] = e
            if f == 0 and c == 10:
                for k in range(s, e):
                    if buf[k] != 32 and buf[k] != 9:
                        blank = False
                        break
            f += 1
            i += 1
            if c == 10:
                break
        if f > 1 or not blank:
            for g in range(f, width):  # absent fields read as empty
                starts[row, g] = i - 1
                ends[row, g] = i - 1
            nfields[row] = f
            lines[row] = line
            row += 1
        line += 1
    return row


@njit(cache=True, nogil=True)
def split_delims(buf, pos, n_pos, starts, ends, nfields, lines):
    """``split_rows`` for a block without quotes, from ``find_delims`` positions."""
    width = starts.shape[1]
    row = 0
    line = 0
    f = 0
    s = 0
    for d in range(n_pos):
        e = pos[d]
        nl = buf[e] == 10
        if nl and e > s and buf[e - 1] == 13:
            e -= 1
        if f < width:
            starts[row, f] = s
            ends[row, f] = e
        f += 1
        s = pos[d] + 1
        if nl:
            blank = f == 1
            if blank:
                for k in range(starts[row, 0], e):
                    if buf[k] != 32 and buf[k] != 9:
                        blank = False
                        break
            if not blank:
                for g in range(f, width):  # absent fields read as empty
                    starts[row, g] = e
                    ends[row, g] = e
                nfields[row] = f
                lines[row] = line
                row += 1
            line += 1
            f = 0
    return row
