"""What a replay or a backtest reads: tick files, or any format ``hft-tui convert`` reads.

Tick files are told by their first bytes (the tick file magic), not by their
names. Every other input needs ``--format FMT``: those inputs are converted,
in the order given and exactly as ``hft-tui convert --format FMT`` would
convert them, into one temporary tick file that takes the place of the first
of them in the list. So ``backtest a.hft b.csv --format csv`` plays what
``convert --format csv b.csv -o b.hft`` then ``backtest a.hft b.hft`` plays,
event for event. The conversion streams (bounded memory); the temporary file
lives in the system's temporary directory (``TMPDIR``) and goes when the run
ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

from hft_tui.errors import HftError
from hft_tui.importers import FORMATS, add_common_arguments, load_format
from hft_tui.tickformat import MAGIC


def add_input_arguments(parser: argparse.ArgumentParser, nargs: str = "+") -> None:
    """The input files, ``--format`` and the conversion options of every format."""
    parser.add_argument(
        "files", nargs=nargs, metavar="FILE",
        help="tick files (.hft), or files of another format with --format; played as one stream",
    )
    parser.add_argument(
        "-f", "--format", choices=list(FORMATS), metavar="FMT",
        help=f"convert the inputs that are not tick files on the fly, as hft-tui convert would "
        f"({', '.join(FORMATS)})",
    )
    add_common_arguments(parser.add_argument_group("conversion options (with --format)"))
    for name in FORMATS:
        module = load_format(name)
        module.add_arguments(parser.add_argument_group(f"{name} options", module.HELP))


def is_tick_file(path: str) -> bool:
    """True if ``path`` starts like a tick file; HftError if it cannot be read at all."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except FileNotFoundError:
        raise HftError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise HftError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise HftError(f"{path}: {exc.strerror or exc}") from None


class Inputs:
    """The tick files to play; a context manager that removes a temporary conversion."""

    def __init__(self, paths: list[str], converted: list[str], tmpdir: str | None, out: str | None = None) -> None:
        self.paths = paths  # tick files, in the order given
        self.converted = converted  # the inputs that were converted on the fly
        self._tmpdir = tmpdir
        self._out = out  # the temporary tick file they were converted to

    def named(self, text: str) -> str:
        """``text`` (a warning about a tick file) naming the inputs, not the temporary
        file they were converted to for this run."""
        if self._out is None or self._out not in text:
            return text
        return text.replace(self._out, f"{', '.join(self.converted)} (as converted for this run)")

    def close(self) -> None:
        if self._tmpdir is not None:
            # a replay may still map the file: on POSIX the data stays until it is unmapped
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_inputs(args: argparse.Namespace) -> Inputs:
    """Tick files for ``args.files``: the tick files as they are, the others converted
    with ``args.format`` (its report goes to stderr, as convert's does)."""
    files = [os.fspath(f) for f in args.files]
    kinds = [is_tick_file(f) for f in files]
    others = [f for f, tick in zip(files, kinds) if not tick]
    fmt = getattr(args, "format", None)
    if not others:
        if fmt:
            raise HftError(f"--format {fmt}: every input is already a tick file; nothing to convert")
        return Inputs(files, [], None)
    if not fmt:
        raise HftError(
            f"{others[0]}: not a tick file; to convert it on the fly give --format FMT "
            f"(one of {', '.join(FORMATS)})"
        )
    from hft_tui.commands.convert import convert

    tmpdir = tempfile.mkdtemp(prefix="hft-tui-")
    out = os.path.join(tmpdir, f"{fmt}.hft")
    conv = argparse.Namespace(**vars(args))
    conv.inputs, conv.output, conv.force, conv.for_run = others, out, True, True
    try:
        outcome = convert(conv)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    if outcome.status != 0:  # interrupted: the converted part is no run anyone asked for
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise KeyboardInterrupt
    first = files.index(others[0])
    paths = [f for f, tick in zip(files, kinds) if tick]
    paths.insert(sum(kinds[:first]), out)
    return Inputs(paths, others, tmpdir, out)
