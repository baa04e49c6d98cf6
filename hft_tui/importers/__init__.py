"""Importers: the data formats people already have, turned into event batches for tick files.

``FORMATS`` maps a format name (``hft-tui convert --format NAME``) to the module
that reads it; adding a format is one line here. A format module provides:

``HELP``
    one line for ``--help``.
``add_arguments(group)``
    its own options on an argparse group (names must not clash with another
    format's; the common ones, ``--symbol``, ``--tick-size``, ``--lot-size`` and
    ``--skip-bad``, belong to ``convert``). Keep the module's top-level imports
    light: every format's options load on each ``hft-tui`` start.
``instrument(args) -> Instrument``
    the instrument of the output file, from the options (``args.inputs`` holds
    the input paths) and, where the format knows them, its own defaults.
``events(args, instrument, ctx) -> Iterator[np.ndarray]``
    ``EVENT_DTYPE`` batches in input order, each ending on a message boundary
    (its last event has ``EOM``). Read inputs through ``ctx.tables(path, names)``
    (blocks of rows split into fields, prefetched by a background thread) so
    that progress, bad-row handling (``ctx.bad``) and bounded memory come for
    free (see ``common.ImportContext`` and ``table.Table``).

``events_of(name, inputs, **options)`` runs a format without the command line
(for tests and for commands that convert on the fly).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

from hft_tui.errors import HftError

FORMATS: dict[str, str] = {
    "binance-vision": "hft_tui.importers.binance_vision",
    "tardis": "hft_tui.importers.tardis",
    "lobster": "hft_tui.importers.lobster",
    "csv": "hft_tui.importers.csv_generic",
    "binance-raw": "hft_tui.feeds.binance_raw_format",
}


def load_format(name: str) -> ModuleType:
    if name not in FORMATS:
        raise HftError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[name])


def add_common_arguments(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--symbol", help="instrument name written in the tick file")
    parser.add_argument("--tick-size", help="price step of the instrument (e.g. 0.01)")
    parser.add_argument("--lot-size", help="size step of the instrument (e.g. 0.00001)")
    parser.add_argument(
        "--skip-bad", action="store_true",
        help="skip malformed rows (counted and reported) instead of stopping at the first",
    )


def options(name: str, inputs: list[str], **overrides: Any) -> argparse.Namespace:
    """The namespace ``convert`` would build for format ``name``, with overrides."""
    parser = argparse.ArgumentParser(add_help=False)
    add_common_arguments(parser)
    load_format(name).add_arguments(parser)
    args = parser.parse_args([])
    args.format = name
    args.inputs = list(inputs)
    for key, value in overrides.items():
        if not hasattr(args, key):
            raise TypeError(f"format {name} has no option {key!r}")
        setattr(args, key, value)
    return args


def events_of(name: str, inputs: list[str], ctx: Any = None, **overrides: Any) -> Iterator[np.ndarray]:
    """Event batches of the inputs read as format ``name`` (instrument from the options)."""
    from hft_tui.importers.common import ImportContext

    fmt = load_format(name)
    args = options(name, inputs, **overrides)
    ctx = ctx if ctx is not None else ImportContext(skip_bad=args.skip_bad)
    yield from fmt.events(args, fmt.instrument(args), ctx)
