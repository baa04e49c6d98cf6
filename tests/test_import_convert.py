"""`hft-tui convert`: tick file written, one-line errors with exit 2, --skip-bad report, Ctrl-C."""

from __future__ import annotations

import os
import signal

import numpy as np
from import_helpers import DATA, convert_all, run_convert

from hft_tui.events import EOM
from hft_tui.importers import binance_vision, files
from hft_tui.tickfile import TickReader

TRADES = DATA / "BTCUSDT-trades-2024-01-01.csv"
BTC = ["--tick-size", "0.01", "--lot-size", "0.00001"]


def test_convert_writes_a_readable_tick_file(tmp_path):
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(TRADES), "--format", "binance-vision", "-o", str(out), *BTC])
    assert rc == 0, err
    assert err.startswith(f"wrote 3 events from 3 rows to {out} (BTCUSDT, tick 0.01, lot 0.00001)")
    with TickReader(out) as reader:
        assert reader.instrument.symbol == "BTCUSDT" and not reader.warnings
        assert (reader.read_all() == convert_all("binance-vision", [TRADES], tick_size="0.01", lot_size="0.00001")).all()


def test_lobster_convert_to_file(tmp_path):
    out = tmp_path / "lob.hft"
    msg = DATA / "TEST_2012-06-21_34200000_57600000_message_2.csv"
    rc, err = run_convert([str(msg), "-f", "lobster", "-o", str(out)])
    assert rc == 0, err
    with TickReader(out) as reader:
        ev = reader.read_all()
    assert (reader.instrument.symbol, reader.instrument.tick_size) == ("TEST", "0.0001")
    assert int((ev["flags"] & EOM > 0).sum()) == 9


def test_bad_row_is_one_line_exit_2_and_keeps_the_rows_before(tmp_path):
    src = tmp_path / "BTCUSDT-trades.csv"
    lines = TRADES.read_text().splitlines()
    src.write_text("\n".join(lines[:2] + ["9,12.3.4,1,1,1704067200999,True,True"] + lines[2:]) + "\n")
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(src), "-f", "binance-vision", "-o", str(out), *BTC])
    assert rc == 2
    assert err == f"error: {src}:3: field price: '12.3.4' is not a decimal number\n"
    with TickReader(out) as reader:
        assert reader.n_events == 2


def test_skip_bad_reports_first_rows_and_count(tmp_path):
    src = tmp_path / "BTCUSDT-trades.csv"
    good = "1,100.00,0.001,1,1704067200000,True,True\n"
    src.write_text(good + "".join(f"{i},1.001,1,1,1704067200000,True,True\n" for i in range(8)) + good)
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(src), "-f", "binance-vision", "-o", str(out), "--skip-bad", *BTC])
    assert rc == 0
    lines = err.splitlines()
    assert lines[0] == "skipped 8 bad rows:"
    assert lines[1] == f"  {src}:2: field price: 1.001 is not a multiple of 0.01 (BTCUSDT)"
    assert lines[6] == "  ... and 3 more"
    assert lines[7].startswith("wrote 2 events from 10 rows")


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "out.hft"
    out.write_bytes(b"keep me")
    rc, err = run_convert([str(TRADES), "-f", "binance-vision", "-o", str(out), *BTC])
    assert (rc, err) == (2, f"error: {out} exists (use --force to overwrite it)\n")
    assert out.read_bytes() == b"keep me"
    rc, _ = run_convert([str(TRADES), "-f", "binance-vision", "-o", str(out), "--force", *BTC])
    assert rc == 0


def test_failure_before_any_event_leaves_no_file(tmp_path):
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(tmp_path / "missing.csv"), "-f", "binance-vision", "-o", str(out), "--symbol", "X", *BTC])
    assert rc == 2 and "no such file" in err
    assert not out.exists()


def test_ctrl_c_flushes_what_is_done_and_exits_130(tmp_path, monkeypatch):
    real = binance_vision.events

    def interrupted(args, inst, ctx):
        for i, batch in enumerate(real(args, inst, ctx)):
            yield batch
            if i == 1:
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(binance_vision, "events", interrupted)
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    src = tmp_path / "BTCUSDT-trades.csv"
    src.write_text("".join(f"{i},100.00,0.001,1,{1704067200000 + i},True,True\n" for i in range(3000)))
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(src), "-f", "binance-vision", "-o", str(out), *BTC])
    assert rc == 130
    assert err.startswith(f"interrupted: {out} holds the ")
    with TickReader(out) as reader:
        ev = reader.read_all()
        assert not reader.warnings
    assert 0 < len(ev) < 3000 and ev["flags"][-1] & EOM
    assert (np.diff(ev["order_id"]) == 1).all()


def test_progress_bar_line():
    from hft_tui.importers.progress import Progress

    now = [0.0]
    p = Progress(1000, enabled=False, clock=lambda: now[0])
    now[0] = 2.0
    p.update(500, 3_000_000)
    assert p.line(2.0) == "[############------------]  50%  3.0M rows  1.5M rows/s  ETA 0:02"


def test_usage_error_is_one_line_exit_2(tmp_path):
    rc, err = run_convert([str(TRADES), "-o", str(tmp_path / "x.hft")])
    assert rc == 2 and err.count("\n") == 1 and "--format" in err


def test_unknown_format_option_value(tmp_path):
    rc, err = run_convert([str(TRADES), "-f", "nope", "-o", str(tmp_path / "x.hft")])
    assert rc == 2 and "invalid choice" in err


def test_progress_bar_drawn_after_the_delay_and_erased():
    import io

    from hft_tui.importers.progress import Progress

    now = [0.0]
    out = io.StringIO()
    p = Progress(100, out, enabled=True, delay=1.0, clock=lambda: now[0])
    p.update(10, 1000)
    assert out.getvalue() == ""  # short conversions stay quiet
    now[0] = 1.5
    p.update(40, 1000)
    assert out.getvalue().startswith("\r[#########") and " 40%" in out.getvalue()
    p.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_a_header_row_is_not_counted_as_a_row(tmp_path):
    src = tmp_path / "BTCUSDT-trades-2024-01-01.csv"
    src.write_text("id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n" + TRADES.read_text())
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(src), "--format", "binance-vision", "-o", str(out), *BTC])
    assert rc == 0, err
    assert err.startswith(f"wrote 3 events from 3 rows to {out}")


def test_report_counts_in_the_singular_and_plural(tmp_path):
    from hft_tui.importers.common import counted

    assert [counted(n, "row") for n in (0, 1, 2, 12345)] == ["0 rows", "1 row", "2 rows", "12,345 rows"]
    path = tmp_path / "BTCUSDT-trades-2024-01-01.csv"
    path.write_text("1,100.00,0.001,1,1704067200000,true,true\n")
    out = tmp_path / "one.hft"
    rc, err = run_convert([str(path), "-f", "binance-vision", "-o", str(out), *BTC])
    assert rc == 0 and err.startswith(f"wrote 1 event from 1 row to {out} ")


def test_inputs_out_of_time_order_are_noted(tmp_path):
    early, late = tmp_path / "BTCUSDT-trades-2024-01-01-00.csv", tmp_path / "BTCUSDT-trades-2024-01-01-01.csv"
    early.write_text("1,100.00,0.001,1,1704067200000,true,true\n2,100.01,0.001,1,1704067200500,false,true\n")
    late.write_text("3,100.02,0.001,1,1704070800000,true,true\n")
    out = tmp_path / "out.hft"
    rc, err = run_convert([str(early), str(late), "-f", "binance-vision", "-o", str(out), *BTC])
    assert rc == 0 and "note:" not in err
    rc, err = run_convert([str(late), str(early), "-f", "binance-vision", "-o", str(out), "--force", *BTC])
    assert rc == 0
    assert err.splitlines()[-1] == (
        "note: exchange time steps back 1 time, by up to 1:00:00.000000000: were the inputs given in time order?"
    )
