"""The depth ladder (DOM): one row per price tick, centred on the spread.

A Line-API widget: each row is computed from the latest snapshot, compared with
the row drawn before, and only changed rows are refreshed, so a busy book costs
a few lines of terminal output per frame, not a full redraw (SSH links).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from hft_tui.engine.snapshot import BookView, OrderView
from hft_tui.instrument import Instrument
from hft_tui.ui.colours import app_style
from hft_tui.ui.strips import StripCache, is_plain, line_strip, plain_lines

#: how long (ns of exchange time) a trade keeps its price highlighted
TRADE_FLASH_NS = 1_000_000_000
LEVEL_CHOICES = (5, 10, 20, 50)


@dataclass(frozen=True)
class _Row:
    px: int
    bid: int
    ask: int
    own_bid: str
    own_ask: str
    traded: int
    last: bool  # the last trade printed here recently
    inside: bool  # between best bid and best ask
    bar_bid: int  # cells of the size bar
    bar_ask: int


def _trim(decimal: str) -> str:
    """0.01000 -> 0.01: own-order cells are narrow."""
    return decimal.rstrip("0").rstrip(".") if "." in decimal else decimal


def own_cell(text: str, width: int) -> str:
    """An own-order cell ("size@ahead") in ``width`` characters, never a number cut
    short: "0.001@0.01234" in 9 would read "0.001@0", first in the queue. What does not
    fit goes, the size first (the strategy knows what it quotes; where it stands in
    the queue is what the cell is for): "@0.01234", then "0.001@…", then "…"."""
    if len(text) <= width:
        return text
    size, at, ahead = text.partition("@")
    if at and len(ahead) + 1 <= width:
        return "@" + ahead
    if at and len(size) + 2 <= width:
        return size + "@…"
    return size if len(size) <= width else "…"


class DepthLadder(Widget, can_focus=True):
    DEFAULT_CSS = """
    DepthLadder { height: 1fr; min-width: 36; background: $background; }
    """
    BINDINGS = [
        Binding("up", "scroll(1)", "Ladder up", show=False, id="ladder.up"),
        Binding("down", "scroll(-1)", "Ladder down", show=False, id="ladder.down"),
        Binding("pageup", "scroll(10)", "Ladder page up", show=False, id="ladder.pageup"),
        Binding("pagedown", "scroll(-10)", "Ladder page down", show=False, id="ladder.pagedown"),
        Binding("c", "recentre", "Centre", id="ladder.centre"),
        Binding("l", "cycle_levels", "Levels", id="ladder.levels"),
    ]

    #: levels of depth each side taken into account for the bars
    levels: reactive[int] = reactive(20)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._base = Style()
        self._strips = StripCache()
        self._look: tuple = ()
        self._row_styles: tuple[Style, ...] = ()
        self._plain: bool | None = None  # see strips.is_plain (fixed by the CSS: asked once)
        self._rows: list[_Row | None] = []
        self._centre: int | None = None
        self._offset = 0
        self._instrument: Instrument | None = None
        self._key: tuple = ()
        self._data: tuple | None = None
        self.stale = False  # the live book is resyncing: the header says so

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def on_resize(self) -> None:
        # rows depend on the height and columns on the width: rebuild everything
        self._rows = []
        self._redraw()
        self.refresh()

    # --- actions --------------------------------------------------------------------
    def action_scroll(self, ticks: int) -> None:
        self._offset += ticks
        self._redraw()

    def action_recentre(self) -> None:
        self._offset = 0
        self._centre = None
        self._redraw()

    def action_cycle_levels(self) -> None:
        i = LEVEL_CHOICES.index(self.levels) if self.levels in LEVEL_CHOICES else 0
        self.levels = LEVEL_CHOICES[(i + 1) % len(LEVEL_CHOICES)]
        self.notify(f"ladder depth: {self.levels} levels", timeout=2)

    def watch_levels(self) -> None:
        self._redraw()

    # --- data -------------------------------------------------------------------------
    def show(
        self,
        book: BookView | None,
        instrument: Instrument | None,
        orders: tuple[OrderView, ...],
        now_ns: int,
    ) -> None:
        """Take the latest book; refresh only rows whose content changed."""
        key = (book, instrument, orders, now_ns // TRADE_FLASH_NS)
        if key == self._key:
            return
        self._key = key
        stale = book is not None and book.stale
        if stale != self.stale:
            self.stale = stale
            self.refresh(Region(0, 0, self.size.width, 1))  # the header carries the marker
        self._data = (book, orders, now_ns)
        self._instrument = instrument
        self._redraw()

    def _redraw(self) -> None:
        if self._data is None:
            return
        rows = self._build_rows(*self._data)
        width = self.size.width
        if len(rows) != len(self._rows):
            self._rows = rows
            self.refresh()
            return
        changed = [y for y, (old, new) in enumerate(zip(self._rows, rows)) if old != new]
        self._rows = rows
        if len(changed) > len(rows) // 2:
            self.refresh()  # a busy book: one refresh costs less than one per row
            return
        for y in changed:
            self.refresh(Region(0, y + 1, width, 1))  # line 0 is the header

    def _build_rows(self, book: BookView | None, orders: tuple[OrderView, ...], now_ns: int) -> list[_Row | None]:
        height = max(1, self.size.height - 1)
        if book is None or (not book.bids and not book.asks):
            return [None] * height
        best_bid = book.bids[0][0] if book.bids else None
        best_ask = book.asks[0][0] if book.asks else None
        mid = (
            (best_bid + best_ask) // 2
            if best_bid is not None and best_ask is not None
            else (best_bid if best_bid is not None else best_ask)
        )
        # Re-centre only when the mid leaves the middle half: the ladder stays
        # still while the market jitters, as traders expect of a DOM.
        if self._centre is None or abs(mid - self._centre) > height // 4:
            self._centre = mid
        top = self._centre + self._offset + height // 2
        bids = dict(book.bids[: self.levels])
        asks = dict(book.asks[: self.levels])
        traded = dict(book.traded)
        biggest = max([*bids.values(), *asks.values(), 1])
        own: dict[tuple[int, int], list[OrderView]] = {}
        for o in orders:
            if o.sym == book.sym and o.leaves > 0:
                own.setdefault((o.side, o.px), []).append(o)
        last_recent = book.last_trade_px is not None and now_ns - book.last_trade_ts < TRADE_FLASH_NS
        rows: list[_Row | None] = []
        bar_w = self._columns()[2]
        for y in range(height):
            px = top - y
            bid = bids.get(px, 0)
            ask = asks.get(px, 0)
            rows.append(
                _Row(
                    px=px,
                    bid=bid,
                    ask=ask,
                    own_bid=self._own_text(own.get((1, px))),
                    own_ask=self._own_text(own.get((-1, px))),
                    traded=traded.get(px, 0),
                    last=last_recent and px == book.last_trade_px,
                    inside=best_bid is not None and best_ask is not None and best_bid < px < best_ask,
                    bar_bid=-(-bid * bar_w // biggest),
                    bar_ask=-(-ask * bar_w // biggest),
                )
            )
        return rows

    def _own_text(self, orders: list[OrderView] | None) -> str:
        if not orders:
            return ""
        inst = self._instrument
        qty = sum(o.leaves for o in orders)
        ahead = min((o.queue_ahead for o in orders if o.queue_ahead >= 0), default=-1)
        fmt = (lambda lots: _trim(inst.lots_to_str(lots))) if inst else str
        return f"{fmt(qty)}@{fmt(ahead)}" if ahead >= 0 else fmt(qty)

    # --- drawing ----------------------------------------------------------------------
    def _columns(self) -> tuple[int, int, int, int]:
        """Widths of own, size, bar and price columns for the current width."""
        width = self.size.width
        price = 10
        bar = 5 if width >= 46 else 0
        own = 13 if width >= 76 else 9 if width >= 62 else 0
        size = max(7, (width - price - 2 * bar - 2 * own - 10) // 2)
        return own, size, bar, price

    def render_lines(self, crop: Region) -> list[Strip]:
        # the widget's style walks every ancestor: once per pass, not once per line
        self._base = self.rich_style
        look = (self._base, self.size.width, self.app.theme, self._instrument)
        if look != self._look:
            self._look = look
            self._row_styles = self._styles()
        self._strips.begin(look)
        if self._plain is None:
            self._plain = is_plain(self)
        lines = plain_lines(self, crop, self.render_line) if self._plain else super().render_lines(crop)
        # rows that did not change keep their strip (the price column scrolls by)
        self._strips.end(4 * max(1, self.size.height))
        return lines

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        own_w, size_w, bar_w, price_w = self._columns()
        if y == 0 and self.stale:
            # the book is being rebuilt from a snapshot: its levels may be wrong
            mark = " STALE (resyncing) ".center(width)[:width]
            return Strip([Segment(mark, app_style(self.app, "loss", bold=True, reverse=True))])
        if y == 0:
            head = (
                "own".rjust(own_w)[:own_w]
                + " " + "bid".rjust(size_w) + " " * bar_w
                + "price".center(price_w)
                + " " * bar_w + "ask".ljust(size_w) + " "
                + "own".ljust(own_w)[:own_w]
                + " vol"
            )
            return Strip([Segment(head[:width].ljust(width), Style(dim=True))]).apply_style(self._base)
        row = self._rows[y - 1] if y - 1 < len(self._rows) else None
        if row is None:
            return Strip.blank(width, self._base)
        return self._strips.get(row, lambda: self._row_strip(row, width, own_w, size_w, bar_w, price_w))

    def _styles(self) -> tuple[Style, ...]:
        """The row styles of the current theme, each over the widget's own style
        (bid, ask, own order, last trade, price, dim)."""
        base = self._base
        return tuple(
            base + style
            for style in (
                app_style(self.app, "bid"),
                app_style(self.app, "ask"),
                app_style(self.app, "own-order", bold=True),
                app_style(self.app, "last-trade", reverse=True),
                Style(bold=True),
                Style(dim=True),
            )
        )

    def _row_strip(self, row: _Row, width: int, own_w: int, size_w: int, bar_w: int, price_w: int) -> Strip:
        bid_style, ask_style, own_style, last_style, price_style, dim = self._row_styles
        inst = self._instrument
        fmt_px = inst.ticks_to_str if inst else str
        fmt_qty = inst.lots_to_str if inst else str
        if row.last:
            px_style = last_style
        elif not own_w and (row.own_bid or row.own_ask):
            px_style = own_style  # no room for the own columns: the price says it
        else:
            px_style = dim if row.inside else price_style
        parts: list[tuple[str, Style]] = []
        if own_w:
            parts.append((own_cell(row.own_bid, own_w).rjust(own_w), own_style))
        parts.append((" " + (fmt_qty(row.bid) if row.bid else "").rjust(size_w), bid_style))
        if bar_w:
            parts.append((("█" * row.bar_bid).rjust(bar_w), bid_style))
        parts.append((fmt_px(row.px).center(price_w)[:price_w], px_style))
        if bar_w:
            parts.append((("█" * row.bar_ask).ljust(bar_w), ask_style))
        parts.append(((fmt_qty(row.ask) if row.ask else "").ljust(size_w) + " ", ask_style))
        if own_w:
            parts.append((own_cell(row.own_ask, own_w).ljust(own_w), own_style))
        parts.append((" " + (_trim(fmt_qty(row.traded)) if row.traded else ""), dim))
        return line_strip(parts, width, self._base, combined=True)
