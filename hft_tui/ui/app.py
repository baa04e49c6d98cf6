"""The Textual app: wires the engine link, the main screen, keys and themes.

The engine runs in a thread worker; the UI never sees individual market
messages. The app draws the engine's latest snapshot when one arrives (a link
that says so, like the engine process's) and on a 40 Hz timer (every link),
handing each panel its part; panels redraw only what changed.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
from collections.abc import Iterable
from typing import Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from hft_tui.config import save_user
from hft_tui.engine.commands import EnableStrategy, Rearm, SetLimit, SetParam
from hft_tui.engine.snapshot import Snapshot
from hft_tui.errors import HftError
from hft_tui.instrument import Instrument
from hft_tui.ui.link import EngineLink
from hft_tui.ui.main_screen import MainScreen
from hft_tui.ui.palette import WorkstationCommands, help_rows, without_replaced
from hft_tui.ui.playback import UNSET, PlaybackKeys
from hft_tui.ui.screens.dialogs import ConfirmScreen, HelpScreen, RearmScreen
from hft_tui.ui.screens.edit import EditScreen, shown
from hft_tui.ui.screens.limits import limits_screen
from hft_tui.ui.themes import APP_COLOURS, DEFAULT_DARK, load_themes
from hft_tui.ui.widgets.ladder import DepthLadder
from hft_tui.ui.widgets.orders import OrderLog
from hft_tui.ui.widgets.pnl import PnLPanel
from hft_tui.ui.widgets.replay_bar import ReplayBar
from hft_tui.ui.widgets.risk import RiskPanel
from hft_tui.ui.widgets.status import StatusBar
from hft_tui.ui.widgets.strategies import StrategiesPanel

REFRESH_HZ = 40  # a little above the engine's 33 snapshots a second: none is skipped
SLOW_PANELS_S = 0.125  # status, P&L, risk and strategies redraw at most 8 times a second


def binding_ids() -> set[str]:
    """Every id a ``[keys]`` table may remap: the bindings of the app and of each of its
    screens and panels (every one of them has an id; Textual's own have none)."""
    ids: set[str] = set()
    todo: list[type] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("hft_tui.ui."):
            ids.update(b.id for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding) and b.id)
    return ids


class SnapshotArrived(Message):
    """A new snapshot is there (posted from the link's receiving thread)."""


class HftApp(PlaybackKeys, App[None]):
    TITLE = "hft-tui"
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    BINDINGS = [
        Binding("ctrl+k", "kill", "KILL", priority=True, id="kill"),
        Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True, id="interrupt"),
        Binding("q", "quit_app", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("R", "rearm", "Re-arm", id="rearm"),
        Binding("s", "next_symbol", "Symbol", id="symbol"),
        Binding("t", "next_theme", "Theme", id="theme"),
        Binding("L", "edit_limits", "Limits", id="limits"),
        Binding("ctrl+s", "save_settings", "Save", show=False, id="save"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("space", "toggle_pause", "Play/pause", show=False, id="replay.play"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster"),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower"),
        Binding("full_stop", "step", "Step", id="replay.step"),
        Binding("greater_than_sign", "step_second", "Step 1s", show=False, id="replay.step_second"),
        Binding("g", "seek", "Seek", id="replay.seek"),
        Binding("home", "restart", "Start", show=False, id="replay.start"),
    ]

    def __init__(
        self,
        link: EngineLink,
        instruments: list[Instrument],
        *,
        theme: str = DEFAULT_DARK,
        keymap: dict[str, str] | None = None,
        refresh_hz: float = REFRESH_HZ,
    ) -> None:
        super().__init__()
        self.link = link
        self.mode = link.mode
        self.instruments = list(instruments)
        self.symbol_index = 0
        self.refresh_hz = refresh_hz
        self._snap: Snapshot | None = None
        self._killed_locally = False
        self._paused = False
        self._want_paused: bool | None = None  # pause/resume sent, not yet in a snapshot
        self._speed: Any = UNSET  # speed sent, not yet in a snapshot
        self._session = 0  # a replay's back-to-start begins a new one
        themes, self.theme_problems = load_themes()
        for t in themes:
            # register in __init__ so that the very first frame already uses them
            self.register_theme(t)
        self.theme = theme if theme in self.available_themes else DEFAULT_DARK
        self._keymap = keymap or {}
        # screens painted with a new snapshot (the UI benchmark): two snapshots applied
        # before one paint count once, as the user saw one frame
        self.frames = 0
        self._paint_pending = False
        self._arrival_posted = False
        self._states: tuple = ()
        self._slow_snap: Snapshot | None = None  # the snapshot the slow panels show
        self._slow_at = -1e9  # when they last changed (time.monotonic)
        self._told_seq = 0  # the last log line looked at for errors to pop up

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_COLOURS)

    # --- life cycle ---------------------------------------------------------------------
    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        for problem in self.theme_problems:
            self.notify(problem, severity="warning")
        self.push_screen(MainScreen(self.mode, getattr(self.link, "span", None)))
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.on_terminate)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests) or no signals here
        if hasattr(self.link, "on_snapshot"):
            # Drawn as soon as it arrives, not at the next tick: a tick that finds the
            # loop busy painting is skipped, and the frame rate halves.
            self.link.on_snapshot = self._snapshot_arrived
        self.run_engine()
        self.set_interval(1 / self.refresh_hz, self.poll_snapshot)

    def _snapshot_arrived(self) -> None:
        """The link's thread: one message in the queue at a time, however fast they come."""
        if not self._arrival_posted:
            self._arrival_posted = True
            self.post_message(SnapshotArrived())

    def on_snapshot_arrived(self, _message: SnapshotArrived) -> None:
        self._arrival_posted = False
        self.poll_snapshot()

    @work(thread=True, exclusive=True, exit_on_error=False, name="engine", group="engine")
    def run_engine(self) -> None:
        self.link.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "engine" and event.state == WorkerState.ERROR:
            self.notify(f"engine stopped: {event.worker.error}", severity="error", timeout=30)

    def on_terminate(self) -> None:
        """SIGTERM: the same clean exit as q, and never a hang on the way out."""
        guard = threading.Timer(5.0, os._exit, args=(128 + signal.SIGTERM,))
        guard.daemon = True  # only for a hang: a clean exit must not wait for it
        guard.start()
        self.shutdown()

    def post_key(self, key: str, character: str | None = None) -> None:
        """Deliver a key the way the terminal driver does (benchmarks and scripts:
        unlike the test pilot's press, it does not wait for an idle screen first)."""
        self.post_message(events.Key(key, character))

    # --- the refresh timer ------------------------------------------------------------------
    def poll_snapshot(self) -> None:
        screen = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if screen is None or not screen.ready or not screen.is_attached:
            return
        try:
            self._draw(screen)
        except NoMatches:
            pass  # the screen is being built or torn down: the next tick draws

    def _painted(self) -> None:
        self._paint_pending = False
        self.frames += 1
        if self.frames == 1:
            # Everything built so far (Textual, the widgets, the themes) lives as long
            # as the app: out of the collector's sight, its full collections stop
            # walking it, which froze frames for tens of milliseconds. The start-up's
            # garbage goes first, or it would stay for good.
            gc.collect()
            gc.freeze()

    def _draw(self, screen: MainScreen) -> None:
        session = getattr(self.link, "session", 0)
        if session != self._session:
            self._session = session
            self._snap = None
            self._told_seq = 0  # a new engine numbers its log lines afresh
            screen.query_one(OrderLog).clear()
        snap = self.link.latest()
        if snap is None:
            screen.query_one(StatusBar).show(None, self._symbol_name())
            return
        if snap is not self._snap:
            self._snap = snap
            self._fresh(screen, snap)
            self._tell_errors(snap)
        self._slow(screen, snap)

    def _tell_errors(self, snap: Snapshot) -> None:
        """Pop up the engine's new error lines about commands and strategies: a parameter
        or limit the engine refused, a strategy stopped by its failure. (The log has
        them too, but it scrolls by at thousands of lines a second.)"""
        told = self._told_seq
        for line in snap.log:
            if line.seq > told and line.level == "error" and line.category in ("engine", "strategy"):
                if not line.text.startswith("engine stopped:"):  # the worker's own notice says it
                    who = f"{line.strategy}: " if line.strategy else ""
                    self.notify(who + line.text, severity="error", timeout=10)
        if snap.log:
            self._told_seq = max(told, snap.log[-1].seq)

    def _fresh(self, screen: MainScreen, snap: Snapshot) -> None:
        """A new snapshot: the ladder and the order log show it in the next paint."""
        paused = snap.engine_state == "paused"
        if self._want_paused is None or paused == self._want_paused or snap.engine_state in ("ended", "error"):
            self._want_paused = None
            self._paused = paused
        if snap.speed == self._speed:
            self._speed = UNSET
        if snap.instruments and len(snap.instruments) != len(self.instruments):
            self.instruments = list(snap.instruments)
        if not self._paint_pending:
            self._paint_pending = True
            self.call_after_refresh(self._painted)
        with self.batch_update():
            book = next((b for b in snap.books if b.sym == self.symbol_index), None)
            inst = self.instruments[self.symbol_index] if self.instruments else None
            screen.query_one(DepthLadder).show(book, inst, snap.orders, snap.exch_ts)
            screen.query_one(OrderLog).add(snap.log)

    def _slow(self, screen: MainScreen, snap: Snapshot) -> None:
        """The status line, the replay bar, P&L, risk and strategies: read, not watched
        tick by tick, so at most every ``SLOW_PANELS_S`` (the timer catches up with the
        latest snapshot when no new one comes). Each repaint of one of them is also a
        repaint of everything between it and the ladder (Textual redraws the box
        around all changed places). A change of state (a kill, a halt, a pause, a
        speed, the symbol) shows at once."""
        states = (
            snap.killed, self._killed_locally, snap.global_state, snap.engine_state, snap.speed, self.symbol_index,
            tuple((s.name, s.state, s.enabled) for s in snap.strategies),
        )  # fmt: skip
        now = time.monotonic()
        if states == self._states and (snap is self._slow_snap or now - self._slow_at < SLOW_PANELS_S):
            return
        self._states, self._slow_snap, self._slow_at = states, snap, now
        with self.batch_update():
            status = screen.query_one(StatusBar)
            status.killed_locally = self._killed_locally and not snap.killed and not snap.engine_state == "ended"
            fraction = None
            if self.mode == "REPLAY":
                bar = screen.query_one(ReplayBar)
                bar.show(snap)
                fraction = 1.0 if snap.engine_state == "ended" else bar.fraction
            status.show(snap, self._symbol_name(), fraction)
            screen.query_one(PnLPanel).show(snap.pnl, tuple(self.instruments))
            screen.query_one(RiskPanel).show(snap.limits, snap.global_state, snap.strategies, snap.rejections, snap.killed)
            screen.query_one(StrategiesPanel).show(snap.strategies)

    def _symbol_name(self) -> str:
        return self.instruments[self.symbol_index].symbol if self.instruments else "-"

    # --- safety -----------------------------------------------------------------------------
    def action_kill(self) -> None:
        """Works from every screen and inside modals (priority binding); asks nothing."""
        self._killed_locally = True
        self.link.kill("kill switch (key)")
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                bar = screen.query_one(StatusBar)
                bar.killed_locally = True
                bar.show(self._snap, self._symbol_name())
        self.bell()

    def action_rearm(self) -> None:
        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._killed_locally = False
                self.link.send(Rearm())
                self.notify("re-armed: enable strategies one by one (strategies panel, space)")

        self.push_screen(RearmScreen(), done)

    def action_quit_app(self) -> None:
        if self.mode == "LIVE" and not isinstance(self.screen, ConfirmScreen):
            self.push_screen(
                ConfirmScreen("Quit? Every open paper order will be cancelled."),
                lambda yes: self.shutdown() if yes else None,
            )
            return
        self.shutdown()

    def shutdown(self) -> None:
        """Cancel every open order, stop the engine, leave."""
        self.link.shutdown()
        self.exit()

    # --- views -------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return without_replaced(super().get_system_commands(screen))

    def action_help(self) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        widgets = list(main.query("*")) if main is not None else []
        self.push_screen(HelpScreen(help_rows(self, [self, *self.screen_stack, *widgets], self._keymap)))

    def action_next_symbol(self) -> None:
        if self.instruments:
            self.select_symbol((self.symbol_index + 1) % len(self.instruments))

    def select_symbol(self, index: int) -> None:
        self.symbol_index = index
        self._snap = None  # redraw everything for the new symbol
        if isinstance(self.screen, MainScreen):
            self.screen.query_one(DepthLadder).action_recentre()
        self.notify(f"symbol: {self._symbol_name()}", timeout=2)

    def action_next_theme(self) -> None:
        names = sorted(self.available_themes)
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]
        self.notify(f"theme: {self.theme} (ctrl+s saves it)", timeout=2)

    def action_save_settings(self) -> None:
        try:
            path = save_user({"ui": {"theme": self.theme}})
        except HftError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"settings saved to {path}")

    # --- strategies and limits ------------------------------------------------------------------
    def toggle_strategy(self, name: str, enabled: bool) -> None:
        self.link.send(EnableStrategy(name, enabled))
        self.notify(f"{name}: {'enabled' if enabled else 'disabled'}", timeout=2)

    def on_strategies_panel_toggle_requested(self, message: StrategiesPanel.ToggleRequested) -> None:
        self.toggle_strategy(message.name, message.enabled)

    def on_strategies_panel_edit_requested(self, message: StrategiesPanel.EditRequested) -> None:
        view = message.view

        def done(changed: dict[str, Any] | None) -> None:
            for key, value in (changed or {}).items():
                self.link.send(SetParam(view.name, key, value))
            if changed:
                # sent, not yet applied: a value the strategy refuses pops up as an error
                self.notify(f"{view.name}: " + ", ".join(f"{k}={v}" for k, v in changed.items()) + " sent")

        self.push_screen(EditScreen(f"Parameters of {view.name}", dict(view.params)), done)

    def action_edit_limits(self) -> None:
        screen = limits_screen(self._snap.limit_settings if self._snap else ())
        if screen is None:
            self.notify("no limits to edit yet", severity="warning")
            return

        def done(changed: dict[str, Any] | None) -> None:
            for key, value in (changed or {}).items():
                self.link.send(SetLimit(key, value))
            if changed:
                self.notify("limits: " + ", ".join(f"{k}={shown(v)}" for k, v in changed.items()) + " sent")

        self.push_screen(screen, done)
