"""Benchmark area ``replay``: a replay at ``--speed max`` with the workstation attached.

The workstation runs headless (Textual's test driver, 160x48, the same widgets
and the same 25 Hz refresh as on a terminal, the engine in its own process as
``hft-tui replay`` runs it) over a sim-venue tick file with the built-in market
maker, opened paused; the figure is the engine's throughput from the moment
play (space) is pressed on the painted screen to the end of the data (the
workstation's start-up, measured by the ``ui`` area, stays out of it). The
same file's headless backtest gives the reference: their ratio is what the UI
costs the engine. Three runs of each, in pairs; the medians are reported.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

FIGURES = {
    "replay_tui_events_per_s": "events/s of a replay at --speed max in the workstation (headless "
    "terminal 160x48, mm strategy) over 10M sim events (quick: 3M), JIT excluded; the median of three runs (quick: one)",
    "replay_tui_vs_backtest": "that throughput over the headless backtest's on the same file (1.0: the UI costs "
    "nothing); the median of three pairs, each run right after the other",
}


def _tui_rate(path: Path) -> float:
    """Events/s from play (space) on a workstation opened paused, its first frame
    painted, to the end of the data."""
    from hft_tui.bench.ui import open_workstation

    link, app = open_workstation(path, paused=True)
    marks: dict[str, tuple[float, int]] = {}

    async def drive() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            while True:
                snap = link.latest()
                if "play" not in marks and snap is not None and snap.engine_state == "paused" and app.frames:
                    marks["play"] = (time.perf_counter(), snap.events_total)
                    app.post_key("space")
                if snap is not None and snap.engine_state in ("ended", "error"):
                    marks["end"] = (time.perf_counter(), snap.events_total)
                    break
                await pilot.pause(0.01)
            await pilot.press("q")

    try:
        asyncio.run(drive())
    finally:
        link.shutdown()
        link.close()
    (t0, n0), (t1, n1) = marks["play"], marks["end"]
    return (n1 - n0) / (t1 - t0)


def run(quick: bool) -> dict[str, float]:
    from hft_tui.bench.backtest import RUNS, _backtest, _write
    from hft_tui.engine.warmup import warm_up

    n = 3_000_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory(prefix="hft-bench-replay-") as tmp:
        path = Path(tmp) / "sim.hft"
        _write(path, n)
        warm_up()
        _backtest(path, "mm", warm=True)
        tui, ratio = [], []
        for _ in range(1 if quick else RUNS):
            # in pairs: the host's speed wanders, a pair sees about the same host
            backtest = _backtest(path, "mm")
            tui.append(_tui_rate(path))
            ratio.append(tui[-1] / backtest if backtest else 0.0)
    return {"replay_tui_events_per_s": statistics.median(tui), "replay_tui_vs_backtest": statistics.median(ratio)}
