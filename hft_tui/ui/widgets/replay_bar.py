"""The replay progress bar: where the replay stands in the data's exchange time.

One line under the status line, in REPLAY mode only:
``2024-01-01 09:31:02.125 ━━━━━━━━━╸──────────  42.7% @ 10x  of 09:00:00 .. 10:14:59``.
The position is the engine's exchange time within the span of the data (first
to last event), so it moves smoothly at any speed and jumps with a seek; the
engine's snapshot gives it, the bar never looks at market data itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from hft_tui.engine.snapshot import Snapshot
from hft_tui.text import utc_ms
from hft_tui.ui.colours import theme_style


def replay_fraction(exch_ts: int, span: tuple[int, int]) -> float:
    """0..1: exchange time ``exch_ts`` within ``span`` (first, last event time)."""
    first, last = span
    if exch_ts <= first or exch_ts <= 0:
        return 0.0
    if last <= first or exch_ts >= last:
        return 1.0
    return (exch_ts - first) / (last - first)


class ReplayBar(Widget):
    DEFAULT_CSS = """
    ReplayBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, span: tuple[int, int] = (0, 0), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.span = span
        self.exch_ts = 0
        self.state = ""
        self.speed: float | None = None
        self._key: tuple = ()

    @property
    def fraction(self) -> float:
        return replay_fraction(self.exch_ts, self.span)

    def show(self, snap: Snapshot | None) -> None:
        if snap is None:
            return
        self.exch_ts = snap.exch_ts
        self.state = snap.engine_state
        self.speed = snap.speed
        # redraw when the millisecond shown or the bar's cell could change
        key = (snap.exch_ts // 1_000_000, round(self.fraction, 4), snap.engine_state, snap.speed)
        if key != self._key:
            self._key = key
            self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        first, last = self.span
        frac = 1.0 if self.state == "ended" else self.fraction
        now = utc_ms(self.exch_ts) if self.exch_ts > 0 else utc_ms(first)
        speed = "max" if self.speed is None else f"{self.speed:g}x"
        right = f" {100 * frac:5.1f}% @ {speed}"
        span = f"  of {utc_ms(first)[11:19]} .. {utc_ms(last)[11:19]}"
        if width - len(now) - len(right) - len(span) >= 12:
            right += span
        bar_w = max(0, width - len(now) - len(right) - 1)
        text = Text(now, style="bold")
        text.append(" ")
        if bar_w:
            halves = int(frac * bar_w * 2 + 1e-9)
            full, half = divmod(halves, 2)
            done = "━" * full + ("╸" if half else "")
            text.append(done, style=theme_style(self.app, "primary"))
            text.append("─" * (bar_w - len(done)), style="dim")
        text.append(right)
        return text
