"""The engine's tape: the ladder's last print and traded volume per price, against a plain count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.engine.tape import RING, SPAN_SLOTS, Tape
from hft_tui.events import EOM, EVENT_DTYPE, EXECUTE, TRADE

# prices a few ticks apart (counted by tick), just within and just beyond the span that
# is counted so, and anywhere (sorted)
PX = st.one_of(st.integers(95, 105), st.sampled_from([95 + SPAN_SLOTS, 96 + SPAN_SLOTS]), st.integers(1, 1 << 40))
PRINT = st.tuples(st.integers(0, 1), PX, st.integers(1, 1 << 40), st.sampled_from([-1, 0, 1]))


@settings(max_examples=200, deadline=None)
@given(
    prints=st.lists(PRINT, max_size=40),
    spare=st.integers(0, 2 * RING),
    sym=st.integers(0, 1),
    since=st.integers(0, 50),
)
def test_summary_is_the_last_print_and_the_volume_per_price_since_a_time(prints, spare, sym, since):
    # ``spare`` prints of the other symbol first: the ring wraps and forgets the oldest
    rows = [(1 - sym, 100, 1, 1)] * spare + prints
    ev = np.zeros(len(rows), EVENT_DTYPE)
    for i, (s, px, qty, side) in enumerate(rows):
        ev[i] = (0,) * len(EVENT_DTYPE.names)
        ev["exch_ts"][i], ev["sym"][i], ev["px"][i], ev["qty"][i], ev["side"][i] = i - spare, s, px, qty, side
    ev["kind"] = TRADE
    ev["flags"] = EOM
    tape = Tape(2)
    tape.update(ev, 0, len(ev) // 2)
    tape.update(ev, len(ev) // 2, len(ev))
    kept = [(i - spare, *row) for i, row in enumerate(rows)][-RING:]
    mine = [(ts, px, qty, side) for ts, s, px, qty, side in kept if s == sym and ts >= since]
    volume: dict[int, int] = {}
    for _, px, qty, _ in mine:
        volume[px] = volume.get(px, 0) + qty
    last, traded = tape.summary(sym, since)
    assert last == (mine[-1] if mine else None)
    assert traded == tuple(sorted(volume.items()))


def test_executes_count_until_the_feed_prints_trades():
    ev = np.zeros(3, EVENT_DTYPE)
    ev["kind"] = [EXECUTE, TRADE, EXECUTE]
    ev["side"] = [1, -1, 1]  # an EXECUTE's side is the resting order's: the aggressor sold
    ev["px"], ev["qty"], ev["exch_ts"] = [100, 101, 102], [2, 3, 4], [1, 2, 3]
    ev["flags"] = EOM
    tape = Tape(1)
    tape.update(ev, 0, 3)
    last, traded = tape.summary(0, 0)
    assert last == (2, 101, 3, -1)
    assert traded == ((100, 2), (101, 3))  # the EXECUTE after the first TRADE is not shown twice
