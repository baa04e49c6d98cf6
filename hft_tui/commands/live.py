"""`hft-tui live`: the workstation on Binance's public streams, paper trading.

    hft-tui live [SYMBOL ... | --symbols BTCUSDT,ETHUSDT] [--market spot|usdm] [--ws-url URL --rest-url URL]
                 [--strategy NAME_OR_PATH ...] [--record DIR [--raw]] [--config FILE] [--set k=v ...]

Market data is live; orders are not: every order is a paper order matched by
the simulated exchange's L2 queue model against the live books, and nothing
but the stream subscription and the depth snapshot requests ever goes to
Binance. Strategies are loaded but start disabled: the user enables each one
in the strategies panel. With ``--record DIR`` the session also records the
feed (the ``hft-tui record`` layout).
"""

from __future__ import annotations

import argparse
from typing import Any

from hft_tui.commands.run import add_session_arguments

HELP = "open the workstation on live Binance data (paper trading: no order is ever sent)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_session_arguments(parser)
    add_feed_arguments(parser)
    parser.add_argument("--record", metavar="DIR", help="also record the feed into DIR while trading")
    parser.add_argument("--raw", action="store_true", help="with --record: also the raw messages (gzip)")


def add_feed_arguments(parser: argparse.ArgumentParser) -> None:
    """Which streams and where from: shared by ``live`` and ``record``."""
    parser.add_argument("symbol_list", nargs="*", metavar="SYMBOL", help="symbols to trade (or --symbols)")
    parser.add_argument("--symbols", help="comma-separated, e.g. BTCUSDT,ETHUSDT (default: live.symbols)")
    parser.add_argument("--market", choices=("spot", "usdm"), help="default: live.market")
    parser.add_argument("--ws-url", help="WebSocket base URL (testnet, a local server, ...)")
    parser.add_argument("--rest-url", help="REST base URL for snapshots and symbol rules")


def feed_settings(live: Any, args: argparse.Namespace) -> Any:
    """The ``[live]`` settings with the command line's feed arguments over them."""
    from hft_tui.errors import HftError

    symbols = [*args.symbol_list, *(s for s in (args.symbols or "").split(",") if s.strip())] or None
    try:
        return live.replace(market=args.market, symbols=symbols, ws_url=args.ws_url, rest_url=args.rest_url)
    except (TypeError, ValueError) as exc:
        raise HftError(str(exc)) from None


def build_engine(args: argparse.Namespace):
    """The engine on the live feed, strategies disabled; ``(engine, cfg)``. Nothing connects
    before the engine starts (the source starts with it)."""
    from hft_tui.commands.run import load_session
    from hft_tui.engine.engine import Engine
    from hft_tui.errors import HftError
    from hft_tui.feeds.binance_config import live_config
    from hft_tui.feeds.binance_source import BinanceSource

    if args.raw and not args.record:
        raise HftError("--raw needs --record DIR")
    cfg, specs = load_session(args, ["mm"])
    live = feed_settings(live_config(cfg), args)
    source = BinanceSource(live)
    if args.record:
        from hft_tui.feeds.recording_source import RecordingSource
        from hft_tui.recorder import Recorder

        recorder = Recorder.for_live(args.record, source.instruments, live, args.raw)
        source = RecordingSource(source, recorder, args.record)
    engine = Engine(source, specs, cfg, mode="LIVE")
    start_disabled(engine)
    return engine, cfg


def start_disabled(engine) -> None:
    """On live data no strategy trades until the user enables it."""
    for slot in engine.slots:
        slot.enabled = False
    engine.slots_changed()
    names = ", ".join(s.name for s in engine.slots) or "none"
    engine.log("engine", "", f"live: strategies start disabled ({names}); enable them in the strategies panel")


def build_link(args: argparse.Namespace):
    """The live session's engine and its adapter (called in the engine process)."""
    from hft_tui.ui.launch import EngineAdapter

    engine, _cfg = build_engine(args)
    return EngineAdapter(engine, "LIVE")


def run(args: argparse.Namespace) -> int:
    from hft_tui import config
    from hft_tui.errors import HftError
    from hft_tui.ui.launch import open_link, run_workstation

    if args.raw and not args.record:
        raise HftError("--raw needs --record DIR")
    cfg = config.load(args.config, args.overrides)
    return run_workstation(lambda: open_link(__name__, "build_link", args, kernels=("engine", "binance")), cfg, args.theme)
