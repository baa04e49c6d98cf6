"""Shared by the importer tests: run a format, run `convert`, replay events into a book."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import numpy as np

from hft_tui.commands import convert
from hft_tui.errors import HftError
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
    """`hft-tui convert ARGV` in-process: (exit status, stderr)."""
    parser = argparse.ArgumentParser(prog="hft-tui convert")
    convert.add_arguments(parser)
    args = parser.parse_args(argv)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            rc = convert.run(args)
        except HftError as exc:
            print(f"error: {exc}", file=err)
            rc = 2
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
