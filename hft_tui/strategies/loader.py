"""Find a strategy class (built-in name or ``path/to/file.py:ClassName``) and its parameters.

Parameters come from the class's ``defaults``, then config.toml
``[strategies.NAME]``, then ``--param key=value`` (later wins). Every value is
checked against the type of its default: an unknown key or a value of the wrong
type is a one-line ``HftError``, so a typo never runs a backtest with a default
the user did not mean.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hft_tui.config import parse_override
from hft_tui.errors import ConfigError, HftError
from hft_tui.strategies.base import Strategy

#: built-in strategies: name -> "module:Class"
BUILTINS: dict[str, str] = {
    "mm": "hft_tui.strategies.market_maker:MarketMaker",
    "taker": "hft_tui.strategies.taker:Taker",
    "grid": "hft_tui.strategies.grid:Grid",
}


class StrategyError(HftError):
    """A strategy that cannot be loaded or a parameter it does not accept."""


@dataclass
class StrategySpec:
    """What to run: the instance name, where the class came from, the class, its params."""

    name: str
    source: str  # built-in name or path:Class, as the user gave it
    cls: type[Strategy]
    params: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Strategy:
        """A new instance; StrategyError if the class cannot make one (a user file's
        ``__init__`` that raises, or that takes other arguments or skips the base's)."""
        try:
            strategy = self.cls(self.name, dict(self.params))
        except (Exception, SystemExit) as exc:  # the user's code: report, do not trace back
            raise StrategyError(f"cannot create strategy {self.name} ({self.source}): {type(exc).__name__}: {exc}") from None
        if not isinstance(getattr(strategy, "params", None), dict):
            raise StrategyError(
                f"cannot create strategy {self.name} ({self.source}): its __init__ must call "
                "super().__init__(name, params)"
            )
        return strategy


def load_class(spec: str) -> type[Strategy]:
    """The class named by ``spec``: a built-in name or ``path/to/file.py:ClassName``."""
    if spec in BUILTINS:
        module_name, _, cls_name = BUILTINS[spec].partition(":")
        return _checked(getattr(importlib.import_module(module_name), cls_name), spec)
    path_text, sep, cls_name = spec.rpartition(":")
    if not sep or not path_text.endswith(".py"):
        known = ", ".join(BUILTINS)
        raise StrategyError(f"unknown strategy {spec!r} (built-ins: {known}; or path/to/file.py:ClassName)")
    path = Path(path_text)
    if not path.is_file():
        raise StrategyError(f"strategy file {path_text} not found")
    module = _import_file(path)
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise StrategyError(f"{path_text} has no class {cls_name!r}")
    return _checked(cls, spec)


def _checked(cls: Any, spec: str) -> type[Strategy]:
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"{spec}: not a subclass of hft_tui.strategies.base.Strategy")
    defaults = getattr(cls, "defaults", None)
    if not isinstance(defaults, dict) or not all(isinstance(k, str) for k in defaults):
        raise StrategyError(f"{spec}: defaults must be a dict of parameter name -> default value, got {defaults!r}")
    return cls


def _import_file(path: Path) -> Any:
    # A private module name per file, so two user files named alike do not collide.
    name = f"hft_user_strategy_{abs(hash(str(path.resolve()))):x}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the user's file: report, do not trace back
        del sys.modules[name]
        # (a SyntaxError's text already names the file and line)
        raise StrategyError(f"cannot load {path}: {type(exc).__name__}: {exc}") from None
    return module


def default_name(spec: str, cls: type[Strategy]) -> str:
    """The instance name: the built-in name, or the class name of a user file."""
    return spec if spec in BUILTINS else cls.__name__


def check_param(cls: type[Strategy], where: str, key: str, value: Any) -> Any:
    """``value`` converted to the type of ``cls.defaults[key]``, or a StrategyError."""
    if key not in cls.defaults:
        known = ", ".join(cls.defaults) or "none"
        raise StrategyError(f"{where}: unknown parameter {key!r} (known: {known})")
    default = cls.defaults[key]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        want = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "a whole number"
        value = int(value) if ok else value  # a plain int (the command line's keeps its text)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        want = "a finite number"
        value = float(value) if ok else value
    elif isinstance(default, str):
        value = getattr(value, "text", value)  # a bare number typed on the command line
        ok = isinstance(value, str)
        want = "a string"
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        want = "a list"
        value = type(default)(value) if ok else value
    else:
        ok, want = True, ""
    if not ok:
        raise StrategyError(f"{where}: parameter {key} must be {want}, got {value!r}")
    return value


def resolve_params(
    cls: type[Strategy], name: str, table: Mapping[str, Any], overrides: Iterable[tuple[str, Any]]
) -> dict[str, Any]:
    """Defaults, then the config table, then overrides, each checked."""
    params = dict(cls.defaults)
    for key, value in table.items():
        params[key] = check_param(cls, f"config [strategies.{name}]", key, value)
    for key, value in overrides:
        params[key] = check_param(cls, f"strategy {name}", key, value)
    check_params(cls, name, params)
    return params


def check_params(cls: type[Strategy], name: str, params: dict[str, Any]) -> None:
    """The class's own check of its parameters together (``check_params``), if it has one."""
    check = getattr(cls, "check_params", None)
    if check is not None:
        try:
            check(params)
        except ValueError as exc:  # the documented way to refuse a value
            raise StrategyError(f"strategy {name}: {exc}") from None
        except (Exception, SystemExit) as exc:  # a bug in the user's check
            raise StrategyError(f"strategy {name}: check_params raised {type(exc).__name__}: {exc}") from None


def parse_params(texts: Iterable[str]) -> list[tuple[str | None, str, Any]]:
    """``--param`` texts -> (strategy or None, key, value); ``NAME.key=v`` targets one strategy."""
    out: list[tuple[str | None, str, Any]] = []
    for text in texts:
        try:
            keys, value = parse_override(text)
        except ConfigError:
            raise StrategyError(f"--param {text!r} is not of the form key=value") from None
        if len(keys) == 1:
            out.append((None, keys[0], value))
        elif len(keys) == 2:
            out.append((keys[0], keys[1], value))
        else:
            raise StrategyError(f"--param {text!r}: use key=value or STRATEGY.key=value")
    return out


def load_strategies(
    specs: Iterable[str], cfg: Mapping[str, Any], param_texts: Iterable[str] = ()
) -> list[StrategySpec]:
    """Load every ``--strategy`` and give each its parameters."""
    loaded: list[StrategySpec] = []
    for spec in specs:
        cls = load_class(spec)
        name = default_name(spec, cls)
        base, n = name, 2
        while any(s.name == name for s in loaded):
            name = f"{base}{n}"
            n += 1
        loaded.append(StrategySpec(name, spec, cls))
    if not loaded:
        raise StrategyError("no strategy given (--strategy NAME_OR_PATH)")
    overrides = parse_params(param_texts)
    names = {s.name for s in loaded}
    for target, key, _ in overrides:
        if target is None and len(loaded) > 1:
            raise StrategyError(f"--param {key}: several strategies; write STRATEGY.{key}=value")
        if target is not None and target not in names:
            raise StrategyError(f"--param {target}.{key}: no strategy named {target!r}")
    tables = cfg.get("strategies", {}) if isinstance(cfg, Mapping) else {}
    for s in loaded:
        table = tables.get(s.name, {}) if isinstance(tables, Mapping) else {}
        if not isinstance(table, Mapping):
            raise StrategyError(f"config: [strategies.{s.name}] must be a table")
        mine = [(k, v) for t, k, v in overrides if t is None or t == s.name]
        s.params = resolve_params(s.cls, s.name, table, mine)
    return loaded
