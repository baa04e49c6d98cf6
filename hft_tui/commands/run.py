"""`hft-tui` / `hft-tui run`: the workstation on the sim venue (the default).

    hft-tui [--strategy NAME_OR_PATH ...] [--param k=v ...] [--seed S] [--speed X]
            [--config FILE] [--set section.key=value ...] [--theme NAME]

With no strategy given, the built-in market maker runs. Nothing needs a network
or keys.
"""

from __future__ import annotations

import argparse

HELP = "open the workstation on the simulated venue (the default command)"


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every workstation mode shares (sim, live, replay)."""
    parser.add_argument(
        "--strategy", action="append", default=[], metavar="NAME_OR_PATH",
        help="built-in (mm, taker, grid) or path/to/file.py:ClassName; repeatable",
    )
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="strategy parameter")
    parser.add_argument("--risk", action="append", default=[], metavar="LIMIT=VALUE", help="risk limit override")
    parser.add_argument("--config", metavar="FILE", help="settings file over the defaults and the user file")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override any setting, e.g. --set sim.market_rate=40",
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme (hft-dark, hft-light, hft-16, textual-*)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_session_arguments(parser)
    parser.add_argument("--seed", type=int, metavar="S", help="sim venue seed (default: sim.seed)")
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X",
        help="sim speed as a multiple of real time (default 1; 0 = as fast as possible)",
    )


def load_session(args: argparse.Namespace, default_strategy: list[str]):
    """Settings and strategy specs from the shared options."""
    from hft_tui import config
    from hft_tui.engine.risk_args import apply_risk_overrides
    from hft_tui.errors import HftError
    from hft_tui.strategies.loader import load_strategies

    cfg = config.load(args.config, args.overrides)
    named = apply_risk_overrides(cfg, args.risk)
    specs = load_strategies(args.strategy or default_strategy, cfg, args.param)
    unknown = named - {s.name for s in specs}
    if unknown:
        raise HftError(f"--risk {sorted(unknown)[0]}.*: no strategy named {sorted(unknown)[0]!r}")
    return cfg, specs


def build_link(args: argparse.Namespace):
    """The sim session's engine and its adapter (called in the engine process)."""
    from hft_tui import config
    from hft_tui.engine.engine import Engine
    from hft_tui.feeds.sim import SimParams
    from hft_tui.feeds.sim_source import SimSource
    from hft_tui.ui.launch import EngineAdapter

    cfg, specs = load_session(args, ["mm"])
    params = config.section(cfg, "sim", SimParams)
    seed = params.seed if args.seed is None else args.seed
    source = SimSource(params, seed)
    return EngineAdapter(Engine(source, specs, cfg, mode="SIM", speed=args.speed or None), "SIM")


def run(args: argparse.Namespace) -> int:
    from hft_tui import config
    from hft_tui.errors import HftError
    from hft_tui.ui.launch import open_link, run_workstation

    if args.seed is not None and not 0 <= args.seed < 2**64:
        raise HftError(f"--seed must be 0 to 2**64-1, got {args.seed}")
    if args.speed < 0:
        raise HftError(f"--speed must be 0 (max) or positive, got {args.speed:g}")
    cfg = config.load(args.config, args.overrides)
    return run_workstation(lambda: open_link(__name__, "build_link", args, kernels=("engine", "sim")), cfg, args.theme)
