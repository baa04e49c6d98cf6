"""The workstation's own fast paths give what Textual's general ones would."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

from hft_tui.engine.snapshot import LogLine
from hft_tui.ui.app import HftApp
from hft_tui.ui.strips import is_plain, plain_lines
from hft_tui.ui.widgets.ladder import DepthLadder
from hft_tui.ui.widgets.orders import SIZE_STEP, OrderLog
from ui_doubles import BTC, ETH, T0, ScriptedLink


async def test_plain_lines_equal_textual_styles_pass_for_ladder_and_log():
    app = HftApp(ScriptedLink(), [BTC, ETH])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        for cls in (DepthLadder, OrderLog):
            widget = app.screen.query_one(cls)
            assert is_plain(widget)
            w, h = widget.size
            for crop in (Region(0, 0, w, h), Region(3, 2, w - 5, 4)):
                widget.refresh()
                ours = plain_lines(widget, crop, widget.render_line)
                widget._styles_cache.clear()
                textual = Widget.render_lines(widget, crop)
                assert [s.text for s in ours] == [s.text for s in textual]
                assert [list(s) for s in ours] == [list(s) for s in textual]
        ladder = app.screen.query_one(DepthLadder)
        ladder.styles.padding = (0, 1)
        assert not is_plain(ladder)  # Textual's pass then draws it


async def test_order_log_grows_its_scroll_range_without_relayout():
    app = HftApp(ScriptedLink(), [BTC, ETH])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        log = app.screen.query_one(OrderLog)
        seq = 100

        def lines(n):
            nonlocal seq
            out = tuple(LogLine(seq + i, T0, "order", "mm", f"line {seq + i}") for i in range(n))
            seq += n
            return out

        log.add(lines(SIZE_STEP))
        await pilot.pause(0.1)
        assert log.virtual_size.height == 2 * SIZE_STEP  # 3 lines of the sample, then 1000 more
        assert log.vertical_scrollbar.window_virtual_size == 2 * SIZE_STEP
        layouts = []
        refresh = log.refresh
        log.refresh = lambda *a, **k: (layouts.append(k.get("layout")), refresh(*a, **k))[1]
        log.add(lines(SIZE_STEP))
        await pilot.pause(0.1)
        assert log.virtual_size.height == 3 * SIZE_STEP
        assert log.vertical_scrollbar.window_virtual_size == 3 * SIZE_STEP  # the thumb follows
        assert not any(layouts)
        assert log._view[0].text == f"line {seq - 1}"  # newest first


async def test_order_log_rows_added_in_steps_equal_a_rebuild_of_all_lines():
    """The log wraps and filters only the lines a snapshot brings: what it then
    shows is what filtering and wrapping every line it keeps gives."""
    import random

    from hft_tui.ui.widgets import orders

    rng = random.Random(3)
    app = HftApp(ScriptedLink(), [BTC, ETH])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        log = app.screen.query_one(OrderLog)
        log.strategy = "mm"  # a filter: only some of each snapshot's lines are shown
        log._refilter()
        seq = 1000
        names = ["mm", "grid", "a-long-name"]
        for step in range(40):
            n = rng.choice([1, 5, 300, 2500])
            batch = []
            for _ in range(n):
                seq += 1
                words = " ".join("w" * rng.randint(1, 9) for _ in range(rng.randint(1, 30)))
                batch.append(LogLine(seq, T0, rng.choice(["order", "fill"]), rng.choice(names[: 1 + step // 10]), words))
            log.add(tuple(batch))
            rows, view = list(log._rows), list(log._view)
            log._refilter()
            assert view == log._view
            assert rows == log._rows
            assert len(log._lines) <= orders.MAX_LINES
            assert not view or view[-1].seq >= log._lines[0].seq  # nothing the panel dropped


class _PushingLink(ScriptedLink):
    """A link that says when a snapshot arrives (as the engine process's does)."""

    on_snapshot = None


async def test_a_snapshot_is_drawn_when_it_arrives_not_at_the_next_tick():
    import threading
    from dataclasses import replace

    link = _PushingLink()
    app = HftApp(link, [BTC, ETH], refresh_hz=0.1)  # the timer alone would draw in 10 s
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        assert link.on_snapshot is not None
        before = app._snap
        link._snap = replace(link._snap, events_total=123_456)
        threading.Thread(target=link.on_snapshot).start()  # the link's receiving thread
        for _ in range(100):
            await pilot.pause(0.01)
            if app._snap is not before:
                break
        assert app._snap is link._snap
        await pilot.pause(0.1)
        assert app.frames >= 1


async def test_status_and_panels_follow_at_their_own_pace_and_catch_up():
    from dataclasses import replace

    from hft_tui.ui.widgets.status import StatusBar

    link = ScriptedLink()
    app = HftApp(link, [BTC, ETH])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.3)
        status = app.screen.query_one(StatusBar)
        before = str(status.render())
        # two snapshots in quick succession, then nothing new
        link._snap = replace(link._snap, exch_ts=link._snap.exch_ts + 1_000_000_000)
        await pilot.pause(0.05)
        link._snap = replace(link._snap, exch_ts=link._snap.exch_ts + 1_000_000_000)
        await pilot.pause(0.4)
        after = str(status.render())
        assert after != before
        assert "00:00:02.123" in after  # the last snapshot's time, not the one before
        # a change of state shows at once, whatever the pace
        link._snap = replace(link._snap, engine_state="paused")
        await pilot.pause(0.06)
        assert "paused" in str(status.render())


def test_an_own_order_cell_never_cuts_a_number():
    from hft_tui.ui.widgets.ladder import own_cell

    assert own_cell("0.01@0.03", 9) == "0.01@0.03"
    # the place in the queue before the size: not "0.001@0", first in the queue
    assert own_cell("0.001@0.01234", 9) == "@0.01234"
    assert own_cell("0.001@0.0123456", 9) == "0.001@…"
    assert own_cell("0.001@0.01234", 13) == "0.001@0.01234"
    assert own_cell("12345.678@1", 9) == "@1"
    assert own_cell("123456.789", 9) == "…"
    assert own_cell("0.00123", 9) == "0.00123"


def test_a_limit_shows_whole_in_a_narrow_risk_panel():
    from hft_tui.ui.widgets.risk import usage_text

    assert usage_text(120.045, 20_000, 40) == "120.045 / 20,000"
    assert usage_text(120.045, 20_000, 12) == "120 / 20k"  # not "120.045 / 2…"
    assert usage_text(1_234_567.8, 5e6, 12) == "1.23M / 5M"
    assert usage_text(0.002, 0.2, 12) == "0.002 / 0.2"
    assert usage_text(0.995708, 1000, 12) == "0.996 / 1000"  # fewer digits rather than "10…"


def test_money_never_shows_a_negative_zero():
    from hft_tui.ui.widgets.pnl import money

    assert [money(x) for x in (-0.001, -0.0, 0.004, -0.005001, -1234.5)] == ["0.00", "0.00", "0.00", "-0.01", "-1,234.50"]


async def test_a_long_log_line_wraps_at_spaces_in_a_narrow_panel():
    app = HftApp(ScriptedLink(), [BTC, ETH])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("2")  # the orders tab of the narrow layout
        await pilot.pause(0.1)
        log = app.screen.query_one(OrderLog)
        text = "rejected (self_trade): would trade against own resting order at 59981.31"
        log.add((LogLine(500, T0, "risk", "mm", f"mm: {text}"),))
        await pilot.pause(0.1)
        visible = log.scrollable_content_region.width  # the scrollbar covers the rest
        rows = ["".join(seg.text for seg in log.render_line(y))[:visible] for y in range(6)]
        mine = []
        for row in rows:
            if mine and not row.startswith(" "):
                break  # the next line's first row
            if mine or "rejected" in row:
                mine.append(row)
        assert len(mine) >= 2
        words = " ".join(row.split(" mm ", 1)[-1].strip() for row in mine)
        assert words == text  # every word whole, the price too, nothing cut by the edge


async def test_the_log_redraws_cleanly_after_a_resize_and_a_new_session():
    app = HftApp(ScriptedLink(), [BTC, ETH])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("2")
        await pilot.pause(0.1)
        log = app.screen.query_one(OrderLog)
        text = "rejected (max_position): worst-case position -0.00100 > 0.00050"
        log.add((LogLine(500, T0, "risk", "mm", text),))

        def shown():
            visible = log.size.width - log.styles.scrollbar_size_vertical  # the scrollbar covers the rest
            rows = ["".join(seg.text for seg in log.render_line(y))[:visible] for y in range(log.size.height)]
            return " ".join(" ".join(r.split()[2:] if r[:1] != " " else r.split()) for r in rows if r.strip())

        await pilot.pause(0.1)
        assert text in shown()
        for size in ((200, 60), (80, 24), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.15)
            await pilot.press("2")
            await pilot.pause(0.1)
            assert shown().count("-0.00100 > 0.00050") == 1 and text in shown()
        log.clear()  # a new session: the same sequence numbers, other lines
        log.add((LogLine(500, T0, "engine", "mm", "back to start"),))
        await pilot.pause(0.1)
        assert "back to start" in shown() and "rejected" not in shown()


async def test_tables_fit_their_rows_and_scrollbar():
    """The P&L and strategies tables size themselves from their texts (table_fit: not
    "height: auto", which Textual was seen to leave 0 rows tall): the header, every row,
    and a row for the horizontal scrollbar exactly when the table itself measures its
    columns wider than it is."""
    from textual.widgets import DataTable

    # the P&L table's columns overflow its quarter of a 160-column screen, not the
    # half of a 120-column one
    for size, pnl_scrolls in (((160, 48), True), ((120, 40), False)):
        app = HftApp(ScriptedLink(), [BTC, ETH])
        async with app.run_test(size=size) as pilot:
            tables = [app.screen.query_one(q, DataTable) for q in ("#pnl-table", "#strategy-table")]
            if size[0] < 150:
                tables = tables[:1]  # one panel at a time there: the P&L's
            for _ in range(100):
                await pilot.pause(0.05)
                if all(t.row_count and t.virtual_size.height > 1 for t in tables):
                    break
            await pilot.pause(0.2)
            assert (tables[0].virtual_size.width > tables[0].size.width) is pnl_scrolls
            for table in tables:
                scrolls = table.virtual_size.width > table.size.width
                assert table.size.height == table.row_count + 1 + scrolls, table.id
