"""Portfolio: hand-computed P&L with fees, rebates, partial fills, flips and average entry."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.errors import HftError
from hft_tui.instrument import Instrument
from hft_tui.portfolio import Portfolio, _in_quote

X = Instrument("XUSD", "0.01", "0.001")  # price ticks of 0.01, size lots of 0.001
UNIT = Instrument("UNIT", "1", "1")  # ticks and lots of one: the arithmetic shows through


def test_round_trip_with_fee_and_rebate() -> None:
    p = Portfolio([X], ["a"])
    p.on_fill("a", 0, 1, 10_000, 2_000, 0.2, "taker", 1)  # buy 2.000 @ 100.00, pay 0.2
    p.on_fill("a", 0, -1, 10_150, 2_000, -0.1, "maker", 2)  # sell 2.000 @ 101.50, rebate 0.1
    f = p.figures("a")
    assert f["realized"] == 3.0 and f["unrealized"] == 0.0
    assert f["fees"] == pytest.approx(0.1) and f["fees_paid"] == 0.2 and f["rebates"] == 0.1
    assert f["equity"] == pytest.approx(2.9) and p.equity("a") == f["equity"]
    assert f["turnover"] == 403.0 and f["maker_notional"] == 203.0 and f["taker_notional"] == 200.0
    (trip,) = p.round_trips
    assert (trip.open_ts, trip.close_ts, trip.direction, trip.max_qty) == (1, 2, 1, 2_000)
    assert trip.pnl == 3.0 and trip.fees == pytest.approx(0.1) and trip.net == pytest.approx(2.9)
    assert [r.position_after for r in p.fills] == [2_000, 0]
    assert p.volume("a") == {"maker_lots": 2_000, "taker_lots": 2_000, "fills": 2}


def test_partial_fills_average_entry_and_marking() -> None:
    p = Portfolio([UNIT], ["a"])
    p.on_fill("a", 0, 1, 100, 1, 0.0, "maker", 1)
    p.on_fill("a", 0, 1, 104, 3, 0.0, "maker", 2)
    assert p.avg_entry("a") == 103.0  # (100 + 312) / 4
    p.on_fill("a", 0, -1, 105, 2, 0.0, "maker", 3)
    assert p.avg_entry("a") == 103.0  # a partial close keeps the average
    p.mark([102])
    f = p.figures("a")
    assert f["realized"] == 4.0 and f["unrealized"] == -2.0 and f["equity"] == 2.0
    p.mark({0: 103.5})  # half ticks are fine for a mid
    assert p.figures("a")["unrealized"] == 1.0
    p.mark([None])  # None keeps the last mark
    assert p.equity("a") == 5.0
    assert list(p.round_trips) == []  # never flat again: no round trip yet


def test_realized_pnl_is_exact_through_an_uneven_average() -> None:
    p = Portfolio([X], ["a"])
    p.on_fill("a", 0, 1, 10_000, 1, 0.0, "maker", 1)  # 0.001 @ 100.00
    p.on_fill("a", 0, 1, 10_001, 2, 0.0, "maker", 2)  # 0.002 @ 100.01: average 100.00666...
    p.on_fill("a", 0, -1, 10_002, 1, 0.0, "maker", 3)  # close a third @ 100.02
    assert p.figures("a")["realized"] == float(Fraction(4, 3) * Fraction(1, 100_000))
    p.on_fill("a", 0, -1, 10_002, 2, 0.0, "maker", 4)  # and the rest
    # 0.003 x 100.02 - (0.001 x 100.00 + 0.002 x 100.01) = 0.00004, exactly, not 3.99999e-05
    assert p.figures("a")["realized"] == 0.00004
    assert p.round_trips[0].pnl == 0.00004


def test_flip_in_one_fill_splits_the_trip_and_its_fee() -> None:
    p = Portfolio([UNIT], ["a"])
    p.on_fill("a", 0, 1, 100, 2, 0.1, "taker", 1)  # long 2 @ 100
    p.on_fill("a", 0, -1, 110, 5, 0.5, "taker", 2)  # sell 5 @ 110: close 2 (+20), short 3 @ 110
    assert p.position("a") == -3 and p.avg_entry("a") == 110.0
    assert p.figures("a")["realized"] == 20.0
    p.on_fill("a", 0, 1, 105, 3, 0.0, "maker", 3)  # cover 3 @ 105: +15
    long, short = p.round_trips
    assert (long.direction, long.open_ts, long.close_ts, long.max_qty, long.pnl) == (1, 1, 2, 2, 20.0)
    assert long.fees == pytest.approx(0.1 + 0.5 * 2 / 5)
    assert (short.direction, short.open_ts, short.close_ts, short.max_qty, short.pnl) == (-1, 2, 3, 3, 15.0)
    assert short.fees == pytest.approx(0.5 * 3 / 5)
    f = p.figures("a")
    assert f["realized"] == 35.0 and f["fees"] == pytest.approx(0.6) and f["equity"] == pytest.approx(34.4)


def test_short_then_add_then_partial_cover() -> None:
    p = Portfolio([UNIT], ["a"])
    p.on_fill("a", 0, -1, 50, 2, 0.0, "maker", 1)
    p.on_fill("a", 0, -1, 56, 1, 0.0, "maker", 2)  # short 3 @ 52
    assert p.avg_entry("a") == 52.0
    p.on_fill("a", 0, 1, 49, 1, 0.0, "maker", 3)  # cover 1: +3
    p.mark([51])
    f = p.figures("a")
    assert f["realized"] == 3.0 and f["unrealized"] == 2.0  # 2 short @ 52 marked at 51
    assert (p.position("a"), p.avg_entry("a")) == (-2, 52.0) and list(p.round_trips) == []


def test_strategies_total_views_and_samples() -> None:
    p = Portfolio([UNIT, X], ["a", "b"], series_len=2)
    p.on_fill("a", 0, 1, 100, 2, 0.5, "taker", 1)
    p.on_fill("b", 0, -1, 101, 1, -0.25, "maker", 1)
    p.on_fill("b", 1, 1, 10_000, 1_000, 0.0, "maker", 1)  # 1.000 X @ 100.00
    p.mark([102, 10_050.5])
    p.sample(10)
    p.mark([103, 10_100])
    p.sample(20)
    p.sample(30)
    assert p.equity("a") == 6.0 - 0.5  # 2 x (103 - 100) - fee
    assert p.equity("b") == -2.0 + 0.25 + 1.0  # short 1 from 101 at 103, rebate, X +1.00
    assert p.equity() == p.equity("a") + p.equity("b")
    a, b, total = p.views()
    assert (a.name, b.name, total.name) == ("a", "b", "total")
    assert a.position == (2, 0) and b.position == (-1, 1_000) and total.position == (1, 1_000)
    assert total.equity == p.equity() and total.fees == 0.25
    assert a.equity_series == (5.5, 5.5) and len(total.equity_series) == 2  # the last series_len samples
    assert total.position_series == (1.0, 1.0)
    (bx,) = [v for v in p.views(sym=1) if v.name == "b"]
    assert bx.position_series == (1.0, 1.0)  # 1_000 lots of 0.001
    ts, equity, position, mids = p.samples.tail()
    assert list(ts) == [10, 20, 30] and equity.shape == (3, 3) and position.shape == (3, 3, 2)
    assert equity[0, 0] == pytest.approx(3.5) and mids[0, 1] == 10_050.5


def test_bounded_samples_keep_the_last_rows() -> None:
    p = Portfolio([UNIT], ["a"], max_samples=3)
    for t in range(1, 8):
        p.on_fill("a", 0, 1, 100, 1, 0.0, "maker", t)
        p.sample(t)
    ts, _, position, _ = p.samples.tail()
    assert list(ts) == [5, 6, 7] and list(position[:, 0, 0]) == [5, 6, 7]
    assert len(p.fills) == 3 and p.fills[-1].position_after == 7
    unbounded = Portfolio([UNIT], ["a"])
    for t in range(3000):
        unbounded.sample(t)
    assert len(unbounded.samples) == 3000 and unbounded.samples.tail()[0][-1] == 2999


def test_bad_input() -> None:
    p = Portfolio([UNIT], ["a"])
    with pytest.raises(HftError, match="unknown strategy 'z'"):
        p.on_fill("z", 0, 1, 1, 1, 0.0, "maker", 0)
    with pytest.raises(ValueError):
        p.on_fill("a", 0, 1, 1, 0, 0.0, "maker", 0)


def test_long_churn_stays_cheap_and_exact_when_flat() -> None:
    """Adds and partial closes in turn would grow an exact average's denominator
    without bound; the cost falls back to a float, and flat P&L is exact again."""
    p = Portfolio([X], ["a"])
    sides = (1, 1, -1, -1, -1, 1)
    cash = 0
    for i in range(3000):
        side, px, qty = sides[i % 6], 10_000 + (i * 7919) % 13, 70 + (i % 4) * 40
        p.on_fill("a", 0, side, px, qty, 0.0, "maker", i)
        cash -= side * px * qty
    a = p._acct[0][0]
    assert isinstance(a.cost, (int, float)) or a.cost.denominator < 10**9
    pos = p.position("a")
    p.on_fill("a", 0, -1 if pos > 0 else 1, 10_000, abs(pos), 0.0, "maker", 3000)
    cash += pos * 10_000
    assert p.position("a") == 0 and a.cost == 0
    assert p.figures("a")["realized"] == float(Fraction(cash) * Fraction(1, 100_000))
    trips = sum(t.pnl for t in p.round_trips)
    assert trips == pytest.approx(p.figures("a")["realized"], abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    units=st.integers(-(10**15), 10**15),
    tick=st.sampled_from(["0.01", "0.1", "0.00001", "1", "0.5", "0.0001"]),
    lot=st.sampled_from(["0.001", "1", "0.00001", "0.1", "100"]),
)
def test_whole_units_convert_to_quote_as_the_exact_fraction_does(units: int, tick: str, lot: str) -> None:
    """The fast conversion of whole units gives float(Fraction) bit for bit."""
    unit = Fraction(Decimal(tick)) * Fraction(Decimal(lot))
    assert _in_quote(units, unit) == float(units * unit)
    assert _in_quote(Fraction(units, 3), unit) == float(Fraction(units, 3) * unit)
