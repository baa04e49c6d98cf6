"""csv: column mapping by name or number, header auto, time units, side values, quotes."""

from __future__ import annotations

import pytest
from import_helpers import DATA, convert_all, rows

from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, BUY, EOM, QUOTE, SELL, TRADE
from hft_tui.importers.common import ImportContext

INST = {"symbol": "XYZ", "tick_size": "0.05", "lot_size": "1"}
NS = 1_000_000_000


def test_trades_by_header_name_seconds_with_nanosecond_decimals():
    ev = convert_all(
        "csv", [DATA / "generic_trades.csv"],
        columns="ts=time,price=px,qty=size,side=aggressor,id=trade_id", **INST,
    )
    assert rows(ev, "exch_ts", "local_ts", "kind", "side", "px", "qty", "order_id", "flags") == [
        (1704067200 * NS + 500_000_000, 1704067200 * NS + 500_000_000, TRADE, BUY, 2025, 3, 17, EOM),
        (1704067200 * NS + 500_000_001, 1704067200 * NS + 500_000_001, TRADE, SELL, 2026, 1, 18, EOM),
        (1704067201 * NS, 1704067201 * NS, TRADE, 0, 2024, 10, 19, EOM),
    ]


def test_no_header_by_number_iso_times_tab_separated():
    ev = convert_all(
        "csv", [DATA / "generic_trades_noheader.tsv"],
        columns="ts=1,price=2,qty=3,side=4", sep="tab", **{**INST, "tick_size": "0.25"},
    )
    t0 = 1704187800 * NS  # 2024-01-02 09:30:00 UTC
    assert rows(ev, "exch_ts", "side", "px", "qty") == [
        (t0 + 123456789, BUY, 398, 100),
        (t0 + NS, SELL, 399, 50),
    ]


def test_quotes_microseconds_auto():
    ev = convert_all(
        "csv", [DATA / "generic_quotes.csv"], kind="quotes",
        columns="ts=ts_us,bid_px=bid,bid_qty=bidsz,ask_px=ask,ask_qty=asksz", **INST,
    )
    assert rows(ev, "exch_ts", "kind", "side", "px", "qty", "flags") == [
        (1704067200000001000, QUOTE, BID, 2025, 4, 0),
        (1704067200000001000, QUOTE, ASK, 2026, 2, EOM),
        (1704067200000005000, QUOTE, BID, 2024, 1, 0),
        (1704067200000005000, QUOTE, ASK, 2027, 7, EOM),
    ]


@pytest.mark.parametrize(
    "unit, text, ns",
    [("ms", "1704067200123", 1704067200123 * 10**6), ("ns", "1704067200123456789", 1704067200123456789),
     ("auto", "1704067200123", 1704067200123 * 10**6), ("auto", "1704067200", 1704067200 * NS),
     ("us", "1704067200123456.5", 1704067200123456500)],
)
def test_time_units(tmp_path, unit, text, ns):
    path = tmp_path / "t.csv"
    path.write_text(f"{text},1,1\n")
    ev = convert_all("csv", [path], columns="ts=1,price=2,qty=3", ts_unit=unit, **INST)
    assert int(ev["exch_ts"][0]) == ns


def test_side_buyer_maker_and_local_time(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("t,recv,p,q,m\n1000,1002,1,1,true\n1001,1003,1,1,False\n")
    ev = convert_all(
        "csv", [path], columns="ts=t,local_ts=recv,price=p,qty=q,side=m", ts_unit="ms",
        side_buyer_maker=True, **INST,
    )
    assert rows(ev, "exch_ts", "local_ts", "side") == [(10**9, 1002 * 10**6, SELL), (1001 * 10**6, 1003 * 10**6, BUY)]


def test_a_byte_order_mark_before_the_header_is_dropped(tmp_path):
    """Spreadsheet exports start with a UTF-8 BOM; plain and gzip files alike."""
    import gzip

    text = "\ufefftime,price,qty\n5,1,2\n"
    plain, packed = tmp_path / "t.csv", tmp_path / "t.csv.gz"
    plain.write_text(text, encoding="utf-8")
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    for path in (plain, packed):
        ev = convert_all("csv", [path], columns="ts=time,price=price,qty=qty", ts_unit="s", **INST)
        assert rows(ev, "exch_ts", "px", "qty") == [(5 * NS, 20, 2)]


def test_header_detected_with_numeric_mapping(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("time,price,qty\n5,1,2\n")
    ev = convert_all("csv", [path], columns="ts=1,price=2,qty=3", ts_unit="s", **INST)
    assert rows(ev, "exch_ts", "px", "qty") == [(5 * NS, 20, 2)]


def test_bad_rows_use_the_files_column_names(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("time,px,size\n1,1.00,1\n2,1.03,1\n3,x,1\n4,1,-1\n")
    cols = "ts=time,price=px,qty=size"
    with pytest.raises(HftError, match=rf"^{path}:3: field px: 1.03 is not a multiple of 0.05 \(XYZ\)$"):
        convert_all("csv", [path], columns=cols, ts_unit="s", **INST)
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("csv", [path], ctx=ctx, columns=cols, ts_unit="s", **INST)
    assert len(ev) == 1 and ctx.bad.count == 3
    assert ctx.bad.examples[1:] == [
        f"{path}:4: field px: 'x' is not a decimal number",
        f"{path}:5: field size: '-1' is negative",
    ]


def test_no_header_names_fields_by_mapping(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("1,1,1\n2,1,zz\n")
    with pytest.raises(HftError, match=r":2: field qty \(column 3\): 'zz' is not a decimal number"):
        convert_all("csv", [path], columns="ts=1,price=2,qty=3", ts_unit="s", **INST)


@pytest.mark.parametrize(
    "columns, message",
    [(None, "give --columns"), ("ts=time,price=px", "lacks qty"), ("ts=time,price=px,qty=nope", "no column 'nope'"),
     ("ts=time,price=px,qty=size,colour=x", "unknown field 'colour'"), ("ts", "is not field=column"),
     ("ts=1,price=0,qty=3", r"^csv: --columns price=0: columns are numbered from 1$")],
)
def test_mapping_errors(columns, message):
    with pytest.raises(HftError, match=message):
        convert_all("csv", [DATA / "generic_trades.csv"], columns=columns, **INST)


def test_trade_price_and_size_must_be_positive_and_ids_integers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("time,px,size,tid\n1,1.00,1,7\n2,1.00,0,8\n3,-1.00,1,9\n4,0,1,10\n5,1.00,1,x9\n6,1.00,1,\n")
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("csv", [path], ctx=ctx, columns="ts=time,price=px,qty=size,id=tid", ts_unit="s", **INST)
    assert rows(ev, "exch_ts", "order_id") == [(NS, 7), (6 * NS, 0)]  # an empty id is no id
    assert ctx.bad.examples == [
        f"{path}:3: field size: '0' is zero",
        f"{path}:4: field px: '-1.00' is negative",
        f"{path}:5: field px: '0' is zero",
        f"{path}:6: field tid: 'x9' is not an integer",
    ]


def test_quote_side_of_size_zero_is_empty_but_prices_are_checked(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("1,1.00,2,1.05,0\n2,1.00,2,0,0\n3,-1.00,2,1.05,1\n4,0,2,1.05,1\n5,1.00,-2,1.05,1\n")
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("csv", [path], ctx=ctx, kind="quotes", columns="ts=1,bid_px=2,bid_qty=3,ask_px=4,ask_qty=5",
                     ts_unit="s", **INST)
    assert rows(ev, "exch_ts", "side", "px", "qty") == [
        (NS, BID, 20, 2), (NS, ASK, 21, 0), (2 * NS, BID, 20, 2), (2 * NS, ASK, 0, 0),
    ]
    assert ctx.bad.examples == [
        f"{path}:3: field bid_px (column 2): '-1.00' is negative",
        f"{path}:4: field bid_px (column 2): '0' is zero",
        f"{path}:5: field bid_qty (column 3): '-2' is negative",
    ]


def test_a_time_before_1970_is_a_bad_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("t,p,q\n1704067200000,1,1\n-1704067200000,1,1\n")
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("csv", [path], ctx=ctx, columns="ts=t,price=p,qty=q", ts_unit="ms", **INST)
    assert len(ev) == 1 and ctx.bad.examples == [f"{path}:3: field t: '-1704067200000' is negative"]
