"""Benchmark area ``backtest``: the engine end to end, and the kill switch under load.

Each backtest figure times a whole headless run over the same sim-venue tick
file: open the file, replay it through the exchange, the strategy, the risk
manager and the portfolio, build the report. The numba kernels are loaded (or
compiled) first, on a short run, outside the timing.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

FIGURES = {
    "backtest_mm_events_per_s": "events/s of a backtest of the built-in mm over 10M sim events "
    "(quick: 1M), tick file to report, JIT excluded; the median of three runs",
    "backtest_python_events_per_s": "events/s of the same backtest with examples/grid_quoter.py "
    "(a plain-Python user file woken on every best bid/ask change); the median of three runs",
    "kill_switch_worst_us": "worst wall time (us) from a Kill command queued to every order "
    "cancelled and every strategy halted, replaying at full speed (20 trials; quick: 5)",
}

#: runs of each backtest figure (the median is reported: a shared host's speed wanders
#: by a quarter from one second to the next)
RUNS = 3

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "grid_quoter.py"


class _Prefix:
    """The first ``n`` events of a source (for the warm-up run)."""

    def __init__(self, source: Any, n: int) -> None:
        self.source, self.left = source, n
        self.instruments, self.realtime = source.instruments, False

    def start(self) -> None:
        self.source.start()

    def read(self, max_events: int, timeout: float):
        if self.left <= 0:
            return None
        batch = self.source.read(max_events, timeout)
        if batch is not None:
            self.left -= len(batch)
        return batch

    def health(self) -> dict:
        return {}

    def stop(self) -> None:
        self.source.stop()


def _write(path: Path, n: int) -> None:
    from hft_tui.feeds.sim_source import SimSource
    from hft_tui.tickfile import TickWriter

    src = SimSource(seed=1, max_events=n)
    with TickWriter(path, src.instruments[0]) as w:
        while (batch := src.read(1 << 16)) is not None:
            w.write(batch)


def _backtest(path: Path, strategy: str, warm: bool = False) -> float:
    from hft_tui.config import load
    from hft_tui.engine.backtest import run_backtest
    from hft_tui.feeds.replay import ReplaySource
    from hft_tui.strategies.loader import load_strategies

    cfg = load(use_user_file=False)
    specs = load_strategies([strategy], cfg)
    t = time.perf_counter()
    source: Any = ReplaySource([path])
    if warm:
        source = _Prefix(source, 200_000)
    result = run_backtest(source, specs, cfg)
    wall = time.perf_counter() - t
    return result.engine.events_total / wall


def median_rate(path: Path, strategy: str, runs: int = RUNS) -> float:
    """The median of ``runs`` backtests' events/s (after one warm-up on a prefix)."""
    _backtest(path, strategy, warm=True)
    return statistics.median(_backtest(path, strategy) for _ in range(runs))


def _kill_trials(path: Path, trials: int) -> float:
    from hft_tui.config import load
    from hft_tui.engine.commands import EnableStrategy, Kill, Rearm, Stop
    from hft_tui.engine.engine import Engine
    from hft_tui.feeds.replay import ReplaySource
    from hft_tui.strategies.loader import load_strategies

    cfg = load(use_user_file=False)
    engine = Engine(ReplaySource([path]), load_strategies(["mm", "grid"], cfg), cfg, mode="REPLAY")
    rng = random.Random(1)
    worst = 0.0
    engine.start()
    try:
        for _ in range(trials):
            time.sleep(rng.uniform(0.02, 0.08))
            if not engine._thread or not engine._thread.is_alive():
                break
            engine.last_kill_us = None
            engine.command(Kill("bench"))
            deadline = time.monotonic() + 10
            while engine.last_kill_us is None and time.monotonic() < deadline:
                time.sleep(0.01)  # a light poll: a busy one would fight the engine for the GIL
            if engine.last_kill_us is None:
                raise RuntimeError("the kill switch did not act within 10 s")
            worst = max(worst, engine.last_kill_us)
            engine.command(Rearm())
            for slot in engine.slots:
                engine.command(EnableStrategy(slot.name, True))
    finally:
        engine.command(Stop())
        engine.join(30)
    return worst


def run(quick: bool) -> dict[str, float]:
    from hft_tui.engine.warmup import warm_up

    n = 1_000_000 if quick else 10_000_000
    warm_up()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        path = Path(tmp) / "sim.hft"
        _write(path, n)
        runs = 1 if quick else RUNS
        out["backtest_mm_events_per_s"] = median_rate(path, "mm", runs)
        if EXAMPLE.is_file():  # a source checkout: the example ships beside the package
            out["backtest_python_events_per_s"] = median_rate(path, f"{EXAMPLE}:GridQuoter", runs)
        out["kill_switch_worst_us"] = _kill_trials(path, 5 if quick else 20)
    return out
