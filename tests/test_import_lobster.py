"""lobster: L3 events, start state, corrections, halts; the orderbook file reproduced row for row."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from import_helpers import DATA, book_rows, convert_all, rows
from lobster_sim import EMPTY_ASK, EMPTY_BID, simulate, write

from hft_tui.errors import HftError
from hft_tui.events import (
    ADD, ASK, BID, BUY, CANCEL, CLEAR, CORRECTION, EOM, EXECUTE, HIDDEN, LEVEL, SNAPSHOT, TRADE,
)
from hft_tui.importers import load_format, options
from hft_tui.importers.common import ImportContext
from hft_tui.importers.lobster import _Clock

MSG = DATA / "TEST_2012-06-21_34200000_57600000_message_2.csv"
OB = DATA / "TEST_2012-06-21_34200000_57600000_orderbook_2.csv"
C, S = CORRECTION, SNAPSHOT
MIDNIGHT = int(datetime(2012, 6, 21, 4, tzinfo=timezone.utc).timestamp()) * 10**9  # 00:00 EDT


def ns(seconds: str) -> int:
    whole, _, frac = seconds.partition(".")
    return MIDNIGHT + int(whole) * 10**9 + int(frac.ljust(9, "0"))


def orderbook_levels(path, n):
    """The orderbook file as book_rows() gives books: [[asks], [bids]] of (px, qty)."""
    out = []
    for line in path.read_text().splitlines():
        v = [int(x) for x in line.split(",")]
        asks = [(v[4 * k], v[4 * k + 1]) for k in range(n) if v[4 * k + 1] > 0]
        bids = [(v[4 * k + 2], v[4 * k + 3]) for k in range(n) if v[4 * k + 3] > 0]
        out.append([asks, bids])
    return out


def test_sample_events_exactly():
    ev = convert_all("lobster", [MSG])
    t = [ns(x) for x in ("34200.000000001", "34200.5", "34201.25", "34201.25", "34202",
                         "34203.000001", "34260", "34261", "34262")]
    assert rows(ev, "exch_ts", "kind", "side", "px", "qty", "order_id", "flags") == [
        # message 1 carries the start state: row 1 with the ADD undone
        (t[0], CLEAR, 0, 0, 0, 0, S | C),
        (t[0], LEVEL, ASK, 1000100, 100, 0, S | C),
        (t[0], LEVEL, ASK, 1000200, 200, 0, S | C),
        (t[0], LEVEL, BID, 1000000, 150, 0, S | C),
        (t[0], LEVEL, BID, 999900, 50, 0, S | C),
        (t[0], ADD, ASK, 1000100, 50, 11, EOM),
        (t[1], EXECUTE, ASK, 1000100, 100, 5, EOM),
        # the level at 100.03 enters the window from beyond it
        (t[2], CANCEL, ASK, 1000100, 50, 11, 0),
        (t[2], LEVEL, ASK, 1000300, 300, 0, C | EOM),
        (t[3], CANCEL, BID, 1000000, 20, 7, EOM),
        (t[4], TRADE, BUY, 1000150, 30, 0, HIDDEN | EOM),
        # 99.99 leaves the window: the file keeps only the visible levels
        (t[5], ADD, BID, 1000100, 100, 12, 0),
        (t[5], LEVEL, BID, 999900, 0, 0, C | EOM),
        # a halt restates the best ask (a no-op) so message 7 = orderbook row 7
        (t[6], LEVEL, ASK, 1000200, 200, 0, C | EOM),
        (t[7], TRADE, 0, 1000150, 1000, 0, EOM),
        # 99.99 comes back with the size it reached while out of view
        (t[8], CANCEL, BID, 1000100, 100, 12, 0),
        (t[8], LEVEL, BID, 999900, 70, 0, C | EOM),
    ]


def test_sample_book_reproduces_the_orderbook_file():
    assert book_rows(convert_all("lobster", [MSG]), 2) == orderbook_levels(OB, 2)


def test_defaults_from_the_file_name():
    args = options("lobster", [str(MSG)])
    inst = load_format("lobster").instrument(args)
    assert (inst.symbol, inst.tick_size, inst.lot_size) == ("TEST", "0.0001", "1")


@pytest.mark.parametrize("seed, n_levels, block_bytes", [(1, 1, 1 << 20), (2, 3, 1 << 20), (3, 5, 700), (4, 10, 5000)])
def test_simulated_deep_book_reproduced_row_for_row(tmp_path, seed, n_levels, block_bytes):
    messages, ob_rows = simulate(seed, 1500, n_levels)
    msg_path, ob_path = write(tmp_path, "SIM", "2013-01-15", messages, ob_rows, n_levels)
    ev = convert_all("lobster", [msg_path], ctx=ImportContext(block_bytes=block_bytes))
    assert int((ev["flags"] & EOM > 0).sum()) == len(messages)
    assert book_rows(ev, n_levels) == orderbook_levels(ob_path, n_levels)
    # corrections are needed (the messages alone drift) but stay a minority
    n_corr = int((ev["flags"] & C > 0).sum())
    assert 0 < n_corr < len(messages)


def test_empty_levels_and_an_empty_book(tmp_path):
    msg = tmp_path / "E_2013-01-15_0_0_message_1.csv"
    ob = tmp_path / "E_2013-01-15_0_0_orderbook_1.csv"
    msg.write_text("36000,1,1,10,500000,1\n36001,3,1,10,500000,1\n36002,7,0,0,-1,-1\n")
    ob.write_text(f"{EMPTY_ASK},0,500000,10\n{EMPTY_ASK},0,{EMPTY_BID},0\n{EMPTY_ASK},0,{EMPTY_BID},0\n")
    ev = convert_all("lobster", [msg])
    assert rows(ev, "kind", "side", "px", "qty", "flags") == [
        (CLEAR, 0, 0, 0, S | C), (ADD, BID, 500000, 10, EOM), (CANCEL, BID, 500000, 10, EOM),
        (CLEAR, 0, 0, 0, C | EOM),  # the halt on an empty book: a CLEAR changes nothing
    ]


def test_coarser_tick_must_divide_every_price():
    with pytest.raises(HftError, match=r":5: field price: '1000150' is not a multiple of the tick 0.01 \(TEST\)"):
        convert_all("lobster", [MSG], tick_size="0.01")


def test_tick_finer_than_lobster_units():
    ev = convert_all("lobster", [MSG], tick_size="0.00005")
    assert int(ev["px"][1]) == 2 * 1000100


def test_bad_message_becomes_corrections_only_and_bad_book_row_drops_the_pair(tmp_path):
    msg = tmp_path / "T_2012-06-21_0_0_message_2.csv"
    ob = tmp_path / "T_2012-06-21_0_0_orderbook_2.csv"
    lines = MSG.read_text().splitlines()
    lines[1] = lines[1].replace(",4,5,", ",9,5,")  # no type 9
    msg.write_text("\n".join(lines) + "\n")
    books = OB.read_text().splitlines()
    books[4] = books[4].replace("1000300", "10003x0")
    ob.write_text("\n".join(books) + "\n")
    with pytest.raises(HftError, match=rf"^{msg}:2: field type: '9' is not a LOBSTER event type \(1 to 7\)$"):
        convert_all("lobster", [msg])
    ctx = ImportContext(skip_bad=True)
    ev = convert_all("lobster", [msg], ctx=ctx)
    assert ctx.bad.count == 2
    assert ctx.bad.examples[1] == f"{ob}:5: field ask_px_2: '10003x0' is not an integer"
    expected = orderbook_levels(OB, 2)
    assert book_rows(ev, 2) == expected[:4] + expected[5:]
    second = ev[np.flatnonzero(ev["flags"] & EOM)[0] + 1]
    assert (int(second["kind"]), int(second["qty"]), int(second["flags"])) == (LEVEL, 50, C | EOM)


def test_files_must_have_equal_rows(tmp_path):
    msg = tmp_path / "T_2012-06-21_0_0_message_2.csv"
    ob = tmp_path / "T_2012-06-21_0_0_orderbook_2.csv"
    msg.write_text(MSG.read_text())
    ob.write_text("\n".join(OB.read_text().splitlines()[:-1]) + "\n")
    with pytest.raises(HftError, match="ends before"):
        convert_all("lobster", [msg])
    ob.write_text(OB.read_text() + OB.read_text().splitlines()[-1] + "\n")
    with pytest.raises(HftError, match="has more rows than"):
        convert_all("lobster", [msg])


def test_orderbook_option_and_date_option(tmp_path):
    msg = tmp_path / "messages.csv"
    msg.write_text(MSG.read_text())
    with pytest.raises(HftError, match="give --orderbook"):
        convert_all("lobster", [msg], symbol="TEST")
    with pytest.raises(HftError, match="give --date"):
        convert_all("lobster", [msg], symbol="TEST", orderbook=[str(OB)])
    ev = convert_all("lobster", [msg], symbol="TEST", orderbook=[str(OB)], date="2012-06-22")
    assert int(ev["exch_ts"][0]) == ns("34200.000000001") + 86400 * 10**9


@pytest.mark.parametrize("day", ["2012-03-11", "2012-11-04", "2012-06-21", "2013-01-15"])
def test_clock_follows_new_york_time_on_dst_days(day):
    clock = _Clock(day, "America/New_York")
    secs = np.array([0, 3600, 7199, 7200, 10800, 34200, 57600, 86399], dtype=np.int64)
    got = clock(secs * 10**9)
    tz = ZoneInfo("America/New_York")
    y, m, d = map(int, day.split("-"))
    for s, g in zip(secs.tolist(), got.tolist()):
        local = datetime(y, m, d, tzinfo=tz).replace(hour=s // 3600, minute=s // 60 % 60, second=s % 60)
        assert g == int(local.timestamp()) * 10**9, (day, s)


def test_unknown_timezone():
    with pytest.raises(HftError, match="unknown time zone"):
        convert_all("lobster", [MSG], timezone="Mars/Olympus")


def test_two_days_in_one_file(tmp_path):
    day2 = tmp_path / "TEST_2012-06-22_34200000_57600000_message_2.csv"
    day2.write_text(MSG.read_text())
    (tmp_path / "TEST_2012-06-22_34200000_57600000_orderbook_2.csv").write_text(OB.read_text())
    ev = convert_all("lobster", [MSG, day2])
    clears = np.flatnonzero((ev["kind"] == CLEAR) & (ev["flags"] & SNAPSHOT > 0))
    assert len(clears) == 2 and int(ev["exch_ts"][clears[1]] - ev["exch_ts"][clears[0]]) == 86400 * 10**9
    assert book_rows(ev, 2) == orderbook_levels(OB, 2) * 2


def test_book_command_prints_the_orderbook_file(tmp_path, capsys):
    """`hft-tui book OUT.hft --levels N --every 1` against the orderbook file, as decimals."""
    import importlib.util

    if importlib.util.find_spec("hft_tui.commands.book") is None:
        pytest.skip("the book command is not on this branch yet")
    from import_helpers import run_convert

    from hft_tui import cli

    out = tmp_path / "test.hft"
    assert run_convert([str(MSG), "-f", "lobster", "-o", str(out)])[0] == 0
    capsys.readouterr()
    assert cli.main(["book", str(out), "--levels", "2", "--every", "1"]) == 0
    printed = [line.split(",") for line in capsys.readouterr().out.splitlines()]
    assert printed[0][1:] == ["ask_px_1", "ask_sz_1", "bid_px_1", "bid_sz_1", "ask_px_2", "ask_sz_2", "bid_px_2", "bid_sz_2"]
    expected = []
    for line in OB.read_text().splitlines():
        v = [int(x) for x in line.split(",")]
        row = []
        for k in range(0, len(v), 2):
            px, sz = v[k], v[k + 1]
            row += [f"{px // 10000}.{px % 10000:04d}", str(sz)] if sz else ["", ""]
        expected.append(row)
    assert [r[1:] for r in printed[1:]] == expected
