"""A fake Binance on 127.0.0.1 for the live-feed tests.

One port serves both the combined-stream WebSocket (``/stream?streams=...``)
and a minimal HTTP responder (websockets' ``process_request`` hook) for depth
snapshots and exchangeInfo, spot (``/api/v3``) or USD-M (``/fapi/v1``) style.

Each symbol has a true book (integer ticks and lots in dicts) driven by a
seeded random process that never crosses; every generated diff is applied to
the true book and broadcast with the real message schema, followed by a book
ticker at the same update id and now and then a trade. ``history`` keeps the
true book after each update id so tests can compare the client's book at any
id it reports.

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
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import numpy as np

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from hft_tui.instrument import Instrument


@dataclass
class FakeSymbol:
    inst: Instrument
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    last_u: int = 1000
    trade_id: int = 5000
    history: dict[int, tuple[dict, dict]] = field(default_factory=dict)
    order: deque = field(default_factory=deque)  # history keys, oldest first


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
        self.futures = futures
        self.rng = random.Random(seed)
        self.interval = interval
        self.max_changes = max_changes
        self.history_len = history
        self.ping_interval = ping_interval
        self.depth_suffix = depth_suffix or ("depth@0ms" if futures else "depth@100ms")
        self.syms = {s: FakeSymbol(Instrument(s, tick_size, lot_size)) for s in symbols}
        for fs in self.syms.values():
            for d in range(1, 40):
                fs.bids[mid - d] = self.rng.randint(1, 100_000)
                fs.asks[mid + d] = self.rng.randint(1, 100_000)
            self._remember(fs)
        self.conns: list[Conn] = []
        self.connections = 0  # accepted WebSocket connections so far
        self.snapshot_requests = 0
        self.info_requests = 0
        self.sent = 0
        self.trades: dict[str, list[tuple[int, int, int, bool]]] = {s: [] for s in symbols}
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
        cut = '{"stream":"%s","data":{"e":"depthUpdate","E":1,"s":"%s","U":' % (self._stream(sym, self.depth_suffix), sym)
        self._call(self._broadcast_raw, cut, None)

    def unknown(self) -> None:
        """Two unknown messages: an unsubscribed stream and an unknown event type."""
        sym = next(iter(self.syms))
        msg = {"stream": f"{sym.lower()}@kline_1m", "data": {"e": "kline", "E": 1, "s": sym}}
        self._call(self._broadcast_raw, json.dumps(msg), None)
        msg = {"stream": self._stream(sym, self.depth_suffix), "data": {"e": "weird", "E": 1, "s": sym}}
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
        for name, fs in self.syms.items():
            self._diff(name, fs, now)
        if self.max_age is not None:
            for c in list(self.conns):
                if time.monotonic() - c.opened > self.max_age and not c.ws.close_code:
                    asyncio.ensure_future(c.ws.close(1001, "24h connection limit (fake)"))

    def _diff(self, name: str, fs: FakeSymbol, now: int) -> None:
        rng = self.rng
        changes: dict[tuple[int, int], int] = {}
        for _ in range(rng.randint(1, self.max_changes)):
            if rng.random() < 0.5:
                best_ask = min(fs.asks) if fs.asks else max(fs.bids, default=6_000_000) + 2
                px = best_ask - 1 - int(rng.expovariate(0.15))
                book, side = fs.bids, 1
            else:
                best_bid = max(fs.bids) if fs.bids else min(fs.asks, default=6_000_000) - 2
                px = best_bid + 1 + int(rng.expovariate(0.15))
                book, side = fs.asks, -1
            qty = 0 if (px in book and rng.random() < 0.35) else rng.randint(1, 100_000)
            if qty:
                book[px] = qty
            else:
                book.pop(px, None)
            changes[(side, px)] = qty
        # keep the book bounded (and wholly inside a snapshot): drop far levels
        for book, side, best in ((fs.bids, 1, max(fs.bids, default=0)), (fs.asks, -1, min(fs.asks, default=0))):
            for px in [p for p in book if abs(p - best) > 60]:
                del book[px]
                changes[(side, px)] = 0
        first = fs.last_u + 1
        last = first + len(changes) - 1 + rng.randint(0, 2)
        prev = fs.last_u
        fs.last_u = last
        self._remember(fs)
        data = {"e": "depthUpdate", "E": now, "s": name, "U": first, "u": last}
        if self.futures:
            data["T"] = now
            data["pu"] = prev
        inst = fs.inst
        data["b"] = [[self._px(inst, p), self._qty(inst, q)] for (s, p), q in changes.items() if s == 1]
        data["a"] = [[self._px(inst, p), self._qty(inst, q)] for (s, p), q in changes.items() if s == -1]
        if name in self._cross and fs.asks:
            # a bid above the best ask: the true book never sees it, the client must resync
            self._cross.discard(name)
            data["b"] = data["b"] + [[self._px(inst, min(fs.asks) + 5), self._qty(inst, 1)]]
        depth = json.dumps({"stream": self._stream(name, self.depth_suffix), "data": data}, separators=(",", ":"))
        self._send_depth(name, depth)
        self._ticker(name, fs, now)
        if rng.random() < 0.3:
            self._trade(name, fs, now)

    def _send_depth(self, name: str, msg: str) -> None:
        if self._skip.get(name):
            self._skip[name] -= 1
            return
        if name in self._swap:
            self._swap.discard(name)
            self._held[name] = msg
            return
        self._broadcast_raw(msg, self._stream(name, self.depth_suffix))
        if name in self._held:
            self._broadcast_raw(self._held.pop(name), self._stream(name, self.depth_suffix))
        if name in self._dup:
            self._dup.discard(name)
            self._broadcast_raw(msg, self._stream(name, self.depth_suffix))

    def _ticker(self, name: str, fs: FakeSymbol, now: int) -> None:
        if not fs.bids or not fs.asks:
            return
        bb, ba = max(fs.bids), min(fs.asks)
        inst = fs.inst
        bq = fs.bids[bb] + (1 if name in self._bad_ticker else 0)
        self._bad_ticker.discard(name)
        data = {"u": fs.last_u, "s": name, "b": self._px(inst, bb), "B": self._qty(inst, bq),
                "a": self._px(inst, ba), "A": self._qty(inst, fs.asks[ba])}
        if self.futures:
            data = {"e": "bookTicker", **data, "E": now, "T": now}
        self._broadcast_raw(json.dumps({"stream": self._stream(name, "bookTicker"), "data": data}), self._stream(name, "bookTicker"))

    def _trade(self, name: str, fs: FakeSymbol, now: int) -> None:
        if not fs.bids or not fs.asks:
            return
        fs.trade_id += 1
        maker = self.rng.random() < 0.5
        px = max(fs.bids) if maker else min(fs.asks)
        qty = self.rng.randint(1, 5000)
        self.trades[name].append((fs.trade_id, px, qty, maker))
        inst = fs.inst
        for kind in ("trade", "aggTrade"):
            data = {"e": kind, "E": now, "s": name, "p": self._px(inst, px), "q": self._qty(inst, qty), "T": now, "m": maker, "M": True}
            if kind == "trade":
                data["t"] = fs.trade_id
            else:
                data.update(a=fs.trade_id, f=fs.trade_id, l=fs.trade_id)
            stream = self._stream(name, kind)
            self._broadcast_raw(json.dumps({"stream": stream, "data": data}), stream)

    def _remember(self, fs: FakeSymbol) -> None:
        fs.history[fs.last_u] = (dict(fs.bids), dict(fs.asks))
        fs.order.append(fs.last_u)
        while len(fs.order) > self.history_len:
            del fs.history[fs.order.popleft()]

    # --- formatting ----------------------------------------------------------------------
    def _px(self, inst: Instrument, ticks: int) -> str:
        s = inst.ticks_to_str(ticks)
        return s if self.futures else _pad8(s)

    def _qty(self, inst: Instrument, lots: int) -> str:
        s = inst.lots_to_str(lots)
        return s if self.futures else _pad8(s)

    @staticmethod
    def _stream(name: str, suffix: str) -> str:
        return f"{name.lower()}@{suffix}"

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
            async for _ in ws:  # nothing expected from the client; keep the connection read
                pass
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
        if url.path == "/stream":
            return None  # the WebSocket handshake
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path in ("/api/v3/depth", "/fapi/v1/depth"):
            self.snapshot_requests += 1
            if self.http_errors:
                code = self.http_errors.pop(0)
                return _response(code, {"code": -1003, "msg": "fake error"}, {"Retry-After": "1"})
            fs = self.syms.get(q.get("symbol", ""))
            if fs is None:
                return _response(400, {"code": -1121, "msg": "Invalid symbol."})
            body = self._snapshot(fs, int(q.get("limit", 100)))
            if self.snapshot_delay:
                await asyncio.sleep(self.snapshot_delay)
            return _response(200, body, {"X-MBX-USED-WEIGHT-1M": str(10 * self.snapshot_requests)})
        if url.path in ("/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo"):
            self.info_requests += 1
            return _response(200, {"symbols": [_symbol_info(fs.inst) for fs in self.syms.values()]})
        return _response(404, {"code": -1, "msg": "not found"})

    def _snapshot(self, fs: FakeSymbol, limit: int) -> dict:
        u = fs.last_u
        bids, asks = fs.bids, fs.asks
        old = self._old_snapshot.pop(fs.inst.symbol, None)
        if old is not None:
            u = old
            bids, asks = fs.history[u]
        body = {
            "lastUpdateId": u,
            "bids": [[self._px(fs.inst, p), self._qty(fs.inst, bids[p])] for p in sorted(bids, reverse=True)[:limit]],
            "asks": [[self._px(fs.inst, p), self._qty(fs.inst, asks[p])] for p in sorted(asks)[:limit]],
        }
        if self.futures:
            now = int(time.time() * 1000)
            body = {"lastUpdateId": u, "E": now, "T": now, "bids": body["bids"], "asks": body["asks"]}
        return body


def _pad8(s: str) -> str:
    whole, _, frac = s.partition(".")
    return f"{whole}.{frac.ljust(8, '0')}"


def _symbol_info(inst: Instrument) -> dict:
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": _pad8(inst.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.0", "stepSize": _pad8(inst.lot_size)},
        ],
    }


def _response(status: int, body: dict, headers: dict | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    h = Headers({"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"})
    for k, v in (headers or {}).items():
        h[k] = v
    return Response(status, "OK" if status == 200 else "Error", h, data)


class BookChecker:
    """Reads a ``BinanceSource`` and checks its events against the fake's true books.

    Keeps a reference book per symbol from the events; after every message that
    touched a book (its events carry the update id in ``order_id``) the book
    must equal the fake's true book at that id. Trades are collected in order.
    """

    def __init__(self, source, fake: FakeBinance):
        from hft_tui.reference import ReferenceBook

        self.source = source
        self.fake = fake
        self.names = [i.symbol for i in source.instruments]
        self.ref = ReferenceBook(len(self.names))
        self.last_u = [-1] * len(self.names)
        self.trades: list[list[tuple[int, int, int, int]]] = [[] for _ in self.names]
        self.checked = 0
        self.mismatches: list[str] = []
        self.events = 0

    def book(self, sym: int) -> tuple[dict, dict]:
        from hft_tui.events import ASK, BID

        bids = dict(zip(*(a.tolist() for a in self.ref.depth(sym, BID, 1 << 20))))
        asks = dict(zip(*(a.tolist() for a in self.ref.depth(sym, ASK, 1 << 20))))
        return bids, asks

    def pump(self, timeout: float = 0.05) -> int:
        from hft_tui.events import CLEAR, EOM, LEVEL, TRADE

        ev = self.source.read(1 << 16, timeout)
        self.events += len(ev)
        start = 0
        for end in (np.flatnonzero(ev["flags"] & EOM) + 1).tolist():
            msg = ev[start:end]
            start = end
            last = msg[-1]
            sym = int(last["sym"])
            kind = int(last["kind"])
            if kind == TRADE:
                self.trades[sym].append((int(last["order_id"]), int(last["px"]), int(last["qty"]), int(last["side"])))
                continue
            self.ref.apply(msg)
            if kind not in (LEVEL, CLEAR):
                continue
            u = int(last["order_id"])
            self.last_u[sym] = u
            truth = self.fake.true_book(self.names[sym], u)
            if truth is None:
                continue  # older than the fake's history
            self.checked += 1
            if self.book(sym) != truth:
                self.mismatches.append(f"{self.names[sym]} at u={u}")
        assert start == len(ev), "batch does not end on a message boundary"
        return len(ev)

    def until(self, pred, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.02)
            if pred():
                return True
        return False

    def caught_up(self) -> bool:
        return all(
            self.last_u[i] == self.fake.last_u(name) and not self.source.stale(i)
            for i, name in enumerate(self.names)
        )

    def sync(self, timeout: float = 10.0) -> bool:
        """Step the fake (manual mode) until every book is live and at the fake's last id."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.until(self.caught_up, 0.3):
                return True
            self.fake.step()
        return False
