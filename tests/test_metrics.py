"""Run metrics against hand-computed series; the report is deterministic and NaN-free."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rich.console import Console

from hft_tui import metrics as m
from hft_tui.instrument import Instrument
from hft_tui.portfolio import Portfolio
from hft_tui.report import render_report

S = 10**9
YEAR = 365 * 86_400


def test_max_drawdown_and_its_duration() -> None:
    ts = np.arange(6) * S
    dd = m.max_drawdown(ts, np.array([0.0, 10, 4, 12, 6, 15]))
    assert dd == {"max_drawdown": 6.0, "duration_s": 2.0, "recovered": True}  # peak at 1 s, back at 3 s
    dd = m.max_drawdown(ts[:3], np.array([5.0, -3, -1]))
    assert dd == {"max_drawdown": 8.0, "duration_s": 2.0, "recovered": False}  # never back: to the end
    dd = m.max_drawdown(ts[:2], np.array([-2.0, -5]))  # below the starting 0 from the first sample
    assert dd == {"max_drawdown": 5.0, "duration_s": 1.0, "recovered": False}
    assert m.max_drawdown(ts[:3], np.array([1.0, 2, 3]))["max_drawdown"] == 0.0
    assert m.max_drawdown(ts[:0], np.array([]))["max_drawdown"] is None


def test_var_and_cvar_by_the_stated_rule() -> None:
    x = np.arange(-10.0, 30.0)  # 40 increments
    assert m.var_cvar(x, 95) == (9.0, 9.5)  # k = ceil(40 x 5 / 100) = 2: -10 and -9
    assert m.var_cvar(x, 99) == (10.0, 10.0)  # k = ceil(0.4) = 1
    assert m.var_cvar(np.arange(1.0, 21.0), 95) == (-1.0, -1.0)  # no losses: negative VaR, a gain
    assert m.var_cvar(np.array([]), 95) == (None, None)
    assert [math.copysign(1, v) for v in m.var_cvar(np.zeros(40), 95)] == [1, 1]  # 0, never -0
    assert m.var_cvar(np.array(range(100), dtype=float), 95)[0] == -4.0  # k = 5 exactly, no float slop


def test_sharpe_and_sortino_on_a_tiny_series() -> None:
    x = m.increments(np.array([0.0, 1.0, 0.0, 2.0]))  # +1, -1, +2
    assert list(x) == [1.0, -1.0, 2.0]
    scale = math.sqrt(YEAR / 1.0)
    assert m.sharpe(x, 1.0) == pytest.approx((2 / 3) / math.sqrt(7 / 3) * scale, rel=1e-12)
    assert m.sortino(x, 1.0) == pytest.approx((2 / 3) / math.sqrt(1 / 3) * scale, rel=1e-12)
    assert m.sharpe(x, 60.0) == pytest.approx(m.sharpe(x, 1.0) / math.sqrt(60), rel=1e-12)
    assert m.sharpe(np.array([1.0, 1.0, 1.0]), 1.0) is None  # zero variance
    assert m.sortino(np.array([1.0, 2.0]), 1.0) is None  # no downside
    assert m.sharpe(np.array([1.0]), 1.0) is None and m.sharpe(x, None) is None
    assert m.sample_interval_s(np.array([0, 2 * S, 4 * S, 7 * S])) == 2.0
    assert m.calmar(10.0, YEAR / 2, 5.0) == 4.0 and m.calmar(10.0, 100.0, 0.0) is None


def test_markouts_size_weighted_and_cut_at_the_series_end() -> None:
    mid_ts = np.array([0, 1, 2, 10]) * S
    mid = np.array([100.0, 101.0, 99.0, 104.0])
    fills = dict(
        fill_ts=np.array([0, S // 2]), fill_side=np.array([1, -1]), fill_px=np.array([100, 101]), fill_qty=np.array([1, 3])
    )
    ticks, bps, n = m.markouts(**fills, mid_ts=mid_ts, mid=mid, horizon_ns=S)
    # buy: mid(1 s) 101 - 100 = +1; sell: -(mid(1.5 s) 101 - 101) = 0; weights 1 and 3
    assert (ticks, n) == (0.25, 2) and bps == pytest.approx((1 / 100 * 1e4) / 4)
    ticks, _, n = m.markouts(**fills, mid_ts=mid_ts, mid=mid, horizon_ns=10 * S)
    assert (ticks, n) == (4.0, 1)  # the sell's 10.5 s is past the series
    assert m.markouts(**fills, mid_ts=mid_ts, mid=mid, horizon_ns=60 * S) == (None, None, 0)
    with_gap = np.array([100.0, np.nan, 99.0, 104.0])  # no mid at 1 s: the last known one counts
    assert m.markouts(**fills, mid_ts=mid_ts, mid=with_gap, horizon_ns=S)[0] == (0 * 1 + (-(100 - 101)) * 3) / 4


def test_per_day_trips_and_inventory() -> None:
    day = 86_400 * S
    ts = np.array([day - 2 * S, day - S, day + S, 2 * day + 5 * S])
    assert m.per_day(ts, np.array([1.0, 3.0, 2.0, 7.5])) == {
        "1970-01-01": 3.0, "1970-01-02": -1.0, "1970-01-03": 5.5,
    }  # fmt: skip
    t = m.trip_stats([3.0, -1.0, 2.0, -2.0])
    assert t == {"round_trips": 4, "win_rate": 0.5, "profit_factor": 5 / 3, "avg_trip_pnl": 0.5}
    assert m.trip_stats([1.0])["profit_factor"] is None and m.trip_stats([])["win_rate"] is None
    inv = m.inventory(np.array([0, 2, -4, 2]), 0.5)
    assert inv == {"mean_position": 0.0, "avg_inventory": 1.0, "max_inventory": 2.0}


def _run() -> Portfolio:
    unit = Instrument("UNIT", "1", "1")
    p = Portfolio([unit], ["a", "b"])
    rng = np.random.default_rng(7)
    mid = 1000
    for i in range(600):
        t = i * S // 10
        mid += int(rng.integers(-2, 3))
        p.mark([mid + 0.5])
        if i % 7 == 0:
            p.on_fill("a", 0, int(rng.choice([1, -1])), mid, int(rng.integers(1, 4)), -0.01, "maker", t, i)
        if i % 23 == 0:
            p.on_fill("b", 0, 1 if i % 2 else -1, mid + 1, 1, 0.05, "taker", t, i)
        if i % 10 == 0:
            p.sample(t)
    return p


def test_report_is_deterministic_json_and_renders() -> None:
    counts = {"a": {"orders_sent": 200, "lots_sent": 400, "cancels_sent": 100, "replaces_sent": 5, "fills": 86}}
    r1 = m.build_report(_run(), order_counts=counts, rejections={"rate_limit": 2, "max_position": 1})
    r2 = m.build_report(_run(), order_counts=counts, rejections={"max_position": 1, "rate_limit": 2})
    assert json.dumps(r1, allow_nan=False) == json.dumps(r2, allow_nan=False)
    total, a = r1["scopes"]["total"], r1["scopes"]["a"]
    assert list(r1["scopes"]) == ["a", "b", "total"]
    assert r1["period"]["samples"] == 60 and r1["period"]["sample_interval_s"] == 1.0
    assert total["pnl"] == pytest.approx(a["pnl"] + r1["scopes"]["b"]["pnl"])
    assert a["fills"] == 86 and a["order_to_trade"] == (200 + 100 + 5) / 86
    assert a["maker_share"] == 1.0 and r1["scopes"]["b"]["maker_share"] == 0.0
    assert r1["scopes"]["b"]["fill_ratio"] is None  # no counts given for b
    assert set(a["symbols"]["UNIT"]["markouts"]) == {"1s", "10s", "60s"}
    assert list(r1["rejections"]) == ["max_position", "rate_limit"]
    console = Console(width=160, record=True)
    console.print(render_report(r1))
    text = console.export_text()
    assert "Sharpe (ann.)" in text and "rejected: rate_limit" in text and "markout 10s" in text


def test_degenerate_runs_give_none_not_nan() -> None:
    empty = m.build_report(Portfolio([Instrument("UNIT", "1", "1")], ["a"]))
    json.dumps(empty, allow_nan=False)
    assert empty["scopes"]["total"]["sharpe"] is None and empty["period"]["duration_s"] is None
    one = Portfolio([Instrument("UNIT", "1", "1")], ["a"])
    one.on_fill("a", 0, 1, 10, 1, 0.0, "maker", 0)
    one.sample(0)
    r = m.build_report(one)
    json.dumps(r, allow_nan=False)
    s = r["scopes"]["a"]
    assert (s["sharpe"], s["var_95"], s["calmar"], s["win_rate"]) == (None, None, None, None)
    console = Console(width=120, record=True)
    console.print(render_report(r))
    (sharpe_line,) = [line for line in console.export_text().splitlines() if line.startswith("Sharpe")]
    assert [cell.strip() for cell in sharpe_line.split("│")[1:]] == ["-", "-"]


def test_report_fits_80_columns_without_cutting_numbers() -> None:
    counts = {"a": {"orders_sent": 200, "lots_sent": 400, "cancels_sent": 100, "replaces_sent": 5, "fills": 86}}
    console = Console(width=80, record=True)
    console.print(render_report(m.build_report(_run(), order_counts=counts)))
    text = console.export_text()
    assert "…" not in text, text
    assert "markout 10s" in text and "max |position|" in text
