"""Settings: the packaged config.toml, then the user's file, then --config, then overrides.

Each part of the program owns a section (``[sim]``, ``[risk]``, ...) and reads it
as a frozen dataclass with :func:`section`, which checks every value's type and
rejects unknown keys with a one-line message naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from hft_tui.errors import ConfigError

T = TypeVar("T")


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hft-tui" / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


def defaults() -> dict[str, Any]:
    """The packaged defaults (the repository's config.toml)."""
    text = resources.files("hft_tui").joinpath("config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, any other value replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


#: sections read by some part of the program (besides those of the packaged defaults)
OTHER_SECTIONS = ("strategies", "ui", "keys")


class _BareInt(int):
    """A number typed on the command line, with its text: a string setting takes the text."""

    text: str


class _BareFloat(float):
    text: str


def _bare(value: Any, text: str) -> Any:
    # A datetime is no setting's type: keep what was typed. A number keeps its text, so
    # that --set sim.start_price=60000.10 reaches a string setting exactly as typed.
    if isinstance(value, bool):
        return value
    if not isinstance(value, (int, float)):
        return value if isinstance(value, (str, list, dict)) else text
    bare = (_BareInt if isinstance(value, int) else _BareFloat)(value)
    bare.text = text
    return bare


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"risk.max_position=0.5"`` -> (["risk", "max_position"], 0.5).

    The value is read as a TOML value when it parses as one (numbers, booleans,
    quoted strings, arrays), else taken as a bare string; a bare number is also
    accepted by a string setting, as typed.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"override {text!r} is not of the form key=value")
    raw = raw.strip()
    try:
        value = _bare(tomllib.loads(f"v = {raw}")["v"], raw)
    except tomllib.TOMLDecodeError:
        value = raw
    return key.split("."), value


def load(
    path: str | os.PathLike[str] | None = None,
    overrides: Iterable[str] = (),
    *,
    use_user_file: bool = True,
) -> dict[str, Any]:
    """The effective settings as a nested dict."""
    cfg = defaults()
    user = user_config_path()
    if use_user_file and user.is_file():
        cfg = merge(cfg, _read_toml(user))
    if path is not None:
        cfg = merge(cfg, _read_toml(Path(path)))
    for text in overrides:
        keys, value = parse_override(text)
        patch: dict[str, Any] = {keys[-1]: value}
        for k in reversed(keys[:-1]):
            patch = {k: patch}
        cfg = merge(cfg, patch)
    known = sorted({*defaults(), *OTHER_SECTIONS})
    for name, value in cfg.items():
        if name not in known:
            raise ConfigError(f"config: unknown section [{name}] (known: {', '.join(known)})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: [{name}] must be a table, got {value!r}")
    return cfg


def section(cfg: Mapping[str, Any], name: str, cls: type[T]) -> T:
    """Read table ``name`` (dotted for nested tables) of ``cfg`` as dataclass ``cls``.

    Missing keys take the dataclass defaults; unknown keys and wrong types are errors.
    """
    table: Any = cfg
    for part in name.split("."):
        table = table.get(part, {}) if isinstance(table, Mapping) else {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"config: [{name}] must be a table")
    return from_mapping(table, cls, name)


def from_mapping(table: Mapping[str, Any], cls: type[T], where: str) -> T:
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigError(f"config: unknown key {where}.{unknown[0]} (known: {', '.join(fields)})")
    values = {k: _check(v, hints[k], f"{where}.{k}") for k, v in table.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config: [{where}]: {exc}") from None


def _check(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arm in typing.get_args(hint):
            if arm is type(None) and value is None:
                return None
            try:
                return _check(value, arm, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config: {key} must be a list, got {value!r}")
        (arm, *_) = typing.get_args(hint) or (Any,)
        items = [_check(v, arm, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: {key} must be a table, got {value!r}")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: {key} must be a table, got {value!r}")
        return from_mapping(value, hint, key)
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config: {key} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1e6 is a fine way to write a million nanoseconds
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config: {key} must be a whole number, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ConfigError(f"config: {key} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if isinstance(value, (_BareInt, _BareFloat)):
            return value.text
        if not isinstance(value, str):
            raise ConfigError(f"config: {key} must be a string, got {value!r}")
        return value
    return value


def save_user(patch: Mapping[str, Any]) -> Path:
    """Merge ``patch`` into the user's config file and write it back atomically."""
    import tomli_w

    path = user_config_path()
    current = _read_toml(path) if path.is_file() else {}
    merged = merge(current, patch)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    try:
        with open(tmp, "wb") as fh:
            tomli_w.dump(merged, fh)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot save settings to {path}: {exc.strerror}") from None
    return path
