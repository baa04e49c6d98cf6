"""A fake Binance on 127.0.0.1 for the live-feed tests.

One port serves both the combined-stream WebSocket (``/stream?streams=...``)
and a minimal HTTP responder (websockets' ``process_request`` hook) for depth
snapshots and exchangeInfo, spot (``/api/v3``) or USD-M (``/fapi/v1``) style.

The market itself (true books, message schema) is ``fake_binance_market``:
every generated diff is applied to the true book and broadcast, followed by a
book ticker at the same update id and now and then a trade; the true book
after each update id stays available (``true_book(symbol, u)``) so tests can
compare the client's book at any id it reports.

Generation runs by itself every ``interval`` seconds, or only on ``step()``
when ``interval`` is None (deterministic tests). Faults are injected on
command: drop the connection (clean close or abrupt), skip update ids, send a
diff twice or two diffs swapped, send a crossing diff, malformed JSON, unknown
streams and event types, go silent, answer snapshots slowly, with an old
snapshot or with an HTTP error, and close connections after a maximum age (the
24-hour disconnect, in seconds).

The server runs its own asyncio loop in a thread; every public method is
thread-safe.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from fake_binance_market import FakeMarket

from hft_tui.instrument import Instrument


@dataclass
class Conn:
    ws: ServerConnection
    streams: set[str]
    queue: asyncio.Queue
    muted: bool = False
    opened: float = field(default_factory=time.monotonic)


class FakeBinance:
    def __init__(
        self,
        symbols=("BTCUSDT", "ETHUSDT"),
        *,
        futures: bool = False,
        seed: int = 1,
        interval: float | None = 0.02,
        tick_size: str = "0.01",
        lot_size: str = "0.00001",
        mid: int = 6_000_000,
        max_changes: int = 8,
        history: int = 20000,
        ping_interval: float | None = None,
        depth_suffix: str | None = None,
    ):
        self.market = FakeMarket(
            symbols, futures=futures, seed=seed, tick_size=tick_size, lot_size=lot_size,
            mid=mid, max_changes=max_changes, history=history, depth_suffix=depth_suffix,
        )
        self.futures = futures
        self.syms = self.market.syms
        self.trades = self.market.trades
        self.interval = interval
        self.ping_interval = ping_interval
        self.conns: list[Conn] = []
        self.connections = 0  # accepted WebSocket connections so far
        self.snapshot_requests = 0
        self.info_requests = 0
        self.http_paths: list[str] = []  # every HTTP request's path, handshakes included
        self.client_messages: list = []  # whatever a client sent on a WebSocket
        self.sent = 0
        # pending faults
        self._skip: dict[str, int] = {}
        self._dup: set[str] = set()
        self._swap: set[str] = set()
        self._held: dict[str, str] = {}
        self._cross: set[str] = set()
        self._bad_ticker: set[str] = set()
        self.snapshot_delay = 0.0
        self._old_snapshot: dict[str, int] = {}
        self.http_errors: list[int] = []
        self.max_age: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> FakeBinance:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("fake Binance did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_evt.set)
            self._thread.join(5)

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def instruments(self) -> list[Instrument]:
        return [fs.inst for fs in self.syms.values()]

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_evt = asyncio.Event()
        async with serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._http,
            ping_interval=self.ping_interval,
            ping_timeout=None if self.ping_interval is None else max(1.0, self.ping_interval),
            compression=None,
        ) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            gen = asyncio.create_task(self._generate()) if self.interval else None
            await self._stop_evt.wait()
            if gen:
                gen.cancel()
            for c in list(self.conns):
                c.ws.transport.abort()

    # --- thread-safe controls -------------------------------------------------------------
    def _call(self, fn, *args):
        """Run ``fn(*args)`` on the server loop and wait for it."""
        done = threading.Event()
        out = []

        def run():
            out.append(fn(*args))
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(5)
        return out[0] if out else None

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self._call(self._step)

    def skip(self, symbol: str, n: int = 1) -> None:
        self._call(self._skip.__setitem__, symbol, n)

    def duplicate(self, symbol: str) -> None:
        self._call(self._dup.add, symbol)

    def out_of_order(self, symbol: str) -> None:
        self._call(self._swap.add, symbol)

    def crossed(self, symbol: str) -> None:
        self._call(self._cross.add, symbol)

    def bad_ticker(self, symbol: str) -> None:
        """The next book ticker of ``symbol`` disagrees with the book at its update id."""
        self._call(self._bad_ticker.add, symbol)

    def old_snapshot(self, symbol: str) -> None:
        """The next snapshot of ``symbol`` shows the book as it is now, however late it is asked."""
        self._call(lambda: self._old_snapshot.__setitem__(symbol, self.syms[symbol].last_u))

    def malformed(self) -> None:
        """Two bad messages: not JSON at all, and a real diff cut in half (ids not consumed)."""
        sym = next(iter(self.syms))
        self._call(self._broadcast_raw, "{not json", None)
        cut = '{"stream":"%s","data":{"e":"depthUpdate","E":1,"s":"%s","U":' % (self.market.stream(sym, self.market.depth_suffix), sym)
        self._call(self._broadcast_raw, cut, None)

    def unknown(self) -> None:
        """Two unknown messages: an unsubscribed stream and an unknown event type."""
        sym = next(iter(self.syms))
        msg = {"stream": f"{sym.lower()}@kline_1m", "data": {"e": "kline", "E": 1, "s": sym}}
        self._call(self._broadcast_raw, json.dumps(msg), None)
        msg = {"stream": self.market.stream(sym, self.market.depth_suffix), "data": {"e": "weird", "E": 1, "s": sym}}
        self._call(self._broadcast_raw, json.dumps(msg), None)

    def silent(self) -> None:
        """Stop sending on the open connections (they stay open and answer pings)."""
        self._call(self._mute)

    def drop(self, clean: bool = False) -> None:
        self._call(self._drop, clean)

    def connected(self) -> int:
        return self._call(lambda: sum(1 for c in self.conns if not c.muted))

    def wait_connections(self, n: int, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.connections >= n and self.connected() > 0:
                return True
            time.sleep(0.01)
        return False

    def true_book(self, symbol: str, u: int | None = None) -> tuple[dict, dict]:
        fs = self.syms[symbol]
        if u is None:
            return self._call(lambda: (dict(fs.bids), dict(fs.asks)))
        return self._call(lambda: fs.history.get(u))

    def last_u(self, symbol: str) -> int:
        return self._call(lambda: self.syms[symbol].last_u)

    # --- generation ------------------------------------------------------------------
    async def _generate(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._step()

    def _step(self) -> None:
        now = int(time.time() * 1000)
        for name in self.syms:
            self._diff(name, now)
        if self.max_age is not None:
            for c in list(self.conns):
                if time.monotonic() - c.opened > self.max_age and not c.ws.close_code:
                    asyncio.ensure_future(c.ws.close(1001, "24h connection limit (fake)"))

    def _diff(self, name: str, now: int) -> None:
        m = self.market
        cross = name in self._cross
        self._cross.discard(name)
        self._send_depth(name, m.diff(name, now, cross=cross))
        bad = name in self._bad_ticker
        self._bad_ticker.discard(name)
        ticker = m.ticker(name, now, bad=bad)
        if ticker:
            self._broadcast_raw(ticker, m.stream(name, "bookTicker"))
        if m.rng.random() < 0.3:
            for stream, msg in m.trade(name, now):
                self._broadcast_raw(msg, stream)

    def _send_depth(self, name: str, msg: str) -> None:
        stream = self.market.stream(name, self.market.depth_suffix)
        if self._skip.get(name):
            self._skip[name] -= 1
            return
        if name in self._swap:
            self._swap.discard(name)
            self._held[name] = msg
            return
        self._broadcast_raw(msg, stream)
        if name in self._held:
            self._broadcast_raw(self._held.pop(name), stream)
        if name in self._dup:
            self._dup.discard(name)
            self._broadcast_raw(msg, stream)

    # --- sending -----------------------------------------------------------------------------------
    def _broadcast_raw(self, msg: str, stream: str | None) -> None:
        for c in self.conns:
            if not c.muted and (stream is None or stream in c.streams):
                c.queue.put_nowait(msg)
                self.sent += 1

    def _mute(self) -> None:
        for c in self.conns:
            c.muted = True

    def _drop(self, clean: bool) -> None:
        for c in list(self.conns):
            c.muted = True
            if clean:
                asyncio.ensure_future(c.ws.close(1001, "going away"))
            else:
                c.ws.transport.abort()

    async def _handler(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        streams = set(query.get("streams", [""])[0].split("/")) - {""}
        conn = Conn(ws, streams, asyncio.Queue())
        self.conns.append(conn)
        self.connections += 1
        writer = asyncio.create_task(self._writer(conn))
        try:
            async for msg in ws:  # nothing expected from the client; kept for the tests to see
                self.client_messages.append(msg)
        except Exception:
            pass
        finally:
            writer.cancel()
            self.conns.remove(conn)

    async def _writer(self, conn: Conn) -> None:
        while True:
            msg = await conn.queue.get()
            if conn.muted:
                continue
            try:
                await conn.ws.send(msg)
            except Exception:
                return

    # --- HTTP -------------------------------------------------------------------------------------
    async def _http(self, conn: ServerConnection, request) -> Response | None:
        url = urlsplit(request.path)
        self.http_paths.append(url.path)
        if url.path == "/stream":
            return None  # the WebSocket handshake
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path in ("/api/v3/depth", "/fapi/v1/depth"):
            self.snapshot_requests += 1
            if self.http_errors:
                code = self.http_errors.pop(0)
                return _response(code, {"code": -1003, "msg": "fake error"}, {"Retry-After": "1"})
            name = q.get("symbol", "")
            if name not in self.syms:
                return _response(400, {"code": -1121, "msg": "Invalid symbol."})
            body = self._snapshot(name, int(q.get("limit", 100)))
            if self.snapshot_delay:
                await asyncio.sleep(self.snapshot_delay)
            return _response(200, body, {"X-MBX-USED-WEIGHT-1M": str(10 * self.snapshot_requests)})
        if url.path in ("/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo"):
            self.info_requests += 1
            return _response(200, self.market.exchange_info())
        return _response(404, {"code": -1, "msg": "not found"})

    def _snapshot(self, name: str, limit: int) -> dict:
        return self.market.snapshot(name, limit, at=self._old_snapshot.pop(name, None))


def _response(status: int, body: dict, headers: dict | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    h = Headers({"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"})
    for k, v in (headers or {}).items():
        h[k] = v
    return Response(status, "OK" if status == 200 else "Error", h, data)

