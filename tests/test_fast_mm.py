"""The market maker's jitted requotes (engine.fast_mm): the Python path's fills, refusals and wakes, bit for bit."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.config import load
from hft_tui.engine.backtest import run_backtest
from hft_tui.engine.engine import Engine
from hft_tui.engine.fast_link import FastQuote
from hft_tui.engine.fast_quote import F_SYNCED
from hft_tui.exchange.codes import STOP_BBO
from hft_tui.feeds.replay import ReplaySource
from hft_tui.feeds.sim_source import SimSource
from hft_tui.risk.rate import RateWindow, rate_allows
from hft_tui.strategies.loader import load_strategies
from hft_tui.strategies.market_maker import MarketMaker
from hft_tui.tickfile import TickWriter

N = 400_000


@pytest.fixture(scope="module")
def tape(tmp_path_factory):
    """A sim file with jittered receive times (the clock at a stop matters)."""
    path = tmp_path_factory.mktemp("fast") / "sim.hft"
    src = SimSource(seed=11, max_events=N)
    src.start()
    with TickWriter(path, src.instruments[0]) as w:
        while (batch := src.read(1 << 14)) is not None:
            w.write(batch)
    return path


def run(path, fast: bool, *overrides: str, params: tuple[str, ...] = ()):
    cfg = load(use_user_file=False, overrides=[f"engine.fast_mm={str(fast).lower()}", *overrides])
    return run_backtest(ReplaySource([path]), load_strategies(["mm"], cfg, list(params)), cfg)


def same(fast, slow) -> None:
    assert slow.engine.fast is None
    assert fast.fills_csv() == slow.fills_csv()
    assert fast.results == slow.results  # rejections by reason included
    assert fast.engine.slots[0].wakes == slow.engine.slots[0].wakes
    assert fast.engine.desk.replaces == slow.engine.desk.replaces
    assert fast.engine.risk.order_counts() == slow.engine.risk.order_counts()


def test_the_fast_path_does_most_wakes_and_changes_nothing(tape):
    fast, slow = run(tape, True), run(tape, False)
    same(fast, slow)
    assert fast.engine.desk.n_fills > 50
    assert fast.engine.fast.wakes > 0.8 * slow.engine.slots[0].wakes  # after fills too
    assert fast.engine.xl.stops[STOP_BBO] < slow.engine.xl.stops[STOP_BBO] / 2
    assert fast.report["run"]["fast_mm"]["wakes"] == fast.engine.fast.wakes


def test_refusals_it_cannot_be_sure_of_go_to_python(tape):
    """A rate limit that bites: the jitted check declines, Python refuses and counts."""
    fast, slow = run(tape, True, "risk.max_order_rate=4"), run(tape, False, "risk.max_order_rate=4")
    same(fast, slow)
    assert slow.results["rejections"].get("rate_limit", 0) > 10
    assert fast.engine.fast.declined.get("risk_check:rate_limit", 0) > 10


@settings(max_examples=15, deadline=None)
@given(
    rate=st.sampled_from(["3", "8", "100", "inf"]),
    position=st.sampled_from(["0.001", "0.002", "0.003", "0.2"]),
    gross=st.sampled_from(["60", "150", "20000"]),
    band=st.sampled_from(["2", "10", "100"]),
    notional=st.sampled_from(["30", "60", "5000"]),
    self_trade=st.booleans(),
    requote=st.sampled_from(["2", "15", "40"]),
    size=st.sampled_from(["50", "100", "150"]),
    inventory=st.sampled_from(["100", "300", "1000"]),
    answers_ns=st.sampled_from(["1000000", "5000000"]),  # before / after the market data (2 ms)
)
def test_any_limits_and_parameters_give_the_python_paths_run(tape, rate, position, gross, band, notional,
                                                              self_trade, requote, size, inventory, answers_ns):  # fmt: skip
    risk = (
        f"risk.max_order_rate={rate}", f"risk.max_position={position}", f"risk.max_gross_notional={gross}",
        f"risk.price_band_bps={band}", f"risk.max_order_notional={notional}",
        f"risk.self_trade_check={str(self_trade).lower()}", f"exchange.response_latency_ns={answers_ns}",
    )  # fmt: skip
    params = (f"mm.requote_ticks={requote}", f"mm.size={size}", f"mm.max_inventory={inventory}")
    same(run(tape, True, *risk, params=params), run(tape, False, *risk, params=params))


def test_after_a_jitted_wake_at_a_stop_its_state_is_what_the_engine_would_write(tape, monkeypatch):
    """The engine skips writing the state after such a wake (``synced``): check it would write the same."""
    checked = []
    write = FastQuote.before_run

    def checking(self):
        if not self.synced:
            return write(self)
        fq, fqf = self.fq[:F_SYNCED].copy(), self.fqf.copy()
        self.synced = False
        write(self)
        assert np.array_equal(fq, self.fq[:F_SYNCED]) and np.array_equal(fqf, self.fqf)
        checked.append(1)

    monkeypatch.setattr(FastQuote, "before_run", checking)
    slow_answers = "exchange.response_latency_ns=5000000"  # answers after the market data: more such wakes
    same(run(tape, True, slow_answers), run(tape, False, slow_answers))
    assert len(checked) > 10


def test_a_failing_on_fill_stops_it_and_leaves_no_order_resting(tape, monkeypatch):
    """A fill met in jitted code is delivered to on_fill later, after the wake-up that
    followed it sent orders: if on_fill fails then, those orders go too."""
    calls = []
    forget = MarketMaker.on_fill

    def failing(self, ctx, fill):
        calls.append(fill)
        frame, entering = sys._getframe(), False
        while frame is not None and not entering:
            entering, frame = frame.f_code.co_name == "_enter_log", frame.f_back
        if entering and len(calls) >= 20 and fill.done:  # met in jitted code, then a new quote
            raise RuntimeError("on_fill bug")
        forget(self, ctx, fill)

    left = []
    enter = FastQuote._enter_log

    def checked(self, at_stop=False):
        enter(self, at_stop)
        if not self.slot.live:  # stopped: nothing of it may rest without a cancel on its way
            left.extend(oid for oid in self.slot.orders if oid not in self.slot.asked_cancel)

    monkeypatch.setattr(MarketMaker, "on_fill", failing)
    monkeypatch.setattr(FastQuote, "_enter_log", checked)
    engine = run(tape, True).engine
    slot = engine.slots[0]
    assert slot.state == "HALTED" and "on_fill bug" in slot.error
    assert left == []


def test_the_order_log_is_the_python_paths_line_for_line(tape):
    """Times included: an answer due at a wake-up that sent nothing is logged at that time."""

    def log(fast):
        cfg = load(use_user_file=False, overrides=[f"engine.fast_mm={str(fast).lower()}", "engine.log_lines=100000"])
        engine = Engine(ReplaySource([tape]), load_strategies(["mm"], cfg), cfg, mode="REPLAY")
        engine.want_snapshots(True)  # order and fill lines are logged for viewers only
        engine.run()
        return [(line.ts, line.category, line.text) for line in engine.logs]

    fast, slow = log(True), log(False)
    assert len(slow) > 500 and any("refused" in text for _, _, text in slow)
    assert fast == slow


def test_two_strategies_or_a_switch_leave_it_off(tape):
    cfg = load(use_user_file=False)
    two = run_backtest(ReplaySource([tape]), load_strategies(["mm", "grid"], cfg), cfg)
    assert two.engine.fast is None
    assert run(tape, False).report["run"]["fast_mm"] is None


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(1, 6),
    times=st.lists(st.integers(0, 3_000_000_000), max_size=12),
    now=st.integers(0, 4_000_000_000),
    k=st.integers(0, 3),
)
def test_allowing_after_k_more_is_allowing_after_recording_them(cap, times, now, k):
    """``rate_allows(.., k)`` (the fast path's second replace of a wake) against records made for real."""
    a = RateWindow(cap, sorted(times))
    b = RateWindow(cap, sorted(times))
    for _ in range(k):
        b.record(now)
    assert rate_allows(a.ring, a.st, now, k) == b.allows(now)
    assert np.array_equal(a.st, RateWindow(cap, sorted(times)).st)  # asking changed nothing


def test_rate_windows_built_in_several_threads_at_once_all_work(monkeypatch):
    """The engine's build runs beside the kernels' loading: the first two rate windows
    may be built at the same moment (once a start failed with KeyError: 'record')."""
    import threading
    import time

    from hft_tui.risk import rate

    def slow_entry_point(dispatcher, *args):  # as slow as a load from numba's disk cache
        time.sleep(0.02)
        return dispatcher

    monkeypatch.setattr(rate, "_ENTRIES", [])
    monkeypatch.setattr(rate, "entry_point", slow_entry_point)
    errors: list[BaseException] = []

    def build(delay: float) -> None:
        time.sleep(delay)
        try:
            w = RateWindow(2)
            w.record(5)
            assert w.allows(6)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(0.005 * i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
