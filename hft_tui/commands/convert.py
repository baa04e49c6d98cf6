"""`hft-tui convert`: turn Binance, Tardis, LOBSTER or generic CSV files into a tick file.

Streaming: inputs are read in blocks of a few megabytes and written chunk by
chunk, so memory stays bounded whatever the input size. A bad row stops the
conversion with one ``file:line: field F: ...`` line (exit 2) after everything
before it has been written; ``--skip-bad`` counts and reports bad rows instead.
Ctrl-C stops at the next message boundary, flushes, says so and exits 130: the
tick file stays readable.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from hft_tui.errors import HftError
from hft_tui.importers import FORMATS, add_common_arguments, load_format

HELP = "convert market data files (Binance, Tardis, LOBSTER, CSV) into a tick file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="input files, in time order")
    parser.add_argument(
        "-f", "--format", required=True, choices=list(FORMATS), metavar="FMT",
        help=f"input format: {', '.join(FORMATS)}",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT.hft", help="tick file to write")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.hft if it exists")
    add_common_arguments(parser)
    for name, module_name in FORMATS.items():
        module = load_format(name)
        module.add_arguments(parser.add_argument_group(f"{name} options", module.HELP))


class _Stop:
    """Set by the first Ctrl-C; the conversion stops at the next batch boundary."""

    requested = False


@contextmanager
def _deferred_interrupt() -> Iterator[_Stop]:
    """Turn the first SIGINT into a request to stop cleanly; a second one interrupts at once."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        stop.requested = True
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_paths(args: argparse.Namespace) -> None:
    from hft_tui.paths import check_outputs

    check_outputs({"-o": args.output}, args.inputs)
    if os.path.exists(args.output) and not args.force:
        raise HftError(f"{args.output} exists (use --force to overwrite it)")


def _rate(n: float) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e3 else f"{n:.0f}"


class Outcome(NamedTuple):
    status: int  # 0 done, 130 interrupted
    rows: int  # input rows read
    events: int  # events written


def run(args: argparse.Namespace) -> int:
    return convert(args).status


def convert(args: argparse.Namespace) -> Outcome:
    """Run a conversion, printing its report on stderr; HftError for bad input."""
    from hft_tui.importers.common import ImportContext
    from hft_tui.text import counted, duration_ns
    from hft_tui.importers.files import input_size
    from hft_tui.importers.progress import Progress
    from hft_tui.tickfile import TickWriter
    from hft_tui.time_order import BIG_STEP_NS, TimeOrder

    fmt = load_format(args.format)
    _check_paths(args)
    inst = fmt.instrument(args)
    progress = Progress(input_size(args.inputs))
    ctx = ImportContext(skip_bad=args.skip_bad, progress=progress)
    order = TimeOrder()
    n_events = 0
    interrupted = False
    failed = True
    with _deferred_interrupt() as stop:
        writer = TickWriter(args.output, inst)
        try:
            for batch in fmt.events(args, inst, ctx):
                writer.write(batch)
                order.add(batch["exch_ts"])
                n_events += len(batch)
                if stop.requested:
                    interrupted = True
                    break
            if not interrupted:
                ctx.bad.check()
            failed = False
        except KeyboardInterrupt:
            interrupted = True
            failed = False
        finally:
            progress.close()
            writer.close()
            if failed and n_events == 0:
                _remove(args.output)
    err = sys.stderr
    for line in ctx.bad.report():
        print(line, file=err)
    rows, secs = progress.rows, max(progress.elapsed, 1e-9)
    # on the fly (replay, backtest): the output is a temporary file the user never named
    for_run = getattr(args, "for_run", False)
    if interrupted:
        if for_run:
            print(f"interrupted while converting ({counted(rows, 'row')} read)", file=err)
        else:
            print(
                f"interrupted: {args.output} holds the {counted(n_events, 'event')} converted so far "
                f"({counted(rows, 'row')} read); it is complete up to there and readable",
                file=err,
            )
        return Outcome(130, rows, n_events)
    where = "for this run" if for_run else f"to {args.output}"
    print(
        f"wrote {counted(n_events, 'event')} from {counted(rows, 'row')} {where} "
        f"({inst.symbol}, tick {inst.tick_size}, lot {inst.lot_size}) "
        f"in {secs:.1f} s ({_rate(rows / secs)} rows/s)",
        file=err,
    )
    for note in ctx.notes:
        print(f"note: {note}", file=err)
    if order.worst >= BIG_STEP_NS:
        print(
            f"note: exchange time steps back {counted(order.steps, 'time')}, by up to "
            f"{duration_ns(order.worst)}: were the inputs given in time order?",
            file=err,
        )
    return Outcome(0, rows, n_events)


def _remove(path: str) -> None:
    """A header-only file left by a conversion that failed before its first event."""
    try:
        os.remove(path)
    except OSError:
        pass
