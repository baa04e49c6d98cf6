"""The `hft-tui` entry point: parses arguments and runs one command.

Each subcommand lives in its own module under ``hft_tui.commands`` and exposes
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Command
modules keep heavy imports (numba, textual) inside ``run`` so that ``--help`` and
start-up stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hft_tui import __version__
from hft_tui.errors import HftError

# name -> module; the order is the order shown in --help
COMMANDS: dict[str, str] = {
    "run": "hft_tui.commands.run",
    "sim": "hft_tui.commands.sim",
    "book": "hft_tui.commands.book",
    "info": "hft_tui.commands.info",
    "backtest": "hft_tui.commands.backtest",
    "replay": "hft_tui.commands.replay",
    "convert": "hft_tui.commands.convert",
    "bench": "hft_tui.commands.bench",
    "record": "hft_tui.commands.record",
    "live": "hft_tui.commands.live",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hft-tui",
        description="Terminal trading workstation for HFT research and paper trading.",
    )
    parser.add_argument("--version", action="version", version=f"hft-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `hft-tui` alone, or with workstation options only (`hft-tui --strategy grid`),
    # opens the workstation on the sim venue: the main job needs no sub-command.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except HftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `hft-tui book big.hft | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
