"""The strategies: state, enabled flag and key parameters; toggle and edit."""

from __future__ import annotations

from pathlib import PurePath

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from hft_tui.engine.snapshot import StrategyView
from hft_tui.ui.widgets.table_fit import HeightFit

# what matters at a glance first: a long kind (a user file's path) must not push
# the on/off flag and the state out of a narrow panel
_COLUMNS = ("name", "on", "state", "kind", "params")
#: rows shown at most, the header and the scrollbar included (more scroll)
MAX_ROWS = 10


def kind_text(kind: str) -> str:
    """A built-in's name, or a user file's ``file.py:Class`` without its directories."""
    path, sep, cls = kind.rpartition(":")
    return f"{PurePath(path).name}:{cls}" if sep and path.endswith(".py") else kind


def params_text(params: tuple[tuple[str, object], ...], limit: int = 4) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in params[:limit])
    return shown + (", ..." if len(params) > limit else "")


class StrategiesPanel(DataTable[str]):
    DEFAULT_CSS = """
    StrategiesPanel { height: 1; }  /* the header; then table_fit */
    """
    BINDINGS = [
        Binding("space", "toggle", "On/off", id="strategy.toggle"),
        Binding("e", "edit", "Edit params", id="strategy.edit"),
        # the app's back-to-start, not the DataTable's scroll to the top
        Binding("home", "app.restart", "Start", show=False, id="replay.start"),
    ]

    class ToggleRequested(Message):
        def __init__(self, name: str, enabled: bool) -> None:
            super().__init__()
            self.name = name
            self.enabled = enabled

    class EditRequested(Message):
        def __init__(self, view: StrategyView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._views: dict[str, StrategyView] = {}
        self._cells: dict[str, tuple[str, ...]] = {}
        self._fit = HeightFit(_COLUMNS, MAX_ROWS)
        for col in _COLUMNS:
            self.add_column(col, key=col)

    def show(self, strategies: tuple[StrategyView, ...]) -> None:
        for view in strategies:
            cells = (view.name, "on" if view.enabled else "off", view.state, kind_text(view.kind), params_text(view.params))
            old = self._cells.get(view.name)
            if old is None:
                self.add_row(*cells, key=view.name)
            else:
                for col, before, after in zip(_COLUMNS, old, cells):
                    if before != after:
                        # a longer value widens its column: "off" after "on", REDUCE-ONLY after ACTIVE
                        self.update_cell(view.name, col, after, update_width=True)
            if cells != old:
                self._fit.row(cells)
            self._cells[view.name] = cells
            self._views[view.name] = view
        self._fit.apply(self, self.size.width)

    def on_resize(self) -> None:
        self._fit.apply(self, self.size.width)

    def _current(self) -> StrategyView | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._views.get(key or "")

    def action_toggle(self) -> None:
        view = self._current()
        if view is not None:
            self.post_message(self.ToggleRequested(view.name, not view.enabled))

    def action_edit(self) -> None:
        view = self._current()
        if view is not None:
            self.post_message(self.EditRequested(view))
