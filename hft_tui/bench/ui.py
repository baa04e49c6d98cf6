"""Benchmark area ``ui``: the workstation driven headless while the engine replays.

The app runs under Textual's ``run_test`` (a real app, no terminal), attached to
an engine replaying a sim-venue tick file as fast as it can with the market
maker trading. Measured: how many snapshot frames the UI draws per second, how
long a key takes to act in the engine, the replay throughput with the UI
attached against the same replay headless, and the start-up time of a fresh
process to its first full frame. The workstation is driven three times (quick:
once): frames and throughput are the medians, the key latency the worst of all.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIGURES = {
    "ui_fps_during_replay": "frames/s the UI painted with a new engine snapshot while the engine replayed at full speed (median of 3)",
    "ui_key_latency_ms": "worst ms from a key event reaching the app (pause, resume, kill switch) to the engine acting on it, from 0.5 s after the first frame (worst of 3)",
    "ui_replay_throughput_ratio": "replay events/s with the UI attached / headless backtest events/s, same file (median of 3 pairs)",
    "startup_to_first_frame_s": "s from a fresh process start to the first frame painted from a snapshot (warm cache)",
}

FRAME_WINDOW_S = 0.8  # frames and throughput are measured over this stretch of uninterrupted replay
SETTLE_S = 0.5  # after the first snapshot, before the first key
#: the fewest events in the benchmark's file
UI_EVENTS = 10_000_000
#: seconds of replay at the headless rate the file must hold: the engine runs from
#: before the first frame through the settle, the keys and the frame window (about
#: 2 s of running in all), and the replay may be a little faster with the UI attached
REPLAY_S = 4.0

_STARTUP_SCRIPT = """
import asyncio, os, sys, time
t0 = float(os.environ["HFT_BENCH_T0"])
from hft_tui.bench.ui import first_frame
print(first_frame(sys.argv[1]) - t0)
"""


def bench_link(path: str, paused: bool = False):
    """The benchmark's session (built in the engine process): a replay of ``path`` as
    fast as it goes with the market maker trading, snapshots at the default rate
    (``paused``: waiting for a Resume)."""
    from hft_tui.config import load
    from hft_tui.engine.commands import Pause
    from hft_tui.engine.engine import Engine
    from hft_tui.feeds.replay import ReplaySource
    from hft_tui.strategies.loader import load_strategies
    from hft_tui.ui.launch import EngineAdapter

    cfg = load(use_user_file=False)
    engine = Engine(ReplaySource([Path(path)]), load_strategies(["mm"], cfg), cfg, mode="REPLAY", speed=None)
    if paused:
        engine.command(Pause())
    return EngineAdapter(engine, "REPLAY")


def open_workstation(path: Path, paused: bool = False):
    """The workstation as ``hft-tui replay`` opens it: the engine in its own process."""
    from hft_tui.ui.launch import import_app
    from hft_tui.ui.process_link import ProcessLink, Recipe

    link = ProcessLink(Recipe(__name__, "bench_link", (str(path), paused))).start(meanwhile=import_app)
    from hft_tui.ui.app import HftApp

    return link, HftApp(link, link.instruments)


async def _drive(path: Path) -> dict[str, float]:
    link, app = open_workstation(path)
    latencies: list[float] = []

    def snap():
        return link.latest()

    async def until(cond, limit: float = 10.0) -> float:
        t = time.perf_counter()
        while not cond(snap()):
            if time.perf_counter() - t > limit:
                raise RuntimeError("the engine did not act on the key within 10 s")
            await asyncio.sleep(0.0005)
        return time.perf_counter() - t

    try:
        async with app.run_test(size=(160, 48)):
            t_start = time.perf_counter()
            await until(lambda s: s is not None and s.events_total > 0, 30.0)
            t_first = time.perf_counter()
            # Pause and resume a few times, count frames for a while, then kill, all
            # while the engine replays. The engine's acting is seen in its snapshots,
            # so the latencies include the snapshot's way to the UI. Frames are counted
            # apart from the keys: waiting for a key's effect polls the app's own event
            # loop, and a paused engine sends nothing new to draw.
            # The first key waits for the start-up to settle (Textual composes the
            # footer twice in the first half second, each a layout of the screen).
            for settle in (SETTLE_S, 0.15, 0.15):
                await asyncio.sleep(settle)
                # Keys go in as the terminal driver delivers them (app.post_key), not
                # through pilot.press, which first waits for an idle screen
                # that a busy replay never has.
                app.post_key("p", "p")
                latencies.append(await until(lambda s: s.engine_state == "paused"))
                app.post_key("p", "p")
                latencies.append(await until(lambda s: s.engine_state != "paused"))
            t_frames = time.perf_counter()
            frames0 = app.frames
            events0 = snap().events_total
            await asyncio.sleep(FRAME_WINDOW_S)
            t_end = time.perf_counter()
            frames = app.frames - frames0
            last = snap()
            if last.engine_state != "running":
                raise RuntimeError("the replay ended before the measurement did: the bench file is too short")
            events = last.events_total - events0
            app.post_key("ctrl+k")
            latencies.append(await until(lambda s: s.killed))
    finally:
        link.shutdown()
        link.close()
    return {
        "fps": frames / max(1e-9, t_end - t_frames),
        "key_ms": max(latencies) * 1000,
        "events_per_s": events / max(1e-9, t_end - t_frames),
        "startup": t_first - t_start,
    }


def first_frame(path: str) -> float:
    """Open the workstation on a replay and return the wall time of its first frame."""
    link, app = open_workstation(Path(path))

    async def go() -> float:
        async with app.run_test(size=(160, 48)):
            while app.frames == 0:
                await asyncio.sleep(0.001)
            return time.time()

    try:
        return asyncio.run(go())
    finally:
        link.shutdown()
        link.close()


def _startup(path: Path) -> float:
    env = dict(os.environ, HFT_BENCH_T0=repr(time.time()))
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP_SCRIPT, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    if out.returncode:
        raise RuntimeError(f"start-up benchmark failed: {out.stderr.strip().splitlines()[-1:]}")
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> dict[str, float]:
    from hft_tui.bench.backtest import _backtest, _write
    from hft_tui.engine.warmup import warm_up

    warm_up()
    # quick: one drive; the replay must outlast the measurement either way,
    # so the file grows with the machine's speed (a fixed size ran out on a fast one)
    n = UI_EVENTS
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        path = Path(tmp) / "sim.hft"
        _write(path, n)
        _backtest(path, "mm", warm=True)
        rates = [_backtest(path, "mm")]
        need = int(rates[0] * REPLAY_S)
        if need > n:
            n = -(-need // 1_000_000) * 1_000_000
            _write(path, n)
            rates = []  # measured on the shorter file
        runs = []
        for i in range(1 if quick else 3):
            # each drive paired with a headless run just before it: the host's speed wanders
            headless = rates[0] if i == 0 and rates else _backtest(path, "mm")
            runs.append((asyncio.run(_drive(path)), headless))
        startup = _startup(path)
    return {
        "ui_fps_during_replay": statistics.median(ui["fps"] for ui, _ in runs),
        "ui_key_latency_ms": max(ui["key_ms"] for ui, _ in runs),
        "ui_replay_throughput_ratio": statistics.median(ui["events_per_s"] / headless for ui, headless in runs),
        "startup_to_first_frame_s": startup,
    }
