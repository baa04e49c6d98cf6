"""Command-palette entries for the main actions, symbols and strategies."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


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
