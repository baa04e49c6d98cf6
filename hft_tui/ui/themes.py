"""Colour themes: the TOML files in themes/ (packaged) and the user's themes folder.

A theme file holds Textual's theme fields (primary, background, ...) and a
``[variables]`` table with the app's own colours: bid, ask, profit, loss,
own-order, halted, last-trade.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from textual.theme import Theme

from hft_tui.config import user_config_path
from hft_tui.errors import ConfigError

#: app colours with their fallbacks, for themes (Textual's built-ins) that lack them
APP_COLOURS = {
    "bid": "#3FB950",
    "ask": "#F85149",
    "profit": "#3FB950",
    "loss": "#F85149",
    "own-order": "#E3B341",
    "halted": "#DA3633",
    "last-trade": "#58A6FF",
}

DEFAULT_DARK = "hft-dark"
DEFAULT_LIGHT = "hft-light"

_FIELDS = {
    "name", "primary", "secondary", "warning", "error", "success", "accent", "foreground",
    "background", "surface", "panel", "boost", "dark", "luminosity_spread", "text_alpha",
    "variables", "ansi",
}


def user_themes_dir() -> Path:
    return user_config_path().parent / "themes"


def theme_from_toml(text: str, origin: str) -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"theme {origin}: {exc}") from None
    unknown = set(data) - _FIELDS
    if unknown:
        raise ConfigError(f"theme {origin}: unknown key {sorted(unknown)[0]}")
    if "name" not in data or "primary" not in data:
        raise ConfigError(f"theme {origin}: needs at least name and primary")
    return Theme(**data)


def _theme_files() -> Iterator[tuple[str, str]]:
    packaged = resources.files("hft_tui").joinpath("themes")
    for entry in sorted(packaged.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            yield entry.name, entry.read_text(encoding="utf-8")
    user = user_themes_dir()
    if user.is_dir():
        for path in sorted(user.glob("*.toml")):
            try:
                yield str(path), path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"theme {path}: {exc.strerror}") from None


def theme_names() -> list[str]:
    """Every theme the app can show: the theme files that load and Textual's own."""
    from textual.theme import BUILTIN_THEMES

    return sorted({t.name for t in load_themes()[0]} | set(BUILTIN_THEMES))


def load_themes() -> tuple[list[Theme], list[str]]:
    """Every theme file that loads, and one line per file that does not."""
    themes, problems = [], []
    for origin, text in _theme_files():
        try:
            themes.append(theme_from_toml(text, os.path.basename(origin)))
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(str(exc))
    return themes, problems
