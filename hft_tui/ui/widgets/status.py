"""The status line: mode, symbol, exchange time, latency, throughput, health.

When the kill switch has tripped the whole line turns to the theme's ``halted``
colour and says HALTED, whatever else is on screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from hft_tui.engine.snapshot import Snapshot
from hft_tui.text import utc_ms
from hft_tui.ui.colours import app_style


def format_rate(per_s: float) -> str:
    if per_s >= 1e6:
        return f"{per_s / 1e6:.1f}M/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.0f}k/s"
    return f"{per_s:.0f}/s"


def feed_text(feed: tuple[tuple[str, float | int | str], ...]) -> tuple[str, str]:
    """A live feed's health in a few cells, and the recording marker ("" when not).

    Messages per second, age of the last message, resyncs and reconnects (what
    goes wrong, a lost connection and stale symbols, is ``feed_alarm``'s).
    """
    h = dict(feed)
    if "msgs_per_s" not in h:
        return "", ""
    age = float(h.get("last_msg_age_s", -1))
    parts = [f"{float(h['msgs_per_s']):.0f} msg/s", f"age {age:.1f}s" if age >= 0 else "age -"]
    parts.append(f"rs {h.get('resyncs', 0)} rc {h.get('reconnects', 0)}")
    rec = h.get("recording")
    marker = "" if rec is None else ("REC FAILED" if str(rec).startswith("failed") else "REC")
    return " ".join(parts), marker


def feed_alarm(feed: tuple[tuple[str, float | int | str], ...]) -> str:
    """A lost connection and the stale symbols ("" when all is well): shown before
    the figures, so that an 80-column status line keeps them."""
    h = dict(feed)
    parts = []
    if "msgs_per_s" in h and not h.get("connected", 1):
        parts.append("DISCONNECTED")
    if h.get("stale_symbols"):
        parts.append(f"stale {h['stale_symbols']}")
    return " ".join(parts)


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    StatusBar.-halted { background: $error; color: $text; text-style: bold; }
    """

    def __init__(self, mode: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self._key: tuple = ()
        self._text = Text()
        self._shown: tuple | None = None
        self.killed_locally = False

    def render(self) -> Text:
        return self._text

    def on_resize(self) -> None:
        # the layout of the line depends on the width
        if self._shown is not None:
            self._key = ()
            self.show(*self._shown)

    def show(self, snap: Snapshot | None, symbol: str, fraction: float | None = None) -> None:
        """``fraction``: where a replay stands (0..1, by exchange time); default the
        snapshot's ``progress``."""
        killed = self.killed_locally or (snap is not None and snap.killed)
        key = (snap and _status_key(snap), symbol, killed, None if fraction is None else round(fraction, 3))
        if key == self._key:
            return
        self._key = key
        self._shown = (snap, symbol, fraction)
        self.set_class(killed, "-halted")
        # a fixed-height line: repaint it, never re-layout the screen
        self._text = self._status_text(snap, symbol, killed, fraction)
        self.refresh()

    def _status_text(self, snap: Snapshot | None, symbol: str, killed: bool, fraction: float | None = None) -> Text:
        text = Text()
        text.append(f" {self.mode} ", style="bold reverse")
        text.append(f" {symbol} ", style="bold")
        wide = self.size.width >= 120
        if killed:
            # narrow terminals: the reason is in the log; the state and speed must fit
            reason = ((snap.kill_reason if snap else "") or "kill switch") if wide else ""
            text.append(f" HALTED ({reason}) " if reason else " HALTED ", style="bold reverse")
        if snap is None:
            text.append(" starting engine...")
            return text
        stamp = utc_ms(snap.exch_ts)
        # narrow terminals: the time of day only, so the feed's health still fits
        text.append(f" {stamp if wide else stamp[11:]} ")
        # what the engine is doing before the figures: at 80 columns the line is cut
        state_style = "bold" if snap.engine_state in ("running", "paused") else "bold italic"
        text.append(f" {snap.engine_state} ", style=state_style)
        if snap.mode == "REPLAY":
            speed = "max" if snap.speed is None else f"{snap.speed:g}x"
            frac = snap.progress if fraction is None else fraction
            pct = f"{frac * 100:.1f}%" if frac is not None else "-"
            text.append(f" {pct} @ {speed} ")
        alarm = feed_alarm(snap.feed)
        if alarm:
            text.append(f" {alarm} ", style=app_style(self.app, "loss", bold=True))
        if snap.feed_latency_ns:
            text.append(f" lat {snap.feed_latency_ns / 1e6:.1f}ms ")
        text.append(f" {format_rate(snap.events_per_s)} ")
        if snap.engine_error:
            text.append(f" {snap.engine_error} ", style=app_style(self.app, "loss", bold=True))
        feed, rec = feed_text(snap.feed)
        if rec:
            text.append(f" {rec} ", style=app_style(self.app, "loss", bold=True, reverse=True))
        if feed:
            text.append(f" {feed} ")
        if not killed and snap.global_state != "ACTIVE":
            text.append(f" {snap.global_state} ", style="bold reverse")
        return text


def _status_key(snap: Snapshot) -> tuple:
    return (
        snap.exch_ts // 1_000_000,
        snap.feed_latency_ns // 100_000,
        round(snap.events_per_s, -2),
        snap.engine_state,
        snap.engine_error,
        snap.killed,
        snap.kill_reason,
        snap.global_state,
        snap.speed,
        None if snap.progress is None else round(snap.progress, 3),
        feed_text(snap.feed),
        feed_alarm(snap.feed),
    )
