"""The replay's small parts: the progress bar, the speed steps, times typed by the user."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hft_tui.ui.app import HftApp
from hft_tui.ui.playback import SPEEDS, next_speed
from hft_tui.ui.timeparse import parse_offset, parse_time
from hft_tui.ui.widgets.replay_bar import ReplayBar, replay_fraction
from ui_doubles import BTC, ETH, T0, ScriptedLink, sample_snapshot

MINUTE = 60_000_000_000


def test_replay_fraction():
    span = (T0, T0 + 10 * MINUTE)
    assert replay_fraction(0, span) == 0.0
    assert replay_fraction(T0 - 1, span) == 0.0
    assert replay_fraction(T0 + 5 * MINUTE, span) == 0.5
    assert replay_fraction(T0 + 11 * MINUTE, span) == 1.0
    assert replay_fraction(T0, (T0, T0)) == 0.0 and replay_fraction(T0 + 1, (T0, T0)) == 1.0


def test_speed_steps():
    assert [next_speed(s, +1) for s in SPEEDS] == [10.0, 100.0, None, None]
    assert [next_speed(s, -1) for s in SPEEDS] == [1.0, 1.0, 10.0, 100.0]
    assert next_speed(5.0, +1) == 10.0 and next_speed(5.0, -1) == 1.0
    assert next_speed(0.25, -1) == 1.0  # below the slowest step: up to it, never slower


def test_offsets_and_times():
    assert parse_offset("1h30m") == 90 * MINUTE
    assert parse_offset("2.5s") == 2_500_000_000 and parse_offset("250ms") == 250_000_000
    assert parse_time("+90s", T0) == T0 + 90_000_000_000
    assert parse_time("-1m", T0) == T0 - MINUTE
    assert parse_time("00:02:03.5", 0, like="2024-01-01 09:00:00.000") == T0 + 123_500_000_000
    for bad in ("", "+", "1s2", "+1x", "soon", "+-1s"):
        with pytest.raises(ValueError):
            parse_time(bad, T0, like="2024-01-01 00:00:00.000")


@given(st.integers(0, 10**6), st.sampled_from(["h", "m", "s", "ms"]))
def test_offset_units(n, unit):
    scale = {"h": 3_600_000_000_000, "m": 60_000_000_000, "s": 1_000_000_000, "ms": 1_000_000}[unit]
    assert parse_offset(f"{n}{unit}") == n * scale


class SpanLink(ScriptedLink):
    """The scripted engine of the UI tests, as a replay of ten minutes of data."""

    span = (T0, T0 + 10 * MINUTE)


@pytest.mark.parametrize("width", [160, 60])
async def test_bar_shows_time_position_and_speed(width):
    snap = replace(sample_snapshot("REPLAY"), exch_ts=T0 + 150_000_000_000, speed=10.0)  # 2.5 min in
    link = SpanLink("REPLAY", snap)
    app = HftApp(link, [BTC, ETH])
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause(0.3)
        bar = app.screen.query_one(ReplayBar)
        text = str(bar.render())
        assert text.startswith("2024-01-01 00:02:30.000 ━")
        assert "25.0% @ 10x" in text
        assert ("of 00:00:00 .. 00:10:00" in text) == (width == 160)
        assert len(text) <= bar.content_size.width
        filled = text.count("━") + text.count("╸") / 2
        assert filled / (text.count("━") + text.count("╸") + text.count("─")) == pytest.approx(0.25, abs=0.03)
        assert "25.0%" in str(app.screen.query_one("StatusBar").render())


async def test_no_bar_outside_replay():
    app = HftApp(ScriptedLink("SIM"), [BTC, ETH])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        assert not app.screen.query(ReplayBar)
