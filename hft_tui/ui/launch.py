"""Start the workstation: build the engine for a mode, attach the app, clean up.

Whatever ends the session (q, ctrl+c, SIGHUP when an SSH link drops, SIGTERM,
a crash in a panel), every open order is cancelled and the engine stopped
before the process leaves.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

from hft_tui.engine.commands import Kill, Stop
from hft_tui.engine.engine import Engine
from hft_tui.engine.snapshot import Snapshot


class EngineAdapter:
    """The engine seen through ``hft_tui.ui.link.EngineLink``."""

    def __init__(self, engine: Engine, mode: str) -> None:
        self.engine = engine
        self.mode = mode
        self._stopped = False
        self.finished = threading.Event()

    def run(self) -> None:
        self.engine.want_snapshots(True)
        try:
            self.engine.run(reraise=False)
        finally:
            self.finished.set()

    def latest(self) -> Snapshot | None:
        return self.engine.latest

    def send(self, command: Any) -> None:
        self.engine.command(command)

    def kill(self, reason: str) -> None:
        self.engine.command(Kill(reason))

    def shutdown(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.engine.command(Stop())


def ui_settings(cfg: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The theme name and the key map (binding id -> key) from the settings."""
    from hft_tui.errors import ConfigError

    ui = cfg.get("ui", {})
    theme = ui.get("theme", "hft-dark")
    if not isinstance(theme, str):
        raise ConfigError(f"config: ui.theme must be a string, got {theme!r}")
    keys = cfg.get("keys", {})
    if not isinstance(keys, Mapping) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError("config: [keys] maps binding ids to key names, e.g. kill = \"ctrl+k\"")
    return theme, dict(keys)


def run_workstation(
    engine: Engine, mode: str, cfg: Mapping[str, Any], theme: str | None = None, link: EngineAdapter | None = None
) -> int:
    """Run the app over ``engine`` (or over ``link``, an adapter that may replace its engine)."""
    from hft_tui.ui.app import HftApp

    theme_name, keymap = ui_settings(cfg)
    link = link or EngineAdapter(engine, mode)
    app = HftApp(link, engine.instruments, theme=theme or theme_name, keymap=keymap)

    def on_hangup(signum: int, _frame: Any) -> None:
        # The terminal is gone: restoring it can block forever (Textual's writer
        # waits on a dead tty). Stop trading, then leave at once.
        link.shutdown()
        link.finished.wait(5.0)
        os._exit(128 + signum)

    previous = signal.signal(signal.SIGHUP, on_hangup)
    try:
        app.run()
    finally:
        link.shutdown()
        # the engine cancels every open order on its way out; give it the time
        link.finished.wait(5.0)
        signal.signal(signal.SIGHUP, previous)
    engine = link.engine  # a replay's back-to-start runs a new one
    if engine.state == "error":
        print(f"error: engine stopped: {engine.error}", file=sys.stderr)
        return 1
    return 0
