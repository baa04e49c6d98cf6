"""`hft-tui sim`: run the built-in sim venue, into a tick file or headless, and say what happened.

    hft-tui sim --events N --seed S -o FILE.hft [--config FILE] [--set sim.key=value ...]
    hft-tui sim [--seconds S]          headless: a few simulated seconds, a summary

The run ends on a message boundary: at the first message end at or after N
events (or past S simulated seconds), so a file may hold a few more than N.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hft_tui.text import counted, utc_iso

HELP = "run the sim venue: write N events to a tick file, or a few seconds headless with a summary"

_CHUNK = 65536


def add_arguments(parser: argparse.ArgumentParser) -> None:
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--events", type=int, metavar="N", help="generate N events (at least)")
    length.add_argument(
        "--seconds", type=float, metavar="S",
        help="generate S seconds of exchange time (the default: 5, without --events)",
    )
    parser.add_argument("--seed", type=int, metavar="S", help="RNG seed (default: sim.seed in the config)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the events to this tick file")
    parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    parser.add_argument(
        "--summary", action="store_true", help="print the summary (always done; kept for the default command)"
    )
    parser.add_argument("--config", metavar="FILE", help="settings file over the defaults and the user file")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override one setting, e.g. --set sim.market_rate=20 (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from hft_tui import config
    from hft_tui.errors import HftError
    from hft_tui.feeds.sim import SimParams

    params = config.section(config.load(args.config, args.overrides), "sim", SimParams)
    seed = params.seed if args.seed is None else args.seed
    if not 0 <= seed < 2**64:
        raise HftError(f"--seed must be 0 to 2**64-1, got {seed}")
    if args.events is not None and args.events < 1:
        raise HftError(f"--events must be at least 1, got {args.events}")
    if args.seconds is not None and not 0 < args.seconds <= 86_400 * 365:
        raise HftError(f"--seconds must be above 0 and at most a year, got {args.seconds}")
    if args.output and os.path.exists(args.output) and not args.force:
        raise HftError(f"{args.output} exists; pass --force to overwrite it")
    seconds = args.seconds if args.seconds is not None or args.events is not None else 5.0

    compile_s = _warm_up()
    if compile_s > 1.5:  # a first run compiles; later ones load numba's cache in well under that
        print(f"numba: sim kernels ready in {compile_s:.1f} s (compiled once, then cached)", file=sys.stderr)
    venue, total, wall = _run(params, seed, args.events, seconds, args.output)
    print(summary(venue, total, args.events, wall, args.output))
    return 0


def _warm_up() -> float:
    """Compile (or load from numba's cache) the kernels outside the timed run."""
    from hft_tui.events import empty
    from hft_tui.feeds.sim import SimParams, SimVenue

    t = time.perf_counter()
    venue = SimVenue(SimParams(limit_levels=5, max_depth_ticks=10, max_sweep_orders=5), seed=0)
    venue.generate(empty(16))
    venue.take(1, venue.best_ask or 0, 1, empty(16))
    return time.perf_counter() - t


def _run(params, seed, events, seconds, output):
    from hft_tui.events import empty
    from hft_tui.feeds.sim import SimVenue

    venue = SimVenue(params, seed)
    extra = venue.max_message_events
    buf = empty(_CHUNK + extra)
    until = None if seconds is None else venue.clock_ns + round(seconds * 1e9)
    writer = None
    if output:
        from hft_tui.tickfile import TickWriter

        writer = TickWriter(output, venue.instrument, chunk_events=_CHUNK)
    total = 0
    t = time.perf_counter()
    try:
        while True:
            if events is not None and events - total <= _CHUNK:
                n = venue.generate(buf, min_events=events - total, until_ns=until)
                done = True
            else:
                n = venue.generate(buf, _CHUNK, until_ns=until)
                done = until is not None and venue.clock_ns >= until
            if writer is not None:
                writer.write(buf[:n])
            total += n
            if done:
                break
    finally:
        if writer is not None:
            writer.close()  # flushes: what was generated is on disk even on Ctrl-C
    return venue, total, time.perf_counter() - t


def summary(venue, total: int, asked: int | None, wall: float, output: str | None) -> str:
    """A short human account of a run, every figure from the venue's own counters."""
    inst = venue.instrument
    s = venue.stats()
    px = inst.ticks_to_str
    sim_s = s["sim_ns"] / 1e9
    p = venue.params
    head = f"sim {inst.symbol} seed {venue.seed}: {total:,} events in {s['messages']:,} messages"
    if asked is not None and total > asked:
        head += f" ({total - asked:,} past {asked:,}, to end on a message boundary)"
    rate = f"{s['events'] / sim_s:,.0f} events/s" if sim_s > 0 else "no time passed"
    tick = inst.tick_value
    dec = len(inst.tick_size.partition(".")[2]) + 2
    lines = [
        head,
        f"  time      {sim_s:,.3f} s of exchange time from {utc_iso(p.start_ns())} ({rate})",
        f"  orders    {s['adds']:,} adds, {s['cancels']:,} cancels, {s['market_orders']:,} market orders"
        f" -> {s['executions']:,} executions, {inst.lots_to_str(s['volume_lots'])} traded",
        f"  book      mean spread {s['mean_spread'] * tick:.{dec}f} ({s['mean_spread']:.2f} ticks),"
        f" mean depth {s['mean_depth_bid']:.0f} / {s['mean_depth_ask']:.0f} ticks,"
        f" {s['mean_resting_orders']:,.0f} resting orders",
    ]
    if s["trade_min"] is not None:
        lines.append(
            f"  price     start {p.start_price}, last trade {px(s['last_px'])},"
            f" range {px(s['trade_min'])} .. {px(s['trade_max'])}"
        )
    else:
        lines.append(f"  price     start {p.start_price}, no trades")
    bid, ask = venue.depth(1, 1), venue.depth(-1, 1)
    if len(bid[0]) and len(ask[0]):
        mid = (bid[0][0] + ask[0][0]) / 2 * tick
        lines.append(
            f"  top       bid {px(bid[0][0])} x {inst.lots_to_str(bid[1][0])}"
            f"   ask {px(ask[0][0])} x {inst.lots_to_str(ask[1][0])}   mid {mid:.{dec - 1}f}"
        )
    if s["refills"] or s["purges"]:
        lines.append(
            f"  upkeep    {counted(s['refills'], 'refill')} of an emptied side,"
            f" {counted(s['purges'], 'cancel')} of orders deeper than {p.max_depth_ticks} ticks"
        )
    if output:
        size = os.path.getsize(output)
        lines.append(f"  wrote     {output} ({size / 2**20:,.1f} MiB)")
    speed = f"{total / wall:,.0f} events/s" if wall > 0 else "-"
    lines.append(f"  speed     {wall:.2f} s wall, {speed}" + (" (with the file writes)" if output else ""))
    return "\n".join(lines)
