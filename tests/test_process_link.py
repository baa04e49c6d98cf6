"""The engine in its own process (hft_tui.ui.process_link): what the CLI's workstation runs on.

Each test starts a real engine process (a fresh interpreter, numba kernels from
the cache) on the seeded sim venue at full speed, and every one ends it.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from hft_tui.cli import build_parser
from hft_tui.engine.commands import Pause, Resume
from hft_tui.errors import HftError
from hft_tui.ui.app import HftApp
from hft_tui.ui.process_link import ProcessLink, Recipe



def sim_link(*argv: str) -> ProcessLink:
    args = build_parser().parse_args(["run", "--seed", "7", "--speed", "0", *argv])
    return ProcessLink(Recipe("hft_tui.commands.run", "build_link", (args,))).start()


async def until(cond, limit: float = 20.0) -> None:
    t = time.monotonic()
    while not cond():
        assert time.monotonic() - t < limit, "timed out"
        await asyncio.sleep(0.01)


async def test_app_drives_an_engine_process_and_q_stops_it():
    link = sim_link()
    assert link.mode == "SIM" and link.instruments[0].symbol == "BTCUSDT"
    app = HftApp(link, link.instruments)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(lambda: link.latest() is not None and link.latest().events_total > 0)
            await until(lambda: app.frames > 0)
            link.send(Pause())
            await until(lambda: link.latest().engine_state == "paused")
            link.send(Resume())
            await until(lambda: link.latest().engine_state == "running")
            # the log arrives in pieces; the link hands the app a continuous tail
            await until(lambda: len(link.latest().log) > 3)
            seqs = [line.seq for line in link.latest().log]
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
            await pilot.press("ctrl+k")
            await until(lambda: link.latest().killed)
            assert all(s.state == "HALTED" for s in link.latest().strategies)
            assert link.latest().orders == ()  # every order cancelled
            await pilot.press("q")
        assert link.finished.wait(20)
        link.close(20)
        assert link._proc.returncode == 0
        assert link.state == "ended"
    finally:
        link.shutdown()
        link.close(5)


def test_a_build_error_comes_back_as_one_line():
    with pytest.raises(HftError, match="nope") as info:
        sim_link("--strategy", "nope")
    assert "\n" not in str(info.value)


def test_the_engine_process_stops_when_the_app_goes_away():
    """No goodbye (the app was killed, the SSH link dropped): the pipe ends and the
    child cancels, stops and leaves by itself."""
    link = sim_link()
    link._send(("start",))
    t = time.monotonic()
    while link._conn.poll(20) and link._conn.recv()[0] != "snap":
        assert time.monotonic() - t < 20
    link._conn.close()
    assert link._proc.wait(20) == 0


def test_a_replay_process_says_what_it_saved_when_it_ends(tmp_path):
    """The engine process's last word (``notes``) reaches the app's side: the CLI
    prints it after the workstation closes."""
    import threading

    from hft_tui.bench.backtest import _write

    data, fills = tmp_path / "sim.hft", tmp_path / "fills.csv"
    _write(data, 50_000)
    args = build_parser().parse_args(["replay", str(data), "--strategy", "mm", "--speed", "max", "--fills", str(fills)])
    link = ProcessLink(Recipe("hft_tui.commands.replay", "build_link", (args, [str(data)]))).start()
    try:
        worker = threading.Thread(target=link.run, daemon=True)
        worker.start()
        t = time.monotonic()
        while not (link.latest() is not None and link.latest().engine_state == "ended"):
            assert time.monotonic() - t < 30, "timed out"
            time.sleep(0.01)
        link.shutdown()
        assert link.finished.wait(20)
        assert link.notes == [("info", f"saved {fills}")]
        assert fills.read_text().startswith("ts,strategy,order_id")
    finally:
        link.shutdown()
        link.close(5)
