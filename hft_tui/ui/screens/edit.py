"""A modal form that edits named values (strategy parameters or risk limits).

Each value keeps the type it had: a number stays a number, a flag a flag. A bad
entry is refused with a one-line message beside the form; nothing is sent until
every field is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


def parse_like(text: str, like: Any) -> Any:
    """Read ``text`` as a value of the same type as ``like``; ValueError if it is not one."""
    text = text.strip()
    if isinstance(like, bool):
        low = text.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if isinstance(like, float):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{text!r} is not a finite number")
        return value
    if not text:
        raise ValueError("empty value")
    return text


def shown(value: Any) -> str:
    """A value as the form shows it: flags as true/false, 20000.0 as 20000."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_like(_key: str, text: str, old: Any) -> Any:
    return parse_like(text, old)


class EditScreen(ModalScreen[dict[str, Any] | None]):
    """Returns the changed values, or None when cancelled."""

    DEFAULT_CSS = """
    EditScreen { align: center middle; }
    EditScreen > Vertical { width: 64; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 1 2; }
    EditScreen #fields { grid-size: 2; grid-columns: 22 1fr; grid-rows: 1; grid-gutter: 0; height: auto; margin-top: 1; }
    EditScreen #note { color: $text-muted; width: 100%; height: auto; }
    EditScreen #error { color: $error; height: auto; }
    EditScreen #buttons { grid-size: 2; height: 3; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="edit.cancel")]

    def __init__(
        self,
        title: str,
        values: dict[str, Any],
        parse: Callable[[str, str, Any], Any] = _parse_like,
        note: str = "",
    ) -> None:
        """``parse(key, text, old)`` reads a field's text or raises ValueError (its
        message is shown); ``note`` is a line under the title (units, say)."""
        super().__init__()
        self.title_text = title
        self.values = values
        self.parse = parse
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.title_text}[/b]  (enter: apply, escape: cancel)")
            if self.note:
                yield Label(self.note, id="note")
            # one line a field (compact inputs): every limit, the message and the
            # buttons fit in an 80x24 terminal
            with Grid(id="fields"):
                for key, value in self.values.items():
                    yield Label(key)
                    yield Input(shown(value), id=f"f-{key}", compact=True)
            yield Label("", id="error")
            with Grid(id="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def _collect(self) -> dict[str, Any] | None:
        changed: dict[str, Any] = {}
        for key, old in self.values.items():
            text = self.query_one(f"#f-{key}", Input).value
            try:
                value = self.parse(key, text, old)
            except ValueError as exc:
                self.query_one("#error", Label).update(f"{key}: {exc}")
                self.query_one(f"#f-{key}", Input).focus()
                return None
            if value != old:
                changed[key] = value
        return changed

    def on_input_submitted(self) -> None:
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self._apply()
        else:
            self.dismiss(None)

    def _apply(self) -> None:
        changed = self._collect()
        if changed is not None:
            self.dismiss(changed)

    def action_cancel(self) -> None:
        self.dismiss(None)
