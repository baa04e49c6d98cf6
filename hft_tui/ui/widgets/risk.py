"""Risk: every limit with its use as a bar, the states, and rejection counts."""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from hft_tui.engine.snapshot import LimitView, StrategyView
from hft_tui.ui.colours import app_style

BAR_WIDTH = 12
#: below this panel width the bars are half as long, leaving the names and figures room,
#: and below the second there are none
NARROW = 60
BARLESS = 36


def _bar_style(fraction: float) -> str:
    if fraction >= 0.9:
        return "loss"
    if fraction >= 0.6:
        return "own-order"  # amber
    return "profit"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _short(x: float, digits: int) -> str:
    """A figure in ``digits`` significant digits, thousands as k, M, G: 20k, 1.5M, 7.296."""
    if not math.isfinite(x):
        return str(x)  # inf: no limit
    if abs(x) >= 1e4:
        for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(x) >= scale:
                return f"{x / scale:.{min(digits, 3)}g}{suffix}"
    if x == int(x):
        return str(int(x))  # 1000, not 1e+03
    return f"{x:.{digits}g}"


def _full(used: float, limit: float) -> str:
    return f"{used:,.6g} / {limit:,.6g}"


def usage_text(used: float, limit: float, width: int) -> str:
    """'used / limit' in ``width`` characters: in full if it fits, else in ever shorter
    figures, so that a narrow panel shows the limit rather than its first digit."""
    text = _full(used, limit)
    for digits in (4, 3, 2):
        if len(text) <= width:
            break
        text = f"{_short(used, digits)} / {_short(limit, digits)}"
    return _fit(text, width)


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
        # the figures are the truth and the bars a picture: bars shrink, then go, first
        width = max(12, self.size.width)
        bar_w = BAR_WIDTH if width >= NARROW else BAR_WIDTH // 2 if width >= BARLESS else 0
        room = width - bar_w - (2 if bar_w else 1)
        widest = max((len(_full(lv.used, lv.limit)) for lv in limits), default=0)
        value_w = min(widest, room // 2)
        name_w = room - value_w
        table = Text(no_wrap=True, overflow="ellipsis")
        for limit in limits:
            frac = min(1.0, limit.utilisation)
            cells = round(frac * bar_w)
            name = limit.key if limit.scope == "global" else f"{limit.key} ({limit.scope})"
            table.append("\n" if table else "")
            table.append(_fit(name, name_w).ljust(name_w) + " ")
            use = app_style(self.app, _bar_style(frac))
            if bar_w:
                table.append("█" * cells + "·" * (bar_w - cells) + " ", style=use)
            # with no bar, the figures take its colour (green, amber, red)
            text = usage_text(limit.used, limit.limit, value_w).rjust(value_w)
            table.append(text, style=None if bar_w else use)
        parts: list[RenderableType] = [states, table]
        if rejections:
            total = sum(n for _, n in rejections)
            detail = ", ".join(f"{reason} {n}" for reason, n in rejections)
            parts.append(Text(f"rejections {total}: {detail}"))
        # the panel fills its box: repaint only, no screen re-layout
        self._body = Group(*parts)
        self.refresh()
