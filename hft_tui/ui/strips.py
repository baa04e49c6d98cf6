"""Lines for Line-API widgets (ladder, order log), built in one go."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip


def line_strip(parts: list[tuple[str, Style]], width: int, base: Style) -> Strip:
    """One line of exactly ``width`` cells from (text, style) parts, cropped or padded,
    over ``base`` (the widget's style, so themes set the background). Built in one
    go: chaining Strip's crop and style methods costs three strips per line."""
    segments = []
    left = width
    for text, style in parts:
        if left <= 0:
            break
        cells = len(text) if text.isascii() else cell_len(text)
        if cells > left:
            text = set_cell_size(text, left)
            cells = left
        segments.append(Segment(text, base + style))
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
