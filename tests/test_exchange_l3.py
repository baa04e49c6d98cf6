"""L3 sources: own orders in the true price-time queue, known from order ids."""

from hft_tui.events import ASK, BID, BUY, OWN, SELL
from hft_tui.exchange import ExchangeConfig, SimExchange
from hft_tui.exchange import codes as c
from hft_tui.exchange.tape import Tape, own_log

ZERO = ExchangeConfig(entry_latency_ns=0, response_latency_ns=0)


def venue() -> SimExchange:
    """Bids at 99: orders 1, 2, 3 of 5 lots each; asks at 101: orders 4 (3 lots) and 5 (4 lots)."""
    ex = SimExchange(1, ZERO)
    tape = Tape()
    for oid in (1, 2, 3):
        tape.add(100, BID, 99, 5, oid)
    tape.add(100, ASK, 101, 3, 4).add(100, ASK, 101, 4, 5)
    ex.run(tape.events())
    return ex


def rest(ex: SimExchange, side: int, px: int, qty: int, t: int = 150) -> int:
    oid = ex.submit(t, 0, side, "limit", px, qty)
    ex.flush(t)
    ex.drain()
    return oid


def test_queue_position_is_exact_from_order_ids():
    ex = venue()
    me = rest(ex, BUY, 99, 4)
    assert ex.order(me)["queue_ahead"] == 15.0
    tape = Tape()
    tape.add(200, BID, 99, 6, 6)  # behind us
    tape.cancel(300, BID, 99, 5, 2)  # ahead: -5
    tape.cancel(400, BID, 99, 6, 6)  # behind: no change
    tape.execute(500, BID, 99, 5, 1)  # ahead: -5
    assert own_log(ex.run_all(tape.events())) == []
    assert ex.order(me)["queue_ahead"] == 5.0
    tape = Tape().execute(600, BID, 99, 2, 3).add(700, BID, 99, 8, 7)
    ex.run_all(tape.events())
    assert ex.order(me)["queue_ahead"] == 3.0
    tape = Tape().execute(800, BID, 99, 3, 3)  # the last order ahead of us trades out
    assert own_log(ex.run_all(tape.events())) == []
    tape = Tape().execute(900, BID, 99, 6, 7)  # the aggressor reached order 7, behind us
    assert own_log(ex.run_all(tape.events())) == [("fill", me, 99, 4, 900, 900, c.MAKER, True)]


def test_execution_below_our_bid_went_through_us():
    ex = venue()
    me = rest(ex, BUY, 100, 3)
    tape = Tape().execute(200, BID, 99, 2, 1)
    assert own_log(ex.run_all(tape.events())) == [("fill", me, 100, 2, 200, 200, c.MAKER, False)]


def test_crossing_add_trades_with_our_order_up_to_its_size():
    ex = venue()
    me = rest(ex, SELL, 100, 5)
    tape = Tape().add(200, BID, 100, 2, 8).add(300, BID, 101, 9, 9)
    assert own_log(ex.run_all(tape.events())) == [
        ("fill", me, 100, 2, 200, 200, c.MAKER, False),
        ("fill", me, 100, 3, 300, 300, c.MAKER, True),
    ]


def test_aggressive_order_takes_and_the_taken_liquidity_is_not_taken_twice():
    ex = venue()
    first = ex.submit(200, 0, BUY, "ioc", 101, 5)
    second = ex.submit(201, 0, BUY, "ioc", 101, 5)
    ex.flush(300)
    log = own_log(ex.drain())
    assert [e for e in log if e[0] == "fill"] == [
        ("fill", first, 101, 5, 200, 200, c.TAKER, True),
        ("fill", second, 101, 2, 201, 201, c.TAKER, False),
    ]
    # the venue applies our takes (OWN executes): the consumed record drains, nothing re-appears
    tape = Tape().execute(400, ASK, 101, 3, 4, flags=OWN, eom=False).execute(400, ASK, 101, 4, 5, flags=OWN)
    ex.run_all(tape.events())
    third = ex.submit(500, 0, BUY, "ioc", 101, 1)
    ex.flush(500)
    assert own_log(ex.drain())[-1] == ("canceled", third, 101, 1, 500, 500, c.CXL_UNFILLED, True)


def test_replayed_liquidity_we_took_drains_with_the_data():
    ex = venue()
    ex.submit(200, 0, BUY, "ioc", 101, 3)  # takes order 4's 3 lots; the data keeps them
    ex.flush(200)
    ex.drain()
    # the recording later cancels order 4 (those were the lots we took): order 5's 4 lots remain
    ex.run_all(Tape().cancel(300, ASK, 101, 3, 4).events())
    oid = ex.submit(400, 0, BUY, "ioc", 101, 9)
    ex.flush(400)
    assert [e for e in own_log(ex.drain()) if e[0] == "fill"] == [("fill", oid, 101, 4, 400, 400, c.TAKER, False)]


def test_new_resting_order_is_behind_what_is_visible_minus_what_we_took():
    ex = venue()
    ex.submit(200, 0, SELL, "ioc", 99, 7)  # takes 7 of the 15 bid lots at 99
    ex.flush(200)
    me = rest(ex, BUY, 99, 1, t=300)
    assert ex.order(me)["queue_ahead"] == 8.0
