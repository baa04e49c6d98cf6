"""The jitted CSV kernels: row splitting, exact decimals (against Instrument), tokens, ISO times."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.errors import HftError
from hft_tui.importers import parse
from hft_tui.importers.common import BadRows, grid
from hft_tui.importers.table import Table
from hft_tui.instrument import Instrument

I64 = 2**63


def scaled(text: str, exp10: int, step: int) -> tuple[int, int]:
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    out = np.empty(1, dtype=np.int64)
    err = np.empty(1, dtype=np.uint8)
    starts = np.array([[0]], dtype=np.int64)
    ends = np.array([[len(buf)]], dtype=np.int64)
    parse.parse_scaled(buf, starts, ends, 0, 1, exp10, step, out, err)
    return int(out[0]), int(err[0])


@pytest.mark.parametrize(
    "text, tick, expected",
    [
        ("42000.01000000", "0.01", 4200001),
        ("0.00100000", "0.00001", 100),
        ("1e-5", "0.00001", 1),
        ("1.5E+2", "0.5", 300),
        ("-12.5", "0.5", -25),
        (" 7 ", "1", 7),
        (".5", "0.5", 1),
        ("5.", "1", 5),
        ("100000000000000000000e-10", "1", 10**10),
        ("0.025", "0.025", 1),
        ("9223372036854775807", "1", 2**63 - 1),
    ],
)
def test_decimal_examples(text, tick, expected):
    g = grid(tick)
    assert scaled(text, g.exp10, g.step) == (expected, parse.OK)


@pytest.mark.parametrize(
    "text, tick, code",
    [
        ("", "1", parse.ERR_EMPTY),
        ("   ", "1", parse.ERR_EMPTY),
        ("12.3.4", "0.1", parse.ERR_SYNTAX),
        ("abc", "1", parse.ERR_SYNTAX),
        ("1e", "1", parse.ERR_SYNTAX),
        ("-", "1", parse.ERR_SYNTAX),
        ("1,5", "1", parse.ERR_SYNTAX),
        ("12.345", "0.01", parse.ERR_GRID),
        ("0.03", "0.025", parse.ERR_GRID),
        ("9223372036854775808", "1", parse.ERR_RANGE),
        ("1e30", "1", parse.ERR_RANGE),
        ("1E1000000", "1", parse.ERR_RANGE),
        ("1e-1000000", "1", parse.ERR_GRID),
    ],
)
def test_decimal_rejects(text, tick, code):
    g = grid(tick)
    assert scaled(text, g.exp10, g.step)[1] == code


TICKS = st.sampled_from(["1", "0.01", "0.5", "0.025", "0.00001", "100", "0.0001"])
NUMBER = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,12}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,2})?\Z"),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
    # (exponents kept small: Decimal takes seconds to build 10**999999 for the comparison)
    st.text(alphabet="0123456789.eE+- ", max_size=14).filter(lambda t: not re.search(r"[eE][+-]?\d{4}", t)),
)


@settings(max_examples=400, deadline=None)
@given(text=NUMBER, tick=TICKS)
def test_bulk_decimal_matches_instrument(text, tick):
    inst = Instrument("X", tick, "1")
    g = grid(tick)
    value, err = scaled(text, g.exp10, g.step)
    try:
        expected = inst.price_to_ticks(text)
    except (HftError, ArithmeticError):  # Instrument lets decimal.Overflow out on "1E1000000"
        assert err != parse.OK, text
        return
    if abs(expected) * g.step < I64:
        assert (value, err) == (expected, parse.OK), text
    else:
        assert err != parse.OK


def split(text: str, width: int, sep: str = ","):
    t = Table("f.csv", text.encode(), 1, [f"c{i}" for i in range(width)], sep)
    return t, [t.row_texts(r) for r in range(t.n)]


def test_split_rows_lines_quotes_crlf_blanks():
    t, rows = split('a,b,c\r\n\n"x,y",2,"3"\r\n  \n4,5\n6,7,8,9', 3)
    assert rows == [["a", "b", "c"], ["x,y", "2", "3"], ["4", "5"], ["6", "7", "8"]]
    assert list(t.lines) == [1, 3, 5, 6]
    assert list(t.nfields) == [3, 3, 2, 4]
    bad = BadRows(skip=True)
    keep = t.good(bad)
    assert list(keep) == [True, True, False, False]
    assert bad.examples == ["f.csv:5: expected 3 fields, got 2", "f.csv:6: expected 3 fields, got 4"]


def test_split_rows_tabs_and_no_trailing_newline():
    _, rows = split("1\t2\n3\t4", 2, "\t")
    assert rows == [["1", "2"], ["3", "4"]]


def test_table_error_messages_name_file_line_field():
    t, _ = split("1,2\n1.5,x\n3,12.3.4\n", 2)
    t.names = ["price", "qty"]
    t.scaled(0, 0, 1, grid="1 (X)")
    t.scaled(1, 0, 1)
    assert t.message(1) == "f.csv:2: field price: 1.5 is not a multiple of 1 (X)"
    assert t.message(2) == "f.csv:3: field qty: '12.3.4' is not a decimal number"
    bad = BadRows(skip=False)
    keep = t.good(bad)
    assert list(keep) == [True, False, False]
    with pytest.raises(HftError, match=r"^f.csv:2: field price"):
        bad.check()


def test_tokens_case_insensitive_and_rejects():
    t, _ = split("Buy\nSELL\n b \nhold\n", 1)
    codes = t.tokens(0, {"buy": 1, "sell": -1, "b": 1})
    assert list(codes[:3]) == [1, -1, 1]
    assert t.message(3) == "f.csv:4: field c0: 'hold' is not one of buy, sell, b"


@settings(max_examples=200, deadline=None)
@given(
    ts=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1)),
    digits=st.integers(0, 9),
    sep=st.sampled_from(["T", " "]),
    zone=st.sampled_from(["", "Z", "+00:00"]),
)
def test_iso_times_match_datetime(ts, digits, sep, zone):
    text = ts.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if digits:
        text += "." + f"{ts.microsecond:06d}000"[:digits]
    text += zone
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    out, err = np.empty(1, np.int64), np.empty(1, np.uint8)
    parse.parse_iso(buf, np.array([[0]]), np.array([[len(buf)]]), 0, 1, out, err)
    whole = int(ts.replace(microsecond=0, tzinfo=timezone.utc).timestamp())
    frac = int((f"{ts.microsecond:06d}000"[:digits]).ljust(9, "0")) if digits else 0
    assert (int(out[0]), int(err[0])) == (whole * 10**9 + frac, parse.OK)


@pytest.mark.parametrize("text", ["2024-13-01 00:00:00", "2024-01-01", "2024-01-01 00:00:00+01:00", "x"])
def test_iso_rejects(text):
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    out, err = np.empty(1, np.int64), np.empty(1, np.uint8)
    parse.parse_iso(buf, np.array([[0]]), np.array([[len(buf)]]), 0, 1, out, err)
    assert err[0] != parse.OK


FIELD = st.text(alphabet="abc019.-+ ", max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(FIELD, min_size=1, max_size=5), max_size=20),
    crlf=st.booleans(),
    final_newline=st.booleans(),
)
def test_both_splitters_agree_with_str_split(rows, crlf, final_newline):
    from hft_tui.importers import split

    nl = "\r\n" if crlf else "\n"
    text = nl.join(",".join(r) for r in rows) + (nl if final_newline and rows else "")
    expected = []
    for i, line in enumerate(text.split("\n")):
        line = line[:-1] if line.endswith("\r") else line
        if line.strip(" \t") or "," in line:
            expected.append((i + 1, line.split(",")[:5], line.count(",") + 1))
    data = text.encode()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    cap = data.count(b"\n") + 1
    results = []
    for quoted_path in (False, True):
        starts = np.zeros((cap, 5), np.int64)
        ends = np.zeros((cap, 5), np.int64)
        nf = np.zeros(cap, np.int64)
        ln = np.zeros(cap, np.int64)
        if quoted_path:
            n = split.split_rows(buf, 44, starts, ends, nf, ln)
        else:
            pos = np.empty(buf.size, np.int32)
            k, _ = split.find_delims(buf, 44, pos)
            n = split.split_delims(buf, pos, k, starts, ends, nf, ln)
        got = []
        for r in range(n):
            fields = [data[starts[r, f]:ends[r, f]].decode() for f in range(min(nf[r], 5))]
            got.append((int(ln[r]) + 1, fields, int(nf[r])))
        results.append(got)
    assert results[0] == expected
    assert results[1] == expected
