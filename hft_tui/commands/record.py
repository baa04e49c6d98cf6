"""`hft-tui record [SYMBOL ... | --symbols A,B] -o DIR [--raw]`: record Binance market data to tick files.

Connects like the live mode does (same ``[live]`` settings and URL options),
keeps every book exact (resyncing when needed) and writes the normalised
events, and with ``--raw`` the messages as received. SIGINT or SIGTERM stops
it after flushing; see ``hft_tui.recorder`` for the layout and crash safety.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

HELP = "record Binance market data (normalised tick files, optionally raw messages)"

STATUS_EVERY_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hft_tui.commands.live import add_feed_arguments

    add_feed_arguments(parser)
    parser.add_argument("-o", "--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--raw", action="store_true", help="also write raw messages (gzip, <ns> <message> lines)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--config", metavar="FILE", help="settings file (over the defaults and the user's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("-q", "--quiet", action="store_true", help="no status lines")


def run(args: argparse.Namespace) -> int:
    from hft_tui import jit
    from hft_tui.commands.live import feed_settings
    from hft_tui.config import load
    from hft_tui.errors import HftError
    from hft_tui.feeds.binance_config import live_config
    from hft_tui.feeds.binance_source import BinanceSource
    from hft_tui.recorder import Recorder

    if args.duration is not None and not args.duration > 0:
        raise HftError(f"--duration must be above 0 seconds, got {args.duration:g}")
    cfg = feed_settings(live_config(load(args.config, args.set)), args)
    jit.prepare(["book", "binance"])  # announces a first-run compile, then loads from the cache
    source = BinanceSource(cfg)
    recorder = Recorder.for_live(args.out, source.instruments, cfg, args.raw)
    if args.raw:
        source.set_raw_sink(recorder.write_raw)

    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    next_status = started + STATUS_EVERY_S
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    say(f"recording {', '.join(cfg.symbols)} from {cfg.ws_base} into {args.out} (Ctrl-C stops)")
    source.start()
    try:
        while not stop.is_set():
            recorder.write(source.read(1 << 16, min(0.2, cfg.flush_s / 2)))
            recorder.poll()
            now = time.monotonic()
            if args.duration is not None and now - started >= args.duration:
                break
            if now >= next_status:
                next_status = now + STATUS_EVERY_S
                say(_status(source.health(), recorder))
    finally:
        source.stop()
        recorder.write(source.read(1 << 30, 0.0))  # what the feed had already queued
        recorder.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    health = source.health()
    say(f"stopped: {_status(health, recorder)}; {len(recorder.files)} files in {args.out}")
    if not health["messages"]:
        # nothing recorded: a script that runs this must not take it for success
        why = source.last_error or "nothing arrived"
        print(f"error: no market data received from {cfg.ws_base}: {why}", file=sys.stderr)
        return 1
    return 0


def _status(h: dict, recorder) -> str:
    return (
        f"{h['messages']} msgs ({h['msgs_per_s']}/s), {recorder.events} events, "
        f"{h['resyncs']} resyncs, {h['reconnects']} reconnects, {h['parse_errors']} parse errors, "
        f"stale: {h['stale_symbols'] or 'none'}, queue {h['queue']}"
    )
