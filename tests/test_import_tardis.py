"""tardis: incremental_book_L2 (grouping, snapshots, CLEAR), trades, book_snapshot_N, quotes."""

from __future__ import annotations

import gzip

import pytest
from import_helpers import DATA, book_rows, convert_all, rows

from hft_tui.errors import HftError
from hft_tui.events import ASK, BID, BUY, CLEAR, EOM, LEVEL, QUOTE, SELL, SNAPSHOT, TRADE
from hft_tui.importers import load_format, options
from hft_tui.importers.common import ImportContext

L2 = DATA / "deribit_incremental_book_L2_BTC-PERPETUAL.csv"
PERP = {"tick_size": "0.5", "lot_size": "1"}
BTC = {"tick_size": "0.01", "lot_size": "0.00001"}
US = 1000
S = SNAPSHOT


def test_incremental_book_l2_events_and_message_grouping():
    ctx = ImportContext()
    ev = convert_all("tardis", [L2], ctx=ctx, **PERP)
    t0, l0 = 1585699209920000 * US, 1585699209934201 * US
    t1, l1 = 1585699209947000 * US, 1585699209957629 * US
    assert rows(ev, "exch_ts", "local_ts", "kind", "side", "px", "qty", "flags") == [
        (t0, l0, CLEAR, 0, 0, 0, S),
        (t0, l0, LEVEL, ASK, 12887, 38640, S),
        (t0, l0, LEVEL, ASK, 12888, 10, S),
        (t0, l0, LEVEL, BID, 12886, 22530, S),
        (t0, l0, LEVEL, BID, 12885, 1000, S | EOM),
        (t1, l1, LEVEL, BID, 12886, 0, 0),
        (t1, l1, LEVEL, BID, 12885, 1500, EOM),
        (1585699209951000 * US, 1585699209962000 * US, LEVEL, ASK, 12887, 38000, EOM),
        # no exchange time: the local one stands in
        (1585699209970000 * US, 1585699209970000 * US, LEVEL, ASK, 12886, 50, EOM),
        (1585699210100000 * US, 1585699210200000 * US, CLEAR, 0, 0, 0, S),
        (1585699210100000 * US, 1585699210200000 * US, LEVEL, ASK, 12890, 5, S),
        (1585699210100000 * US, 1585699210200000 * US, LEVEL, BID, 12888, 7, S | EOM),
    ]
    assert ctx.notes == ["ignored 1 row of symbols other than BTC-PERPETUAL"]
    books = book_rows(ev, 5)
    assert books[0] == [[(12887, 38640), (12888, 10)], [(12886, 22530), (12885, 1000)]]
    assert books[1] == [[(12887, 38640), (12888, 10)], [(12885, 1500)]]
    assert books[-1] == [[(12890, 5)], [(12888, 7)]]


@pytest.mark.parametrize("block_bytes", [1, 40, 100, 333])
def test_messages_survive_any_block_split(block_bytes):
    whole = convert_all("tardis", [L2], **PERP)
    small = convert_all("tardis", [L2], ctx=ImportContext(block_bytes=block_bytes), **PERP)
    assert (whole == small).all()


def test_symbol_option_picks_the_other_symbol():
    ev = convert_all("tardis", [L2], symbol="ETH-PERPETUAL", **PERP)
    assert rows(ev, "kind", "side", "px", "qty", "flags") == [(LEVEL, BID, 265, 100, EOM)]


def test_symbol_defaults_to_the_first_row():
    args = options("tardis", [str(L2)], **PERP)
    assert load_format("tardis").instrument(args).symbol == "BTC-PERPETUAL"


def test_trades_side_is_aggressor_and_text_ids_become_zero():
    ev = convert_all("tardis", [DATA / "deribit_trades_BTC-PERPETUAL.csv"], **PERP)
    assert rows(ev, "kind", "side", "px", "qty", "order_id", "flags") == [
        (TRADE, BUY, 12887, 10, 34781227, EOM),
        (TRADE, SELL, 12886, 250, 34781228, EOM),
        (TRADE, 0, 12886, 20, 0, EOM),
    ]


def test_book_snapshot_rows_clear_and_set_the_book(tmp_path):
    src = DATA / "binance_book_snapshot_3_BTCUSDT.csv"
    gz = tmp_path / "snap.csv.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    ev = convert_all("tardis", [gz], **BTC)
    assert ev["kind"][0] == CLEAR and (ev["flags"] & SNAPSHOT).all()
    assert list(ev["flags"] & EOM).count(EOM) == 2
    assert book_rows(ev, 3) == [
        [[(4200010, 150000), (4200020, 50000), (4200030, 300000)],
         [(4200000, 225000), (4199990, 100000), (4199980, 75000)]],
        [[(4200020, 50000)], [(4200000, 250000), (4199990, 100000)]],
    ]


def test_quotes_leave_out_an_empty_side():
    ev = convert_all("tardis", [DATA / "binance_quotes_BTCUSDT.csv"], **BTC)
    assert rows(ev, "kind", "side", "px", "qty", "flags") == [
        (QUOTE, BID, 4200000, 225000, 0),
        (QUOTE, ASK, 4200010, 150000, EOM),
        (QUOTE, BID, 4200000, 250000, EOM),
    ]


def test_bad_rows_name_file_line_field(tmp_path):
    path = tmp_path / "l2.csv"
    lines = L2.read_text().splitlines()
    lines[5] = lines[5].replace(",bid,", ",bidd,")
    lines[8] = lines[8].replace("6443.5,38000", "6443.25,38000")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(HftError, match=rf"^{path}:6: field side: 'bidd' is not one of bid, ask$"):
        convert_all("tardis", [path], **PERP)
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("tardis", [path], ctx=ctx, **PERP)
    assert ctx.bad.count == 2
    assert ctx.bad.examples[1] == f"{path}:9: field price: 6443.25 is not a multiple of 0.5 (BTC-PERPETUAL)"
    assert len(ev) == 10


def test_not_a_tardis_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(HftError, match="not a Tardis CSV header"):
        convert_all("tardis", [path], symbol="X", **PERP)


def test_impossible_prices_sizes_and_times_are_bad_rows(tmp_path):
    head = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
    row = "deribit,BTC-PERPETUAL,{ts},1585699209934201,1,buy,{px},{qty}\n"
    trades = tmp_path / "trades.csv"
    trades.write_text(
        head
        + row.format(ts=1585699209920000, px="6443.5", qty=10)
        + row.format(ts=1585699209920000, px="-6443.5", qty=10)
        + row.format(ts=1585699209920000, px="0", qty=10)
        + row.format(ts=1585699209920000, px="6443.5", qty=0)
        + row.format(ts=-5, px="6443.5", qty=10)
    )
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("tardis", [trades], ctx=ctx, **PERP)
    assert len(ev) == 1 and ctx.bad.count == 4
    assert ctx.bad.examples == [
        f"{trades}:3: field price: '-6443.5' is negative",
        f"{trades}:4: field price: '0' is zero",
        f"{trades}:5: field amount: '0' is zero",
        f"{trades}:6: field timestamp: '-5' is negative",
    ]
    l2 = tmp_path / "incremental_book_L2.csv"
    l2.write_text(
        "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
        "deribit,BTC-PERPETUAL,1585699209920000,1585699209934201,false,bid,-6443.5,1\n"
    )
    with pytest.raises(HftError, match=rf"^{l2}:2: field price: '-6443.5' is negative$"):
        convert_all("tardis", [l2], **PERP)
