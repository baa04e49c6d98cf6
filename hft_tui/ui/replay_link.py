"""The engine link of a replay: tick files played through a fresh engine, and back to start.

Back to start (the home key) is a new session, not a seek: the source is
rewound and a new engine is built the way the first one was (same settings,
the strategies' current parameters and on/off switches, the same kill switch,
so a tripped kill stays tripped), then started from the first event, or from
``--start``. The strategies, the simulated exchange, the portfolio and the
risk manager all start afresh, so a replay played from the start gives the
fills of the headless backtest of the same files and settings, however often
it is restarted. Once the data has ended, a seek also begins a new session,
played from the seek's target.

With ``report`` or ``fills`` (``hft-tui replay --report --fills``), the session's
report and fills are written as ``hft-tui backtest`` writes them: when its data
ends, and again at quit (the session as it stands then, run to the end or not).
A session left for a new one (back to start, a seek after the end) is not.

No textual here: the link runs in the app's engine worker thread and is
driven from the UI thread only through ``send``, ``kill``, ``restart`` and
``shutdown``, which return at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hft_tui.engine.backtest import save, session_result
from hft_tui.engine.commands import EnableStrategy, KillSwitch, Pause, Seek, Stop
from hft_tui.engine.engine import Engine
from hft_tui.engine.snapshot import Snapshot
from hft_tui.errors import HftError
from hft_tui.feeds.replay import ReplaySource
from hft_tui.strategies.loader import StrategySpec
from hft_tui.ui.launch import EngineAdapter


class KeptOpen:
    """A replay source that the engine may stop without closing: the next session
    rewinds it. ``close`` releases it for good."""

    def __init__(self, source: ReplaySource) -> None:
        self._source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self._source.stop()


class ReplayLink(EngineAdapter):
    def __init__(
        self,
        source: ReplaySource,
        specs: Sequence[StrategySpec],
        cfg: Mapping[str, Any],
        *,
        speed: float | None = 1.0,
        start_ns: int | None = None,
        paused: bool = False,
        report: str | None = None,
        fills: str | None = None,
        source_info: Mapping[str, Any] | None = None,
    ) -> None:
        self.source = KeptOpen(source)
        self.outputs = (report, fills)
        self.source_info = dict(source_info or {})
        self._wall = 0.0  # wall time of the session's run (pauses included)
        self.cfg = cfg
        self.start_ns = start_ns
        self.kill_switch = KillSwitch()
        #: (first, last) exchange time of the data, for the progress bar and the seek dialog
        self.span = (source.first_ts or 0, source.last_ts or 0)
        #: bumped at every back-to-start: the viewer drops what it kept of the old session
        self.session = 0
        self._restart = False
        self._restart_at: int | None = None
        self._wake = threading.Event()
        self._previous: Snapshot | None = None
        super().__init__(self._build(list(specs), speed, paused, start_ns), "REPLAY")

    @property
    def instruments(self) -> list:
        return list(self.source.instruments)

    def _build(self, specs: list[StrategySpec], speed: float | None, paused: bool, start_ns: int | None) -> Engine:
        engine = Engine(self.source, specs, self.cfg, mode="REPLAY", speed=speed, kill=self.kill_switch)
        for warning in self.source.warnings:
            engine.log("feed", "", warning.removeprefix("warning: "), "warning")
        if start_ns is not None:
            engine.command(Seek(start_ns))  # drained before the first batch is read
        if paused:
            engine.command(Pause())
        return engine

    # --- the worker thread ---------------------------------------------------------------------
    def run(self) -> None:
        try:
            while True:
                self.engine.want_snapshots(True, self.notify)
                began = time.perf_counter()
                self.engine.run(reraise=False)
                self._wall = time.perf_counter() - began
                if self.engine.state == "ended":
                    self._save()
                # ended, stopped or failed: the last state stays on screen until q or
                # home, and what the viewer sends meanwhile still acts on it
                while True:
                    self._wake.wait()
                    self._wake.clear()
                    if self._stopped or self._restart:
                        break
                    self.engine.control.after_end()
                if self._stopped:
                    self._save()
                    return
                self._restart = False
                self._fresh_session(self._restart_at)
        finally:
            self.source.close()
            self.finished.set()

    def _save(self) -> None:
        """Write the session's report and fills, if asked; the outcome goes to the log
        and to ``notes`` (printed when the workstation closes)."""
        report, fills = self.outputs
        if not (report or fills):
            return
        e = self.engine
        try:
            save(session_result(e, self._wall, self.source_info), report, fills)
        except HftError as exc:
            level, text = "error", f"replay not saved: {exc}"
        else:
            level, text = "info", "saved " + " and ".join(p for p in self.outputs if p)
        e.log("engine", "", text, level)
        e.publisher.publish()
        self.notes = [(level, text)]

    def _fresh_session(self, start_ns: int | None) -> None:
        old = self.engine
        specs = [replace(slot.spec, params=dict(slot.strategy.params)) for slot in old.slots]
        self.source.rewind()
        engine = self._build(specs, old.pacer.speed, old.control.paused, start_ns)
        engine.log("engine", "", "back to start" if start_ns == self.start_ns else "new session (seek after the end)")
        for slot in old.slots:
            if not slot.enabled:  # switched off by the user: it stays off
                engine.command(EnableStrategy(slot.name, False))
        # until the new engine publishes: the old picture, without its log lines, starting
        last = old.latest
        self._previous = None if last is None else replace(last, log=(), engine_state="starting", engine_error="")
        self.engine = engine
        self.session += 1

    # --- the UI thread -----------------------------------------------------------------------------
    def latest(self) -> Snapshot | None:
        snap = self.engine.latest
        return snap if snap is not None else self._previous

    def send(self, command: Any) -> None:
        # the data has ended, the engine with it: a seek begins a new session at the target
        if isinstance(command, Seek) and self.engine.state in ("ended", "error"):
            self.restart(command.ts_ns)
            return
        # anything else goes to the engine; once it has ended, the worker applies it
        # (a new speed is the pacer's, which the next session takes over)
        super().send(command)
        self._wake.set()

    def kill(self, reason: str) -> None:
        super().kill(reason)
        self._wake.set()

    def restart(self, start_ns: int | None = None) -> None:
        """Back to start (or to ``start_ns``): end this session and begin a fresh one
        (see the module doc)."""
        if self._stopped:
            return
        self._restart_at = self.start_ns if start_ns is None else start_ns
        self._restart = True
        self.engine.command(Stop())
        self._wake.set()

    def shutdown(self) -> None:
        super().shutdown()
        self._wake.set()
