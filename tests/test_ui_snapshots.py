"""What the workstation shows (pytest-textual-snapshot). Deterministic: a scripted
engine with a fixed snapshot, fixed terminal sizes, no wall-clock text.

Update after a deliberate change with ``pytest tests/test_ui_snapshots.py --snapshot-update``
and look at every changed picture (snapshot_report.html) before committing it.
"""

from __future__ import annotations

import pytest

from hft_tui.ui.app import HftApp
from ui_doubles import BTC, ETH, ScriptedLink


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def app(mode: str = "SIM", theme: str = "hft-dark") -> HftApp:
    return HftApp(ScriptedLink(mode), [BTC, ETH], theme=theme)


async def settle(pilot) -> None:
    # The first frame with the snapshot painted, then the app's own start-up work
    # (Textual composes the footer more than once): on a loaded machine (CI) a
    # fixed pause alone may catch it half done.
    from textual.widgets import DataTable

    for _ in range(200):
        # the slow panels (P&L, strategies) draw at most 8 times a second: wait for them too
        tables = pilot.app.screen.query(DataTable) if pilot.app.frames else []
        if pilot.app.frames and all(t.row_count for t in tables):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.5)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    # then until the screen holds still (a loaded machine may still be painting a panel)
    shot = pilot.app.export_screenshot()
    for _ in range(5):  # (at most a second: a toast must still be on screen)
        await pilot.pause(0.2)
        now = pilot.app.export_screenshot()
        if now == shot:
            break
        shot = now


def test_main_screen_160x48(snap_compare):
    assert snap_compare(app(), terminal_size=(160, 48), run_before=settle)


def test_main_screen_80x24(snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=settle)


def test_help_screen(snap_compare):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=(120, 40), run_before=open_help)


def test_kill_switch_state(snap_compare):
    async def kill(pilot):
        await settle(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=(120, 40), run_before=kill)


def test_light_theme(snap_compare):
    assert snap_compare(app(theme="hft-light"), terminal_size=(120, 40), run_before=settle)


def test_sixteen_colour_theme(snap_compare):
    assert snap_compare(app(theme="hft-16"), terminal_size=(80, 24), run_before=settle)
