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


class HeightFit:
    """The widest text of each column so far (a table never narrows a column), and the
    height that gives a table: the header, the rows, and the horizontal scrollbar's row
    when the columns are wider than the table; at most ``max_height``, past which the
    rows scroll and a vertical scrollbar takes its columns."""

    def __init__(self, columns: Sequence[str], max_height: int) -> None:
        self.widths = [cell_len(c) for c in columns]
        self.max_height = max_height

    def row(self, cells: Sequence[str]) -> None:
        self.widths = [max(w, cell_len(c)) for w, c in zip(self.widths, cells)]

    def apply(self, table: DataTable, width: int) -> None:
        """Set the height of ``table``, ``width`` cells wide."""
        height = table.row_count + 1
        room = width - (table.styles.scrollbar_size_vertical if height > self.max_height else 0)
        if sum(self.widths) + 2 * table.cell_padding * len(self.widths) > room:
            height += 1
        height = min(height, self.max_height)
        if table.styles.height is None or table.styles.height.value != height:
            table.styles.height = height
