"""`hft-tui backtest`: run strategies headless over tick files or the sim venue, print the report.

    hft-tui backtest FILE.hft... --strategy NAME_OR_PATH [--param k=v ...] [--risk limit=value ...]
                     [--config FILE] [--set section.key=value ...] [--report OUT.json] [--fills OUT.csv]
    hft-tui backtest INPUT... --format FMT [conversion options] --strategy ...   (converted on the fly)
    hft-tui backtest --sim-events N [--seed S] --strategy ...

Strategies trade through the risk manager and the simulated exchange exactly
as in the workstation. The report's ``results`` are identical for identical
input; ``run`` holds wall time and throughput.
"""

from __future__ import annotations

import argparse
import os
import sys

HELP = "run strategies headless over tick files or the sim venue; print and save the report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hft_tui.feeds.inputs import add_input_arguments

    add_input_arguments(parser, nargs="*")  # tick files, or other formats with --format
    parser.add_argument(
        "--strategy", action="append", default=[], metavar="NAME_OR_PATH",
        help="built-in (mm, taker, grid) or path/to/file.py:ClassName; repeatable",
    )
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE",
        help="strategy parameter (STRATEGY.KEY=VALUE with several strategies); repeatable",
    )
    parser.add_argument(
        "--risk", action="append", default=[], metavar="LIMIT=VALUE",
        help="risk limit in instrument units, e.g. max_position=0.001 (STRATEGY.LIMIT=VALUE for one); repeatable",
    )
    parser.add_argument("--config", metavar="FILE", help="settings file over the defaults and the user file")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override any setting, e.g. --set exchange.entry_latency_ns=500000; repeatable",
    )
    parser.add_argument("--report", metavar="OUT.json", help="write the report as JSON")
    parser.add_argument("--fills", metavar="OUT.csv", help="write one CSV row per fill")
    parser.add_argument("--sim-events", type=int, metavar="N", help="backtest on N sim-venue events instead of files")
    parser.add_argument("--seed", type=int, metavar="S", help="sim venue seed (default: sim.seed in the config)")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show it")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print the report")


def run(args: argparse.Namespace) -> int:
    from hft_tui import config
    from hft_tui.engine.risk_args import apply_risk_overrides
    from hft_tui.errors import HftError
    from hft_tui.strategies.loader import load_strategies

    if args.files and args.sim_events is not None:
        raise HftError("give input files or --sim-events, not both")
    if not args.files and args.sim_events is None:
        raise HftError("nothing to backtest: give input files or --sim-events N")
    if args.format and args.sim_events is not None:
        raise HftError("--format applies to input files, not to --sim-events")
    if args.seed is not None and args.sim_events is None:
        raise HftError("--seed applies to --sim-events only")
    check_report_outputs(args)
    cfg = config.load(args.config, args.overrides)
    named = apply_risk_overrides(cfg, args.risk)
    specs = load_strategies(args.strategy, cfg, args.param)
    unknown = named - {s.name for s in specs}
    if unknown:
        raise HftError(f"--risk {sorted(unknown)[0]}.*: no strategy named {sorted(unknown)[0]!r}")
    with _inputs(args) as inputs:
        return _run(args, cfg, specs, inputs)


def check_report_outputs(args: argparse.Namespace) -> None:
    """Before the run (``--report``, ``--fills``): no output over an input or over
    another output, and no report over a tick file that is not an input either
    (recorded data is worth more)."""
    from hft_tui.errors import HftError
    from hft_tui.feeds.inputs import is_tick_file
    from hft_tui.paths import check_outputs

    outputs = {"--report": args.report, "--fills": args.fills}
    check_outputs(outputs, args.files)
    for opt, path in outputs.items():
        if path and os.path.isfile(path) and is_tick_file(path):
            raise HftError(f"{path} ({opt}) is a tick file: not writing over it")


def _inputs(args: argparse.Namespace):
    from hft_tui.feeds.inputs import Inputs, prepare_inputs

    return prepare_inputs(args) if args.files else Inputs([], [], None)


def _run(args: argparse.Namespace, cfg: dict, specs: list, inputs) -> int:
    from rich.console import Console

    from hft_tui.engine.backtest import Progress, run_backtest, save

    source, info, total = _source(args, cfg, inputs.paths)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(total) if show else None
    from hft_tui import jit

    jit.prepare(["engine"])  # says so on stderr when it must compile (first run)
    try:
        result = run_backtest(source, specs, cfg, on_batch=progress, source_info=info)
    finally:
        if progress is not None:
            progress.close()
    engine = result.engine
    for slot in engine.slots:
        if slot.error:
            print(f"warning: strategy {slot.name} stopped: {slot.error}", file=sys.stderr)
    for warning in getattr(source, "warnings", []):
        print(inputs.named(warning), file=sys.stderr)
    save(result, args.report, args.fills)
    if not args.quiet:
        from hft_tui.report import render_report

        Console(highlight=False).print(render_report(result.results))
        run = result.report["run"]
        print(f"{run['events']:,} events in {run['wall_s']:.2f} s ({run['events_per_s'] / 1e6:.2f}M events/s), "
              f"{run['fills']:,} fills")
    return 0


def _source(args: argparse.Namespace, cfg: dict, paths: list[str]):
    from hft_tui import config
    from hft_tui.errors import HftError

    if args.sim_events is not None:
        from hft_tui.feeds.sim import SimParams
        from hft_tui.feeds.sim_source import SimSource

        if args.sim_events < 1:
            raise HftError(f"--sim-events must be at least 1, got {args.sim_events}")
        params = config.section(cfg, "sim", SimParams)
        seed = params.seed if args.seed is None else args.seed
        if not 0 <= seed < 2**64:
            raise HftError(f"--seed must be 0 to 2**64-1, got {seed}")
        src = SimSource(params, seed, max_events=args.sim_events)
        return src, {"kind": "sim", "events": args.sim_events, "seed": seed}, args.sim_events
    from hft_tui.feeds.replay import ReplaySource

    src = ReplaySource(paths)
    try:
        src.require_events("backtest")
    except HftError:
        src.stop()
        raise
    return src, files_info(args), src.n_events


def files_info(args: argparse.Namespace) -> dict:
    """The report's ``input.source`` for input files."""
    info = {"kind": "files", "files": [os.path.basename(f) for f in args.files]}
    if args.format:
        info["format"] = args.format
    return info
