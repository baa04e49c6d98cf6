"""`hft-tui replay`: the workstation on recorded data, at any speed, with strategies.

    hft-tui replay FILE [FILE ...] [--speed 1|10|100|max] [--start TIME] [--paused]
                   [--strategy NAME_OR_PATH ...] [--param k=v ...] [--risk limit=value ...]
                   [--report OUT.json] [--fills OUT.csv]
                   [--format FMT [conversion options]] [--config FILE] [--set k=v ...] [--theme NAME]

Several files play as one stream: the hourly files of a day one after another,
several symbols merged by exchange time (``s`` switches the ladder). Files that
are not tick files are converted on the fly with ``--format`` (see
``hft_tui.feeds.inputs``). Strategies trade against the replay through the
simulated exchange exactly as in ``hft-tui backtest``: the same files and
settings give the same fills at every speed. ``--report`` and ``--fills`` save
them as the backtest does, when the data ends and at quit.
"""

from __future__ import annotations

import argparse

HELP = "replay tick files in the workstation: play, pause, step, seek, at any speed, with strategies"

SPEED_WORDS = "1, 10, 100, max (or any positive multiple of real time)"


def parse_speed(text: str) -> float | None:
    """``max`` -> None (as fast as possible), else a positive multiple of event time."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected {SPEED_WORDS}, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hft_tui.commands.run import add_session_arguments
    from hft_tui.feeds.inputs import add_input_arguments

    parser.add_argument(
        "--speed", type=parse_speed, default=1.0, metavar="1|10|100|max",
        help="replay speed as a multiple of exchange time, or max (default 1); +/- change it",
    )
    parser.add_argument(
        "--start", metavar="TIME",
        help="begin at this exchange time: UTC 'YYYY-MM-DD HH:MM:SS[.fff]', a time of day "
        "(the date of the first event), or an offset from the first event such as +90s or +1h",
    )
    parser.add_argument("--paused", action="store_true", help="open paused (space plays, . steps)")
    parser.add_argument(
        "--report", metavar="OUT.json",
        help="write the session's report as JSON (as backtest --report) when the data ends and at quit",
    )
    parser.add_argument("--fills", metavar="OUT.csv", help="write the session's fills as CSV (as backtest --fills), likewise")
    add_session_arguments(parser)
    add_input_arguments(parser)  # last: the conversion options close the help


def start_time(text: str, first_ts: int | None, last_ts: int | None) -> int:
    """The ``--start`` time in ns (the first event's for a time before it); HftError
    when unreadable or after the data."""
    from hft_tui.errors import HftError
    from hft_tui.ui.timeparse import parse_time
    from hft_tui.text import utc_ms

    if first_ts is None or last_ts is None:
        raise HftError("--start: the files hold no events")
    try:
        ts = parse_time(text, first_ts, like=utc_ms(first_ts))
    except ValueError as exc:
        raise HftError(f"--start: {exc}") from None
    if ts > last_ts:
        raise HftError(
            f"--start {text}: {utc_ms(ts)} is after the last event ({utc_ms(last_ts)})"
        )
    return max(ts, first_ts)  # before the data: its first event


def open_replay(paths: list[str], specs: list, cfg: dict, *, speed: float | None = 1.0,
                start: str | None = None, paused: bool = False, batch_events: int | None = None,
                report: str | None = None, fills: str | None = None, source_info: dict | None = None):
    """The ``ReplayLink`` over tick files: what ``run`` shows, and what tests drive
    (``report``, ``fills``, ``source_info``: see ``ReplayLink``)."""
    from hft_tui.engine.settings import engine_settings
    from hft_tui.feeds.replay import ReplaySource
    from hft_tui.ui.replay_link import ReplayLink

    source = ReplaySource(paths, batch_events=batch_events or engine_settings(cfg).batch_events)
    try:
        source.require_events("replay")
        start_ns = None if start is None else start_time(start, source.first_ts, source.last_ts)
        return ReplayLink(source, specs, cfg, speed=speed, start_ns=start_ns, paused=paused,
                          report=report, fills=fills, source_info=source_info)
    except BaseException:
        source.stop()
        raise


def session(args: argparse.Namespace) -> tuple[dict, list]:
    """Settings and strategies; a replay without ``--strategy`` only shows the data."""
    from hft_tui.commands.run import load_session

    if args.strategy:
        return load_session(args, [])
    from hft_tui import config
    from hft_tui.engine.risk_args import apply_risk_overrides
    from hft_tui.errors import HftError

    if args.param:
        raise HftError(f"--param {args.param[0]}: no strategy given (--strategy NAME_OR_PATH)")
    cfg = config.load(args.config, args.overrides)
    named = apply_risk_overrides(cfg, args.risk)
    if named:
        raise HftError(f"--risk {sorted(named)[0]}.*: no strategy named {sorted(named)[0]!r}")
    return cfg, []


def build_link(args: argparse.Namespace, paths: list[str]):
    """The replay's link over the (converted) tick files (called in the engine process)."""
    from hft_tui.commands.backtest import files_info

    cfg, specs = session(args)
    return open_replay(paths, specs, cfg, speed=args.speed, start=args.start, paused=args.paused,
                       report=args.report, fills=args.fills, source_info=files_info(args))


def run(args: argparse.Namespace) -> int:
    from hft_tui import config
    from hft_tui.commands.backtest import check_report_outputs
    from hft_tui.feeds.inputs import prepare_inputs
    from hft_tui.ui.launch import open_link, run_workstation

    check_report_outputs(args)
    cfg = config.load(args.config, args.overrides)
    with prepare_inputs(args) as inputs:
        return run_workstation(lambda: open_link(__name__, "build_link", args, list(inputs.paths)), cfg, args.theme)
