"""What the app offers by name: command-palette entries for the main actions, symbols
and strategies, and the rows of the keys help."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.keys import format_key

#: Textual's own palette entries that ours replace: its Quit skips the orderly
#: shutdown (cancel everything, confirm), its Keys repeats our help
REPLACED_SYSTEM_COMMANDS = frozenset({"Quit", "Keys"})


def without_replaced(commands: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    return (c for c in commands if c.title not in REPLACED_SYSTEM_COMMANDS)


def help_rows(app: Any, nodes: Iterable[DOMNode], keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(keys as typed, description, binding id) of every binding of ``nodes``, once
    each, without the keys that cannot apply in this mode (seek in the sim)."""
    rows = []
    seen = set()
    for node in nodes:
        for binding in type(node).BINDINGS if hasattr(type(node), "BINDINGS") else []:
            if not isinstance(binding, Binding) or binding.id in seen:
                continue
            seen.add(binding.id)
            name = binding.action.split("(", 1)[0].rsplit(".", 1)[-1]
            on_app = binding.action.startswith("app.") or node is app
            if on_app and not app.mode_allows(name):  # e.g. seek in the sim
                continue
            keys = keymap.get(binding.id or "", binding.key)
            # as typed ("?", "."), not as Textual names them ("question_mark", "full_stop")
            shown = " ".join(format_key(k.strip()) for k in keys.split(","))
            rows.append((shown, binding.description, binding.id or ""))
    return rows


class WorkstationCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        commands: list[tuple[str, object, str]] = [
            ("Kill switch: cancel everything and halt", app.action_kill, "ctrl+k"),
            ("Re-arm after a kill", app.action_rearm, "two-step"),
            ("Pause / resume", app.action_toggle_pause, ""),
            ("Help: keys", app.action_help, ""),
            ("Edit risk limits", app.action_edit_limits, ""),
            ("Save settings to the user config file", app.action_save_settings, ""),
            ("Quit (cancels every open order)", app.action_quit_app, ""),
        ]
        if getattr(app, "mode", "") == "REPLAY":
            commands += [
                ("Replay: faster", partial(app.action_speed, 1), "+"),
                ("Replay: slower", partial(app.action_speed, -1), "-"),
                ("Replay: step one message", app.action_step, "."),
                ("Replay: step one second", app.action_step_second, ">"),
                ("Replay: seek to a time", app.action_seek, "g"),
                ("Replay: back to start", app.action_restart, "home"),
            ]
        for i, inst in enumerate(getattr(app, "instruments", ())):
            commands.append((f"Symbol: {inst.symbol}", partial(app.select_symbol, i), ""))
        snap = app.link.latest() if hasattr(app, "link") else None
        for view in snap.strategies if snap else ():
            verb = "Disable" if view.enabled else "Enable"
            commands.append((f"{verb} strategy {view.name}", partial(app.toggle_strategy, view.name, not view.enabled), ""))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
