"""Run statistics: pure functions over numpy arrays, and the JSON-ready run report.

Conventions (they are in every report's ``conventions`` too):
- Money is quote currency. Equity is P&L since the start of the run (it starts
  at 0), so "returns" are P&L increments between consecutive equity samples,
  not percentages; Sharpe, Sortino and Calmar are ratios of money to money and
  need no capital figure.
- Annualisation: crypto trades every day, so a year is 365 days. Sharpe and
  Sortino come from the sampled increments, scaled by sqrt(year / dt) where dt
  is the median sample interval. (Increments seconds apart are autocorrelated
  in a market maker's book; read an annualised high-frequency Sharpe as a
  ranking, not a promise.)
- Sharpe = mean / sample standard deviation (ddof 1). Sortino = mean /
  sqrt(mean(min(x, 0)^2)) over all increments (target 0).
- Max drawdown: largest fall of equity below its running peak (the peak starts
  at 0); duration: from the last time equity stood at that peak to the first
  sample back at or above it, or to the end of the run if it never got back.
- Calmar = P&L per year (total P&L x year / run duration) / max drawdown.
- Historical VaR / CVaR at 95 and 99 %, over one sample interval: with the n
  increments sorted ascending and k = ceil(n x (100 - level) / 100), VaR is
  minus the k-th smallest and CVaR minus the mean of the k smallest. Positive
  numbers are losses.
- Markout at horizon h of a fill: side x (mid(t + h) - fill price), mid(t + h)
  being the last mid at or before t + h; averaged over fills weighted by size,
  in quote currency per unit of the base asset and in bps of the fill price.
  Fills within h of the end of the mid series are left out.
Figures that cannot be computed (no trades, one sample, zero variance) are None,
never NaN or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

SECONDS_PER_YEAR = 365 * 86_400
DAY_NS = 86_400 * 1_000_000_000
NS = 1_000_000_000


def finite(x: Any) -> float | None:
    """``x`` as a float, or None if it is None, NaN or infinite."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def increments(equity: np.ndarray) -> np.ndarray:
    return np.diff(np.asarray(equity, dtype=np.float64))


def sample_interval_s(ts: np.ndarray) -> float | None:
    """Median spacing of the sample times, seconds (None for fewer than 2 samples)."""
    if len(ts) < 2:
        return None
    dt = float(np.median(np.diff(np.asarray(ts, dtype=np.int64)))) / NS
    return dt if dt > 0 else None


def annualisation(dt_s: float | None) -> float | None:
    return math.sqrt(SECONDS_PER_YEAR / dt_s) if dt_s else None


def sharpe(x: np.ndarray, dt_s: float | None) -> float | None:
    scale = annualisation(dt_s)
    if len(x) < 2 or scale is None:
        return None
    sd = float(np.std(x, ddof=1))
    return finite(float(np.mean(x)) / sd * scale) if sd > 0 else None


def sortino(x: np.ndarray, dt_s: float | None) -> float | None:
    scale = annualisation(dt_s)
    if len(x) < 2 or scale is None:
        return None
    down = float(np.sqrt(np.mean(np.minimum(x, 0.0) ** 2)))
    return finite(float(np.mean(x)) / down * scale) if down > 0 else None


def max_drawdown(ts: np.ndarray, equity: np.ndarray) -> dict[str, Any]:
    """Max drawdown (>= 0), its duration in seconds and whether equity recovered."""
    eq = np.asarray(equity, dtype=np.float64)
    if len(eq) == 0:
        return {"max_drawdown": None, "duration_s": None, "recovered": None}
    peak = np.maximum.accumulate(np.maximum(eq, 0.0))
    dd = peak - eq
    trough = int(np.argmax(dd))
    worst = float(dd[trough])
    if worst <= 0:
        return {"max_drawdown": 0.0, "duration_s": 0.0, "recovered": True}
    at_peak = np.flatnonzero(eq[: trough + 1] >= peak[trough])
    start = int(at_peak[-1]) if len(at_peak) else 0  # peak 0 before the first sample: the run start
    back = np.flatnonzero(eq[trough:] >= peak[trough])
    end = trough + int(back[0]) if len(back) else len(eq) - 1
    return {"max_drawdown": worst, "duration_s": (int(ts[end]) - int(ts[start])) / NS, "recovered": bool(len(back))}


def calmar(total_pnl: float, duration_s: float | None, max_dd: float | None) -> float | None:
    if not duration_s or not max_dd:
        return None
    return finite(total_pnl * SECONDS_PER_YEAR / duration_s / max_dd)


def var_cvar(x: np.ndarray, level: int) -> tuple[float | None, float | None]:
    """Historical VaR and CVaR at ``level`` percent (95, 99) as positive losses."""
    n = len(x)
    if n == 0:
        return None, None
    k = max(1, -(-n * (100 - level) // 100))
    tail = np.sort(np.asarray(x, dtype=np.float64))[:k]
    # 0.0 - x, not -x: no loss is 0, not -0 ("-0.00" in the report)
    return finite(0.0 - float(tail[-1])), finite(0.0 - float(np.mean(tail)))


def trip_stats(nets: Sequence[float]) -> dict[str, Any]:
    """Win rate and profit factor over round trips' net P&L."""
    x = np.asarray(nets, dtype=np.float64)
    if len(x) == 0:
        return {"round_trips": 0, "win_rate": None, "profit_factor": None, "avg_trip_pnl": None}
    wins, losses = float(x[x > 0].sum()), float(-x[x < 0].sum())
    return {
        "round_trips": int(len(x)),
        "win_rate": float(np.count_nonzero(x > 0)) / len(x),
        "profit_factor": wins / losses if losses > 0 else None,
        "avg_trip_pnl": float(x.mean()),
    }


def markouts(
    fill_ts: np.ndarray,
    fill_side: np.ndarray,
    fill_px: np.ndarray,
    fill_qty: np.ndarray,
    mid_ts: np.ndarray,
    mid: np.ndarray,
    horizon_ns: int,
) -> tuple[float | None, float | None, int]:
    """(size-weighted markout in ticks, size-weighted markout in bps of price, fills used)."""
    mid_ts = np.asarray(mid_ts, dtype=np.int64)
    mid = np.asarray(mid, dtype=np.float64)
    ok = ~np.isnan(mid)
    mid_ts, mid = mid_ts[ok], mid[ok]
    if len(mid_ts) == 0 or len(fill_ts) == 0:
        return None, None, 0
    t = np.asarray(fill_ts, dtype=np.int64) + horizon_ns
    idx = np.searchsorted(mid_ts, t, side="right") - 1
    use = (t <= mid_ts[-1]) & (idx >= 0)
    if not use.any():
        return None, None, 0
    side = np.asarray(fill_side, dtype=np.float64)[use]
    px = np.asarray(fill_px, dtype=np.float64)[use]
    qty = np.asarray(fill_qty, dtype=np.float64)[use]
    mo = side * (mid[idx[use]] - px)
    w = qty.sum()
    return float((mo * qty).sum() / w), float((mo / px * 1e4 * qty).sum() / w), int(use.sum())


def per_day(ts: np.ndarray, equity: np.ndarray) -> dict[str, float]:
    """P&L per UTC day of event time: last equity of the day minus that of the day before."""
    out: dict[str, float] = {}
    if len(ts) == 0:
        return out
    days = np.asarray(ts, dtype=np.int64) // DAY_NS
    last = np.flatnonzero(np.append(days[1:] != days[:-1], True))
    prev = 0.0
    for i in last:
        key = (date(1970, 1, 1) + timedelta(days=int(days[i]))).isoformat()
        out[key] = float(equity[i]) - prev
        prev = float(equity[i])
    return out


def inventory(position_lots: np.ndarray, lot_value: float) -> dict[str, float | None]:
    """Mean signed, mean absolute and max absolute position over the samples (base units)."""
    p = np.asarray(position_lots, dtype=np.float64)
    if len(p) == 0:
        return {"mean_position": None, "avg_inventory": None, "max_inventory": None}
    a = np.abs(p)
    return {
        "mean_position": float(p.mean()) * lot_value,
        "avg_inventory": float(a.mean()) * lot_value,
        "max_inventory": float(a.max()) * lot_value,
    }


def ratio(num: float, den: float) -> float | None:
    return finite(num / den) if den else None


def sum_counts(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + int(v)
    return out


# --- the run report ----------------------------------------------------------------------
CONVENTIONS = {
    "currency": "quote currency of the instruments; equity is P&L since the start of the run",
    "returns": "P&L increments between consecutive equity samples",
    "annualisation": "year = 365 days; Sharpe and Sortino x sqrt(year / median sample interval)",
    "var": "historical, over one sample interval, positive = loss",
    "markouts": "side x (mid(t+h) - fill price), size-weighted, quote per unit of base and bps",
}


def build_report(
    portfolio: Any,
    *,
    order_counts: Mapping[str, Mapping[str, int]] | None = None,
    rejections: Mapping[str, int] | None = None,
    mid_series: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None,
    horizons_s: Sequence[int] = (1, 10, 60),
) -> dict[str, Any]:
    """Every figure of a run as a JSON-ready dict; same inputs give an identical dict.

    ``portfolio`` is a ``hft_tui.portfolio.Portfolio`` with its samples;
    ``order_counts`` per strategy as from ``RiskManager.order_counts()``;
    ``mid_series`` per symbol index: (ts ns, mid ticks), else the sampled mids.
    """
    ts, eq, pos, mids = portfolio.samples.tail()
    dt = sample_interval_s(ts)
    duration = (int(ts[-1]) - int(ts[0])) / NS if len(ts) else None
    if mid_series is None:
        mid_series = {j: (ts, mids[:, j]) for j in range(len(portfolio.instruments))}
    fills = list(portfolio.fills)
    f_strat = np.array([f.strategy for f in fills], dtype=object)
    f_sym = np.array([f.sym for f in fills], dtype=np.int64)
    f_cols = {
        "ts": np.array([f.ts for f in fills], dtype=np.int64),
        "side": np.array([f.side for f in fills], dtype=np.int64),
        "px": np.array([f.px for f in fills], dtype=np.int64),
        "qty": np.array([f.qty for f in fills], dtype=np.int64),
    }
    names = list(portfolio.names)
    counts = dict(order_counts or {})
    scopes: dict[str, Any] = {}
    for col, name in enumerate([*names, "total"]):
        is_total = name == "total"
        key = None if is_total else name
        e = eq[:, col]
        x = increments(e)
        f = portfolio.figures(key)
        dd = max_drawdown(ts, e)
        s: dict[str, Any] = {
            "pnl": f["equity"],
            "realized": f["realized"],
            "unrealized": f["unrealized"],
            "fees": f["fees"],
            "fees_paid": f["fees_paid"],
            "rebates": f["rebates"],
            "turnover": f["turnover"],
            "per_day": per_day(ts, e),
            "sharpe": sharpe(x, dt),
            "sortino": sortino(x, dt),
            "max_drawdown": dd["max_drawdown"],
            "max_drawdown_duration_s": dd["duration_s"],
            "drawdown_recovered": dd["recovered"],
            "calmar": calmar(f["equity"], duration, dd["max_drawdown"]),
        }
        for level in (95, 99):
            s[f"var_{level}"], s[f"cvar_{level}"] = var_cvar(x, level)
        s.update(trip_stats([t.net for t in portfolio.round_trips if is_total or t.strategy == name]))
        vol = portfolio.volume(key)
        c = sum_counts(counts.values()) if is_total else dict(counts.get(name, {}))
        filled = vol["maker_lots"] + vol["taker_lots"]
        messages = c.get("orders_sent", 0) + c.get("cancels_sent", 0) + c.get("replaces_sent", 0)
        s.update(
            {
                "fills": vol["fills"],
                "orders_sent": c.get("orders_sent"),
                "cancels_sent": c.get("cancels_sent"),
                "replaces_sent": c.get("replaces_sent"),
                "fill_ratio": ratio(filled, c["lots_sent"]) if c.get("lots_sent") else None,
                "order_to_trade": ratio(messages, vol["fills"]) if c else None,
                "maker_notional": f["maker_notional"],
                "taker_notional": f["taker_notional"],
                "maker_share": ratio(f["maker_notional"], f["maker_notional"] + f["taker_notional"]),
            }
        )
        mine = np.ones(len(fills), dtype=bool) if is_total else (f_strat == name)
        symbols = {}
        for j, inst in enumerate(portfolio.instruments):
            v = portfolio.volume(key, j)
            sel = mine & (f_sym == j)
            row: dict[str, Any] = {
                "maker_volume": inst.lots_to_float(v["maker_lots"]),
                "taker_volume": inst.lots_to_float(v["taker_lots"]),
                **inventory(pos[:, col, j], inst.lot_value),
            }
            mts, mpx = mid_series.get(j, (np.zeros(0, np.int64), np.zeros(0)))
            mo = {}
            for h in horizons_s:
                ticks, bps, n = markouts(
                    f_cols["ts"][sel], f_cols["side"][sel], f_cols["px"][sel], f_cols["qty"][sel], mts, mpx, int(h * NS)
                )
                mo[f"{h}s"] = {"quote_per_unit": None if ticks is None else ticks * inst.tick_value, "bps": bps, "fills": n}
            row["markouts"] = mo
            symbols[inst.symbol] = row
        s["symbols"] = symbols
        scopes[name] = _clean(s)
    return {
        "period": {
            "start_ns": int(ts[0]) if len(ts) else None,
            "end_ns": int(ts[-1]) if len(ts) else None,
            "duration_s": duration,
            "samples": int(len(ts)),
            "sample_interval_s": dt,
        },
        "conventions": dict(CONVENTIONS),
        "scopes": scopes,
        "rejections": dict(sorted((rejections or {}).items())),
    }


def _clean(value: Any) -> Any:
    """numpy scalars to Python, NaN and infinity to None, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite(value)
    return value
