"""Order types, states and replace semantics on an L2 book, with exact fills and times.

Entry latency 10 ns, response latency 5 ns: an order sent at t reaches the
matcher at t + 10, and every answer carries local_ts = exch_ts + 5.
"""

import pytest

from hft_tui.events import ASK, BID, BUY, SELL
from hft_tui.exchange import ExchangeConfig, OrderRefused, SimExchange
from hft_tui.exchange import codes as c
from hft_tui.exchange.tape import Tape, own_log
from hft_tui.instrument import Instrument

LAT = ExchangeConfig(entry_latency_ns=10, response_latency_ns=5, maker_fee_bps=-1.0, taker_fee_bps=4.0)


def market(ex: SimExchange) -> None:
    """Bids 99 x 10, 98 x 5; asks 101 x 10, 102 x 5; at t = 100."""
    tape = Tape()
    tape.level(100, BID, 99, 10, eom=False).level(100, BID, 98, 5, eom=False)
    tape.level(100, ASK, 101, 10, eom=False).level(100, ASK, 102, 5)
    ex.run(tape.events())


@pytest.fixture
def ex() -> SimExchange:
    x = SimExchange(1, LAT)
    market(x)
    return x


def arrive(ex: SimExchange, t: int = 1_000) -> list:
    """Let everything sent so far reach the matcher; the log since the last drain."""
    ex.flush(t)
    return own_log(ex.drain())


def test_passive_limit_rests_behind_the_level(ex):
    oid = ex.submit(200, 0, BUY, "limit", 99, 3)
    assert arrive(ex) == [
        ("new", oid, 99, 3, 210, 200, c.LIMIT, False),
        ("ack", oid, 99, 3, 210, 215, c.LIMIT, False),
    ]
    o = ex.order(oid)
    assert o["state"] == "accepted" and o["queue_ahead"] == 10.0


def test_crossing_limit_takes_then_rests_the_remainder(ex):
    oid = ex.submit(200, 0, BUY, c.LIMIT, 101, 15)
    log = arrive(ex)[1:]
    assert log == [
        ("ack", oid, 101, 15, 210, 215, c.LIMIT, False),
        ("fill", oid, 101, 10, 210, 215, c.TAKER, False),
    ]
    o = ex.order(oid)
    assert (o["state"], o["leaves"], o["queue_ahead"]) == ("partially-filled", 5, 0.0)
    # the data still shows ask 101 x 10: those lots are consumed, a second taker gets nothing there
    oid2 = ex.submit(300, 0, BUY, c.IOC, 101, 4)
    assert arrive(ex)[1:] == [
        ("ack", oid2, 101, 4, 310, 315, c.IOC, False),
        ("canceled", oid2, 101, 4, 310, 315, c.CXL_UNFILLED, True),
    ]


def test_market_order_walks_levels():
    ex = SimExchange([Instrument("X", "0.5", "0.01")], LAT)
    market(ex)
    oid = ex.submit(200, 0, BUY, "market", 0, 12)
    assert arrive(ex)[1:] == [
        ("ack", oid, 0, 12, 210, 215, c.MARKET, False),
        ("fill", oid, 101, 10, 210, 215, c.TAKER, False),
        ("fill", oid, 102, 2, 210, 215, c.TAKER, True),
    ]
    # taker fee: notional (101*10 + 102*2) ticks*lots * 0.5 * 0.01 * 4 bps
    t = ex.totals()
    assert t["taker_lots"] == 12 and t["fees"] == pytest.approx((1010 + 204) * 0.005 * 4e-4)
    # the engine's per-fill fees add up to the exchange's total
    ex2 = SimExchange([Instrument("X", "0.5", "0.01")], LAT)
    market(ex2)
    ex2.submit(200, 0, BUY, "market", 0, 12)
    ex2.flush(1_000)
    log = ex2.drain()
    assert ex2.fee(log).sum() == pytest.approx(t["fees"])


def test_market_order_into_empty_side_is_rejected():
    ex = SimExchange(1, LAT)
    ex.run(Tape().level(100, BID, 99, 10).events())
    oid = ex.submit(200, 0, BUY, "market", 0, 1)
    assert arrive(ex)[1:] == [("rejected", oid, 0, 1, 210, 215, c.REJ_NO_LIQUIDITY, True)]


def test_market_remainder_beyond_the_book_is_cancelled(ex):
    oid = ex.submit(200, 0, SELL, "market", 0, 20)
    assert arrive(ex)[1:] == [
        ("ack", oid, 0, 20, 210, 215, c.MARKET, False),
        ("fill", oid, 99, 10, 210, 215, c.TAKER, False),
        ("fill", oid, 98, 5, 210, 215, c.TAKER, False),
        ("canceled", oid, 0, 5, 210, 215, c.CXL_UNFILLED, True),
    ]


def test_ioc_fills_what_crosses_and_cancels_the_rest(ex):
    oid = ex.submit(200, 0, BUY, "ioc", 101, 15)
    assert arrive(ex)[1:] == [
        ("ack", oid, 101, 15, 210, 215, c.IOC, False),
        ("fill", oid, 101, 10, 210, 215, c.TAKER, False),
        ("canceled", oid, 101, 5, 210, 215, c.CXL_UNFILLED, True),
    ]


def test_fok_not_fillable_is_rejected_and_takes_nothing(ex):
    oid = ex.submit(200, 0, BUY, "fok", 102, 16)
    assert arrive(ex)[1:] == [("rejected", oid, 102, 16, 210, 215, c.REJ_FOK_UNFILLABLE, True)]
    oid = ex.submit(300, 0, BUY, "fok", 102, 15)
    assert arrive(ex)[1:] == [
        ("ack", oid, 102, 15, 310, 315, c.FOK, False),
        ("fill", oid, 101, 10, 310, 315, c.TAKER, False),
        ("fill", oid, 102, 5, 310, 315, c.TAKER, True),
    ]


def test_post_only_that_would_cross_is_rejected(ex):
    oid = ex.submit(200, 0, SELL, "post_only", 99, 2)
    assert arrive(ex)[1:] == [("rejected", oid, 99, 2, 210, 215, c.REJ_POST_ONLY_WOULD_CROSS, True)]
    oid = ex.submit(300, 0, SELL, "post_only", 100, 2)
    assert arrive(ex)[1:] == [("ack", oid, 100, 2, 310, 315, c.POST_ONLY, False)]
    assert ex.order(oid)["queue_ahead"] == 0.0


def test_partial_fills_then_done_with_maker_rebate():
    ex = SimExchange([Instrument("X", "1", "1")], LAT)
    market(ex)
    oid = ex.submit(200, 0, SELL, "limit", 101, 4)
    ex.flush(1_000)
    ex.drain()
    tape = Tape().trade(2_000, BUY, 101, 12).trade(3_000, BUY, 101, 1).trade(4_000, BUY, 101, 5)
    assert own_log(ex.run_all(tape.events())) == [
        ("fill", oid, 101, 2, 2_000, 2_005, c.MAKER, False),
        ("fill", oid, 101, 1, 3_000, 3_005, c.MAKER, False),
        ("fill", oid, 101, 1, 4_000, 4_005, c.MAKER, True),
    ]
    assert ex.order(oid) is None
    assert ex.totals()["fees"] == pytest.approx(-101 * 4 * 1e-4)


def test_replace_price_change_loses_priority(ex):
    oid = ex.submit(200, 0, BUY, "limit", 99, 3)
    arrive(ex)
    ex.run(Tape().level(500, BID, 99, 4).events())  # 6 cancelled: we are at most 4 deep
    assert ex.order(oid)["queue_ahead"] == 4.0
    ex.replace(600, oid, px=98)
    assert arrive(ex) == [("replaced", oid, 98, 3, 610, 615, c.LOST_PRIORITY, False)]
    o = ex.order(oid)
    assert (o["px"], o["queue_ahead"]) == (98, 5.0)


def test_replace_size_decrease_keeps_priority_increase_loses_it(ex):
    oid = ex.submit(200, 0, BUY, "limit", 99, 5)
    arrive(ex)
    ex.run(Tape().level(500, BID, 99, 4).level(510, BID, 99, 9).events())  # 5 joined behind us
    ex.replace(600, oid, qty=3)
    assert arrive(ex) == [("replaced", oid, 99, 3, 610, 615, c.KEPT_PRIORITY, False)]
    assert ex.order(oid)["queue_ahead"] == 4.0
    ex.replace(700, oid, qty=6)
    assert arrive(ex) == [("replaced", oid, 99, 6, 710, 715, c.LOST_PRIORITY, False)]
    assert ex.order(oid)["queue_ahead"] == 9.0


def test_replace_post_only_across_is_rejected_and_order_stays(ex):
    oid = ex.submit(200, 0, BUY, "post_only", 100, 2)
    arrive(ex)
    ex.replace(300, oid, px=101)
    assert arrive(ex) == [("rejected", oid, 101, 0, 310, 315, c.REJ_POST_ONLY_WOULD_CROSS, False)]
    assert ex.order(oid)["px"] == 100


def test_replace_limit_across_takes_liquidity(ex):
    oid = ex.submit(200, 0, BUY, "limit", 100, 12)
    arrive(ex)
    ex.replace(300, oid, px=101)
    assert arrive(ex) == [
        ("replaced", oid, 101, 12, 310, 315, c.LOST_PRIORITY, False),
        ("fill", oid, 101, 10, 310, 315, c.TAKER, False),
    ]
    assert ex.order(oid)["leaves"] == 2


def test_replace_below_filled_cancels_the_rest(ex):
    oid = ex.submit(200, 0, SELL, "limit", 101, 5)
    arrive(ex)
    ex.run(Tape().trade(400, BUY, 101, 13).events())
    assert own_log(ex.drain()) == [("fill", oid, 101, 3, 400, 405, c.MAKER, False)]
    ex.replace(500, oid, qty=3)
    assert arrive(ex) == [("canceled", oid, 101, 2, 510, 515, c.CXL_REPLACED_TO_ZERO, True)]


def test_self_trade_prevention_cancels_the_resting_own_order(ex):
    ask = ex.submit(200, 0, SELL, "limit", 101, 2)
    buy = ex.submit(201, 0, BUY, "limit", 101, 12)
    log = arrive(ex)
    assert log[3:] == [
        ("ack", buy, 101, 12, 211, 216, c.LIMIT, False),
        ("canceled", ask, 101, 2, 211, 216, c.CXL_SELF_TRADE, True),
        ("fill", buy, 101, 10, 211, 216, c.TAKER, False),
    ]
    assert ex.order(ask) is None


def test_post_only_against_own_resting_order_is_rejected(ex):
    ex.submit(200, 0, SELL, "post_only", 100, 2)
    oid = ex.submit(201, 0, BUY, "post_only", 100, 2)
    assert arrive(ex)[-1] == ("rejected", oid, 100, 2, 211, 216, c.REJ_POST_ONLY_WOULD_CROSS, True)


def test_cancel_loses_the_race_against_a_fill():
    cfg = ExchangeConfig(entry_latency_ns=100, response_latency_ns=5)
    ex = SimExchange(1, cfg)
    market(ex)
    oid = ex.submit(200, 0, BUY, "limit", 100, 3)  # alone at 100, first in queue
    ex.flush(300)
    ex.drain()
    ex.cancel(350, oid)  # reaches the matcher at 450
    tape = Tape().trade(420, SELL, 100, 3)  # a seller prints at 100 before the cancel arrives
    tape.level(500, ASK, 103, 1)
    assert own_log(ex.run_all(tape.events())) == [
        ("fill", oid, 100, 3, 420, 425, c.MAKER, True),
        ("rejected", oid, 0, 0, 450, 455, c.REJ_CANCEL_TOO_LATE, False),
    ]


def test_cancel_that_arrives_first_wins():
    cfg = ExchangeConfig(entry_latency_ns=100, response_latency_ns=5)
    ex = SimExchange(1, cfg)
    market(ex)
    oid = ex.submit(200, 0, BUY, "limit", 100, 3)
    ex.flush(300)
    ex.drain()
    ex.cancel(300, oid)  # at the matcher at 400
    tape = Tape().trade(420, SELL, 100, 3)
    assert own_log(ex.run_all(tape.events())) == [("canceled", oid, 100, 3, 400, 405, c.CXL_REQUESTED, True)]


def test_unknown_cancel_bad_input_and_refusals(ex):
    ex.cancel(200, 77)
    assert arrive(ex) == [("rejected", 77, 0, 0, 210, 215, c.REJ_CANCEL_UNKNOWN, False)]
    oid = ex.submit(300, 0, BUY, "limit", 99, 0)
    assert arrive(ex)[-1] == ("rejected", oid, 99, 0, 310, 315, c.REJ_BAD_QTY, True)
    with pytest.raises(OrderRefused, match="bad symbol"):
        ex.submit(300, 3, BUY, "limit", 99, 1)
    with pytest.raises(OrderRefused, match="bad side"):
        ex.submit(300, 0, 0, "limit", 99, 1)


def test_cancel_all_cancels_pending_and_open_orders(ex):
    a = ex.submit(200, 0, BUY, "limit", 99, 1)
    ex.flush(300)
    b = ex.submit(300, 0, SELL, "limit", 105, 1)
    assert ex.cancel_all(301) == 2
    log = arrive(ex)
    assert sorted(o for k, o, *_ in log if k == "canceled") == [a, b]
    assert ex.open_orders() == []


def test_market_order_self_trade_prevention_reaches_only_as_far_as_it_walks(ex):
    near = ex.submit(200, 0, BUY, "post_only", 98, 1)  # behind the 98 level
    deep = ex.submit(200, 0, BUY, "post_only", 97, 1)
    arrive(ex)
    oid = ex.submit(300, 0, SELL, "market", 0, 12)  # needs 99 x 10 and 98 x 2
    assert arrive(ex)[1:] == [
        ("ack", oid, 0, 12, 310, 315, c.MARKET, False),
        ("canceled", near, 98, 1, 310, 315, c.CXL_SELF_TRADE, True),
        ("fill", oid, 99, 10, 310, 315, c.TAKER, False),
        ("fill", oid, 98, 2, 310, 315, c.TAKER, True),
    ]
    assert ex.order(deep)["state"] == "accepted"
