"""Every replay key, end to end: the pilot presses it, the real engine does it, the snapshot shows it.

Positions are checked exactly: a step of one message moves ``events_total`` by
that message's length; a step of one second plays every message whose feed
time is within the second; a seek leaves the engine on the first message at or
after the target, with the book of everything before it.
"""

from __future__ import annotations

import numpy as np
import pytest

from hft_tui.book import Book
from hft_tui.commands.replay import open_replay
from hft_tui.engine.commands import EnableStrategy, Rearm
from hft_tui.exchange import from_config
from hft_tui.events import EOM
from hft_tui.tickfile import TickReader
from hft_tui.ui.screens.dialogs import SeekScreen
from hft_tui.text import utc_ms
from replay_kit import backtest_fills, ended, fills_of, make_app, record, settings, specs, wait_until

SECOND = 1_000_000_000


@pytest.fixture(autouse=True)
def _user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record(tmp_path_factory.mktemp("keys") / "sim.hft", 3.0, 7)


@pytest.fixture(scope="module")
def events(recorded):
    with TickReader(recorded) as r:
        return r.read_all()


def message_starts(ev):
    return np.concatenate(([0], np.flatnonzero(ev["flags"] & EOM)[:-1] + 1))


def feed_times(ev, cfg):
    """Each event's feed time as the engine computes it (recorded receive time, else latency)."""
    xc = from_config(cfg)
    lat = xc.feed_latency_ns
    local = ev["local_ts"]
    if xc.use_local_ts:
        return np.where(local > 0, local, ev["exch_ts"] + lat)
    return ev["exch_ts"] + lat


def book_after(ev, n):
    book = Book(1, window=1 << 14, capacity=1 << 16)
    book.apply(ev[:n])
    return book


def top_of(snap):
    b = snap.books[0]
    return (b.bids[0] if b.bids else None), (b.asks[0] if b.asks else None)


async def seek_with_dialog(pilot, app, text):
    await pilot.press("g")
    await wait_until(pilot, lambda: isinstance(app.screen, SeekScreen))
    app.screen.query_one("#when").value = text
    await pilot.press("enter")


async def test_step_step_second_seek_and_back_to_start(recorded, events):
    cfg = settings()
    ev = events
    starts = message_starts(ev)
    ends = np.flatnonzero(ev["flags"] & EOM) + 1
    feed = feed_times(ev, cfg)
    clock = np.maximum.accumulate(feed)  # receive times step back (jitter); the clock does not
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0, paused=True)
    app = make_app(link)
    snap = link.latest
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: snap() is not None and snap().engine_state == "paused")
        assert snap().events_total == 0
        # . : one message, then another
        for k in (0, 1):
            await pilot.press("full_stop")
            await wait_until(pilot, lambda: snap().events_total == ends[k])
        await pilot.pause(0.15)
        assert snap().events_total == ends[1] and snap().engine_state == "paused"
        assert snap().exch_ts == clock[ends[1] - 1]
        # > : every message whose feed time lies within the next second
        t0 = snap().exch_ts
        j = int(np.searchsorted(starts, ends[1]))
        stop = next(int(s) for s in starts[j:] if feed[s] >= t0 + SECOND)
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: snap().events_total == stop)
        await pilot.pause(0.15)
        assert snap().events_total == stop
        assert t0 + SECOND - 50_000_000 < snap().exch_ts < t0 + SECOND
        # g: forward to an absolute time; the book is that of every message before it
        target = int(ev["exch_ts"][0]) + 2 * SECOND + 345_000_000
        at = int(starts[np.searchsorted(ev["exch_ts"][starts], target)])
        await seek_with_dialog(pilot, app, utc_ms(target))
        await wait_until(pilot, lambda: snap().events_total == at and snap().exch_ts == target)
        await wait_until(pilot, lambda: top_of(snap()) == (book_after(ev, at).best_bid(), book_after(ev, at).best_ask()))
        await pilot.press("full_stop")  # the next message is the first one at or after the target
        nxt = int(ends[np.searchsorted(ends, at + 1)])
        await wait_until(pilot, lambda: snap().events_total == nxt)
        assert snap().exch_ts == max(target, clock[nxt - 1])
        # g: back by an offset from the time on screen (a rewind: the book is rebuilt from the start)
        await wait_until(pilot, lambda: app._snap is snap())
        back_to = snap().exch_ts - int(1.5 * SECOND)
        at = int(starts[np.searchsorted(ev["exch_ts"][starts], back_to)])
        await seek_with_dialog(pilot, app, "-1.5s")
        await wait_until(pilot, lambda: snap().exch_ts == back_to)
        expect = (book_after(ev, at).best_bid(), book_after(ev, at).best_ask())
        await wait_until(pilot, lambda: top_of(snap()) == expect)
        # home: a fresh session, still paused, at the very start
        first = link.engine
        await pilot.press("home")
        await wait_until(pilot, lambda: link.engine is not first and snap().engine_state == "paused")
        assert snap().events_total == 0 and link.engine.desk.n_fills == 0
        # max speed, play: the fills of the headless backtest
        for _ in range(3):
            await pilot.press("plus")
        await pilot.press("space")
        await wait_until(pilot, lambda: ended(link))
        assert snap().speed is None
        assert fills_of(link.engine) == backtest_fills([recorded], cfg)
        await pilot.press("q")


async def pause_playing(pilot, snap, key: str) -> int:
    """Once the replay plays, press ``key``: it must pause it, and nothing moves after.
    Returns the events played."""
    await wait_until(pilot, lambda: snap() is not None and snap().events_total > 0)
    await pilot.press(key)
    await wait_until(pilot, lambda: snap().engine_state == "paused")
    held = snap().events_total
    await pilot.pause(0.3)
    assert snap().events_total == held  # paused: nothing moves
    return held


async def test_space_pauses_and_resumes_and_speed_keys(recorded):
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0)
    app = make_app(link)
    snap = link.latest
    async with app.run_test(size=(120, 40)) as pilot:
        held = await pause_playing(pilot, snap, "space")
        await pilot.press("plus")
        await wait_until(pilot, lambda: snap().speed == 10.0)
        await pilot.press("minus", "minus")  # the slowest stays the slowest
        await wait_until(pilot, lambda: snap().speed == 1.0)
        await pilot.press("space")
        # Played on: events move again. On a loaded machine the pause may have come
        # a few messages before the end of the 3 s of data, and the replay ends
        # before a poll sees it running.
        await wait_until(pilot, lambda: snap().engine_state in ("running", "ended") and snap().events_total > held)
        assert snap().speed == 1.0
        await pilot.press("q")


async def test_step_while_playing_pauses_first(recorded):
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0)
    app = make_app(link)
    snap = link.latest
    async with app.run_test(size=(120, 40)) as pilot:
        await pause_playing(pilot, snap, "full_stop")
        await pilot.press("q")


async def test_start_time_seeks_before_the_first_frame(recorded, events):
    cfg = settings()
    ev = events
    starts = message_starts(ev)
    target = int(ev["exch_ts"][0]) + int(1.5 * SECOND)
    at = int(starts[np.searchsorted(ev["exch_ts"][starts], target)])
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0, start="+1.5s", paused=True)
    app = make_app(link)
    snap = link.latest
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: snap() is not None and snap().events_total == at)
        assert snap().exch_ts == target and snap().engine_state == "paused"
        bar = app.screen.query_one("ReplayBar")
        await pilot.pause(0.1)
        assert "2024-01-01 00:00:01.500" in str(bar.render()) and " 50.0%" in str(bar.render())
        # home goes back to --start, not to the first event
        first = link.engine
        await pilot.press("home")
        await wait_until(pilot, lambda: link.engine is not first and snap().events_total == at)
        await pilot.press("q")


async def test_seek_dialog_refuses_bad_text_and_times_past_the_end(recorded):
    cfg = settings()
    link = open_replay([str(recorded)], [], cfg, speed=1.0, paused=True)
    app = make_app(link)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: link.latest() is not None)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, SeekScreen))
        for text, words in (("tomorrow", "neither"), ("+1h", "after the last event")):
            app.screen.query_one("#when").value = text
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert isinstance(app.screen, SeekScreen)
            assert words in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, SeekScreen)
        assert not any("seek" in line.text for line in link.engine.logs)
        await pilot.press("q")


async def test_seek_after_the_end_plays_again_from_the_target(recorded, events):
    cfg = settings()
    target = int(events["exch_ts"][0]) + 2 * SECOND
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=None)
    app = make_app(link)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: ended(link))
        first = link.engine
        await seek_with_dialog(pilot, app, utc_ms(target))
        await wait_until(pilot, lambda: link.engine is not first and ended(link))
        assert link.session == 1
        texts = [line.text for line in link.engine.logs]
        assert "new session (seek after the end)" in texts and any(t.startswith("seek to") for t in texts)
        fills = fills_of(link.engine).splitlines()[1:]
        assert fills and all(int(row.split(",")[0]) >= target for row in fills)
        await pilot.press("q")


def max_speed_replay(recorded):
    """A replay of ``recorded`` at max speed: (link, app, the link's latest snapshot)."""
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=None)
    return link, make_app(link), link.latest


async def until_ended(pilot, snap) -> None:
    await wait_until(pilot, lambda: snap() is not None and snap().engine_state == "ended")


async def test_a_speed_chosen_after_the_end_holds_for_the_next_session(recorded):
    link, app, snap = max_speed_replay(recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot, snap)
        await pilot.press("minus")  # max -> 100x, said at once though the engine has ended
        await wait_until(pilot, lambda: snap().speed == 100.0)
        first = link.engine
        await pilot.press("home")
        # the new session replays its 3 s at 100x: it may be over before a poll
        await wait_until(pilot, lambda: link.engine is not first and link.engine.latest is not None)
        assert link.engine.pacer.speed == 100.0
        assert link.engine.latest.speed == 100.0
        await pilot.press("q")


async def test_the_kill_switch_and_a_rearm_still_act_after_the_end(recorded):
    link, app, snap = max_speed_replay(recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot, snap)
        assert link.engine.desk.orders  # quotes still resting when the data ended
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: snap().killed and snap().global_state == "HALTED")
        assert all(s.state == "HALTED" for s in snap().strategies)
        orders = link.engine.desk.orders.values()
        assert all(o.order_id in link.engine.slots[o.slot].asked_cancel for o in orders)
        link.send(Rearm())
        await wait_until(pilot, lambda: not snap().killed and snap().global_state == "ACTIVE")
        await pilot.press("q")


async def test_a_strategy_switched_off_stays_off_after_back_to_start(recorded):
    cfg = settings()
    link = open_replay([str(recorded)], specs(cfg), cfg, speed=1.0, paused=True)
    app = make_app(link)
    snap = link.latest
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: snap() is not None and snap().engine_state == "paused")
        name = snap().strategies[0].name
        link.send(EnableStrategy(name, False))
        await wait_until(pilot, lambda: not snap().strategies[0].enabled)
        first = link.engine
        await pilot.press("home")
        await wait_until(pilot, lambda: link.engine is not first and snap().engine_state == "paused")
        await wait_until(pilot, lambda: snap().strategies[0].state == "HALTED")
        assert not snap().strategies[0].enabled and not link.engine.slots[0].enabled
        await pilot.press("q")
