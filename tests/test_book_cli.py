"""`hft-tui book`: depth rows from tick files, checked against the reference book and the sim venue."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from hft_tui import cli, jit
from hft_tui.book_replay import replay_csv
from hft_tui.events import ASK, BID, EOM, LEVEL, TRADE, empty
from hft_tui.instrument import Instrument
from hft_tui.reference import ReferenceBook
from hft_tui.tickfile import TickWriter

INST = Instrument("TEST", "0.01", "0.001")


@pytest.fixture(scope="module", autouse=True)
def kernels():
    jit.prepare(["book", "book_replay"], stream=None)


def messages(*msgs, sym=0):
    """Each message a list of (kind, side, px, qty); the last event of each gets EOM."""
    rows = [(m, e) for m in msgs for e in m]
    ev = empty(len(rows))
    for i, (msg, (kind, side, px, qty)) in enumerate(rows):
        ev[i]["kind"], ev[i]["side"], ev[i]["px"], ev[i]["qty"] = kind, side, px, qty
        ev[i]["sym"] = sym
        ev[i]["exch_ts"] = i
    ends = np.cumsum([len(m) for m in msgs]) - 1
    ev["flags"][ends] = EOM
    return ev


def csv(batches, **kw):
    out = io.StringIO()
    replay_csv(batches, INST, out, **kw)
    return out.getvalue().splitlines()


MSGS = messages(
    [(LEVEL, BID, 10000, 1500), (LEVEL, ASK, 10002, 20)],
    [(LEVEL, BID, 9999, 7), (TRADE, BID, 10002, 5)],
    [(LEVEL, ASK, 10001, 1)],
    [(LEVEL, BID, 10000, 0)],
)


def test_rows_every_message_with_exact_decimals_and_empty_levels():
    lines = csv([MSGS], levels=2, every=1)
    assert lines[0] == "msg,ask_px_1,ask_sz_1,bid_px_1,bid_sz_1,ask_px_2,ask_sz_2,bid_px_2,bid_sz_2"
    assert lines[1:] == [
        "0,100.02,0.020,100.00,1.500,,,,",
        "1,100.02,0.020,100.00,1.500,,,99.99,0.007",
        "2,100.01,0.001,100.00,1.500,100.02,0.020,99.99,0.007",
        "3,100.01,0.001,99.99,0.007,100.02,0.020,,",
    ]


def test_a_book_empty_at_every_printed_row_gives_empty_fields():
    # trades only, or a book emptied by its last message: nothing to quote at all
    emptied = messages([(LEVEL, BID, 10000, 5)], [(LEVEL, BID, 10000, 0)])
    assert csv([emptied], levels=2)[1:] == ["1,,,,,,,,"]


def test_default_is_one_row_after_the_last_message():
    tail = messages([(LEVEL, ASK, 10001, 0), (LEVEL, ASK, 10005, 3)])  # ...
    tail["flags"][-1] = 0  # ...and no EOM: an unfinished message never shows
    lines = csv([MSGS[:3], MSGS[3:], tail], levels=1)
    assert lines == ["msg,ask_px_1,ask_sz_1,bid_px_1,bid_sz_1", "3,100.01,0.001,99.99,0.007"]
    assert csv([], levels=1) == ["msg,ask_px_1,ask_sz_1,bid_px_1,bid_sz_1"]


def test_every_k_counts_messages_across_batches():
    lines = csv([MSGS[:1], MSGS[1:3], MSGS[3:]], levels=1, every=2)
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "3"]


def test_other_symbols_are_not_counted():
    other = messages([(LEVEL, BID, 1, 1)], [(LEVEL, BID, 2, 1)], sym=1)
    lines = csv([other[:1], MSGS, other[1:]], levels=1, every=1, symbol=0, n_symbols=2)
    assert len(lines) == 1 + 4
    lines = csv([other[:1], MSGS, other[1:]], levels=1, every=1, symbol=1, n_symbols=2)
    assert lines[1:] == ["0,,,0.01,0.001", "1,,,0.02,0.001"]


def test_random_stream_rows_match_the_reference_book():
    rng = np.random.default_rng(5)
    n = 3000
    ev = empty(n)
    ev["kind"] = rng.choice([LEVEL, LEVEL, LEVEL, TRADE], n)
    ev["side"] = rng.choice([BID, ASK], n)
    ev["px"] = 50_000 + np.cumsum(rng.integers(-2, 3, n)) + rng.integers(-30, 30, n)
    ev["qty"] = rng.integers(0, 5, n)
    ev["flags"] = np.where(rng.random(n) < 0.3, EOM, 0)
    lines = csv([ev[:1000], ev[1000:]], levels=5, every=3)
    ref = ReferenceBook()
    want = []
    msg = 0
    for e in ev:
        ref.apply(e.reshape(1))
        if e["flags"] & EOM:
            if (msg + 1) % 3 == 0:
                cells = [str(msg)]
                asks, bids = ref.depth(0, ASK, 5), ref.depth(0, BID, 5)
                for i in range(5):
                    for p, q in (asks, bids):
                        cells += [INST.ticks_to_str(p[i]), INST.lots_to_str(q[i])] if i < len(p) else ["", ""]
                want.append(",".join(cells))
            msg += 1
    assert lines[1:] == want


def write_sim(path, n):
    from hft_tui.feeds.sim import SimVenue

    venue = SimVenue(seed=3)
    buf = empty(n + venue.max_message_events)
    k = venue.generate(buf, min_events=n)
    with TickWriter(path, venue.instrument) as w:
        w.write(buf[:k])
    return venue


def test_cli_final_row_is_the_sim_venues_own_book(tmp_path, capsys):
    path = tmp_path / "sim.hft"
    venue = write_sim(path, 20_000)
    assert cli.main(["book", str(path), "--levels", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    cells = out[1].split(",")[1:]
    inst = venue.instrument
    for j, side in enumerate((ASK, BID)):
        px, qty, _ = venue.depth(side, 5)
        assert cells[2 * j :: 4] == [inst.ticks_to_str(p) for p in px]
        assert cells[2 * j + 1 :: 4] == [inst.lots_to_str(q) for q in qty]


def test_cli_two_symbols_and_errors(tmp_path, capsys):
    a, b = tmp_path / "a.hft", tmp_path / "b.hft"
    with TickWriter(a, INST) as w:
        w.write(MSGS)
    with TickWriter(b, Instrument("OTHER", "1", "1")) as w:
        w.write(messages([(LEVEL, ASK, 7, 2)]))
    assert cli.main(["book", str(a), str(b), "--levels", "1", "--symbol", "OTHER"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["0,7,2,,"]
    assert cli.main(["book", str(a), str(b), "--levels", "1", "--every", "4", "--symbol", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["3,100.01,0.001,99.99,0.007"]
    assert cli.main(["book", str(a), "--symbol", "NOPE"]) == 2
    assert "NOPE: not in the stream (symbols: TEST)" in capsys.readouterr().err
    (tmp_path / "junk.hft").write_bytes(b"not a tick file at all")
    assert cli.main(["book", str(tmp_path / "junk.hft")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_cli_bad_levels_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hft_tui", "book", "x.hft", "--levels", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--levels" in proc.stderr


@pytest.mark.parametrize("spread", [10, 10**9])  # the dense path and the np.unique one
def test_distinct_matches_numpy_unique(spread):
    from hft_tui.book_depth import NO_PRICE
    from hft_tui.book_replay import _distinct

    rng = np.random.default_rng(spread)
    values = rng.integers(-spread, spread, 500)
    values[::7] = NO_PRICE
    got, where = _distinct(values)
    want, inverse = np.unique(values, return_inverse=True)
    assert got.tolist() == want.tolist()
    assert (got[where] == values).all() and (where == inverse).all()
