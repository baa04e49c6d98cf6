"""The workstation's behaviour, driven by Textual's pilot against a scripted engine."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.text import Text

from hft_tui.engine.commands import EnableStrategy, Pause, Rearm, Resume, Seek, SetLimit, SetParam
from hft_tui.risk.limits import LIMIT_KEYS
from hft_tui.ui.app import HftApp
from hft_tui.ui.screens.dialogs import ConfirmScreen, HelpScreen, RearmScreen, SeekScreen
from hft_tui.ui.screens.edit import EditScreen, parse_like
from hft_tui.ui.widgets.status import StatusBar
from ui_doubles import BTC, ETH, T0, ScriptedLink, sample_snapshot


@pytest.fixture(autouse=True)
def _user_config(tmp_path, monkeypatch):
    # settings the app saves go to a throwaway home, never the developer's
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def make_app(mode: str = "SIM") -> tuple[HftApp, ScriptedLink]:
    link = ScriptedLink(mode)
    return HftApp(link, [BTC, ETH]), link


def halted(app: HftApp) -> bool:
    main = next(s for s in app.screen_stack if s.__class__.__name__ == "MainScreen")
    bar = main.query_one(StatusBar)
    return bar.has_class("-halted") and "HALTED" in str(bar.render())


@pytest.mark.parametrize("screen_key", [None, "question_mark", "R", "L", "4 e", "g"])
async def test_kill_switch_works_from_every_screen_and_modal(screen_key):
    app, link = make_app("REPLAY")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        for key in (screen_key or "").split():
            await pilot.press(key)
        await pilot.pause(0.1)
        await pilot.press("ctrl+k")
        await pilot.pause(0.1)
        assert link.kills, "kill switch did not reach the engine"
        assert halted(app)


async def test_rearm_needs_the_typed_word():
    app, link = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("ctrl+k")
        await pilot.press("R")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RearmScreen)
        await pilot.press(*"yes", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RearmScreen), "a wrong word must not re-arm"
        assert not any(isinstance(c, Rearm) for c in link.commands)
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*"rearm", "enter")
        await pilot.pause(0.2)
        assert any(isinstance(c, Rearm) for c in link.commands)
        assert not halted(app)


async def test_strategy_toggle_sends_enable_command():
    app, link = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("4", "space")
        await pilot.pause(0.1)
        assert EnableStrategy("mm", False) in link.commands


async def test_param_edit_rejects_bad_value_then_applies_good_one():
    app, link = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("4", "e")
        await pilot.pause(0.1)
        assert isinstance(app.screen, EditScreen)
        field = app.screen.query_one("#f-gamma")
        field.value = "abc"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, EditScreen)
        assert "gamma" in str(app.screen.query_one("#error").render())
        assert not any(isinstance(c, SetParam) for c in link.commands)
        field.value = "0.25"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, EditScreen)
        assert SetParam("mm", "gamma", 0.25) in link.commands


async def test_limit_edit_shows_limit_keys_refuses_a_bad_value_then_sends_set_limit():
    app, link = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("L")
        await pilot.pause(0.1)
        assert isinstance(app.screen, EditScreen)
        # one field per limit, every one of [risk] (a per-symbol limit is one), in instrument units
        assert list(app.screen.values) == list(LIMIT_KEYS)
        assert app.screen.values["max_position"] == 0.05 and app.screen.values["daily_loss"] == 100.0
        assert app.screen.query_one("#f-max_open_orders").value == "20"
        assert app.screen.query_one("#f-post_only_check").value == "true"
        field = app.screen.query_one("#f-max_position")
        assert field.value == "0.05"
        for bad in ("-1", "lots"):
            field.value = bad
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert isinstance(app.screen, EditScreen)
            assert "max_position" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#f-max_open_orders").value = "2.5"
        field.value = "0.02"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "whole number" in str(app.screen.query_one("#error").render())
        assert not any(isinstance(c, SetLimit) for c in link.commands)
        app.screen.query_one("#f-max_open_orders").value = "inf"
        app.screen.query_one("#f-self_trade_check").value = "off"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, EditScreen)
        assert SetLimit("max_position", 0.02) in link.commands
        assert SetLimit("max_open_orders", float("inf")) in link.commands
        assert SetLimit("self_trade_check", False) in link.commands
        assert not any(isinstance(c, SetLimit) and c.key == "daily_loss" for c in link.commands)


def test_parse_like_keeps_types():
    assert parse_like("3", 1) == 3
    assert parse_like("0.5", 1.0) == 0.5
    assert parse_like("off", True) is False
    for bad, like in (("1.5", 1), ("x", 1.0), ("nan", 1.0), ("maybe", True), ("", "s")):
        with pytest.raises(ValueError):
            parse_like(bad, like)


async def test_theme_switch_and_save(tmp_path):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        assert app.theme == "hft-dark"
        app.theme = "hft-light"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
    saved = (tmp_path / "config" / "hft-tui" / "config.toml").read_text()
    assert 'theme = "hft-light"' in saved


async def test_every_theme_draws_every_panel_of_a_replay():
    from hft_tui.ui.themes import theme_names

    app, _ = replay_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        for name in theme_names():
            app.theme = name
            await pilot.pause(0.05)
            app.screen._compositor.render_update(full=True)  # draws every widget now
        assert app.return_code is None and app.is_running  # no widget failed on a colour


async def test_symbol_switch_moves_the_ladder():
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        ladder = app.screen.query_one("DepthLadder")
        assert any("60000.00" in ladder.render_line(y).text for y in range(ladder.size.height))
        await pilot.press("s")
        await pilot.pause(0.2)
        assert "ETHUSDT" in str(app.screen.query_one(StatusBar).render())
        assert any("3000.00" in ladder.render_line(y).text for y in range(ladder.size.height))


async def test_resize_to_80x24_collapses_panels_into_tabs():
    app, _ = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        assert not app.screen.has_class("-compact") and not app.screen.has_class("-single")
        await pilot.resize_terminal(120, 40)  # one panel at a time, the whole ladder
        await pilot.pause(0.2)
        assert app.screen.has_class("-single") and not app.screen.has_class("-compact")
        assert app.screen.query_one("#ladder").size.width == 62  # its own columns stay
        assert app.screen.query_one("#order-log").size.width == 0  # P&L shows
        await pilot.press("2")
        await pilot.pause(0.1)
        assert app.screen.query_one("#order-log").size.width >= 50
        await pilot.press("1")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert app.screen.has_class("-compact")
        assert app.screen.query_one("#pnl").display
        assert not app.screen.query_one("#risk").display
        await pilot.press("3")
        await pilot.pause(0.1)
        assert app.screen.query_one("#risk").display and not app.screen.query_one("#pnl").display


async def test_help_lists_every_binding_with_its_id():
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        keys = {row[2]: row[0] for row in app.screen.rows}
        # keys as the user types them, not Textual's names for them
        assert (keys["help"], keys["replay.step"]) == ("?", ".")
        assert {"kill", "quit", "rearm", "symbol", "theme", "panel.risk", "ladder.levels", "log.category", "strategy.edit"} <= ids
        # the sim has no replay controls to offer (a step works while paused)
        assert not ids & {"replay.faster", "replay.seek", "replay.start", "replay.step_second"}
    app, _ = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        keys = {row[2]: row[0] for row in app.screen.rows}
        assert keys["replay.faster"] == "+ =" and {"replay.seek", "replay.start"} <= set(keys)
    app, _ = make_app(mode="LIVE")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        ids = {row[2] for row in app.screen.rows}
        assert "kill" in ids and not ids & {"replay.step", "replay.play", "replay.seek"}  # a feed cannot wait


async def test_pause_toggles():
    app, link = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("p")
        await pilot.press("p")
        assert [c for c in link.commands if isinstance(c, (Pause, Resume))] == [Pause(), Resume()]


async def test_quit_in_sim_shuts_down_without_asking():
    app, link = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("q")
        await pilot.pause(0.1)
    assert link.shutdowns >= 1


async def test_quit_in_live_asks_first():
    app, link = make_app("LIVE")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("q")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert link.shutdowns == 0
        await pilot.press("q", "y")
        await pilot.pause(0.1)
    assert link.shutdowns >= 1


async def test_keymap_from_config_remaps_the_kill_switch():
    link = ScriptedLink()
    app = HftApp(link, [BTC], keymap={"kill": "f12"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("ctrl+k")
        assert not link.kills
        await pilot.press("f12")
        assert link.kills


async def test_order_log_filters_by_category_and_strategy():
    app, _ = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        log = app.screen.query_one("OrderLog")
        assert len(log._view) == 3
        log.focus()
        await pilot.press("f")  # order
        assert [line.category for line in log._view] == ["order"]
        await pilot.press("f")  # fill
        assert [line.category for line in log._view] == ["fill"]
        for _ in range(5):
            await pilot.press("f")  # strategy, feed, engine, back to all
        await pilot.press("F")  # first strategy seen: mm
        assert {line.strategy for line in log._view} == {"mm"}
        # the filter shows in the panel's visible border
        assert "orders [all / mm]" in Text.from_markup(app.screen.query_one("#orders").border_title).plain


def test_a_crash_in_the_app_exits_non_zero(monkeypatch):
    import threading

    import hft_tui.ui.app
    from hft_tui.ui.launch import run_workstation

    class Link(ScriptedLink):
        instruments = [BTC]
        state = "stopped"
        finished = threading.Event()

        def shutdown(self) -> None:
            super().shutdown()
            self.finished.set()

        def close(self, timeout: float = 0.0) -> None:
            pass

    class Crashing(HftApp):
        def run(self, **kwargs):
            return super().run(headless=True, **kwargs)

        def poll_snapshot(self) -> None:
            raise RuntimeError("a bug in a panel")

    monkeypatch.setattr(hft_tui.ui.app, "HftApp", Crashing)
    link = Link()
    assert run_workstation(lambda: link, {}) == 1
    assert link.shutdowns >= 1  # orders cancelled on the way out all the same


def replay_app(exch_ts: int = T0 + 123_000_000) -> tuple[HftApp, ScriptedLink]:
    """A replay whose data spans T0 .. T0 + 120.5 ms."""
    link = ScriptedLink("REPLAY", replace(sample_snapshot("REPLAY"), exch_ts=exch_ts))
    link.span = (T0, T0 + 120_500_000)
    return HftApp(link, [BTC, ETH]), link


async def seek_dialog(pilot, app, when: str) -> None:
    """Open the seek dialog, type ``when`` and press enter."""
    await pilot.press("g")
    await pilot.pause(0.1)
    app.screen.query_one("#when").value = when
    await pilot.press("enter")
    await pilot.pause(0.1)


async def test_seek_at_the_end_prefills_a_time_that_is_accepted():
    app, link = replay_app(exch_ts=T0 + 123_000_000)  # the clock past the last event
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("g")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SeekScreen)
        assert app.screen.query_one("#when").value.endswith("00:00:00.120")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert Seek(T0 + 120_000_000) in link.commands


async def test_an_offset_counts_from_the_time_when_enter_is_pressed():
    app, link = replay_app(exch_ts=T0 + 20_000_000)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("g")
        await pilot.pause(0.1)
        link._snap = replace(link._snap, exch_ts=T0 + 100_000_000)  # the replay played on
        await pilot.pause(0.3)
        app.screen.query_one("#when").value = "+5ms"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert Seek(T0 + 105_000_000) in link.commands  # not 25 ms: a jump back


async def test_long_messages_wrap_in_the_seek_and_rearm_dialogs():
    app, _ = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await seek_dialog(pilot, app, "00:00:01")
        error = app.screen.query_one("#error")
        assert "after the last event" in str(error.render())
        assert error.size.height >= 2 and error.size.width <= error.parent.content_size.width
        await pilot.press("escape", "R")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RearmScreen)
        [label] = [w for w in app.screen.query("Label") if "stay off" in str(w.render())]
        assert label.size.height >= 2 and label.size.width <= label.parent.content_size.width


async def test_strategies_on_off_column_fits_off_and_tabs_fit_80_columns():
    snap = sample_snapshot()
    link = ScriptedLink(snapshot=replace(snap, strategies=tuple(replace(v, enabled=True) for v in snap.strategies)))
    app = HftApp(link, [BTC, ETH])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("4", "space")  # mm (shown "on" first) goes off
        await pilot.pause(0.3)
        table = app.screen.query_one("StrategiesPanel")
        assert table.get_cell("mm", "on") == "off"
        assert table.columns["on"].content_width >= 3
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        tabs = app.screen.query_one("#tabs")
        text = Text.from_markup(str(tabs.content)).plain
        assert "4 Strats" in text and len(text.rstrip()) <= tabs.content_size.width


def test_an_unknown_binding_id_in_keys_is_a_one_line_error_before_anything_starts(tmp_path, capsys):
    from hft_tui.cli import main
    from hft_tui.errors import ConfigError
    from hft_tui.ui.launch import ui_settings

    assert ui_settings({"keys": {"kill": "f12", "pnl.window": "W"}})[1] == {"kill": "f12", "pnl.window": "W"}
    with pytest.raises(ConfigError, match="nosuch"):
        ui_settings({"keys": {"kill": "f12", "nosuch": "x"}})
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[keys]\nnosuch = "x"\n')
    assert main(["--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: config: [keys] nosuch") and err.count("\n") == 1


async def test_a_refused_parameter_and_a_failed_strategy_pop_up():
    from hft_tui.engine.snapshot import LogLine

    app, link = make_app()
    told: list[tuple[str, str]] = []
    real_notify = app.notify

    def notify(message, *args, severity="information", **kw):
        told.append((message, severity))
        return real_notify(message, *args, severity=severity, **kw)

    app.notify = notify
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        base = link._snap
        lines = (
            LogLine(3, T0, "engine", "", "strategy taker: cooldown_ms must not be negative", "error"),
            LogLine(4, T0, "strategy", "mm", "stopped: ZeroDivisionError in on_wake (2 orders cancelled)", "error"),
            LogLine(5, T0, "risk", "mm", "rejected (max_position): worst-case position", "warning"),
        )
        link._snap = replace(base, log=base.log + lines)
        await pilot.pause(0.3)
        errors = [m for m, sev in told if sev == "error"]
        assert errors == [
            "strategy taker: cooldown_ms must not be negative",
            "mm: stopped: ZeroDivisionError in on_wake (2 orders cancelled)",
        ]
        link._snap = replace(link._snap, exch_ts=T0 + 1)  # a new snapshot, the same lines
        await pilot.pause(0.3)
        assert len([m for m, sev in told if sev == "error"]) == 2  # each told once


@pytest.mark.parametrize("panel", ["OrderLog", "StrategiesPanel"])
async def test_home_goes_back_to_start_whatever_panel_has_the_focus(panel):
    app, link = replay_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        app.screen.query_one(panel).focus()
        await pilot.press("home")
        await pilot.pause(0.1)
        assert Seek(0) in link.commands  # the scripted link has no restart: a seek to the start


async def test_a_seek_before_the_data_lands_on_its_first_event():
    app, link = replay_app(exch_ts=T0 + 20_000_000)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        await seek_dialog(pilot, app, "-1m")
        assert Seek(T0) in link.commands


async def test_the_command_palette_offers_the_replay_actions_in_a_replay():
    from hft_tui.ui.palette import WorkstationCommands

    app, link = replay_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        names = [name for name, _, _ in WorkstationCommands(app.screen)._commands()]
        assert {"Replay: seek to a time", "Replay: back to start", "Replay: step one message"} <= set(names)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"back to start")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert Seek(0) in link.commands  # the scripted link has no restart: a seek to the start
    app, _ = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        assert not any(n.startswith("Replay:") for n, _, _ in WorkstationCommands(app.screen)._commands())
        # Textual's own Quit (no orderly shutdown) and Keys (our help) are not offered twice
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Theme" in titles and not titles & {"Quit", "Keys"}


async def test_a_lost_feed_shows_first_on_an_80_column_status_line():
    feed = (("msgs_per_s", 0.0), ("last_msg_age_s", 12.5), ("resyncs", 3), ("reconnects", 5),
            ("connected", 0), ("stale_symbols", "BTCUSDT"))  # fmt: skip
    link = ScriptedLink("LIVE", replace(sample_snapshot("LIVE"), feed=feed))
    app = HftApp(link, [BTC, ETH])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        line = str(app.screen.query_one(StatusBar).render())
        assert "DISCONNECTED stale BTCUSDT" in line[: 80 - 4]  # within what the line shows
