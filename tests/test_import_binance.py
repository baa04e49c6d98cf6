"""binance-vision: trades, aggTrades, bookTicker; header or not; ms or us; zip and gzip."""

from __future__ import annotations

import gzip
import shutil
import zipfile

import pytest
from import_helpers import DATA, convert_all, rows

from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, BUY, EOM, QUOTE, SELL, TRADE
from hft_tui.importers.binance_vision import detect
from hft_tui.importers.common import ImportContext

BTC = {"tick_size": "0.01", "lot_size": "0.00001"}
FIELDS = ("exch_ts", "local_ts", "kind", "side", "px", "qty", "order_id", "flags")


def test_spot_trades_without_header():
    ev = convert_all("binance-vision", [DATA / "BTCUSDT-trades-2024-01-01.csv"], **BTC)
    ms = 1_000_000
    assert rows(ev, *FIELDS) == [
        (1704067200012 * ms, 1704067200012 * ms, TRADE, SELL, 4228358, 120, 3340123001, EOM),
        (1704067200012 * ms, 1704067200012 * ms, TRADE, BUY, 4228359, 1500, 3340123002, EOM),
        (1704067200345 * ms, 1704067200345 * ms, TRADE, SELL, 4228300, 100000, 3340123003, EOM),
    ]


def test_futures_trades_with_header_and_symbol_from_name():
    from hft_tui.importers import load_format, options

    args = options("binance-vision", [str(DATA / "ETHUSDT-trades-2024-01-01.csv")], tick_size="0.01", lot_size="0.001")
    assert load_format("binance-vision").instrument(args).symbol == "ETHUSDT"
    ev = convert_all("binance-vision", [DATA / "ETHUSDT-trades-2024-01-01.csv"], tick_size="0.01", lot_size="0.001")
    assert rows(ev, "side", "px", "qty", "order_id") == [(BUY, 228145, 250, 3567001), (SELL, 228144, 1500, 3567002)]


def test_agg_trades_2025_microseconds():
    ev = convert_all("binance-vision", [DATA / "BTCUSDT-aggTrades-2025-01-02.csv"], **BTC)
    assert rows(ev, "exch_ts", "side", "px", "qty", "order_id") == [
        (1735776000001234000, BUY, 9459179, 52, 4012345001),
        (1735776000002000000, SELL, 9459178, 10000, 4012345002),
    ]


def test_book_ticker_quotes_bid_then_ask_one_message_per_row():
    ev = convert_all("binance-vision", [DATA / "BTCUSDT-bookTicker-2024-03-01.csv"], tick_size="0.1", lot_size="0.001")
    ms = 1_000_000
    assert rows(ev, *FIELDS) == [
        (1709251200001 * ms, 1709251200004 * ms, QUOTE, BID, 617376, 4217, 4263781245013, 0),
        (1709251200001 * ms, 1709251200004 * ms, QUOTE, ASK, 617377, 1035, 4263781245013, EOM),
        (1709251200003 * ms, 1709251200005 * ms, QUOTE, BID, 617376, 4117, 4263781245017, 0),
        (1709251200003 * ms, 1709251200005 * ms, QUOTE, ASK, 617378, 500, 4263781245017, EOM),
    ]


def test_zip_and_gzip_inputs_give_the_same_events(tmp_path):
    src = DATA / "BTCUSDT-trades-2024-01-01.csv"
    zpath = tmp_path / "BTCUSDT-trades-2024-01-01.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src, src.name)
    gpath = tmp_path / "BTCUSDT-trades-2024-01-01.csv.gz"
    with open(src, "rb") as fin, gzip.open(gpath, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    plain = convert_all("binance-vision", [src], **BTC)
    assert (convert_all("binance-vision", [zpath], **BTC) == plain).all()
    assert (convert_all("binance-vision", [gpath], **BTC) == plain).all()
    both = convert_all("binance-vision", [zpath, gpath], **BTC)
    assert len(both) == 2 * len(plain)


def test_zip_with_two_members_is_refused(tmp_path):
    zpath = tmp_path / "two.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a.csv", "1,2\n")
        zf.writestr("b.csv", "1,2\n")
    with pytest.raises(HftError, match="the zip holds 2 files"):
        convert_all("binance-vision", [zpath], symbol="X", **BTC)
    zipfile.ZipFile(zpath, "w").close()  # an archive with nothing in it
    with pytest.raises(HftError, match="the zip holds 0 files"):
        convert_all("binance-vision", [zpath], symbol="X", **BTC)


@pytest.mark.parametrize(
    "line, kind",
    [
        ("1,2.0,3.0,6.0,1704067200000,true", "trades"),
        ("1,2.0,3.0,6.0,1704067200000,True,True", "trades"),
        ("1,2.0,3.0,4,5,1704067200000,true", "aggTrades"),
        ("1,2.0,3.0,4,5,1704067200000,true,true", "aggTrades"),
        ("1,2.0,3.0,4.0,5.0,1704067200000,1704067200001", "bookTicker"),
    ],
)
def test_kind_from_column_count_and_content(tmp_path, line, kind):
    path = tmp_path / "x.csv"
    path.write_text(line + "\n")
    assert detect(str(path)) == (kind, False)


def test_bad_row_stops_with_file_line_field_after_the_good_rows(tmp_path):
    path = tmp_path / "BTCUSDT-trades.csv"
    lines = (DATA / "BTCUSDT-trades-2024-01-01.csv").read_text().splitlines()
    lines.insert(2, "3340123009,12.3.4,0.001,1,1704067200013,True,True")
    path.write_text("\n".join(lines) + "\n")
    got = []
    with pytest.raises(HftError) as info:
        from hft_tui.importers import events_of

        for batch in events_of("binance-vision", [str(path)], **BTC):
            got.append(batch)
    assert str(info.value) == f"{path}:3: field price: '12.3.4' is not a decimal number"
    assert sum(len(b) for b in got) == 2  # the rows before it were handed on


def test_skip_bad_counts_and_goes_on(tmp_path):
    path = tmp_path / "BTCUSDT-trades.csv"
    path.write_text(
        "1,100.00,0.001,1,1704067200000,True,True\n"
        "2,100.001,0.001,1,1704067200000,True,True\n"  # off the 0.01 grid
        "3,100.00,0.001,1,1704067200000,maybe,True\n"
        "4,100.00,0.001,1,1704067200000000,True,True\n"  # us in a ms file
        "5,100.00,0.001\n"
        "6,100.01,0.002,1,1704067200001,False,True\n"
    )
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("binance-vision", [path], ctx=ctx, **BTC)
    assert rows(ev, "order_id") == [(1,), (6,)]
    assert ctx.bad.count == 4
    assert ctx.bad.examples == [
        f"{path}:2: field price: 100.001 is not a multiple of 0.01 (BTCUSDT)",
        f"{path}:3: field is_buyer_maker: 'maybe' is not one of true, false",
        f"{path}:4: field time: '1704067200000000' is not a millisecond time like the file's first row",
        f"{path}:5: expected 6 to 7 fields, got 3",
    ]


def test_missing_tick_size_is_one_clear_error():
    from hft_tui.importers import load_format, options

    args = options("binance-vision", [str(DATA / "BTCUSDT-trades-2024-01-01.csv")], lot_size="0.001")
    with pytest.raises(HftError) as exc:
        load_format("binance-vision").instrument(args)
    # only what is missing, explained and exemplified
    assert str(exc.value) == "binance-vision: give --tick-size (its price step; e.g. --tick-size 0.01)"


def test_many_small_blocks_give_the_same_events():
    path = DATA / "BTCUSDT-bookTicker-2024-03-01.csv"
    whole = convert_all("binance-vision", [path], tick_size="0.1", lot_size="0.001")
    small = convert_all("binance-vision", [path], ctx=ImportContext(block_bytes=16), tick_size="0.1", lot_size="0.001")
    assert (whole == small).all()


@pytest.mark.parametrize(
    "name, symbol",
    [("BTCUSDT-trades-2024-01-01.zip", "BTCUSDT"), ("ETHUSDT-aggTrades-2025-01.csv.gz", "ETHUSDT"),
     ("BTCUSDT-trades.csv", "BTCUSDT"), ("trades.csv", None), ("my-data.csv", None)],
)
def test_symbol_from_binance_file_names(name, symbol):
    from hft_tui.importers.common import symbol_from_name

    assert symbol_from_name(f"/some/dir/{name}") == symbol


@pytest.mark.parametrize(
    "time, first",
    [
        ("9300000000000", "1704067200000"),  # ms past int64 ns (would wrap to 1680)
        ("99999999999999", "1704067200000"),  # the largest ms time before the us switch
        ("9300000000000000", "1735689600000000"),  # us past int64 ns
    ],
)
def test_time_past_int64_nanoseconds_is_a_bad_row(tmp_path, time, first):
    path = tmp_path / "BTCUSDT-trades.csv"
    path.write_text(f"1,100.00,0.001,1,{first},true,true\n2,100.00,0.001,1,{time},true,true\n")
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("binance-vision", [path], ctx=ctx, **BTC)
    assert rows(ev, "order_id") == [(1,)]
    assert ctx.bad.examples == [f"{path}:2: field time: {time} is out of range"]


@pytest.mark.parametrize("symbol", [None, "BTCUSDT"])
def test_files_of_two_symbols_are_refused(tmp_path, symbol):
    from hft_tui.importers import load_format, options

    btc, eth = tmp_path / "BTCUSDT-trades-2024-01-01.csv", tmp_path / "ETHUSDT-trades-2024-01-01.csv"
    for path in (btc, eth):
        path.write_text("1,100.00,0.001,1,1704067200000,true,true\n")
    args = options("binance-vision", [str(btc), str(eth)], symbol=symbol, **BTC)
    with pytest.raises(HftError) as info:
        load_format("binance-vision").instrument(args)
    assert str(info.value) == (
        f"{eth}: ETHUSDT data (by its name), but the output is BTCUSDT: convert each symbol to its own tick file"
    )


def test_book_depth_is_refused_before_asking_for_the_symbol(tmp_path):
    from hft_tui.importers import load_format, options

    path = tmp_path / "BTCUSDT-bookDepth-2024-01-01.csv"
    path.write_text("timestamp,percentage,depth,notional\n2024-01-01 00:00:08,-5,1000.0,42000000.0\n")
    args = options("binance-vision", [str(path)], **BTC)
    with pytest.raises(HftError, match="bookDepth files hold depth bands, not a book; not supported"):
        load_format("binance-vision").instrument(args)


def test_impossible_prices_sizes_and_times_are_bad_rows(tmp_path):
    path = tmp_path / "BTCUSDT-trades.csv"
    path.write_text(
        "1,100.00,0.001,1,1704067200000,True,True\n"
        "2,-100.00,0.001,1,1704067200000,True,True\n"
        "3,0,0.001,1,1704067200000,True,True\n"
        "4,100.00,0,1,1704067200000,True,True\n"
        "5,100.00,0.001,1,-1704067200000,True,True\n"
    )
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("binance-vision", [path], ctx=ctx, **BTC)
    assert rows(ev, "order_id") == [(1,)]
    assert [e.split(": ", 1)[1] for e in ctx.bad.examples] == [
        "field price: '-100.00' is negative",
        "field price: '0' is zero",
        "field qty: '0' is zero",
        "field time: '-1704067200000' is negative",
    ]
