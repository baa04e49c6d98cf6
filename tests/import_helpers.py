"""Shared by the importer tests: run a format, run `convert`, replay events into a book."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

import numpy as np

from hft_tui import cli
from hft_tui.events import ASK, BID, EOM, EVENT_DTYPE
from hft_tui.importers import events_of
from hft_tui.importers.common import ImportContext
from hft_tui.reference import ReferenceBook

DATA = Path(__file__).parent / "data" / "importers"


def convert_all(fmt: str, paths, ctx: ImportContext | None = None, **options) -> np.ndarray:
    """All events of the inputs as one array; every batch must end on a message boundary."""
    batches = list(events_of(fmt, [str(p) for p in paths], ctx=ctx, **options))
    for b in batches:
        assert len(b) == 0 or b["flags"][-1] & EOM, "a batch does not end on a message boundary"
    return np.concatenate(batches) if batches else np.empty(0, dtype=EVENT_DTYPE)


def rows(events: np.ndarray, *fields: str) -> list[tuple]:
    return [tuple(int(e[f]) for f in fields) for e in events]


def run_convert(argv: list[str]) -> tuple[int, str]:
    """`hft-tui convert ARGV` through the real CLI, in-process: (exit status, stderr)."""
    # Other commands are written on other branches: build the parser from those present.
    present = {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v) is not None}
    saved, cli.COMMANDS = cli.COMMANDS, present
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            try:
                rc = cli.main(["convert", *argv])
            except SystemExit as exc:  # bad usage
                rc = int(exc.code or 0)
    finally:
        cli.COMMANDS = saved
    return rc, err.getvalue()


def book_rows(events: np.ndarray, n: int) -> list[list[int]]:
    """Top-n (ask px, ask qty, bid px, bid qty) per level after each message."""
    book = ReferenceBook()
    out = []
    for e in events:
        book.apply_one(0, int(e["kind"]), int(e["side"]), int(e["px"]), int(e["qty"]))
        if e["flags"] & EOM:
            ap, aq = book.depth(0, ASK, n)
            bp, bq = book.depth(0, BID, n)
            out.append([list(zip(ap.tolist(), aq.tolist())), list(zip(bp.tolist(), bq.tolist()))])
    return out
