"""Rich styles for the app's own theme colours (bid, ask, profit, ...)."""

from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from textual.app import App
from textual.color import Color

from hft_tui.ui.themes import APP_COLOURS


@lru_cache(maxsize=256)
def _style(value: str, bold: bool, reverse: bool) -> Style:
    try:
        colour = Color.parse(value).rich_color
    except Exception:
        colour = None
    return Style(color=colour, bold=bold, reverse=reverse)


def app_style(app: App, name: str, *, bold: bool = False, reverse: bool = False) -> Style:
    """The style for one of the app colours under the current theme."""
    value = app.theme_variables.get(name) or APP_COLOURS[name]
    return _style(value, bold, reverse)


def theme_style(app: App, name: str) -> Style:
    """The style for a colour of the Textual theme itself ("primary", ...): its value
    may be a name Rich does not know ("ansi_blue" in the ansi themes)."""
    value = getattr(app.current_theme, name, None) if app.current_theme else None
    return _style(value, False, False) if value else Style(bold=True)


def signed_style(app: App, value: float) -> Style:
    if value > 0:
        return app_style(app, "profit")
    if value < 0:
        return app_style(app, "loss")
    return Style()
