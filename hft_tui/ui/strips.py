"""Lines for Line-API widgets (ladder, order log), built in one go."""

from __future__ import annotations

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
