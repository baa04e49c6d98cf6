"""Helpers for the replay tests: recorded sim files, headless references, the app on a replay."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np

from hft_tui import cli
from hft_tui.config import load
from hft_tui.engine.backtest import run_backtest, write_fills
from hft_tui.events import EOM
from hft_tui.feeds.replay import ReplaySource
from hft_tui.strategies.loader import load_strategies
from hft_tui.tickfile import TickReader, TickWriter
from hft_tui.ui.app import HftApp

STRATEGY = ["mm"]


def record(path: Path, seconds: float = 3.0, seed: int = 5, *overrides: str) -> Path:
    """A tick file of the sim venue (what `hft-tui sim -o` writes)."""
    argv = ["sim", "--seconds", str(seconds), "--seed", str(seed), "-o", str(path), "--force"]
    for o in overrides:
        argv += ["--set", o]
    assert cli.main(argv) == 0
    return path


def settings(*overrides: str) -> dict:
    return load(use_user_file=False, overrides=overrides)


def specs(cfg: dict, strategies=STRATEGY):
    return load_strategies(strategies, cfg, [])


def backtest_fills(paths, cfg: dict, strategies=STRATEGY) -> str:
    result = run_backtest(ReplaySource([str(p) for p in paths]), specs(cfg, strategies), cfg)
    return result.fills_csv()


def fills_of(engine) -> str:
    out = io.StringIO()
    write_fills(engine, out)
    return out.getvalue()


def split(path: Path, cuts_ns: list[int], out_dir: Path) -> list[Path]:
    """The file cut into pieces at the first message starting at or after each time
    (like hourly files of a day); returns the pieces in order."""
    with TickReader(path) as r:
        ev, inst = r.read_all(), r.instrument
    starts = np.concatenate(([0], np.flatnonzero(ev["flags"] & EOM)[:-1] + 1))
    bounds = [0] + [int(starts[np.searchsorted(ev["exch_ts"][starts], c)]) for c in cuts_ns] + [len(ev)]
    out = []
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
        piece = out_dir / f"{path.stem}-{k:02d}.hft"
        with TickWriter(piece, inst) as w:
            w.write(ev[a:b])
        out.append(piece)
    return out


def make_app(link) -> HftApp:
    return HftApp(link, link.instruments)


async def wait_until(pilot, cond, timeout: float = 30.0, step: float = 0.02) -> None:
    t = time.monotonic()
    while not cond():
        if time.monotonic() - t > timeout:
            raise AssertionError("timed out waiting for the replay")
        await pilot.pause(step)


def ended(link) -> bool:
    s = link.latest()
    return s is not None and s.engine_state == "ended"
