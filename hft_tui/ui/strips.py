"""Lines for Line-API widgets (ladder, order log), built in one go and handed to
the compositor without Textual's per-line styling pass when it has nothing to add."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def line_strip(parts: list[tuple[str, Style]], width: int, base: Style, combined: bool = False) -> Strip:
    """One line of exactly ``width`` cells from (text, style) parts, cropped or padded,
    over ``base`` (the widget's style, so themes set the background; ``combined``:
    the parts' styles already include it). Built in one go: chaining Strip's crop
    and style methods costs three strips per line."""
    segments = []
    left = width
    for text, style in parts:
        if left <= 0:
            break
        cells = len(text) if text.isascii() else cell_len(text)
        if cells > left:
            text = set_cell_size(text, left)
            cells = left
        segments.append(Segment(text, style if combined else base + style))
        left -= cells
    if left > 0:
        segments.append(Segment(" " * left, base))
    return Strip(segments, width)


class StripCache:
    """A Line-API widget's strips kept from one render pass to the next, keyed by what
    each line shows; everything is dropped when the ``look`` (style, width, theme...)
    changes. Between ``begin`` and ``end`` the widget asks ``get`` for each line."""

    def __init__(self) -> None:
        self._look: tuple = ()
        self._kept: dict = {}
        self._drawn: dict = {}

    def begin(self, look: tuple) -> None:
        if look != self._look:
            self._look, self._kept = look, {}
        self._drawn = {}

    def get(self, key: object, build: Callable[[], Strip]) -> Strip:
        strip = self._kept.get(key)
        if strip is None:
            strip = build()
        self._drawn[key] = strip
        return strip

    def end(self, limit: int) -> None:
        """Keep this pass's strips and earlier ones, at most ``limit`` (then this pass's only)."""
        self._kept.update(self._drawn)
        if len(self._kept) > limit:
            self._kept = self._drawn


def is_plain(widget: Widget) -> bool:
    """True when Textual's styles pass would return the widget's own lines unchanged
    (up to line filters): no border, outline, padding, hatch, tint or opacity."""
    st = widget.styles
    return (
        not any(edge for edge, _ in st.border)
        and not any(edge for edge, _ in st.outline)
        and not any(st.padding)
        and not st.tint.a
        and st.text_opacity == 1.0
        and widget.opacity == 1.0
        and (not st.has_rule("hatch") or st.hatch == "none")
    )


def plain_lines(widget: Widget, crop: Region, render_line: Callable[[int], Strip]) -> list[Strip]:
    """The lines of ``crop`` for a widget that ``is_plain``, straight from its
    ``render_line`` (full-width strips), with the app's line filters applied
    (16 colours, no colour). Textual's general pass costs about 0.1 ms a line:
    most of a busy ladder's frame."""
    strips = [render_line(y) for y in crop.line_range]
    filters = widget.get_line_filters()
    if filters:
        background = widget.background_colors[1]
        for line_filter in filters:
            strips = [strip.apply_filter(line_filter, background) for strip in strips]
    x1, x2 = crop.column_span
    if (x1, x2) != (0, widget.size.width):
        strips = [strip.crop(x1, x2) for strip in strips]
    return strips
