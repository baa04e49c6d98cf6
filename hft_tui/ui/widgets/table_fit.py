"""A DataTable's height set from its own texts, instead of ``height: auto``.

With ``height: auto`` the table measures its rows when it is next idle and asks
for a layout then; Textual 8.2 was seen to run that layout and still give the
table no height (0 rows tall, nothing pending, the table's measurements right).
A running app heals at its next change, a paused one does not. So a table sizes
itself from what it is given: the texts' widths in terminal cells.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.widgets import DataTable


def widest(widths: Sequence[int], cells: Sequence[str]) -> list[int]:
    """Each column's widest text so far (a table never narrows a column)."""
    return [max(w, cell_len(c)) for w, c in zip(widths, cells)]


def fit_height(table: DataTable, widths: Sequence[int], width: int, max_height: int) -> None:
    """The header, the rows, and the horizontal scrollbar's row when the columns
    (``widths`` plus the cells' padding) are wider than ``width``; at most ``max_height``,
    past which the rows scroll and a vertical scrollbar takes its columns."""
    height = table.row_count + 1
    room = width - (table.styles.scrollbar_size_vertical if height > max_height else 0)
    if sum(widths) + 2 * table.cell_padding * len(widths) > room:
        height += 1
    height = min(height, max_height)
    if table.styles.height is None or table.styles.height.value != height:
        table.styles.height = height
