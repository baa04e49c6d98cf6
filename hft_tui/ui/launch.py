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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hft_tui.engine.commands import Kill, Stop
from hft_tui.engine.snapshot import Snapshot

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine


class EngineAdapter:
    """The engine seen through ``hft_tui.ui.link.EngineLink``."""

    def __init__(self, engine: Engine, mode: str) -> None:
        self.engine = engine
        self.mode = mode
        self._stopped = False
        self.finished = threading.Event()
        self.notify: Callable[[], None] | None = None  # see Engine.want_snapshots
        #: (level, text) for the user when the workstation has closed (files saved, say)
        self.notes: list[tuple[str, str]] = []

    @property
    def instruments(self) -> list:
        return list(self.engine.instruments)

    @property
    def state(self) -> str:
        return self.engine.state

    @property
    def error(self) -> str:
        return self.engine.error

    def run(self) -> None:
        self.engine.want_snapshots(True, self.notify)
        try:
            self.engine.run(reraise=False)
            self.serve_ended()
        finally:
            self.finished.set()

    def serve_ended(self) -> None:
        """The run has ended (data, error): its last state stays on screen until quit,
        and what the viewer sends meanwhile still acts on it (``Controller.after_end``)."""
        wakeup = self.engine.wakeup  # rung by every command
        while not self._stopped:
            wakeup.wait()
            wakeup.clear()
            if not self._stopped:
                self.engine.control.after_end()

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

    def close(self, timeout: float = 0.0) -> None:
        """Nothing to release: the engine ran in this process."""


def ui_settings(cfg: Mapping[str, Any], theme: str | None = None) -> tuple[str, dict[str, str]]:
    """The theme name (``theme`` from the command line, else the settings') and the key
    map (binding id -> key); ConfigError for a theme that does not exist."""
    from hft_tui.errors import ConfigError
    from hft_tui.ui.themes import theme_names

    where = "--theme"
    if theme is None:
        where = "config: ui.theme"
        theme = cfg.get("ui", {}).get("theme", "hft-dark")
        if not isinstance(theme, str):
            raise ConfigError(f"config: ui.theme must be a string, got {theme!r}")
    names = theme_names()
    if theme not in names:
        raise ConfigError(f"{where} {theme!r}: no such theme (one of {', '.join(names)})")
    keys = cfg.get("keys", {})
    if not isinstance(keys, Mapping) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError("config: [keys] maps binding ids to key names, e.g. kill = \"ctrl+k\"")
    if keys:
        # Textual ignores a keymap entry for no binding: a typo would leave the key
        # unchanged without a word (the kill switch, say). The app's import is paid
        # only by those who remap keys.
        from hft_tui.ui.app import binding_ids

        unknown = sorted(set(keys) - binding_ids())
        if unknown:
            raise ConfigError(
                f"config: [keys] {', '.join(unknown)}: no such binding id (the help screen, ?, lists them)"
            )
    return theme, dict(keys)


def run_workstation(opener: Callable[[], Any], cfg: Mapping[str, Any], theme: str | None = None) -> int:
    """Check the UI settings, then open the link (a ``ProcessLink`` in the CLI, an
    ``EngineAdapter`` in tests) and run the app over it: a bad theme is an error
    before any engine starts."""
    theme_name, keymap = ui_settings(cfg, theme)
    link = opener()
    from hft_tui.ui.app import HftApp

    app = HftApp(link, link.instruments, theme=theme_name, keymap=keymap)

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
        link.close(5.0)
        signal.signal(signal.SIGHUP, previous)
    notes = getattr(link, "notes", [])
    for level, text in notes:
        print(f"error: {text}" if level == "error" else text, file=sys.stderr)
    if link.state == "error":
        print(f"error: engine stopped: {link.error}", file=sys.stderr)
        return 1
    if any(level == "error" for level, _ in notes):
        return 1
    # Textual has printed the traceback of an unhandled exception and set 1: a crash
    # is a failure for the shell and for scripts, not a quit
    return app.return_code or 0


def open_link(module: str, function: str, *args: Any, kernels: tuple[str, ...] = ("engine",)) -> Any:
    """Start the engine process that ``module.function(*args)`` builds a link for
    (see ``ui.process_link``); a first-run compile of ``kernels`` is announced on stderr."""
    from hft_tui.ui.process_link import ProcessLink, Recipe

    return ProcessLink(Recipe(module, function, args, kernels)).start(notices=sys.stderr, meanwhile=import_app)


def import_app() -> None:
    """Import the app (Textual, half a second) while the engine process starts."""
    import hft_tui.ui.app  # noqa: F401
