"""The global risk limits as a form: every ``[risk]`` limit, as it stands now.

Values are in instrument units, as in ``[risk]`` (sizes in base units,
notionals and losses in quote); ``inf`` switches a limit off. A per-symbol
limit ("max_position") is set once for every symbol.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hft_tui.errors import HftError
from hft_tui.risk.limits import SWITCH_KEYS, parse_limit
from hft_tui.ui.screens.edit import EditScreen, parse_like

NOTE = "sizes in base units, notionals and losses in quote; inf: no limit"


def parse_limit_text(key: str, text: str, _old: Any) -> float | bool:
    """A field's text as a value for limit ``key``, checked as the engine will check it."""
    if key in SWITCH_KEYS:
        return parse_like(text, True)
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number (inf for no limit)") from None
    try:
        return parse_limit(key, value)
    except HftError as exc:
        raise ValueError(str(exc).removeprefix(f"risk limit {key} ")) from None


def limits_screen(settings: Iterable[tuple[str, float | bool]]) -> EditScreen | None:
    """The form for the global limits, or None when no snapshot has shown them yet."""
    values = dict(settings)
    return EditScreen("Risk limits (global)", values, parse_limit_text, NOTE) if values else None
