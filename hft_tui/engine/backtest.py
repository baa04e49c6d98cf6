"""A headless run from start to end of a source, and what it leaves behind.

``results`` holds every figure of the run and depends only on the input (the
events, the strategies and their parameters, the settings): two runs of the
same input give the same ``results``, bit for bit, and the same fills. ``run``
holds what depends on the machine: wall time, throughput, versions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hft_tui.engine.engine import Engine
from hft_tui.errors import HftError
from hft_tui.exchange.codes import STOP_NAMES
from hft_tui.source import Source
from hft_tui.strategies.loader import StrategySpec

FILL_COLUMNS = ("ts", "strategy", "order_id", "side", "price", "qty", "fee", "liquidity", "position_after", "symbol")


@dataclass
class BacktestResult:
    engine: Engine
    report: dict[str, Any]  # the JSON document: {"results": ..., "run": ...}

    @property
    def results(self) -> dict[str, Any]:
        return self.report["results"]

    def fills_csv(self) -> str:
        out = io.StringIO()
        write_fills(self.engine, out)
        return out.getvalue()

    def digest(self) -> str:
        """One hash of the fills and the results: equal for equal input."""
        h = hashlib.sha256(self.fills_csv().encode())
        h.update(json.dumps(self.results, sort_keys=True).encode())
        return h.hexdigest()


def run_backtest(
    source: Source,
    specs: Sequence[StrategySpec],
    cfg: Mapping[str, Any],
    *,
    on_batch: Callable[[Engine], None] | None = None,
    source_info: Mapping[str, Any] | None = None,
) -> BacktestResult:
    engine = Engine(source, specs, cfg, mode="BACKTEST")
    engine.on_batch = on_batch
    wall = time.perf_counter()
    engine.run()
    wall = time.perf_counter() - wall
    return session_result(engine, wall, source_info)


def session_result(engine: Engine, wall_s: float, source_info: Mapping[str, Any] | None = None) -> BacktestResult:
    """The report of a run as it stands (a backtest's, or a workstation replay's)."""
    return BacktestResult(engine, {"results": results(engine, source_info), "run": run_info(engine, wall_s)})


def results(engine: Engine, source_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    from hft_tui.metrics import build_report

    report = build_report(
        engine.portfolio,
        order_counts=engine.risk.order_counts(),
        rejections=engine.risk.rejections,
        mid_series=engine.sampler.mids_rec.series(),
    )
    report["input"] = {
        "source": dict(source_info or {}),
        "events": engine.events_total,
        "instruments": [
            {"symbol": i.symbol, "tick_size": i.tick_size, "lot_size": i.lot_size} for i in engine.instruments
        ],
        "strategies": [
            {"name": s.name, "strategy": s.spec.source, "params": dict(sorted(s.strategy.params.items()))}
            for s in engine.slots
        ],
    }
    report["engine"] = {
        "end_state": engine.state,
        "strategy_errors": {s.name: s.error for s in engine.slots if s.error},
        "wakes": {s.name: s.wakes for s in engine.slots},
        "killed": engine.kill.tripped,
    }
    return report


def run_info(engine: Engine, wall_s: float) -> dict[str, Any]:
    import numba
    import numpy

    from hft_tui import __version__

    return {
        "wall_s": wall_s,
        "events": engine.events_total,
        "events_per_s": engine.events_total / wall_s if wall_s > 0 else None,
        "fills": engine.desk.n_fills,
        # where the exchange runner handed back to Python (depends on the batch size)
        "runner_stops": {STOP_NAMES.get(k, str(k)): n for k, n in enumerate(engine.xl.stops) if n},
        # the market maker's wake-ups done in jitted code, and those it left to Python
        "fast_mm": None if engine.fast is None else {"wakes": engine.fast.wakes, "declined": dict(sorted(engine.fast.declined.items()))},
        "versions": {
            "hft_tui": __version__,
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "numba": numba.__version__,
        },
        "platform": f"{platform.system()} {platform.machine()}",
    }


def write_fills(engine: Engine, fh: Any) -> None:
    """One row per fill; prices and sizes in instrument units, ts in ns since the epoch."""
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(FILL_COLUMNS)
    insts = engine.instruments
    cfg = engine.xl.config
    # the fee exactly, as a decimal: the float the P&L adds up prints as 0.012000112000000002
    bps = {"maker": Decimal(repr(cfg.maker_fee_bps)), "taker": Decimal(repr(cfg.taker_fee_bps))}
    mult = [Decimal(i.tick_size) * Decimal(i.lot_size) / 10_000 for i in insts]
    for f in engine.portfolio.fills:
        inst = insts[f.sym]
        w.writerow(
            (
                f.ts,
                f.strategy,
                f.order_id,
                "buy" if f.side > 0 else "sell",
                inst.ticks_to_str(f.px),
                inst.lots_to_str(f.qty),
                _decimal_text(f.px * f.qty * mult[f.sym] * bps[f.liquidity]),
                f.liquidity,
                inst.lots_to_str(f.position_after),
                inst.symbol,
            )
        )


def _decimal_text(d: Decimal) -> str:
    """Plain notation, no trailing zeros: 0.012000112, -0.0048, 0."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def save(result: BacktestResult, report_path: str | None, fills_path: str | None) -> None:
    """Write the JSON report and the fills CSV (each through a temporary file, then renamed)."""
    if report_path:
        _atomic_write(report_path, json.dumps(result.report, indent=2, sort_keys=False) + "\n")
    if fills_path:
        _atomic_write(fills_path, result.fills_csv())


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise HftError(f"{path}: cannot write: {exc.strerror or exc}") from None


class Progress:
    """A one-line progress bar on stderr (events/s, ETA), redrawn at most 4 times a second.

    Display only: it reads the wall clock, the results never do.
    """

    def __init__(self, total: int | None, stream: Any = None, after_s: float = 1.0) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.after_s = after_s
        self.t0 = time.perf_counter()
        self._last = 0.0
        self.shown = False

    def __call__(self, engine: Engine) -> None:
        now = time.perf_counter()
        if now - self.t0 < self.after_s or now - self._last < 0.25:
            return
        self._last = now
        done = engine.events_total
        rate = done / (now - self.t0)
        text = f"{done:,} events  {rate / 1e6:.2f}M ev/s"
        if self.total:
            frac = min(1.0, done / self.total)
            bar = "#" * int(frac * 24)
            eta = (self.total - done) / rate if rate > 0 else 0.0
            text = f"[{bar:<24}] {100 * frac:5.1f}%  {text}  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        self.stream.write("\r" + text + " " * 4)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
