"""Small modals: help, the two-step re-arm, quit confirmation, seek."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

REARM_WORD = "rearm"


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(title="Keys (remap any of them in config.toml \\[keys] by id)", expand=True, box=None)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim", no_wrap=True)
        for key, description, binding_id in self.rows:
            table.add_row(key, description, binding_id)
        with VerticalScroll():
            yield Static(table)
            yield Label("ctrl+p: command palette   escape: close this help")

    def action_close(self) -> None:
        self.dismiss(None)


class RearmScreen(ModalScreen[bool]):
    """Re-arming after a kill must be deliberate: open this, then type the word."""

    DEFAULT_CSS = """
    RearmScreen { align: center middle; }
    RearmScreen > Vertical { width: 60; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    RearmScreen Label { width: 100%; }  /* wraps: the explanation is longer than a line */
    RearmScreen #error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rearm.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Re-arm trading[/b]")
            yield Label(
                f"Type [b]{REARM_WORD}[/b] and press enter. Strategies stay off until you enable each one."
            )
            yield Input(placeholder=REARM_WORD, id="word")
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip().lower() == REARM_WORD:
            self.dismiss(True)
        else:
            self.query_one("#error", Label).update(f"type {REARM_WORD!r} to re-arm, escape to stay halted")

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label("[b]y[/b]: yes   [b]n[/b]: no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SeekScreen(ModalScreen[int | None]):
    """Ask for an exchange time to seek a replay to; returns ns or None.

    A UTC time (a bare time of day keeps the current date) or an offset from the
    current time (+10s, -1m: from the time when enter is pressed, ``now`` being a
    function, since a replay plays on while the dialog is open); with the data's
    span known, times past its end are refused here rather than ending the replay.
    """

    DEFAULT_CSS = """
    SeekScreen { align: center middle; }
    SeekScreen > Vertical { width: 72; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    SeekScreen #error { color: $error; width: 100%; }  /* a message longer than a line wraps */
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="seek.cancel")]

    def __init__(self, current: str, now: int | Callable[[], int] = 0, span: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.current = current
        self.now = now if callable(now) else (lambda: now)
        self.span = span if span and span[1] > 0 else None

    def compose(self) -> ComposeResult:
        from hft_tui.text import utc_ms

        with Vertical():
            yield Label("[b]Seek[/b] to an exchange time, UTC: YYYY-MM-DD HH:MM:SS[.fff],")
            yield Label("HH:MM:SS[.fff] (the same day), or an offset: +10s, -1m, +1h30m")
            if self.span:
                yield Label(f"data: {utc_ms(self.span[0])} .. {utc_ms(self.span[1])[11:]}")
            yield Input(self.current, id="when")
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from hft_tui.ui.timeparse import parse_time
        from hft_tui.text import utc_ms

        try:
            ts = parse_time(event.value, self.now(), like=self.current)
        except ValueError as exc:
            self.query_one("#error", Label).update(str(exc))
            return
        if self.span and ts > self.span[1]:
            self.query_one("#error", Label).update(
                f"{utc_ms(ts)} is after the last event ({utc_ms(self.span[1])})"
            )
            return
        if self.span and ts < self.span[0]:
            ts = self.span[0]  # before the data: its first event (the clock stays within the data)
        self.dismiss(ts)

    def action_cancel(self) -> None:
        self.dismiss(None)
