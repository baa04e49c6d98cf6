"""`hft-tui book FILE [FILE ...] [--levels N] [--every K] [--symbol S]`: depth as CSV.

Replays tick files through the order book and prints LOBSTER-style rows
(``msg,ask_px_1,ask_sz_1,bid_px_1,bid_sz_1,...``) with exact decimal prices and
sizes: after every K-th source message, or only after the last one. Several
files are one stream (``hft_tui.stream``); rows are for one symbol, the first
unless ``--symbol`` names another (by symbol or by index), and ``msg`` counts
that symbol's messages. See ``hft_tui.book_replay``.
"""

from __future__ import annotations

import argparse
import sys

HELP = "replay tick files through the order book and print its depth as CSV"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="tick files (.hft)")
    parser.add_argument(
        "--levels", type=_positive, default=10, metavar="N", help="price levels per side (default: 10)"
    )
    parser.add_argument(
        "--every", type=_positive, metavar="K",
        help="a row after every K-th message (default: one row, after the last message)",
    )
    parser.add_argument(
        "--symbol", metavar="S",
        help="symbol (name or index in the stream) whose book to print; default: the first",
    )


def pick_symbol(names: list[str], wanted: str | None) -> int:
    if wanted is None:
        return 0
    if wanted in names:
        return names.index(wanted)
    if wanted.isdigit() and int(wanted) < len(names):
        return int(wanted)
    from hft_tui.errors import HftError

    raise HftError(f"--symbol {wanted}: not in the stream (symbols: {', '.join(names)})")


def run(args: argparse.Namespace) -> int:
    from hft_tui import jit
    from hft_tui.book_replay import replay_csv
    from hft_tui.stream import open_stream

    with open_stream(args.files) as stream:
        shown = len(stream.warnings)
        for warning in stream.warnings:
            print(warning, file=sys.stderr)
        names = [inst.symbol for inst in stream.instruments]
        sym = pick_symbol(names, args.symbol)
        jit.prepare(["book", "book_replay"])
        replay_csv(
            stream,
            stream.instruments[sym],
            sys.stdout,
            levels=args.levels,
            every=args.every,
            symbol=sym,
            n_symbols=len(names),
        )
        sys.stdout.flush()
        for warning in stream.warnings[shown:]:  # found while streaming
            print(warning, file=sys.stderr)
    return 0
