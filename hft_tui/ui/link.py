"""The UI's view of a running engine.

The app drives any object with this shape: the real engine adapter, or a test
double. ``run`` is called once, in a Textual thread worker; every other method
is called from the UI thread and must return at once.
"""

from __future__ import annotations

from typing import Protocol

from hft_tui.engine.commands import Command
from hft_tui.engine.snapshot import Snapshot


class EngineLink(Protocol):
    #: SIM, LIVE or REPLAY
    mode: str

    def run(self) -> None:
        """The engine loop; returns when the engine has stopped."""

    def latest(self) -> Snapshot | None:
        """The most recent snapshot (None before the first)."""

    def send(self, command: Command) -> None:
        """Queue a command for the engine."""

    def kill(self, reason: str) -> None:
        """Trip the kill switch now (no queue) and queue the Kill command."""

    def shutdown(self) -> None:
        """Cancel every open order and stop the engine (``run`` then returns)."""
