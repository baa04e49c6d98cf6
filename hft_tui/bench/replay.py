"""Benchmark area ``replay``: a replay at ``--speed max`` with the workstation attached.

The workstation runs headless (Textual's test driver, 160x48, the same widgets
and the same 25 Hz refresh as on a terminal, the engine in its own process as
``hft-tui replay`` runs it) over a sim-venue tick file with the built-in market
maker, opened paused. Play (space) is pressed once the first frame is painted;
the figure is the engine's throughput from the first snapshot that shows it
running to the one that shows the end of the data, as the workstation received
them (both came the same way, so the way's delay cancels out). Timed from the
key instead, it would also hold the key's way to the engine while the screen
still settles from start-up: the first running snapshot came 90 to 105 ms after
the key, with 0.2M to 0.3M events done, and the figure read 6% to 10% lower.
The ``ui`` area measures key latency on a settled screen, and its own
throughput ratio the same way as here. The same file's headless backtest gives
the reference: their ratio is what the UI costs the engine. Three runs of each,
in pairs; the medians are reported.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

FIGURES = {
    "replay_tui_events_per_s": "events/s of a replay at --speed max in the workstation (headless "
    "terminal 160x48, mm strategy) over 10M sim events (quick: 3M), from its first snapshot running to its "
    "last, as the workstation received them, JIT excluded; the median of three runs (quick: one)",
    "replay_tui_vs_backtest": "that throughput over the headless backtest's on the same file (1.0: the UI costs "
    "nothing); the median of three pairs, each run right after the other",
}


def _tui_rate(path: Path) -> float:
    """Events/s of a workstation opened paused, played (space) once its first frame is
    painted, from the first snapshot received that shows it running to the one that
    shows the end of the data."""
    from hft_tui.bench.ui import open_workstation

    link, app = open_workstation(path, paused=True)
    marks: dict[str, tuple[float, int]] = {}

    async def drive() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            played = False
            while True:
                snap = link.latest()
                if snap is not None:
                    if not played and snap.engine_state == "paused" and app.frames:
                        played = True
                        app.post_key("space")
                    elif played and "first" not in marks and snap.engine_state == "running":
                        marks["first"] = (time.perf_counter(), snap.events_total)
                    if snap.engine_state in ("ended", "error"):
                        marks["end"] = (time.perf_counter(), snap.events_total)
                        break
                await pilot.pause(0.01)
            await pilot.press("q")

    try:
        asyncio.run(drive())
    finally:
        link.shutdown()
        link.close()
    if "first" not in marks:
        raise RuntimeError("no snapshot showed the replay running: the bench file is too short")
    (t0, n0), (t1, n1) = marks["first"], marks["end"]
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
