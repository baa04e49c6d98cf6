"""The run report as rich tables, for the backtest command and anything that prints it.

Reads only the dict from ``metrics.build_report``; a figure that is None shows
as "-".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text


def _num(digits: int) -> Callable[[Any], str]:
    return lambda v: "-" if v is None else f"{v:,.{digits}f}"


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _int(v: Any) -> str:
    return "-" if v is None else f"{v:,d}"


def _secs(v: Any) -> str:
    if v is None:
        return "-"
    if v < 120:
        return f"{v:.1f} s"
    if v < 7200:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:.1f} h"


money, ratio3, qty, quote4, bp = _num(2), _num(3), _num(6), _num(4), _num(2)

# (label, key, formatter) rows of the summary table; None key: a section heading
SUMMARY: tuple[tuple[str, str | None, Callable[[Any], str] | None], ...] = (
    ("P&L", None, None),
    ("net P&L", "pnl", money),
    ("realized", "realized", money),
    ("unrealized", "unrealized", money),
    ("fees paid", "fees_paid", money),
    ("rebates", "rebates", money),
    ("turnover", "turnover", money),
    ("risk", None, None),
    ("Sharpe (ann.)", "sharpe", ratio3),
    ("Sortino (ann.)", "sortino", ratio3),
    ("max drawdown", "max_drawdown", money),
    ("drawdown duration", "max_drawdown_duration_s", _secs),
    ("Calmar", "calmar", ratio3),
    ("VaR 95%", "var_95", money),
    ("CVaR 95%", "cvar_95", money),
    ("VaR 99%", "var_99", money),
    ("CVaR 99%", "cvar_99", money),
    ("trading", None, None),
    ("round trips", "round_trips", _int),
    ("win rate", "win_rate", _pct),
    ("profit factor", "profit_factor", ratio3),
    ("avg trip P&L", "avg_trip_pnl", money),
    ("fills", "fills", _int),
    ("orders sent", "orders_sent", _int),
    ("cancels sent", "cancels_sent", _int),
    ("fill ratio", "fill_ratio", _pct),
    ("order-to-trade", "order_to_trade", ratio3),
    ("maker share", "maker_share", _pct),
)


def _summary(report: dict[str, Any]) -> Table:
    scopes = report["scopes"]
    period = report["period"]
    title = f"run report: {_secs(period['duration_s'])}, {period['samples']} samples"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("")
    for name in scopes:
        table.add_column(name, justify="right", style="bold" if name == "total" else None)
    for label, key, fmt in SUMMARY:
        if key is None:
            table.add_row(Text(label, style="dim italic"), *[""] * len(scopes))
        else:
            table.add_row(label, *[fmt(s.get(key)) for s in scopes.values()])  # type: ignore[misc]
    return table


#: (scope, symbol) columns per per-symbol table: four fit in 80 columns beside the labels
SYMBOL_COLUMNS = 4


def _symbols(report: dict[str, Any]) -> list[Table]:
    """Per scope and symbol: volumes, inventory and markouts, one column each (as the
    summary: the figures down, so that a narrow terminal never cuts a number short)."""
    columns = [(name, sym, row) for name, s in report["scopes"].items() for sym, row in s["symbols"].items()]
    horizons = list(columns[0][2]["markouts"]) if columns else []
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("maker volume", lambda r: qty(r["maker_volume"])),
        ("taker volume", lambda r: qty(r["taker_volume"])),
        ("avg |position|", lambda r: qty(r["avg_inventory"])),
        ("max |position|", lambda r: qty(r["max_inventory"])),
    ]
    for h in horizons:
        rows.append((f"markout {h}", lambda r, h=h: quote4(r["markouts"][h]["quote_per_unit"])))
        rows.append(("  in bp", lambda r, h=h: bp(r["markouts"][h]["bps"])))
    tables = []
    for first in range(0, max(1, len(columns)), SYMBOL_COLUMNS):
        title = "per symbol" if first == 0 else None
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("")
        part = columns[first : first + SYMBOL_COLUMNS]
        for name, sym, _ in part:
            table.add_column(f"{name}\n{sym}", justify="right", style="bold" if name == "total" else None)
        for label, fmt in rows:
            table.add_row(label, *[fmt(row) for _, _, row in part])
        tables.append(table)
    return tables


def _extras(report: dict[str, Any]) -> Table:
    table = Table(title="per day and risk rejections", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column("", justify="right")
    total = report["scopes"].get("total", {})
    for day, pnl in total.get("per_day", {}).items():
        table.add_row(f"P&L {day}", money(pnl))
    rejections = report.get("rejections", {})
    if not rejections:
        table.add_row("rejections", "none")
    for reason, n in rejections.items():
        table.add_row(f"rejected: {reason}", _int(n))
    return table


def render_report(report: dict[str, Any]) -> Group:
    """The report as a group of rich tables."""
    return Group(_summary(report), Text(""), *_symbols(report), Text(""), _extras(report))
