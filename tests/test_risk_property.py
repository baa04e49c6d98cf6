"""Property test: random strategies try to break every limit; nothing that breaks one passes.

A small exchange model answers the orders the risk manager lets through with
acks, partial fills in any order, cancels and replaces. It applies a replace
either the hard way (the new size rests whatever filled meanwhile) or the way
the simulated exchange does (the new size is the order's total: what filled
counts against it), so the manager cannot rely on either.
Independent oracles, computed from the model and never from the manager's own
ledger, check every admitted intent; the real position is checked after every
fill.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from fractions import Fraction
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hft_tui.events import ORDER_ACK, ORDER_CANCELED, ORDER_FILL, ORDER_REPLACED
from hft_tui.instrument import Instrument
from hft_tui.risk import RiskConfig, RiskManager
from hft_tui.strategies.base import FOK, IOC, LIMIT, MARKET, POST_ONLY

INSTRUMENTS = [Instrument("AAA", "0.1", "1"), Instrument("BBB", "0.5", "0.1")]
NAMES = ["a", "b"]
CONFIG = RiskConfig(
    max_order_qty=5,  # AAA: 5 lots; BBB: 50 lots
    max_order_notional=400.0,
    max_position=8,  # AAA 8 lots; BBB 80 lots
    max_gross_notional=2500.0,
    max_open_orders=4,
    max_order_rate=6,
    price_band_bps=100.0,
    daily_loss=50.0,
    max_drawdown=80.0,
    stale_feed_ms=500.0,
    strategies={"b": {"max_position": 5, "max_open_orders": 3, "max_order_rate": 4}},
)
MS = 1_000_000


class RiskMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.rm = RiskManager(CONFIG, INSTRUMENTS, NAMES)
        self.now = 10**12
        self.mid2 = [2000, 400]  # bid + ask in ticks: AAA ~100.0, BBB ~100.0
        self.spread = [2, 2]
        self.orders: dict[int, dict] = {}  # the exchange model's open orders
        self.pos = {(s, j): 0 for s in NAMES for j in range(2)}
        self.msgs: dict[str, list[int]] = {s: [] for s in NAMES}  # times of sent messages
        self.next_id = 1
        self.last_data = [self.now, self.now]

    # --- the market ------------------------------------------------------------------
    def book(self, sym: int) -> tuple[int, int]:
        bid = (self.mid2[sym] - self.spread[sym]) // 2
        return bid, bid + self.spread[sym]

    @rule(sym=st.integers(0, 1), move=st.integers(-6, 6), spread=st.integers(1, 4), dt=st.integers(0, 300))
    def market_moves(self, sym, move, spread, dt) -> None:
        self.mid2[sym] += 2 * move
        self.spread[sym] = spread
        self.mid2[sym] += (self.mid2[sym] - spread) % 2  # keep bid + ask even: integral bid
        self.advance(dt)

    @rule(dt=st.integers(0, 1500))
    def feed_goes_quiet(self, dt) -> None:
        self.advance(dt, data=False)

    def advance(self, dt_ms: int, data: bool = True) -> None:
        """Time passes (with market data flowing unless ``data`` is False); the
        engine runs the post-trade watch every batch."""
        self.now += dt_ms * MS
        if data:
            self.last_data = [self.now, self.now]
        self.rm.post_trade(self.now, {}, 0.0, self.last_data, mids=[m / 2 for m in self.mid2])

    # --- oracles (from the model, not from the manager) ------------------------------------
    def open_fill_room(self, strategy: str | None, sym: int, side: int) -> int:
        """Lots the model's open orders on ``side`` could still fill (replaces stack)."""
        return sum(
            o["leaves"] + sum(q for _, q in o["pending"])
            for o in self.orders.values()
            if (strategy is None or o["strategy"] == strategy) and o["sym"] == sym and o["side"] == side
        )

    def position(self, strategy: str | None, sym: int) -> int:
        return sum(p for (s, j), p in self.pos.items() if j == sym and (strategy is None or s == strategy))

    def worst(self, strategy: str | None, sym: int, side: int, qty: int) -> int:
        return self.position(strategy, sym) + side * (self.open_fill_room(strategy, sym, side) + qty)

    def lots(self, value: float, sym: int) -> int:
        return int(Fraction(str(value)) / Fraction(INSTRUMENTS[sym].lot_size))

    def assert_admissible(self, strategy, sym, side, px, qty, kind, new_order: bool) -> None:
        vals = CONFIG.for_strategy(strategy)
        state, gstate = self.rm.state(strategy), self.rm.global_state
        assert not self.rm.killed and state != "HALTED" and gstate != "HALTED"
        bid, ask = self.book(sym)
        pos, tpos = self.position(strategy, sym), self.position(None, sym)
        w, gw = self.worst(strategy, sym, side, qty), self.worst(None, sym, side, qty)
        reducing = pos != 0 and (pos > 0) != (side > 0) and (w * pos >= 0)
        greducing = tpos != 0 and (tpos > 0) != (side > 0) and (gw * tpos >= 0)
        if state == "REDUCE-ONLY":
            assert reducing, "reduce-only admitted an order that does not shrink the position"
        if gstate == "REDUCE-ONLY":
            assert greducing
        if self.now - self.last_data[sym] > vals.stale_feed_ms * MS:
            assert reducing, "stale feed admitted a risk-adding order"
        assert qty <= self.lots(vals.max_order_qty, sym)
        if not reducing:
            assert abs(w) <= self.lots(vals.max_position, sym), (w, vals.max_position)
        if not greducing:
            assert abs(gw) <= self.lots(CONFIG.max_position, sym)
        inst = INSTRUMENTS[sym]
        eff = (ask if side > 0 else bid) if kind == MARKET else px
        unit = Fraction(inst.tick_size) * Fraction(inst.lot_size)
        assert eff * qty * unit <= Fraction(str(vals.max_order_notional))
        mid = Fraction(bid + ask, 2)
        if kind != MARKET:
            assert abs(px - mid) <= mid * Fraction(str(vals.price_band_bps)) / 10_000
        if kind == POST_ONLY:
            assert (px < ask) if side > 0 else (px > bid)
        for o in self.orders.values():  # self-trade: no own resting order on the other side crossed
            if o["strategy"] == strategy and o["sym"] == sym and o["side"] == -side and o["kind"] in (LIMIT, POST_ONLY):
                for own in [o["px"], *(p for p, _ in o["pending"])]:  # where it rests, or soon will
                    assert kind != MARKET and ((px < own) if side > 0 else (px > own))
        if new_order:
            mine = sum(1 for o in self.orders.values() if o["strategy"] == strategy)
            assert mine < vals.max_open_orders and len(self.orders) < CONFIG.max_open_orders
        recent = [t for t in self.msgs[strategy] if t > self.now - 1000 * MS]
        assert len(recent) < vals.max_order_rate
        every = [t for s in NAMES for t in self.msgs[s] if t > self.now - 1000 * MS]
        assert len(every) < CONFIG.max_order_rate
        if not reducing:
            gross = Fraction(0)
            for j, i2 in enumerate(INSTRUMENTS):
                add = qty if j == sym else 0
                long = self.position(strategy, j) + self.open_fill_room(strategy, j, 1) + (add if side > 0 else 0)
                short = self.position(strategy, j) - self.open_fill_room(strategy, j, -1) - (add if side < 0 else 0)
                gross += max(abs(long), abs(short)) * Fraction(self.mid2[j], 2) * Fraction(i2.tick_size) * Fraction(i2.lot_size)
            assert gross <= Fraction(str(vals.max_gross_notional)) * (1 + Fraction(1, 10**9))

    # --- strategies' intents ----------------------------------------------------------------
    @rule(
        strategy=st.sampled_from(NAMES),
        sym=st.integers(0, 1),
        side=st.sampled_from([1, -1]),
        offset=st.integers(-12, 12),
        qty=st.integers(1, 6),
        kind=st.sampled_from([LIMIT, LIMIT, POST_ONLY, IOC, FOK, MARKET]),
        burst=st.integers(1, 4),
        dt=st.integers(0, 400),
    )
    def send(self, strategy, sym, side, offset, qty, kind, burst, dt) -> None:
        self.advance(dt)
        qty *= 10**sym  # BBB's lot is a tenth of AAA's
        for _ in range(burst):
            bid, ask = self.book(sym)
            px = None if kind == MARKET else max(1, (bid if side > 0 else ask) + offset // (1 + 4 * sym))
            reason = self.rm.check_order(strategy, sym, side, px, qty, kind, self.now, bid, ask)
            if reason is not None:
                continue
            self.assert_admissible(strategy, sym, side, px, qty, kind, True)
            oid, self.next_id = self.next_id, self.next_id + 1
            self.rm.on_order_sent(oid, strategy, sym, side, px, qty, kind, self.now)
            self.msgs[strategy].append(self.now)
            self.orders[oid] = {"strategy": strategy, "sym": sym, "side": side, "px": px, "leaves": qty,
                                "kind": kind, "pending": [], "filled": 0}  # fmt: skip

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), dt=st.integers(0, 200))
    def cancel(self, data, dt) -> None:
        self.advance(dt)
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        strategy = self.orders[oid]["strategy"]
        assert self.rm.check_cancel(strategy, oid) is None  # always allowed, killed or not
        self.rm.on_cancel_sent(oid, self.now)
        self.msgs[strategy].append(self.now)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), offset=st.integers(-12, 12), qty=st.integers(1, 7), dt=st.integers(0, 200))
    def replace(self, data, offset, qty, dt) -> None:
        self.advance(dt)
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        o = self.orders[oid]
        qty *= 10 ** o["sym"]
        bid, ask = self.book(o["sym"])
        px = max(1, (bid if o["side"] > 0 else ask) + offset // (1 + 4 * o["sym"]))
        reason = self.rm.check_replace(o["strategy"], oid, px, qty, self.now, bid, ask)
        if reason is not None:
            return
        assert o["kind"] in (LIMIT, POST_ONLY)
        self.assert_admissible(o["strategy"], o["sym"], o["side"], px, qty, o["kind"], False)
        self.rm.on_replace_sent(oid, px, qty, self.now)
        self.msgs[o["strategy"]].append(self.now)
        o["pending"].append((px, qty))

    # --- the exchange's answers --------------------------------------------------------------
    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ack(self, data) -> None:
        self.rm.on_order_event(data.draw(st.sampled_from(sorted(self.orders))), ORDER_ACK)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), frac=st.floats(0.01, 1.0))
    def fill(self, data, frac) -> None:
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        o = self.orders[oid]
        if o["leaves"] == 0:
            return
        q = max(1, int(o["leaves"] * frac))
        o["leaves"] -= q
        o["filled"] += q
        self.pos[(o["strategy"], o["sym"])] += o["side"] * q
        done = o["leaves"] == 0 and not o["pending"]
        if done:
            del self.orders[oid]
        self.rm.on_order_event(oid, ORDER_FILL, o["px"] or 0, q, done)
        self.check_positions()

    @precondition(lambda self: any(o["pending"] for o in self.orders.values()))
    @rule(data=st.data(), total_size=st.booleans())
    def replace_lands(self, data, total_size) -> None:
        oid = data.draw(st.sampled_from(sorted(k for k, o in self.orders.items() if o["pending"])))
        o = self.orders[oid]
        px, qty = o["pending"].pop(0)
        o["px"] = px
        o["leaves"] = max(0, qty - o["filled"]) if total_size else qty
        if o["leaves"] == 0 and not o["pending"]:
            del self.orders[oid]
            self.rm.on_order_event(oid, ORDER_CANCELED, 0, 0, True)
        else:  # the event carries the new total size, filled lots included
            self.rm.on_order_event(oid, ORDER_REPLACED, px, o["filled"] + o["leaves"], False)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def exchange_cancels(self, data) -> None:
        oid = data.draw(st.sampled_from(sorted(self.orders)))
        del self.orders[oid]
        self.rm.on_order_event(oid, ORDER_CANCELED, 0, 0, True)

    # --- post-trade and the kill switch ----------------------------------------------------------
    @rule(strategy=st.sampled_from(NAMES), loss=st.floats(0, 60))
    def equity_moves(self, strategy, loss) -> None:
        self.rm.post_trade(self.now, {strategy: -loss}, -loss, self.last_data)

    @rule(strategy=st.sampled_from([*NAMES, None]))
    def enable(self, strategy) -> None:
        if not self.rm.killed:
            for name in NAMES if strategy is None else [strategy]:
                self.rm.enable(name)
            self.rm.enable(None)

    @rule(dice=st.integers(0, 12))
    def kill(self, dice) -> None:
        if dice:  # rarer than the other rules, so that trading gets going between kills
            return
        self.rm.kill("test")
        for oid in self.rm.open_order_ids():
            assert self.rm.check_cancel(self.orders[oid]["strategy"], oid) is None

    @rule()
    def rearm(self) -> None:
        self.rm.rearm()

    @invariant()
    def killed_refuses_everything_but_cancels(self) -> None:
        if getattr(self, "rm", None) is None:
            return
        if self.rm.killed or self.rm.global_state == "HALTED":
            bid, ask = self.book(0)
            assert self.rm.check_order("a", 0, 1, bid, 1, LIMIT, self.now, bid, ask) in ("killed", "halted")

    def check_positions(self) -> None:
        for sym in range(2):
            for s in NAMES:
                assert abs(self.position(s, sym)) <= self.lots(CONFIG.for_strategy(s).max_position, sym)
            assert abs(self.position(None, sym)) <= self.lots(CONFIG.max_position, sym)
            # the manager's ledger agrees with the exchange model
            for s in NAMES:
                assert self.rm.position(s, sym) == self.position(s, sym)


TestRiskMachine = RiskMachine.TestCase
TestRiskMachine.settings = settings(
    max_examples=120, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- targeted properties ------------------------------------------------------------------------
ONE = [Instrument("AAA", "0.1", "1")]
LOOSE = RiskConfig(
    max_order_qty=10, max_order_notional=float("inf"), max_position=12, max_gross_notional=float("inf"),
    max_open_orders=1000, max_order_rate=float("inf"), price_band_bps=float("inf"), stale_feed_ms=float("inf"),
    self_trade_check=False,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    orders=st.lists(st.tuples(st.sampled_from([1, 1, 1, -1]), st.integers(1, 10)), min_size=1, max_size=25),
    data=st.data(),
)
def test_position_never_exceeds_limit_with_orders_in_flight(orders, data) -> None:
    """Bursts of orders, all in flight at once, then partial fills in any order:
    the position never passes the limit, and the limit is reached, not undershot:
    a refused order would really have broken it."""
    rm = RiskManager(LOOSE, ONE, ["s"])
    leaves: dict[int, list[int]] = {}
    for oid, (side, qty) in enumerate(orders):
        reason = rm.check_order("s", 0, side, 1000, qty, LIMIT, 0, None, None)
        long = sum(q for s_, q in leaves.values() if s_ > 0)
        short = sum(q for s_, q in leaves.values() if s_ < 0)
        worst = long + qty if side > 0 else -(short + qty)
        if reason is None:
            assert abs(worst) <= 12
            rm.on_order_sent(oid, "s", 0, side, 1000, qty, LIMIT, 0)
            leaves[oid] = [side, qty]
        else:
            assert reason == "max_position" and abs(worst) > 12
    pos = 0
    while leaves:
        oid = data.draw(st.sampled_from(sorted(leaves)))
        side, left = leaves[oid]
        q = data.draw(st.integers(1, left))
        leaves[oid][1] -= q
        pos += side * q
        if leaves[oid][1] == 0:
            del leaves[oid]
        rm.on_order_event(oid, ORDER_FILL, 1000, q, oid not in leaves)
        assert abs(pos) <= 12 and rm.position("s") == pos
    assert rm.ledger.open_buy == [0] and rm.ledger.open_sell == [0]


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(-12, 12).filter(bool),
    orders=st.lists(st.tuples(st.sampled_from([1, -1]), st.integers(1, 10), st.booleans()), max_size=12),
)
def test_reduce_only_admits_exactly_the_shrinking_orders(start, orders) -> None:
    rm = RiskManager(LOOSE, ONE, ["s"])
    rm.on_fill("s", 0, 1 if start > 0 else -1, abs(start))
    changes = rm.post_trade(10**9, {"s": -1000.0}, 0.0, [10**9])
    assert [c.new for c in changes] == ["REDUCE-ONLY"] and rm.state("s") == "REDUCE-ONLY"
    open_buy = open_sell = 0
    for oid, (side, qty, keep) in enumerate(orders):
        worst = start + open_buy + qty if side > 0 else start - open_sell - qty
        shrinks = (start > 0 and side < 0 and worst >= 0) or (start < 0 and side > 0 and worst <= 0)
        reason = rm.check_order("s", 0, side, 1000, qty, LIMIT, 10**9, None, None)
        assert (reason is None) == shrinks, (start, open_buy, open_sell, side, qty, reason)
        if reason is None and keep:
            rm.on_order_sent(oid, "s", 0, side, 1000, qty, LIMIT, 10**9)
            open_buy, open_sell = open_buy + qty * (side > 0), open_sell + qty * (side < 0)


@settings(max_examples=150, deadline=None)
@given(
    # steps of a quarter second, some a nanosecond off: the window's edges get hit exactly
    gaps=st.lists(st.tuples(st.integers(0, 4), st.sampled_from([0, 0, 0, -1, 1])), min_size=1, max_size=60),
    cap=st.integers(1, 6),
    cancels=st.lists(st.booleans()),
)
def test_rate_limit_counts_messages_in_event_time(gaps, cap, cancels) -> None:
    """Admitted iff fewer than ``cap`` messages (orders and cancels) in the last
    second of event time; no wall clock is read."""

    def no_wall_clock() -> float:
        raise AssertionError("the risk manager read the wall clock")

    clocks = ("time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "perf_counter_ns")
    with contextlib.ExitStack() as stack:
        for name in clocks:
            stack.enter_context(mock.patch.object(time, name, no_wall_clock))
        _rate_case(gaps, cap, cancels)


def _rate_case(gaps: list[tuple[int, int]], cap: int, cancels: list[bool]) -> None:
    cfg = dataclasses.replace(LOOSE, max_order_rate=cap, max_position=1000, max_order_qty=1000)
    rm = RiskManager(cfg, ONE, ["s"])
    sent: list[int] = []
    now = 5 * 10**9
    for i, (quarters, nudge) in enumerate(gaps):
        now += max(0, quarters * 250 * MS + nudge)
        recent = [t for t in sent if t > now - 1000 * MS]
        if i < len(cancels) and cancels[i] and rm.open_order_ids():
            oid = rm.open_order_ids()[0]
            assert rm.check_cancel("s", oid) is None  # never refused, but counted
            rm.on_cancel_sent(oid, now)
            rm.on_order_event(oid, ORDER_CANCELED, 0, 0, True)
            sent.append(now)
            continue
        reason = rm.check_order("s", 0, 1, 1000, 1, LIMIT, now, None, None)
        assert (reason is None) == (len(recent) < cap), (reason, len(recent), cap)
        if reason is None:
            rm.on_order_sent(i, "s", 0, 1, 1000, 1, LIMIT, now)
            sent.append(now)


@settings(max_examples=200, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["send", "replace", "fill", "fill", "land"]), st.integers(1, 10), st.booleans()),
        max_size=40,
    )
)
def test_replace_races_never_break_the_position_limit(ops) -> None:
    """Buys only, so every lot counts against the limit; replaces land late, after
    fills, either re-opening their full size or (as the simulated exchange does)
    as a new total size that counts what already filled."""
    rm = RiskManager(dataclasses.replace(LOOSE, max_position=12), ONE, ["s"])
    orders: dict[int, dict] = {}
    pos, next_id = 0, 0

    def fill(oid: int, q: int) -> None:
        nonlocal pos
        o = orders[oid]
        q = min(q, o["leaves"])
        if q == 0:
            return
        o["leaves"] -= q
        o["filled"] += q
        pos += q
        done = o["leaves"] == 0 and not o["pending"]
        if done:
            del orders[oid]
        rm.on_order_event(oid, ORDER_FILL, 1000, q, done)
        assert pos <= 12

    def land(oid: int, reset: bool) -> None:
        o = orders[oid]
        q = o["pending"].pop(0)
        o["leaves"] = q if reset else max(0, q - o["filled"])
        if o["leaves"] == 0 and not o["pending"]:
            del orders[oid]
            rm.on_order_event(oid, ORDER_CANCELED, 0, 0, True)
        else:
            rm.on_order_event(oid, ORDER_REPLACED, 1000, o["filled"] + o["leaves"], False)

    for op, q, flag in ops:
        ids = sorted(orders)
        if op == "send":
            if rm.check_order("s", 0, 1, 1000, q, LIMIT, 0, None, None) is None:
                rm.on_order_sent(next_id, "s", 0, 1, 1000, q, LIMIT, 0)
                orders[next_id] = {"leaves": q, "pending": [], "filled": 0}
                next_id += 1
        elif op == "replace" and ids:
            oid = ids[q % len(ids)]
            if rm.check_replace("s", oid, 1000 + flag, q, 0, None, None) is None:
                rm.on_replace_sent(oid, 1000 + flag, q, 0)
                orders[oid]["pending"].append(q)
        elif op == "fill" and ids:
            fill(ids[q % len(ids)], q if flag else 10)
        elif op == "land":
            waiting = [i for i in ids if orders[i]["pending"]]
            if waiting:
                land(waiting[q % len(waiting)], flag)
    # the worst end: every replace lands re-opening its size and everything fills
    for oid in sorted(orders):
        fill(oid, 10**6)
        while oid in orders and orders[oid]["pending"]:
            land(oid, True)
            if oid in orders:
                fill(oid, 10**6)
    assert pos <= 12
