"""The global risk limits as a form: the snapshot's rows turned into limit keys.

The risk panel's rows are per symbol for a per-symbol limit ("max_position
BTCUSDT"), but a limit is set once for every symbol ("max_position"): the form
edits the limit, and ``SetLimit`` gets its real key. Values are in instrument
units, as in ``[risk]`` (sizes in base units, notionals and losses in quote);
``inf`` switches a limit off.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hft_tui.engine.snapshot import LimitView
from hft_tui.errors import HftError
from hft_tui.risk.limits import LIMIT_KEYS, parse_limit
from hft_tui.ui.screens.edit import EditScreen

NOTE = "sizes in base units, notionals and losses in quote; inf: no limit"


def global_limits(views: Iterable[LimitView]) -> dict[str, float]:
    """Limit key -> value of the global rows. A per-symbol row shows the limit floored
    to that symbol's lot grid: the largest of them is the closest to the value set."""
    values: dict[str, float] = {}
    for view in views:
        key = view.key.split(" ", 1)[0]
        if view.scope == "global" and key in LIMIT_KEYS:
            values[key] = max(values.get(key, float(view.limit)), float(view.limit))
    return values


def parse_limit_text(key: str, text: str, _old: Any) -> float:
    """A field's text as a value for limit ``key``, checked as the engine will check it."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number (inf for no limit)") from None
    try:
        return parse_limit(key, value)
    except HftError as exc:
        raise ValueError(str(exc).removeprefix(f"risk limit {key} ")) from None


def limits_screen(views: Iterable[LimitView]) -> EditScreen | None:
    """The form for the global limits, or None when the snapshot shows none yet."""
    values = global_limits(views)
    return EditScreen("Risk limits (global)", values, parse_limit_text, NOTE) if values else None
