"""The main screen: status line (and a replay's progress bar), depth ladder, and the four panels.

Wide terminals show every panel at once; below ``COMPACT_WIDTH`` columns (an
80x24 SSH session) the ladder stays and one panel at a time shows beside it,
chosen with 1-4. The widgets are the same in both layouts, only CSS changes, so
switching loses nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Label

from hft_tui.ui.widgets.ladder import DepthLadder
from hft_tui.ui.widgets.orders import OrderLog
from hft_tui.ui.widgets.pnl import PnLPanel
from hft_tui.ui.widgets.replay_bar import ReplayBar
from hft_tui.ui.widgets.risk import RiskPanel
from hft_tui.ui.widgets.status import StatusBar
from hft_tui.ui.widgets.strategies import StrategiesPanel

#: below this width one panel at a time shows beside the ladder (keys 1-4): four
#: panels of a 120-column terminal would be 26 columns each, too few for an order line
SINGLE_WIDTH = 150
#: below this one the ladder narrows too (an 80x24 SSH session)
COMPACT_WIDTH = 120
#: id, tab title, and the title in a compact screen, where the four tabs get 38 columns
PANELS = (
    ("pnl", "P&L", "P&L"),
    ("orders", "Orders", "Orders"),
    ("risk", "Risk", "Risk"),
    ("strategies", "Strategies", "Strats"),
)


class MainScreen(Screen[None]):
    DEFAULT_CSS = """
    MainScreen #body { height: 1fr; }
    MainScreen #ladder-box { width: 64; border: round $panel; }
    MainScreen #panels { layout: grid; grid-size: 2 2; grid-columns: 1fr 1fr; grid-rows: 1fr 1fr; }
    MainScreen .panel { border: round $panel; height: 1fr; }
    MainScreen .panel:focus-within { border: round $primary; }
    MainScreen #ladder-box:focus-within { border: round $primary; }
    MainScreen #tabs { display: none; height: 1; padding: 0 1; }
    MainScreen.-compact #ladder-box { width: 40; }
    MainScreen.-single #panels { layout: vertical; }
    MainScreen.-single #tabs { display: block; }
    MainScreen.-single .panel { display: none; }
    MainScreen.-single .panel.-active { display: block; }
    """
    BINDINGS = [
        Binding("1", "show_panel('pnl')", "P&L", show=False, id="panel.pnl"),
        Binding("2", "show_panel('orders')", "Orders", show=False, id="panel.orders"),
        Binding("3", "show_panel('risk')", "Risk", show=False, id="panel.risk"),
        Binding("4", "show_panel('strategies')", "Strategies", show=False, id="panel.strategies"),
    ]

    def __init__(self, mode: str, span: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.span = span or (0, 0)  # a replay's first and last exchange time
        self.active_panel = "pnl"
        self.ready = False  # set once every panel is mounted: the app draws only then

    def compose(self) -> ComposeResult:
        yield StatusBar(self.mode, id="status")
        if self.mode == "REPLAY":
            yield ReplayBar(self.span, id="replay-bar")
        with Horizontal(id="body"):
            with Vertical(id="ladder-box") as box:
                box.border_title = "ladder"
                yield DepthLadder(id="ladder")
            with Vertical(id="right"):
                yield Label("", id="tabs")
                with Vertical(id="panels"):
                    with Vertical(id="pnl", classes="panel -active") as p:
                        p.border_title = "P&L"
                        yield PnLPanel()
                    with Vertical(id="risk", classes="panel") as p:
                        p.border_title = "risk"
                        yield RiskPanel()
                    with Vertical(id="orders", classes="panel") as p:
                        p.border_title = "orders"
                        yield OrderLog(id="order-log")
                    with Vertical(id="strategies", classes="panel") as p:
                        p.border_title = "strategies"
                        yield StrategiesPanel(id="strategy-table")
        yield Footer()

    def on_mount(self) -> None:
        self._update_tabs()
        self.query_one(DepthLadder).focus()
        self.ready = True

    def on_unmount(self) -> None:
        # Every way out of the app (q, ctrl+c, SIGHUP, a crash in a panel) tears
        # this screen down: that is the one place that must stop trading.
        self.app.link.shutdown()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < SINGLE_WIDTH, "-single")
        self.set_class(event.size.width < COMPACT_WIDTH, "-compact")
        self._update_tabs()

    def action_show_panel(self, name: str) -> None:
        self.active_panel = name
        for panel_id, *_titles in PANELS:
            self.query_one(f"#{panel_id}").set_class(panel_id == name, "-active")
        self._update_tabs()
        target = self.query_one(f"#{name}")
        focusable = [w for w in target.query("*") if w.can_focus]
        if focusable:
            focusable[0].focus()

    def _update_tabs(self) -> None:
        parts = []
        compact = self.has_class("-compact")
        for i, (panel_id, title, short) in enumerate(PANELS, 1):
            text = f"{i} {short if compact else title}"
            parts.append(f"[reverse] {text} [/reverse]" if panel_id == self.active_panel else f" {text} ")
        self.query_one("#tabs", Label).update(" ".join(parts))
