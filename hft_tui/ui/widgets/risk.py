"""Risk: every limit with its use as a bar, the states, and rejection counts."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from hft_tui.engine.snapshot import LimitView, StrategyView
from hft_tui.ui.colours import app_style

BAR_WIDTH = 12


def _bar_style(fraction: float) -> str:
    if fraction >= 0.9:
        return "loss"
    if fraction >= 0.6:
        return "own-order"  # amber
    return "profit"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class RiskPanel(Widget):
    DEFAULT_CSS = """
    RiskPanel { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple = ()
        self._body: RenderableType = Text()
        self._args: tuple | None = None

    def render(self) -> RenderableType:
        return self._body

    def show(
        self,
        limits: tuple[LimitView, ...],
        global_state: str,
        strategies: tuple[StrategyView, ...],
        rejections: tuple[tuple[str, int], ...],
        killed: bool,
    ) -> None:
        key = (
            tuple((l.key, l.scope, round(l.utilisation, 2), l.limit) for l in limits),
            global_state,
            tuple((s.name, s.state) for s in strategies),
            rejections,
            killed,
        )
        if key == self._key:
            return
        self._key = key
        self._args = (limits, global_state, strategies, rejections, killed)
        self._build()

    def on_resize(self) -> None:
        if self._args is not None:
            self._build()

    def _build(self) -> None:
        """The panel's lines for the last ``show`` at the current width."""
        assert self._args is not None
        limits, global_state, strategies, rejections, killed = self._args
        states = Text()
        states.append(
            f"global {'HALTED (killed)' if killed else global_state}",
            style=app_style(self.app, "halted", bold=True) if killed or global_state != "ACTIVE" else "bold",
        )
        for s in strategies:
            states.append(" · ")
            states.append(f"{s.name} {s.state}", style=app_style(self.app, "halted") if s.state != "ACTIVE" else "")
        # plain lines, laid out here: a rich Table measures every cell on every redraw
        width = max(BAR_WIDTH + 12, self.size.width)
        value_w = (width - BAR_WIDTH - 2) * 2 // 5
        name_w = width - BAR_WIDTH - value_w - 2
        table = Text(no_wrap=True, overflow="ellipsis")
        for limit in limits:
            frac = min(1.0, limit.utilisation)
            cells = round(frac * BAR_WIDTH)
            name = limit.key if limit.scope == "global" else f"{limit.key} ({limit.scope})"
            value = f"{limit.used:,.6g} / {limit.limit:,.6g}"
            table.append("\n" if table else "")
            table.append(_fit(name, name_w).ljust(name_w) + " ")
            table.append("█" * cells + "·" * (BAR_WIDTH - cells), style=app_style(self.app, _bar_style(frac)))
            table.append(" " + _fit(value, value_w).rjust(value_w))
        parts: list[RenderableType] = [states, table]
        if rejections:
            total = sum(n for _, n in rejections)
            detail = ", ".join(f"{reason} {n}" for reason, n in rejections)
            parts.append(Text(f"rejections {total}: {detail}"))
        # the panel fills its box: repaint only, no screen re-layout
        self._body = Group(*parts)
        self.refresh()
