"""Settings: the packaged config.toml, then the user's file, then --config, then overrides.

Each part of the program owns a section (``[sim]``, ``[risk]``, ...) and reads it
as a frozen dataclass with :func:`section`, which checks every value's type and
rejects unknown keys with a one-line message naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
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


class Settings(dict):
    """The effective settings (a nested dict), and where each value given by the
    user came from: ``origins`` maps a dotted key to a file or "command line", so
    that an error about it can say where to look."""

    origins: dict[str, str]


def load(
    path: str | os.PathLike[str] | None = None,
    overrides: Iterable[str] = (),
    *,
    use_user_file: bool = True,
) -> Settings:
    """The effective settings as a nested dict."""
    cfg = defaults()
    origins: dict[str, str] = {}
    user = user_config_path()
    files = ([user] if use_user_file and user.is_file() else []) + ([Path(path)] if path is not None else [])
    for file in files:
        table = _read_toml(file)
        cfg = merge(cfg, table)
        origins.update(dict.fromkeys(_leaf_keys(table), str(file)))
    for text in overrides:
        keys, value = parse_override(text)
        patch: dict[str, Any] = {keys[-1]: value}
        for k in reversed(keys[:-1]):
            patch = {k: patch}
        cfg = merge(cfg, patch)
        origins.update(dict.fromkeys(_leaf_keys(patch), "command line"))
    known = sorted({*defaults(), *OTHER_SECTIONS})
    for name, value in cfg.items():
        where = f" ({origins[name]})" if name in origins else ""
        if name not in known:
            raise ConfigError(f"config{where}: unknown section [{name}] (known: {', '.join(known)})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"config{where}: [{name}] must be a table, got {value!r}")
    settings = Settings(cfg)
    settings.origins = origins
    return settings


def _leaf_keys(table: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted key of a nested table, its sections included (``a``, ``a.b``)."""
    for key, value in table.items():
        yield prefix + key
        if isinstance(value, Mapping):
            yield from _leaf_keys(value, f"{prefix}{key}.")


def _with_origin(exc: ConfigError, origins: Mapping[str, str]) -> ConfigError:
    """``exc`` naming where the user gave the value it is about, if the user did."""
    text = str(exc)
    m = (
        re.match(r"config: unknown key ([\w.]+)", text)
        or re.match(r"config: \[([\w.]+)\]: (\w+)", text)
        or re.match(r"config: ([\w.]+)", text)
    )
    if m is None:
        return exc
    key = ".".join(g for g in m.groups() if g)
    origin = origins.get(key)
    return ConfigError(f"config ({origin}): {text[len('config: '):]}") if origin else exc


def section(cfg: Mapping[str, Any], name: str, cls: type[T]) -> T:
    """Read table ``name`` (dotted for nested tables) of ``cfg`` as dataclass ``cls``.

    Missing keys take the dataclass defaults; unknown keys and wrong types are errors.
    """
    table: Any = cfg
    for part in name.split("."):
        table = table.get(part, {}) if isinstance(table, Mapping) else {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"config: [{name}] must be a table")
    try:
        return from_mapping(table, cls, name)
    except ConfigError as exc:
        raise _with_origin(exc, getattr(cfg, "origins", {})) from None


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
