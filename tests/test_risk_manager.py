"""Risk manager: each pre-trade check, the kill switch, run-time limits, post-trade states."""

from __future__ import annotations

import dataclasses
import math

import pytest

from hft_tui import config
from hft_tui.engine.commands import KillSwitch
from hft_tui.errors import ConfigError, HftError
from hft_tui.events import ORDER_ACK, ORDER_CANCELED, ORDER_FILL, ORDER_REJECTED, ORDER_REPLACED
from hft_tui.instrument import Instrument
from hft_tui.risk import RiskConfig, RiskManager
from hft_tui.strategies.base import FOK, IOC, LIMIT, MARKET, POST_ONLY

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
ETH = Instrument("ETHUSDT", "0.01", "0.0001")
S = 10**9  # one second in ns
BID, ASK = 6_000_000, 6_000_002  # 60000.00 / 60000.02
T0 = 1_700_000_000 * S


def manager(names=("mm", "taker"), instruments=(BTC,), kill=None, **limits) -> RiskManager:
    return RiskManager(RiskConfig(**limits), list(instruments), list(names), kill)


def order(rm, side=1, px=BID, qty=100, kind=LIMIT, strategy="mm", sym=0, now=T0, bid=BID, ask=ASK):
    return rm.check_order(strategy, sym, side, px, qty, kind, now, bid, ask)


def send(rm, oid, side=1, px=BID, qty=100, kind=LIMIT, strategy="mm", sym=0, now=T0, bid=BID, ask=ASK):
    reason = order(rm, side, px, qty, kind, strategy, sym, now, bid, ask)
    assert reason is None, rm.last_message
    rm.on_order_sent(oid, strategy, sym, side, px, qty, kind, now)


# --- configuration --------------------------------------------------------------------------
def test_packaged_defaults_and_strategy_overrides() -> None:
    cfg = config.merge(config.defaults(), {"risk": {"strategies": {"mm": {"max_position": 0.1}}}})
    rc = RiskConfig.from_config(cfg)
    assert rc == dataclasses.replace(rc)  # a plain, complete dataclass
    assert rc.max_position == 0.2 and rc.for_strategy("mm").max_position == 0.1
    assert rc.for_strategy("taker").max_position == 0.2
    rm = RiskManager(rc, [BTC], ["mm", "taker"])
    assert rm._lim[0].position_lots == [10_000] and rm._lim[1].position_lots == [20_000]
    assert rm._glim.position_lots == [20_000]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"max_position": -1}, "max_position must be >= 0"),
        ({"max_open_orders": 2.5}, "max_open_orders must be a whole number"),
        ({"max_postion": 1}, "unknown key risk.max_postion"),
        ({"breach_action": "panic"}, "breach_action must be one of"),
        ({"max_order_qty": "lots"}, "risk.max_order_qty must be a number"),
        ({"strategies": {"mm": {"max_position": -2}}}, "max_position must be >= 0"),
        ({"strategies": {"mm": {"colour": 1}}}, "unknown key risk.strategies.mm.colour"),
    ],
)
def test_bad_risk_config_is_one_line(table, message) -> None:
    with pytest.raises(ConfigError) as err:
        RiskConfig.from_config({"risk": table})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_limits_floor_to_each_symbols_grid_and_inf_disables() -> None:
    rm = manager(instruments=(BTC, ETH), max_position=0.000155, max_order_qty=float("inf"))
    assert rm._glim.position_lots == [15, 1]  # 0.000155 BTC: 15 lots of 0.00001; ETH: 1 lot of 0.0001
    assert order(rm, qty=10**9, px=BID) != "max_order_qty"
    rm0 = manager(max_position=0)
    assert order(rm0, qty=1) == "max_position"


# --- pre-trade checks, one by one --------------------------------------------------------------
@pytest.mark.parametrize(
    ("limits", "kwargs", "reason"),
    [
        ({"max_order_qty": 0.001}, {"qty": 101}, "max_order_qty"),
        ({"max_order_qty": 0.001}, {"qty": 100}, None),
        ({"max_order_notional": 60.0}, {"qty": 100}, None),  # 60000.00 x 0.001 = 60.00 exactly
        ({"max_order_notional": 59.99}, {"qty": 100}, "max_order_notional"),
        ({"max_order_notional": 60.0}, {"qty": 100, "kind": MARKET, "px": None}, "max_order_notional"),  # at the ask
        ({"price_band_bps": 10.0}, {"px": BID - 5999}, None),  # 60.00 below mid 60000.01: 9.99998 bps
        ({"price_band_bps": 10.0}, {"px": BID - 6000}, "price_band"),  # 60.01 below: 10.0017 bps
        ({"price_band_bps": 10.0}, {"ask": None}, "no_mid"),
        ({"price_band_bps": float("inf")}, {"ask": None}, None),
        ({}, {"kind": MARKET, "px": None, "ask": None}, "no_market"),
        ({}, {"kind": POST_ONLY, "px": ASK}, "post_only_cross"),
        ({}, {"kind": POST_ONLY, "px": ASK - 1}, None),
        ({}, {"kind": POST_ONLY, "side": -1, "px": BID}, "post_only_cross"),
        ({"post_only_check": False}, {"kind": POST_ONLY, "px": ASK}, None),
        ({}, {"side": 0}, "bad_order"),
        ({}, {"qty": 0}, "bad_order"),
        ({}, {"kind": "stop"}, "bad_order"),
        ({}, {"px": None}, "bad_order"),
        ({}, {"sym": 3}, "bad_order"),
        ({}, {"strategy": "ghost"}, "unknown_strategy"),
    ],
)
def test_single_checks(limits, kwargs, reason) -> None:
    rm = manager(**limits)
    assert order(rm, **kwargs) == reason
    if reason:
        assert rm.rejections == {reason: 1}
        assert rm.last_message.startswith(f"{kwargs.get('strategy', 'mm')}: rejected ({reason}): ")


def test_position_counts_open_and_in_flight_orders_and_both_scopes() -> None:
    rm = manager(max_position=0.003, strategies={"taker": {"max_position": 0.001}})
    send(rm, 1, qty=200)
    assert order(rm, qty=101) == "max_position"  # 200 in flight + 101 > 300
    send(rm, 2, qty=100)
    rm.on_order_event(1, ORDER_FILL, BID, 150)  # fills move from open to position: still 300
    assert order(rm, qty=1) == "max_position"
    assert order(rm, side=-1, px=ASK, qty=300) is None  # the short side has room: 300 - 300 = 0 >= -300
    assert order(rm, qty=100, strategy="taker") == "max_position"  # its own limit: 100 lots
    rm.on_order_event(2, ORDER_CANCELED, 0, 0, True)
    send(rm, 3, qty=100, strategy="taker", px=BID - 1)
    # global: mm 150 filled + 50 open + taker 100 open = 300: nothing more on the buy side
    assert order(rm, qty=1, px=BID - 1) == "max_position"
    assert "total" in rm.last_message


def test_gross_notional_sums_symbols_at_their_mids() -> None:
    rm = manager(
        instruments=(BTC, ETH), max_gross_notional=1000.0, max_order_notional=float("inf"), max_order_qty=float("inf")
    )
    rm.post_trade(T0, {}, 0.0, [T0, T0], mids=[BID + 1, 300_000.5])  # ETH mid 3000.005
    send(rm, 1, sym=1, bid=300_000, ask=300_001, px=300_000, qty=2000)  # 0.2 ETH ~ 600.00
    assert order(rm, qty=700) == "max_gross_notional"  # + 0.007 BTC ~ 420.00
    assert order(rm, qty=600) is None  # ~ 360.00: 960 in all
    # a sell on ETH is not reducing while only a buy is open: its worst case is the larger side
    assert order(rm, side=-1, sym=1, bid=300_000, ask=300_001, px=300_001, qty=2000) is None


def test_self_trade_against_own_resting_orders_including_replaces_in_flight() -> None:
    rm = manager()
    send(rm, 1, side=-1, px=ASK + 5)
    assert order(rm, px=ASK + 5) == "self_trade"
    assert order(rm, px=ASK + 4) is None
    assert order(rm, px=None, kind=MARKET) == "self_trade"
    assert order(rm, px=ASK + 5, strategy="taker") is None  # another strategy's order is not ours
    send(rm, 2, px=BID - 10)
    assert rm.check_replace("mm", 2, BID - 3, None, T0, BID, ASK) is None
    rm.on_replace_sent(2, BID - 3, None, T0)
    # until the exchange answers, the buy may rest at either price
    assert order(rm, side=-1, px=BID - 10) == "self_trade"
    assert order(rm, side=-1, px=BID - 3) == "self_trade"
    rm.on_order_event(2, ORDER_REPLACED, BID - 3, 100)
    assert order(rm, side=-1, px=BID - 10) == "self_trade"  # still crosses BID - 3
    assert order(rm, side=-1, px=BID - 2) is None
    rm.on_order_event(2, ORDER_CANCELED, 0, 0, True)
    assert order(rm, side=-1, px=BID - 10) is None
    assert order(rm, px=ASK + 5, kind=IOC) == "self_trade"
    rm.on_order_event(1, ORDER_CANCELED)
    assert order(rm, px=ASK + 5, kind=FOK) is None


def test_open_orders_per_strategy_and_in_total() -> None:
    rm = manager(max_open_orders=3, strategies={"mm": {"max_open_orders": 2}})
    send(rm, 1)
    send(rm, 2, px=BID - 1)
    assert order(rm, px=BID - 2) == "max_open_orders"
    send(rm, 3, strategy="taker", px=BID - 3)
    assert order(rm, strategy="taker", px=BID - 4) == "max_open_orders"  # 3 in total
    rm.on_order_event(1, ORDER_REJECTED, 0, 0, True)
    assert order(rm, strategy="taker", px=BID - 4) is None


def test_replace_is_checked_as_cancel_plus_new() -> None:
    rm = manager(max_position=0.003)
    send(rm, 1, qty=150)
    assert rm.check_replace("mm", 1, BID - 1, 150, T0, BID, ASK) is None  # 150 + 150 = 300
    assert rm.check_replace("mm", 1, None, 151, T0, BID, ASK) == "max_position"
    assert rm.check_replace("mm", 1, BID + 100_000, None, T0, BID, ASK) == "price_band"
    assert rm.check_replace("taker", 1, BID, 10, T0, BID, ASK) == "unknown_order"
    assert rm.check_replace("mm", 99, BID, 10, T0, BID, ASK) == "unknown_order"
    send(rm, 2, qty=10, kind=IOC, px=ASK)
    assert rm.check_replace("mm", 2, ASK, 5, T0, BID, ASK) == "bad_order"
    rm.on_replace_sent(1, BID - 1, 150, T0)
    assert rm.ledger.open_buy == [310, 0]  # old 150 + new 150 + the IOC's 10, until the exchange answers
    rm.on_order_event(1, ORDER_FILL, BID, 50)  # the old order fills before the replace lands
    assert rm.ledger.open_buy == [260, 0]
    rm.on_order_event(1, ORDER_REPLACED, BID - 1, 150)  # new total 150, of which 50 filled
    assert rm.ledger.open_buy == [110, 0] and rm.position("mm") == 50
    rm.on_replace_sent(1, BID - 2, 100, T0)
    rm.on_order_event(1, ORDER_REJECTED, 0, 0, False)  # the replace refused, the order rests on
    assert rm.ledger.open_buy == [110, 0] and 1 in rm.open_order_ids()


def test_cancels_are_always_allowed_but_count_in_the_rate() -> None:
    rm = manager(max_order_rate=2)
    send(rm, 1)
    rm.kill("test")
    assert rm.check_cancel("mm", 1) is None
    assert rm.check_cancel("taker", 1) == "unknown_order"
    rm.on_cancel_sent(1, T0)
    rm.rearm()
    rm.enable("mm")
    assert order(rm, now=T0 + S - 1) == "rate_limit"  # the order and the cancel
    assert order(rm, now=T0 + S) is None  # one second of event time later


# --- kill switch ----------------------------------------------------------------------------------
def test_kill_rearm_enable_flow() -> None:
    switch = KillSwitch()
    rm = manager(kill=switch)
    send(rm, 1)
    send(rm, 2, strategy="taker", px=BID - 1)
    changes = rm.kill("operator", now_ns=T0 + 1)
    assert switch.tripped and switch.reason == "operator"
    assert [(c.scope, c.new, c.reason) for c in changes] == [
        ("global", "HALTED", "killed"), ("mm", "HALTED", "killed"), ("taker", "HALTED", "killed"),
    ]  # fmt: skip
    assert sorted(rm.open_order_ids()) == [1, 2]  # for the engine to cancel
    for kind, px in ((LIMIT, BID), (MARKET, None), (IOC, BID)):
        assert order(rm, px=px, kind=kind) == "killed"
    assert rm.check_replace("mm", 1, BID - 1, None, T0, BID, ASK) == "killed"
    assert rm.kill("again") == []  # already killed: nothing new
    with pytest.raises(HftError, match="re-arm first"):
        rm.enable("mm")
    assert rm.global_state == "HALTED" and rm.states() == {"mm": "HALTED", "taker": "HALTED"}
    changes = rm.rearm(now_ns=T0 + 2)
    assert [(c.scope, c.new) for c in changes] == [("global", "ACTIVE")] and not switch.tripped
    assert rm.global_state == "ACTIVE" and rm.states() == {"mm": "HALTED", "taker": "HALTED"}
    assert order(rm) == "halted"
    rm.enable("mm")
    assert order(rm, px=BID - 2) is None and order(rm, strategy="taker", px=BID - 2) == "halted"
    assert rm.rearm() == []  # not killed: nothing to do


def test_switch_tripped_elsewhere_is_honoured_at_once() -> None:
    switch = KillSwitch()
    rm = manager(kill=switch)
    switch.trip("ui")  # a viewer's thread, not through the manager
    assert order(rm) == "killed"
    changes = rm.post_trade(T0, {}, 0.0, [T0])
    assert {c.scope for c in changes} == {"global", "mm", "taker"}
    assert rm.post_trade(T0, {}, 0.0, [T0]) == []


def test_disable_halts_one_strategy() -> None:
    rm = manager()
    rm.disable("taker", "operator")
    assert order(rm, strategy="taker") == "halted" and order(rm) is None
    with pytest.raises(HftError, match="unknown strategy"):
        rm.disable("nobody")


# --- run-time limits --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_positon", 1.0, "unknown risk limit 'max_positon'"),
        ("max_position", -1.0, "max_position must be >= 0"),
        ("max_position", math.nan, "max_position must be >= 0"),
        ("max_order_rate", 2.5, "max_order_rate must be a whole number"),
        ("self_trade_check", 2, "self_trade_check must be true or false"),
        ("daily_loss", "lots", "daily_loss must be a number"),
    ],
)
def test_set_limit_validation(key, value, message) -> None:
    rm = manager()
    with pytest.raises(HftError, match=message):
        rm.set_limit(key, value)


def test_set_limit_changes_global_or_one_strategy() -> None:
    rm = manager()
    assert rm.set_limit("max_order_qty", 0.0005, "mm") == "risk limit max_order_qty = 0.0005 (mm)"
    assert order(rm, qty=51) == "max_order_qty" and order(rm, qty=51, strategy="taker") is None
    rm.set_limit("max_order_qty", 0.0001)  # global: taker follows; mm keeps its override
    assert order(rm, qty=11, strategy="taker") == "max_order_qty" and order(rm, qty=50) is None
    rm.set_limit("self_trade_check", 0)
    send(rm, 1, side=-1, px=ASK, qty=10)
    assert order(rm, px=ASK, qty=10) is None
    with pytest.raises(HftError, match="unknown strategy"):
        rm.set_limit("max_position", 1.0, "ghost")


def test_lowering_the_rate_keeps_the_recent_messages() -> None:
    rm = manager(max_order_rate=10)
    for i in range(3):
        send(rm, i, px=BID - i, now=T0 + i)
    rm.set_limit("max_order_rate", 3, "mm")
    assert order(rm, px=BID - 5, now=T0 + 10) == "rate_limit"
    assert order(rm, px=BID - 5, now=T0 + S) is None


# --- post-trade watch ---------------------------------------------------------------------------------
def test_daily_loss_is_sticky_and_reduce_only() -> None:
    rm = manager(daily_loss=100.0, max_drawdown=1e9)
    rm.on_fill("mm", 0, 1, 500)  # long 0.005 BTC
    assert rm.post_trade(T0, {"mm": -99.0}, -99.0, [T0]) == []
    changes = rm.post_trade(T0 + S, {"mm": -101.0}, -101.0, [T0 + S])
    assert [(c.scope, c.old, c.new, c.reason) for c in changes] == [
        ("mm", "ACTIVE", "REDUCE-ONLY", "daily_loss"), ("global", "ACTIVE", "REDUCE-ONLY", "daily_loss"),
    ]  # fmt: skip
    assert changes[0].level == "warning" and "daily loss 101.00 > 100" in changes[0].text
    assert rm.post_trade(T0 + S, {"mm": -150.0}, -150.0, [T0 + S]) == []  # reported once
    assert order(rm) == "reduce_only"
    assert order(rm, side=-1, px=ASK, qty=500) is None  # flattens
    assert order(rm, side=-1, px=ASK, qty=501) == "reduce_only"  # would flip
    assert rm.post_trade(T0 + 2 * S, {"mm": 50.0}, 50.0, [T0 + 2 * S]) == []  # recovering does not re-open
    assert rm.state("mm") == "REDUCE-ONLY"


def test_new_utc_day_restarts_the_daily_loss_and_enable_retrips() -> None:
    day = 86_400 * S
    midnight = (T0 // day + 1) * day
    rm = manager(daily_loss=100.0, max_drawdown=1e9, breach_action="halt")
    rm.post_trade(midnight - S, {"mm": -150.0}, 0.0, [midnight])
    assert rm.state("mm") == "HALTED" and order(rm) == "halted"
    rm.enable("mm")
    changes = rm.post_trade(midnight - 1, {"mm": -150.0}, 0.0, [midnight])
    assert [c.new for c in changes] == ["HALTED"]  # the breach still holds: trips again
    rm.enable("mm")
    assert rm.post_trade(midnight + S, {"mm": -180.0}, 0.0, [midnight]) == []  # new day opens at -180
    assert rm.post_trade(midnight + 2 * S, {"mm": -281.0}, 0.0, [midnight]) != []


def test_drawdown_from_peak_and_restart_watch() -> None:
    rm = manager(daily_loss=1e9, max_drawdown=50.0)
    rm.post_trade(T0, {"mm": 200.0}, 200.0, [T0])
    assert rm.post_trade(T0 + 1, {"mm": 150.0}, 150.0, [T0]) == []
    changes = rm.post_trade(T0 + 2, {"mm": 149.0}, 149.0, [T0])
    assert [(c.scope, c.reason) for c in changes] == [("mm", "max_drawdown"), ("global", "max_drawdown")]
    rm.enable("mm", restart_watch=True)
    rm.enable(None, restart_watch=True)
    assert rm.post_trade(T0 + 3, {"mm": 140.0}, 140.0, [T0]) == []  # the peak is now 149
    views = {(v.scope, v.key): v for v in rm.limits_view()}
    assert views[("mm", "max_drawdown")].used == 9.0


def test_stale_feed_blocks_risk_adding_orders_until_data_flows() -> None:
    rm = manager(stale_feed_ms=500.0, strategies={"taker": {"stale_feed_ms": float("inf")}})
    rm.on_fill("mm", 0, 1, 100)
    assert rm.post_trade(T0 + 500_000_000, {}, 0.0, [T0]) == []
    changes = rm.post_trade(T0 + 500_000_001, {}, 0.0, [T0])
    assert [(c.scope, c.new, c.reason) for c in changes] == [("mm:BTCUSDT", "REDUCE-ONLY", "stale_feed")]
    assert order(rm) == "stale_feed"
    assert order(rm, side=-1, px=ASK, qty=100) is None
    assert order(rm, strategy="taker") is None
    changes = rm.post_trade(T0 + S, {}, 0.0, [T0 + S - 1])
    assert [(c.new, c.reason) for c in changes] == [("ACTIVE", "feed_ok")]
    assert order(rm) is None


# --- views and counts -----------------------------------------------------------------------------------
def test_limits_view_counts_and_rejections() -> None:
    rm = manager(max_position=0.01)
    send(rm, 1, qty=300)
    rm.on_order_event(1, ORDER_ACK)
    rm.on_order_event(1, ORDER_FILL, BID, 100)
    send(rm, 2, side=-1, px=ASK + 1, qty=50, now=T0 + 1)
    order(rm, qty=10**6)
    order(rm, qty=10**6)
    views = {(v.scope, v.key): v for v in rm.limits_view(now_ns=T0 + 1)}
    pos = views[("mm", "max_position BTCUSDT")]
    assert pos.used == pytest.approx(0.003) and pos.limit == 0.01 and pos.utilisation == pytest.approx(0.3)
    assert views[("global", "max_open_orders")].used == 2.0
    assert views[("mm", "max_order_rate")].used == 2.0
    assert views[("taker", "max_position BTCUSDT")].used == 0.0
    assert rm.rejections == {"max_order_qty": 2}
    assert rm.order_counts()["mm"] == {
        "orders_sent": 2, "lots_sent": 350, "cancels_sent": 0, "replaces_sent": 0, "fills": 1,
    }  # fmt: skip


def test_refusals_speak_in_instrument_units() -> None:
    """Limits are given in instrument units; the refusal that quotes them does too."""
    rm = manager(max_position=0.003, price_band_bps=1.0)
    send(rm, 1, qty=200)
    assert order(rm, qty=101) == "max_position"
    assert rm.last_message.endswith("worst-case position 0.00301 > 0.00300")
    assert order(rm, px=BID - 1_000, ask=ASK + 1) == "price_band"  # mid 60000.015: a half tick
    assert "price 59990.00 is more than 1 bps from mid 60000.015" in rm.last_message
