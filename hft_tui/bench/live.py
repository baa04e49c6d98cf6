"""Benchmark area ``live``: Binance message handling and the live connection.

- ``depth_update_apply_median_us``: one spot depthUpdate with 20 changed levels,
  from the received bytes to the updated book: routing, the jitted parse, the
  sync check, the book update with its crossed-book check, and the copy handed
  to the engine (``FeedDecoder.feed`` on a synced book).
- ``binance_raw_lines_per_s``: the ``binance-raw`` importer on a gzip recording
  (depth diffs, book tickers, trades) into a tick file.
- ``live_10sym_*``: one WebSocket connection on 127.0.0.1 carrying 10 symbols
  (depth diffs, tickers, trades) into a ``BinanceSource`` whose events a
  consumer thread applies to a book, as the engine does. First paced at
  ``PACED_RATE`` messages/s (a busy market, far above Binance's 10 diffs/s per
  symbol): the largest queue seen says whether a backlog builds. Then as fast
  as the server can send: the rate the feed sustains.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIGURES = {
    "depth_update_apply_median_us": "us median, 20-level spot depthUpdate bytes -> parsed, checked, applied to the book",
    "binance_raw_lines_per_s": "lines/s converting a gzip raw recording (binance-raw) to a tick file",
    "live_10sym_queue_max": "largest engine queue (batches) over a paced run, 10 symbols, one connection",
    "live_10sym_msgs_per_s": "messages/s one connection sustains for 10 symbols into a consuming engine thread",
}

N_SYMBOLS = 10
PACED_RATE = 3000  # messages/s in the paced run (about 300 per symbol)
MID = 6_000_000  # ticks; bids below it, asks above: the generated books never cross


def _symbols() -> list[str]:
    return [f"S{i:02d}USDT" for i in range(N_SYMBOLS)]


class _Generator:
    """Consecutive Binance messages for several symbols: 1 depth diff : 4 tickers : 3 trades."""

    def __init__(self, symbols: list[str], levels: int = 20, seed: int = 1):
        self.symbols = symbols
        self.rng = random.Random(seed)
        self.u = {s: 1000 for s in symbols}
        self.t = 5000
        self.levels = levels
        self.k = 0

    def _px(self, ticks: int) -> str:
        return f"{ticks // 100}.{ticks % 100:02d}000000"

    def depth(self, s: str) -> bytes:
        rng = self.rng
        half = self.levels // 2
        b = [[self._px(MID - 1 - rng.randrange(60)), f"{rng.randrange(0, 3)}.{rng.randrange(10**5):05d}000"] for _ in range(half)]
        a = [[self._px(MID + 1 + rng.randrange(60)), f"{rng.randrange(0, 3)}.{rng.randrange(10**5):05d}000"] for _ in range(half)]
        first = self.u[s] + 1
        self.u[s] += self.levels
        data = {"e": "depthUpdate", "E": 1_700_000_000_000, "s": s, "U": first, "u": self.u[s], "b": b, "a": a}
        return json.dumps({"stream": f"{s.lower()}@depth@100ms", "data": data}, separators=(",", ":")).encode()

    def next(self) -> bytes:
        self.k += 1
        s = self.symbols[self.k % len(self.symbols)]
        phase = (self.k // len(self.symbols)) % 8
        if phase == 0:
            return self.depth(s)
        if phase < 5:
            data = {"u": self.u[s], "s": s, "b": self._px(MID - 1), "B": "1.00000000", "a": self._px(MID + 1), "A": "2.00000000"}
            return json.dumps({"stream": f"{s.lower()}@bookTicker", "data": data}, separators=(",", ":")).encode()
        self.t += 1
        data = {"e": "trade", "E": 1_700_000_000_000, "s": s, "t": self.t, "p": self._px(MID), "q": "0.01000000", "T": 1_700_000_000_000, "m": bool(self.t & 1), "M": True}
        return json.dumps({"stream": f"{s.lower()}@trade", "data": data}, separators=(",", ":")).encode()

    def snapshot(self, s: str) -> bytes:
        levels = [[self._px(MID - 1 - i), "1.00000000"] for i in range(60)]
        asks = [[self._px(MID + 1 + i), "1.00000000"] for i in range(60)]
        return json.dumps({"lastUpdateId": 1000, "bids": levels, "asks": asks}).encode()


def _depth_apply_us(n: int) -> float:
    from hft_tui.feeds.binance_decode import FeedDecoder, snapshot_message
    from hft_tui.feeds.binance_protocol import MARKETS, EventRuns, Router, stream_names
    from hft_tui.instrument import Instrument

    gen = _Generator(["BTCUSDT"])
    inst = [Instrument("BTCUSDT", "0.01", "0.00001")]
    router = Router(["BTCUSDT"], [stream_names("BTCUSDT", MARKETS["spot"], 100, "trade", True)])
    runs: list[EventRuns] = []
    dec = FeedDecoder(inst, router, False, lambda ev: runs[0].add(ev), lambda s, r: None)
    runs.append(EventRuns(dec.parser))
    dec.feed(snapshot_message("BTCUSDT", gen.snapshot("BTCUSDT")), 1)
    runs[0].take()
    msgs = [gen.depth("BTCUSDT") for _ in range(n)]
    feed = dec.feed
    take = runs[0].take
    clock = time.perf_counter_ns
    times = np.empty(n, dtype=np.int64)
    for i, msg in enumerate(msgs):
        t = clock()
        feed(msg, t)
        take()  # the batch the client hands to the engine's queue
        times[i] = clock() - t
    assert dec.sync.sym[0].resyncs == 0, "the benchmark stream lost sync"
    return float(np.median(times[n // 10 :])) / 1000.0


def _raw_lines_per_s(n: int) -> float:
    import gzip

    from hft_tui.feeds.binance_decode import snapshot_message
    from hft_tui.feeds.binance_raw import convert_binance_raw

    gen = _Generator(["BTCUSDT"], levels=10)
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        path = Path(tmp) / "raw.jsonl.gz"
        lines = [b"1 " + snapshot_message("BTCUSDT", gen.snapshot("BTCUSDT"))]
        warm = Path(tmp) / "warm.jsonl.gz"  # load the kernels before the clock starts
        warm.write_bytes(gzip.compress(lines[0] + b"\n"))
        convert_binance_raw([warm], Path(tmp) / "warm.hft", tick_size="0.01", lot_size="0.00001")
        lines += [b"%d %s" % (2 + i, gen.next()) for i in range(n)]
        path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=6))
        t = time.perf_counter()
        stats = convert_binance_raw([path], Path(tmp) / "out.hft", tick_size="0.01", lot_size="0.00001")
        elapsed = time.perf_counter() - t
    return stats.lines / elapsed


async def _serve(gen: _Generator, rate: float | None, seconds: float) -> None:
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    def http(conn, request):
        if request.path.startswith("/stream"):
            return None
        sym = request.path.split("symbol=")[1].split("&")[0]
        body = gen.snapshot(sym)
        return Response(200, "OK", Headers({"Content-Type": "application/json", "Content-Length": str(len(body))}), body)

    async def handler(ws):
        await asyncio.sleep(0.3)  # the client buffers, fetches snapshots at lastUpdateId 1000
        end = time.monotonic() + seconds
        sent = 0
        t0 = time.monotonic()
        while time.monotonic() < end:
            if rate is None:
                for _ in range(200):
                    await ws.send(gen.next().decode())
                await asyncio.sleep(0)
            else:
                due = int((time.monotonic() - t0) * rate) - sent
                for _ in range(max(due, 0)):
                    await ws.send(gen.next().decode())
                sent += max(due, 0)
                await asyncio.sleep(0.002)
        await ws.close()

    async with serve(handler, "127.0.0.1", 0, process_request=http, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(seconds + 3.0)


def _connection_run(rate: float | None, seconds: float) -> tuple[float, int]:
    """(messages/s received, largest queue seen) for one run against a loopback server."""
    from hft_tui.book import Book
    from hft_tui.feeds.binance_config import LiveConfig
    from hft_tui.feeds.binance_source import BinanceSource
    from hft_tui.instrument import Instrument

    symbols = _symbols()
    # the server in its own process, so that it does not share our GIL
    server = subprocess.Popen(
        [sys.executable, "-m", "hft_tui.bench.live", "serve", str(rate or 0), str(seconds)],
        stdout=subprocess.PIPE,
    )
    port = int(server.stdout.readline())
    cfg = LiveConfig(
        symbols=symbols,
        ws_url=f"ws://127.0.0.1:{port}",
        rest_url=f"http://127.0.0.1:{port}",
        watchdog_s=0,
        ping_interval_s=0,
        reconnect_min_s=5.0,
    )
    source = BinanceSource(cfg, [Instrument(s, "0.01", "0.00001") for s in symbols])
    book = Book(N_SYMBOLS)
    qmax = 0
    source.start()
    t_end = time.monotonic() + seconds + 1.0
    first = last = None
    count0 = count = 0
    next_ui = 0.0
    try:
        while time.monotonic() < t_end:
            ev = source.read(1 << 16, 0.05)
            if len(ev):
                book.apply(ev)
            now = time.monotonic()
            if now < next_ui:
                continue
            next_ui = now + 0.05  # what a UI snapshot reads and shows, 20 times a second
            for sym in range(N_SYMBOLS):
                book.depth(sym, 1, 10)
                book.depth(sym, -1, 10)
            h = source.health()
            qmax = max(qmax, int(h["queue"]))
            if first is None and h["messages"] > 0:
                first, count0 = now, int(h["messages"])
            if first is not None:
                last, count = now, int(h["messages"])
    finally:
        source.stop()
        server.kill()
        server.wait()
    rate_got = (count - count0) / (last - first) if first and last and last > first else 0.0
    return rate_got, qmax


def run(quick: bool) -> dict[str, float]:
    from hft_tui.feeds.binance_kernels import warm_up

    warm_up()
    out = {
        "depth_update_apply_median_us": _depth_apply_us(3_000 if quick else 30_000),
        "binance_raw_lines_per_s": _raw_lines_per_s(20_000 if quick else 300_000),
    }
    seconds = 1.5 if quick else 5.0
    _, qmax = _connection_run(PACED_RATE, seconds)
    out["live_10sym_queue_max"] = float(qmax)
    out["live_10sym_msgs_per_s"], _ = _connection_run(None, seconds)
    return out


if __name__ == "__main__":
    # `python -m hft_tui.bench.live serve RATE SECONDS`: the loopback server of the
    # connection figures (RATE 0: as fast as it can); prints its port.
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        rate = float(sys.argv[2]) or None
        asyncio.run(_serve(_Generator(_symbols()), rate, float(sys.argv[3])))
