"""L2 queue models: the estimated size ahead of an own resting order, exactly."""

import pytest

from hft_tui.events import ASK, BID, BUY, SELL
from hft_tui.exchange import ExchangeConfig, SimExchange
from hft_tui.exchange import codes as c
from hft_tui.exchange.layout import O_AHEAD, QSCALE, view
from hft_tui.exchange.tape import Tape, own_log


def setup(model: str, power: float = 1.0) -> tuple[SimExchange, int]:
    """A bid of 5 lots resting at 99 behind 10 lots (zero latency)."""
    cfg = ExchangeConfig(
        queue_model=model, queue_power=power, entry_latency_ns=0, response_latency_ns=0
    )
    ex = SimExchange(1, cfg)
    ex.run(Tape().level(100, BID, 99, 10, eom=False).level(100, ASK, 101, 10).events())
    oid = ex.submit(100, 0, BUY, "limit", 99, 5)
    ex.flush(100)
    ex.drain()
    return ex, oid


def ahead_units(ex: SimExchange, oid: int) -> int:
    v = view(*ex.state)
    return int(v.orders[v.orders[:, 0] == oid][0, O_AHEAD])


def test_risk_averse_needs_ten_lots_traded_through_cancels_and_growth():
    ex, oid = setup("risk_averse")
    tape = Tape()
    tape.level(200, BID, 99, 20)  # 10 join behind
    tape.level(300, BID, 99, 15)  # 5 cancelled: assumed behind us
    tape.trade(400, SELL, 99, 6).level(400, BID, 99, 9)  # trade then the level reports it
    tape.trade(500, SELL, 99, 3).level(500, BID, 99, 6)  # 9 traded: still 1 ahead
    assert own_log(ex.run_all(tape.events())) == []
    assert ex.order(oid)["queue_ahead"] == 1.0
    tape = Tape().trade(600, SELL, 99, 3)  # the 10th lot trades, then 2 of ours
    assert own_log(ex.run_all(tape.events())) == [("fill", oid, 99, 2, 600, 600, c.MAKER, False)]


def test_risk_averse_level_shrinking_below_ahead_moves_us_up():
    ex, oid = setup("risk_averse")
    ex.run(Tape().level(200, BID, 99, 4).events())
    assert ex.order(oid)["queue_ahead"] == 4.0


def test_probabilistic_model_advances_by_the_expectation():
    ex, oid = setup("prob")
    ex.run(Tape().level(200, BID, 99, 30).events())  # 20 behind
    assert ahead_units(ex, oid) == 10 * QSCALE
    ex.run(Tape().level(300, BID, 99, 24).events())  # 6 cancelled: 6 * 10 / 30 = 2 from ahead
    assert ahead_units(ex, oid) == 8 * QSCALE
    ex.run(Tape().level(400, BID, 99, 20).events())  # 4 cancelled: 4 * 8 / 24 ahead
    assert ahead_units(ex, oid) == 8 * QSCALE - int(4 * QSCALE * (8 * QSCALE / (24 * QSCALE)))
    assert ex.order(oid)["queue_ahead"] == pytest.approx(8 - 4 / 3, abs=1 / QSCALE)


def test_probabilistic_model_ignores_decreases_explained_by_trades():
    ex, oid = setup("prob")
    ex.run(Tape().level(200, BID, 99, 30).events())
    tape = Tape().trade(300, SELL, 99, 4).level(300, BID, 99, 26)  # all explained: 10 - 4
    ex.run(tape.events())
    assert ahead_units(ex, oid) == 6 * QSCALE
    tape = Tape().trade(400, SELL, 99, 1).level(400, BID, 99, 20)  # 1 traded, 5 cancelled
    ex.run(tape.events())
    # after the trade: ahead 5, behind 26 - 1 - 5 = 20; 5 cancels * 5 / 25 = 1 lot from ahead
    assert ahead_units(ex, oid) == 4 * QSCALE


def test_probabilistic_power_two_weights_the_larger_side():
    ex, oid = setup("prob", power=2.0)
    ex.run(Tape().level(200, BID, 99, 30).events())
    ex.run(Tape().level(300, BID, 99, 25).events())  # 5 * 100 / (100 + 400) = 1 from ahead
    assert ahead_units(ex, oid) == 9 * QSCALE


def test_fractional_position_fills_only_whole_lots():
    ex, oid = setup("prob")
    ex.run(Tape().level(200, BID, 99, 13).level(300, BID, 99, 12).events())  # ahead 10 - 10/13
    units = ahead_units(ex, oid)
    assert units == 10 * QSCALE - int(QSCALE * 10 / 13)
    tape = Tape().trade(400, SELL, 99, 10)  # passes 10 lots: 10/13 of a lot beyond us: no fill
    assert own_log(ex.run_all(tape.events())) == []
    tape = Tape().trade(500, SELL, 99, 1)
    assert own_log(ex.run_all(tape.events())) == [("fill", oid, 99, 1, 500, 500, c.MAKER, False)]


def test_trade_through_our_price_fills_in_price_then_time_priority():
    ex, oid = setup("risk_averse")
    a = ex.submit(100, 0, BUY, "limit", 100, 2)
    b = ex.submit(100, 0, BUY, "limit", 100, 2)
    ex.flush(100)
    ex.drain()
    tape = Tape().trade(200, SELL, 98, 3)  # the seller went through 100 and 99
    assert own_log(ex.run_all(tape.events())) == [
        ("fill", a, 100, 2, 200, 200, c.MAKER, True),
        ("fill", b, 100, 1, 200, 200, c.MAKER, False),
    ]
    assert ex.order(oid)["filled"] == 0


def test_own_orders_at_one_price_share_a_print_in_time_priority():
    ex, first = setup("risk_averse")
    second = ex.submit(100, 0, BUY, "limit", 99, 5)  # behind 10 real lots and our 5
    ex.flush(100)
    ex.drain()
    tape = Tape().trade(200, SELL, 99, 17)
    assert own_log(ex.run_all(tape.events())) == [
        ("fill", first, 99, 5, 200, 200, c.MAKER, True),
        ("fill", second, 99, 2, 200, 200, c.MAKER, False),
    ]


def test_opposite_liquidity_at_our_price_fills_by_the_increase_then_strict_cross_in_full():
    ex, oid = setup("risk_averse")
    tape = Tape().level(200, ASK, 99, 2)  # a seller rests at our price
    assert own_log(ex.run_all(tape.events())) == [("fill", oid, 99, 2, 200, 200, c.MAKER, False)]
    tape = Tape().level(300, ASK, 98, 1)  # the best ask is now through our bid
    assert own_log(ex.run_all(tape.events())) == [("fill", oid, 99, 3, 300, 300, c.MAKER, True)]


def test_snapshot_re_announcing_levels_fills_nothing():
    from hft_tui.events import SNAPSHOT

    ex, oid = setup("risk_averse")
    tape = Tape().clear(200, eom=False).level(200, BID, 99, 10, eom=False, flags=SNAPSHOT)
    tape.level(200, ASK, 101, 10, flags=SNAPSHOT)
    assert own_log(ex.run_all(tape.events())) == []
    assert ex.order(oid)["queue_ahead"] == 10.0


def test_unknown_aggressor_is_inferred_from_the_book():
    ex, oid = setup("risk_averse")
    tape = Tape().trade(200, 0, 99, 12)  # at the best bid: a seller
    assert own_log(ex.run_all(tape.events())) == [("fill", oid, 99, 2, 200, 200, c.MAKER, False)]
