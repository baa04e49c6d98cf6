"""``--risk LIMIT=VALUE`` on the command line: override a limit wherever the config sets it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hft_tui.config import parse_override
from hft_tui.errors import ConfigError, HftError
from hft_tui.risk.limits import parse_limit


def apply_risk_overrides(cfg: dict[str, Any], texts: Iterable[str]) -> set[str]:
    """Apply ``LIMIT=VALUE`` (global, and over every per-strategy value of that limit)
    and ``STRATEGY.LIMIT=VALUE`` (that strategy only) to the loaded settings, in place.
    Values are in instrument units, as in config.toml. Returns the strategy names used."""
    named: set[str] = set()
    for text in texts:
        try:
            keys, value = parse_override(text)
        except ConfigError:
            raise HftError(f"--risk {text!r} is not of the form limit=value") from None
        if len(keys) > 2:
            raise HftError(f"--risk {text!r}: use limit=value or STRATEGY.limit=value")
        key = keys[-1]
        value = parse_limit(key, value)
        risk = cfg.setdefault("risk", {})
        per = risk.setdefault("strategies", {})
        if len(keys) == 2:
            per.setdefault(keys[0], {})[key] = value
            named.add(keys[0])
            continue
        risk[key] = value
        for table in per.values():
            if isinstance(table, dict) and key in table:
                table[key] = value
    return named
