"""P&L per strategy and in total, with sparklines of equity and position."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Sparkline

from hft_tui.engine.snapshot import PnLView
from hft_tui.instrument import Instrument
from hft_tui.ui.widgets.table_fit import HeightFit

#: samples shown in the sparklines, cycled with `w`
WINDOWS = (60, 300, 0)  # 0: everything the engine keeps
#: equity (P&L since the start, fees included) first: a narrow panel cuts the columns on the right
_COLUMNS = ("name", "equity", "position", "realized", "unrealized", "fees")
#: rows of the table shown at most, its header and scrollbar included (more scroll)
MAX_TABLE_ROWS = 8


def money(x: float) -> str:
    """Two decimals with thousands separators; a value that rounds to zero is 0.00
    (-0.001 would show "-0.00", a loss that is not there)."""
    return f"{x if round(x, 2) else 0.0:,.2f}"


class PnLPanel(Vertical, can_focus=False):
    DEFAULT_CSS = """
    PnLPanel { height: 1fr; }
    PnLPanel DataTable { height: 1; }  /* the header; then table_fit */
    PnLPanel Sparkline { height: 2; margin: 0 1; }
    PnLPanel Label { margin: 0 1; color: $text-muted; width: 1fr; }  /* full width: a longer text needs no new layout */
    """
    BINDINGS = [Binding("w", "cycle_window", "Window", id="pnl.window")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._window_i = 0
        self._rows: dict[str, tuple] = {}
        self._series_key: tuple = ()
        self._selected = "total"
        self._fit = HeightFit(_COLUMNS, MAX_TABLE_ROWS)

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=False, id="pnl-table")
        for col in _COLUMNS:
            table.add_column(col, key=col)
        yield table
        yield Label("equity", id="equity-label")
        yield Sparkline([], id="equity-spark")
        yield Label("position", id="position-label")
        yield Sparkline([], id="position-spark")

    def on_resize(self) -> None:
        self._fit_table()

    def _fit_table(self) -> None:
        self._fit.apply(self.query_one(DataTable), self.size.width)  # (the table fills the panel's width)

    def action_cycle_window(self) -> None:
        self._window_i = (self._window_i + 1) % len(WINDOWS)
        self._series_key = ()
        n = WINDOWS[self._window_i]
        self.notify(f"sparkline window: {'all samples' if n == 0 else f'last {n} samples'}", timeout=2)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._selected = event.row_key.value
            self._series_key = ()

    def show(self, pnl: tuple[PnLView, ...], instruments: tuple[Instrument, ...]) -> None:
        table = self.query_one(DataTable)
        for view in pnl:
            pos = ", ".join(
                inst.lots_to_str(p) for inst, p in zip(instruments, view.position) if p
            ) or "0"
            cells = (view.name, money(view.equity), pos, money(view.realized), money(view.unrealized), money(view.fees))
            old = self._rows.get(view.name)
            if old is None:
                table.add_row(*cells, key=view.name)
            else:
                for col, before, after in zip(_COLUMNS, old, cells):
                    if before != after:
                        table.update_cell(view.name, col, after, update_width=True)  # -12.34 after 0.00
            if cells != old:
                self._fit.row(cells)
            self._rows[view.name] = cells
        self._fit_table()
        chosen = next((v for v in pnl if v.name == self._selected), pnl[-1] if pnl else None)
        if chosen is None:
            return
        n = WINDOWS[self._window_i]
        equity = chosen.equity_series[-n:] if n else chosen.equity_series
        position = chosen.position_series[-n:] if n else chosen.position_series
        key = (chosen.name, n, len(chosen.equity_series), equity[-1:] if equity else ())
        if key != self._series_key:
            if key[:2] != self._series_key[:2]:  # labels change with the selection only
                self.query_one("#equity-label", Label).update(f"equity ({chosen.name})")
                self.query_one("#position-label", Label).update(f"position ({chosen.name})")
            self._series_key = key
            # Sparkline.data is reactive: assign a new list, never mutate in place.
            self.query_one("#equity-spark", Sparkline).data = list(equity)
            self.query_one("#position-spark", Sparkline).data = list(position)
