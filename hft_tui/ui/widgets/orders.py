"""The order log: every order, fill, cancel, reject and risk event, newest first.

Lines arrive in snapshots with increasing sequence numbers; the panel keeps the
newest ``MAX_LINES`` (bounded memory in a session of days) and filters them by
category and strategy without asking the engine again.

A line is time, category, strategy, text. In a narrow panel (a third of a
160-column terminal) those columns would leave the text a dozen characters, cut
before its price or its reason, so there the category goes (the line's colour
tells fills, risk events and warnings apart; ``f`` filters by it) and the
strategy column is as wide as the longest name; in a panel narrower still
(an 80-column terminal) the time drops its hours, which the status line shows.
A text longer than the room left wraps onto rows of its own, under the text
column, so that no price or reason is cut.
"""

from __future__ import annotations

from collections import deque

from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hft_tui.engine.snapshot import LogLine
from hft_tui.ui.colours import app_style
from hft_tui.ui.strips import StripCache, is_plain, line_strip, plain_lines
from hft_tui.text import utc_ms, wrap

MAX_LINES = 5000
SIZE_STEP = 1000
CATEGORIES = ("all", "order", "fill", "risk", "strategy", "feed", "engine")
#: from this panel width on, lines show the category column and a full strategy column
WIDE = 80
#: below this one the time loses its hours (the status line shows them): MM:SS.mmm
NARROW = 50
#: a text column narrower than this is cut, not wrapped (rows of a few letters help nobody)
MIN_WRAP = 12


class OrderLog(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    OrderLog { height: 1fr; background: $background; }
    """
    BINDINGS = [
        Binding("f", "cycle_category", "Filter type", id="log.category"),
        Binding("F", "cycle_strategy", "Filter strategy", id="log.strategy"),
        # the app's back-to-start, not the scroll to the top that a ScrollView binds to it
        Binding("home", "app.restart", "Start", show=False, id="replay.start"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._base = Style()
        self._strips = StripCache()
        self._plain: bool | None = None  # see strips.is_plain (fixed by the CSS: asked once)
        self._lines: deque[LogLine] = deque(maxlen=MAX_LINES)
        self._view: list[LogLine] = []
        self._rows: list[tuple[LogLine, int]] = []  # what each row shows: a line, which part of it
        self._wraps: dict[int, tuple[str, ...]] = {}  # seq -> the rows of a long line's text
        self._wrap_room = 0
        self._last_seq = -1
        self.category = "all"
        self.strategy = ""  # "" = all
        self._strategies: list[str] = []

    @property
    def title_text(self) -> str:
        who = self.strategy or "all strategies"
        return f"orders [{self.category} / {who}]"

    def add(self, lines: tuple[LogLine, ...]) -> None:
        fresh = [line for line in lines if line.seq > self._last_seq]
        if not fresh:
            return
        self._last_seq = fresh[-1].seq
        self._lines.extend(fresh)
        room = self._room()
        for line in fresh:
            if line.strategy and line.strategy not in self._strategies:
                self._strategies.append(line.strategy)
        if self._room() != room:  # a longer strategy name narrowed the text column
            self._refilter()
            return
        # Only the fresh lines are filtered and wrapped: the rest of the view stays as
        # it was (a snapshot at full speed brings a few hundred lines; the panel keeps
        # thousands), less the lines the panel no longer keeps.
        kept = [line for line in reversed(fresh) if self._keep(line)]
        oldest = self._lines[0].seq
        self._view = kept + self._view
        self._rows = self._wrapped(kept) + self._rows
        _drop_older(self._view, oldest, lambda line: line)
        _drop_older(self._rows, oldest, lambda row: row[0])
        self._fit()

    def clear(self) -> None:
        """Forget every line (a replay went back to start: a new session, new sequence numbers)."""
        self._lines.clear()
        # the next session numbers its lines afresh: nothing drawn for a number may stay
        self._wraps.clear()
        self._strips = StripCache()
        self._last_seq = -1
        self._refilter()

    def action_cycle_category(self) -> None:
        self.category = CATEGORIES[(CATEGORIES.index(self.category) + 1) % len(CATEGORIES)]
        self._refilter()
        self._show_title()

    def action_cycle_strategy(self) -> None:
        choices = ["", *self._strategies]
        self.strategy = choices[(choices.index(self.strategy) + 1) % len(choices)] if self.strategy in choices else ""
        self._refilter()
        self._show_title()

    def _show_title(self) -> None:
        # the border on screen is the panel's around the log (main_screen), not the log's own
        box = self.parent if self.parent is not None and self.parent.id == "orders" else self
        box.border_title = self.title_text

    def _keep(self, line: LogLine) -> bool:
        if self.category != "all" and line.category != self.category:
            return False
        return not self.strategy or line.strategy == self.strategy

    def _refilter(self) -> None:
        if self.category == "all" and not self.strategy:
            self._view = list(reversed(self._lines))  # no filter: a C-speed copy
        else:
            self._view = [line for line in reversed(self._lines) if self._keep(line)]
        self._rows = self._wrapped(self._view)
        self._fit()

    def _fit(self) -> None:
        """The scroll range for the rows, then a redraw."""
        # A new virtual size re-lays out the whole screen: grow it in steps, not per line
        # (rows past the last line render blank).
        rows = -(-len(self._rows) // SIZE_STEP) * SIZE_STEP
        size = Size(self.size.width, min(rows, 2 * MAX_LINES))
        if size != self.virtual_size:
            old = self.virtual_size
            if old.width == size.width and min(old.height, size.height) > self.size.height:
                # The scrollbar is there before and after: only its thumb changes, and
                # a layout of the whole screen (tens of ms, keys wait) is not needed.
                self.set_reactive(OrderLog.virtual_size, size)
                self._scroll_update(size)
            else:
                self.virtual_size = size
        self.refresh()

    def _wrapped(self, view: list[LogLine]) -> list[tuple[LogLine, int]]:
        """The rows of ``view``: a line whose text needs more room than the panel has
        takes one row per part."""
        room = self._room()
        if room < MIN_WRAP:
            return [(line, 0) for line in view]
        rows = []
        for line in view:
            rows.append((line, 0))
            if len(line.text) > room:  # (most lines are shorter: no need to look closer)
                for part in range(1, len(self._parts(line, room))):
                    rows.append((line, part))
        return rows

    def _parts(self, line: LogLine, room: int) -> tuple[str, ...]:
        """The line's text wrapped at spaces into rows of ``room`` cells (kept per line:
        a snapshot re-filters thousands of lines)."""
        if room != self._wrap_room:  # (a draw may come before the re-filter of a resize)
            self._wraps, self._wrap_room = {}, room
        parts = self._wraps.get(line.seq)
        if parts is None:
            if len(self._wraps) >= 2 * MAX_LINES:
                self._wraps.clear()
            text = _shown_text(line)
            parts = (text,) if len(text) <= room else tuple(wrap(text, room))
            self._wraps[line.seq] = parts = parts or ("",)
        return parts

    def _room(self) -> int:
        """The text column's width: the panel's width less the columns before the text
        (as ``_line_strip`` lays them out) and the scrollbar's, shown or not, so that
        what a line wraps to depends on the panel's width alone (the strip cache is
        keyed by it)."""
        width = self.size.width
        stamp = 12 if width >= NARROW else 9
        text = width - self.styles.scrollbar_size_vertical
        if width >= WIDE:
            return text - stamp - 1 - 9 - 9
        n = self._name_width()
        return text - stamp - 1 - (n + 1 if n else 0)

    def on_resize(self) -> None:
        self._refilter()  # the rows a line wraps onto follow the width

    def render_lines(self, crop: Region) -> list[Strip]:
        # the widget's style walks every ancestor: once per pass, not once per line
        self._base = self.rich_style
        self._strips.begin((self._base, self.size.width, self.app.theme, self._name_width()))
        if self._plain is None:
            self._plain = is_plain(self)
        lines = plain_lines(self, crop, self.render_line) if self._plain else super().render_lines(crop)
        # a line's strip never changes: keep the ones on screen for the next pass
        self._strips.end(2 * max(1, self.size.height))
        return lines

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        width = self.size.width
        if index >= len(self._rows):
            return Strip.blank(width, self._base)
        line, part = self._rows[index]
        return self._strips.get((line.seq, part), lambda: self._line_strip(line, width, part))

    def _line_strip(self, line: LogLine, width: int, part: int = 0) -> Strip:
        if line.level == "error" or line.category == "risk":
            style = app_style(self.app, "loss")
        elif line.category == "fill":
            style = app_style(self.app, "profit")
        elif line.level == "warning":
            style = app_style(self.app, "own-order")
        else:
            style = Style()
        stamp = utc_ms(line.ts)[11 if width >= NARROW else 14 :]
        text = _shown_text(line)
        dim = Style(dim=True)
        if width >= WIDE:
            who = f"{line.strategy:<8.8}"
            columns = f"{stamp} {line.category:<8.8} {who} "
        else:
            n = self._name_width()
            columns = f"{stamp} {line.strategy:<{n}.{n}} " if n else f"{stamp} "
        room = self._room()
        if room >= MIN_WRAP and len(text) > room:
            parts = self._parts(line, room)
            text = parts[part] if part < len(parts) else ""
            if part:
                columns = " " * len(columns)
        return line_strip([(columns, dim), (text, style)], width, self._base)

    def _name_width(self) -> int:
        """The narrow layout's strategy column: the longest name seen, at most 8."""
        return min(8, max((len(name) for name in self._strategies), default=0))


def _drop_older(items: list, oldest: int, line_of) -> None:
    """Drop from the end of ``items`` (newest first) what belongs to lines older than
    sequence number ``oldest``."""
    while items and line_of(items[-1]).seq < oldest:
        items.pop()


def _shown_text(line: LogLine) -> str:
    """The line's text as the panel shows it: without a leading "name: " that the
    strategy column says already."""
    text = line.text
    if line.strategy and text.startswith(line.strategy) and text.startswith(": ", len(line.strategy)):
        return text[len(line.strategy) + 2 :]
    return text
