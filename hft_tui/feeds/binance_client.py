"""The Binance WebSocket connection: connect, read, keep alive, reconnect.

One asyncio task owns one combined-stream connection carrying every stream of
every symbol. Each message is stamped with the wall clock as it is taken off
the socket, handed to the raw sink (recording) and to the :class:`FeedDecoder`,
and the resulting events go to ``sink`` as one array per message.

Connection care:

- Pings from the server are answered by the websockets library as frames
  arrive. Our own keepalive pings go through a token bucket (``control_rate``
  per second, Binance allows 5 control frames per second per connection).
- Any drop (error, close frame, the server's 24-hour disconnect, a silent
  connection caught by the watchdog, a lost keepalive) leads to a reconnect
  after an exponential backoff with jitter; the delay resets once a
  connection has stayed up a while. Streams are in the URL, so reconnecting
  resubscribes.
- On a drop every book is marked stale. On the new connection a symbol whose
  first diff continues the old sequence resumes without a snapshot; any other
  symbol resyncs (the gap rule), so no book is ever trusted across a hole.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable

import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from hft_tui.feeds.binance_config import LiveConfig
from hft_tui.feeds.binance_decode import FeedDecoder, snapshot_message
from hft_tui.feeds.binance_protocol import EventRuns, Router, stream_names
from hft_tui.feeds.binance_rest import RestBackoff, RestClient, RestError
from hft_tui.feeds.binance_sync import LIVE
from hft_tui.instrument import Instrument

log = logging.getLogger("hft_tui.live")

STABLE_S = 5.0  # a connection up this long resets the reconnect backoff
QUIET_SNAPSHOT_S = 2.0  # fetch a snapshot for a symbol that sent no diff this long after connect
SNAPSHOT_CONCURRENCY = 2


async def _in_thread(fn, *args):
    """``fn(*args)`` in a daemon thread: a slow REST call never holds up shutdown."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(result, exc) -> None:
        if not fut.done():
            if exc is None:
                fut.set_result(result)
            else:
                fut.set_exception(exc)

    def work() -> None:
        try:
            result, exc = fn(*args), None
        except Exception as e:  # handed to the awaiting task
            result, exc = None, e
        try:
            loop.call_soon_threadsafe(settle, result, exc)
        except RuntimeError:
            pass  # the loop is gone: nobody waits any more

    threading.Thread(target=work, name="binance-rest", daemon=True).start()
    return await fut


class ControlRate:
    """Token bucket for the control frames we send (pings; subscribes if ever needed)."""

    def __init__(self, rate: float, burst: float = 1.0):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.t = time.monotonic()
        self.sent = 0

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
            self.t = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                self.sent += 1
                return
            await asyncio.sleep((1.0 - self.tokens) / self.rate)


def backoff_delay(attempt: int, lo: float, hi: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped at ``hi``."""
    d = min(hi, lo * (2 ** min(attempt, 30)))
    return d / 2 + rng.uniform(0, d / 2)


class BinanceClient:
    def __init__(
        self,
        cfg: LiveConfig,
        instruments: list[Instrument],
        sink: Callable[[np.ndarray], None],
        raw: Callable[[int, bytes], None] | None = None,
        *,
        seed: int | None = None,
    ):
        self.cfg = cfg
        self.instruments = instruments
        self.sink = sink
        self.raw = raw
        mkt = cfg.market_info
        names = [
            stream_names(i.symbol, mkt, cfg.depth_ms, cfg.trade_stream, cfg.book_ticker)
            for i in instruments
        ]
        self.streams = [n for per in names for n, _ in per]
        if len(self.streams) > 1024:
            raise ValueError("Binance allows at most 1024 streams per connection")
        self.url = f"{cfg.ws_base}/stream?streams={'/'.join(self.streams)}"
        router = Router([i.symbol for i in instruments], names)
        self.decoder = FeedDecoder(
            instruments,
            router,
            cfg.futures,
            self._emit,
            self._request_snapshot,
            self._log_sync,
            max_buffer=cfg.max_buffer,
            verify_ticker=cfg.verify_ticker,
        )
        self._runs = EventRuns(self.decoder.parser)
        self.rest = RestClient(cfg.rest_base, cfg.rest_timeout_s)
        self.limiter = ControlRate(cfg.control_rate)
        self.rng = random.Random(seed)
        # feed-health figures (read from other threads: plain ints and floats)
        self.connected = False
        self.connects = 0
        self.reconnects = 0
        self.snapshots = 0
        self.snapshot_errors = 0
        self.last_msg_ns = 0
        self.rate = 0.0  # messages per second, over the last second
        self.last_error = ""
        self.events_out = 0
        self._ws: ClientConnection | None = None
        self._abort_reason = ""  # why we cut the connection ourselves (watchdog, keepalive)
        self._connected_at = 0.0
        self._fetching: set[int] = set()
        self._fetch_attempts = [0] * len(instruments)
        self._sem: asyncio.Semaphore | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- the connection loop -----------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Connect and reconnect until ``stop`` is set."""
        self._stop = stop
        self._sem = asyncio.Semaphore(SNAPSHOT_CONCURRENCY)
        attempt = 0
        housekeeping = self._spawn(self._housekeeping())
        try:
            while not stop.is_set():
                up_since = time.monotonic()
                extra_wait = await self._session()
                if stop.is_set():
                    break
                self.decoder.sync.disconnected()
                self.reconnects += 1
                if time.monotonic() - up_since >= STABLE_S:
                    attempt = 0
                delay = max(extra_wait, backoff_delay(attempt, self.cfg.reconnect_min_s, self.cfg.reconnect_max_s, self.rng))
                attempt += 1
                log.info("reconnecting in %.2f s (%s)", delay, self.last_error)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
        finally:
            housekeeping.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _session(self) -> float:
        """One connection from open to drop; returns an extra delay the server asked for."""
        cfg = self.cfg
        try:
            async with connect(
                self.url,
                open_timeout=cfg.open_timeout_s,
                ping_interval=None,  # our own keepalive, through the control-rate limiter
                close_timeout=2.0,
                max_size=1 << 24,  # snapshots do not come this way, but be generous
                max_queue=1024,
                compression=None,
                user_agent_header="hft-tui",
            ) as ws:
                self._ws = ws
                self.connected = True
                self.connects += 1
                self._connected_at = time.monotonic()
                self.last_msg_ns = time.time_ns()
                log.info("connected to %s (%d streams)", self.cfg.ws_base, len(self.streams))
                keepalive = self._spawn(self._keepalive(ws)) if cfg.ping_interval_s > 0 else None
                stopper = self._spawn(self._close_on_stop(ws))
                try:
                    await self._read(ws)
                finally:
                    stopper.cancel()
                    if keepalive:
                        keepalive.cancel()
        except InvalidStatus as exc:
            code = exc.response.status_code
            self.last_error = f"{cfg.ws_base}: connect refused: HTTP {code}"
            if code in (429, 418):
                retry = exc.response.headers.get("Retry-After")
                return float(retry) if retry and retry.isdigit() else 60.0
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.last_error = f"{cfg.ws_base}: {exc.__class__.__name__}: {exc}".rstrip(": ")
        finally:
            self._ws = None
            self.connected = False
        return 0.0

    async def _read(self, ws: ClientConnection) -> None:
        decoder = self.decoder
        raw = self.raw
        while True:
            try:
                msg = await ws.recv(decode=False)
            except websockets.ConnectionClosed as exc:
                if exc.rcvd is not None:
                    self.last_error = f"closed by server: {exc.rcvd.code} {exc.rcvd.reason}".strip()
                else:
                    self.last_error = self._abort_reason or "connection lost"
                self._abort_reason = ""
                return
            ts = time.time_ns()
            self.last_msg_ns = ts
            if isinstance(msg, str):
                msg = msg.encode()
            if raw is not None:
                raw(ts, msg)
            decoder.feed(msg, ts)
            if self._runs.n:
                self._flush()

    async def _close_on_stop(self, ws: ClientConnection) -> None:
        await self._stop.wait()
        await ws.close(1000, "client stopping")

    # --- keepalive and watchdog --------------------------------------------------------
    async def _keepalive(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.cfg.ping_interval_s)
            await self.limiter.acquire()
            try:
                waiter = await ws.ping()
                await asyncio.wait_for(waiter, self.cfg.ping_timeout_s)
            except TimeoutError:
                self._abort_reason = f"keepalive: no pong within {self.cfg.ping_timeout_s:g} s"
                log.warning(self._abort_reason)
                ws.transport.abort()
                return
            except websockets.ConnectionClosed:
                return

    async def _housekeeping(self) -> None:
        """Every quarter second: message rate, silent-connection watchdog, quiet symbols."""
        last_count = self.decoder.messages
        last_t = time.monotonic()
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            if now - last_t >= 1.0:
                self.rate = (self.decoder.messages - last_count) / (now - last_t)
                last_count, last_t = self.decoder.messages, now
            ws = self._ws
            if ws is None:
                continue
            silent = (time.time_ns() - self.last_msg_ns) / 1e9
            if self.cfg.watchdog_s > 0 and silent > self.cfg.watchdog_s:
                self._abort_reason = f"watchdog: no message for {silent:.1f} s"
                log.warning("%s: reconnecting", self._abort_reason)
                ws.transport.abort()
                continue
            if now - self._connected_at > QUIET_SNAPSHOT_S:
                # a symbol with no diff yet would wait forever for its first buffered diff
                for sym in range(len(self.instruments)):
                    self.decoder.sync.ensure_requested(sym, "no diff yet")

    # --- snapshots --------------------------------------------------------------------------
    def _request_snapshot(self, sym: int, reason: str) -> None:
        if sym in self._fetching or self._stop is None:
            return
        self._fetching.add(sym)
        self._spawn(self._fetch(sym, reason))

    async def _fetch(self, sym: int, reason: str) -> None:
        inst = self.instruments[sym]
        mkt = self.cfg.market_info
        params = {"symbol": inst.symbol, "limit": self.cfg.snapshot_limit}
        try:
            attempts = self._fetch_attempts[sym]
            if attempts:  # a refetch (snapshot too old, failed): give the server a moment
                await asyncio.sleep(min(5.0, 0.1 * 2 ** (attempts - 1)))
            while True:
                async with self._sem:
                    try:
                        body = await _in_thread(self.rest.get, mkt.depth_path, params)
                        break
                    except RestBackoff as exc:
                        wait = exc.seconds
                        self.last_error = exc.reason
                    except RestError as exc:
                        self.snapshot_errors += 1
                        self.last_error = str(exc)
                        wait = min(30.0, 0.5 * 2 ** min(self._fetch_attempts[sym], 6))
                        self._fetch_attempts[sym] += 1
                log.warning("snapshot %s: %s; retrying in %.1f s", inst.symbol, self.last_error, wait)
                await asyncio.sleep(wait)
        finally:
            self._fetching.discard(sym)
        self.snapshots += 1
        msg = snapshot_message(inst.symbol, body)
        ts = time.time_ns()
        if self.raw is not None:
            self.raw(ts, msg)
        self.decoder.feed(msg, ts)
        st = self.decoder.sync.sym[sym]
        self._fetch_attempts[sym] = 0 if st.state == LIVE else self._fetch_attempts[sym] + 1
        if self._runs.n:
            self._flush()

    # --- output ----------------------------------------------------------------------------------
    def _emit(self, events: np.ndarray) -> None:
        self._runs.add(events)

    def _flush(self) -> None:
        """One message's events (views into the parser's arena) to the engine's queue."""
        out = self._runs.take()
        self.events_out += len(out)
        self.sink(out)

    def _log_sync(self, sym: int, message: str) -> None:
        log.warning(message)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- health ----------------------------------------------------------------------------
    def health(self) -> dict[str, float | int | str]:
        sync = self.decoder.sync
        stale = [self.instruments[i].symbol for i, s in enumerate(sync.sym) if s.stale]
        age = (time.time_ns() - self.last_msg_ns) / 1e9 if self.last_msg_ns else -1.0
        lat = (self.last_msg_ns - self.decoder.last_exch_ns) / 1e6 if self.decoder.last_exch_ns else 0.0
        return {
            "feed": f"binance {self.cfg.market}",
            "connected": int(self.connected),
            "msgs_per_s": round(self.rate, 1),
            "last_msg_age_s": round(age, 3),
            "messages": self.decoder.messages,
            "reconnects": self.reconnects,
            "resyncs": sum(s.resyncs for s in sync.sym),
            "gaps": sum(s.gaps for s in sync.sym),
            "crossed": sum(s.crossed for s in sync.sym),
            "parse_errors": self.decoder.parse_errors,
            "unknown": self.decoder.unknown,
            "snapshots": self.snapshots,
            "stale": len(stale),
            "stale_symbols": ",".join(stale),
            "latency_ms": round(lat, 1),
            "pings_sent": self.limiter.sent,
            "last_error": self.last_error or self.decoder.last_error,
        }
