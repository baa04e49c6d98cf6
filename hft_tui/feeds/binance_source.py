"""``BinanceSource``: the live feed as a ``Source`` for the engine.

The asyncio client runs in its own thread and appends one event array per
message to a bounded queue; the engine's thread takes them with :meth:`read`,
several messages per batch. If the engine falls behind and the queue fills,
the feed sheds load instead of growing without bound: it drops what it
cannot queue and resyncs every symbol, so the books come back exact (a CLEAR
and a snapshot) as soon as the engine catches up. Dropped events and the queue
length are in :meth:`health`.

Orders never go anywhere from here: live trading is paper trading against the
simulated exchange, which reads the same events.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.feeds.binance_client import BinanceClient
from hft_tui.feeds.binance_config import LiveConfig
from hft_tui.feeds.binance_kernels import warm_up
from hft_tui.feeds.binance_rest import RestClient, resolve_instruments
from hft_tui.feeds.binance_sync import WAITING
from hft_tui.instrument import Instrument

log = logging.getLogger("hft_tui.live")


class BinanceSource:
    realtime = True

    def __init__(
        self,
        cfg: LiveConfig,
        instruments: list[Instrument] | None = None,
        *,
        raw: Callable[[int, bytes], None] | None = None,
    ):
        """``instruments`` default to the config's symbols with tick/lot sizes from
        ``[live.instruments]``, the cache or Binance's exchangeInfo (one request).
        ``raw(local_ns, message)`` receives every message as received (recording)."""
        self.cfg = cfg
        if instruments is None:
            mkt = cfg.market_info
            instruments = resolve_instruments(
                cfg.symbols,
                cfg.instruments,
                RestClient(cfg.rest_base, cfg.rest_timeout_s),
                mkt.info_path,
                mkt.name,
                cfg.exchange_info_ttl_h,
                futures=mkt.futures,
            )
        self.instruments = list(instruments)
        self._queue: deque[np.ndarray] = deque()
        # each queued message's stale bits as they stood when it was queued (bit i: symbol
        # i); the consumer's view of staleness follows the events it has actually read
        self._masks: deque[int] = deque()
        self._read_mask = (1 << len(self.instruments)) - 1
        self._queued_events = 0
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.dropped_events = 0
        self.overloads = 0
        self._shedding = False
        self.client = BinanceClient(cfg, self.instruments, self._put, raw)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_evt: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._seen_client = self._seen_decoder = self._latest_error = ""  # see last_error
        self._stopped = False

    # --- Source protocol -------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), name="binance-feed", daemon=True)
        self._thread.start()
        started.wait(5.0)

    def read(self, max_events: int, timeout: float) -> np.ndarray:
        """Whole messages, at most ``max_events`` events unless one message is larger
        (a snapshot is never split); an empty array if nothing came within ``timeout``."""
        if self._error is not None:
            raise HftError(f"live feed stopped: {self._error}")
        q = self._queue
        if not q:
            self._ready.clear()
            if not q:
                self._ready.wait(timeout)
        parts = []
        n = 0
        while q:
            nxt = q[0]
            if parts and n + len(nxt) > max_events:
                break
            q.popleft()
            self._read_mask = self._masks.popleft()
            parts.append(nxt)
            n += len(nxt)
        with self._lock:
            self._queued_events -= sum(len(p) for p in parts)
        if not parts:
            return np.zeros(0, dtype=EVENT_DTYPE)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    @property
    def last_error(self) -> str:
        """The latest connection, snapshot or message error ("" if none yet): whichever
        of the client's and the decoder's changed last (a connection error of an hour
        ago must not hide the malformed message of now)."""
        if self._error is not None:
            return f"feed thread died: {self._error}"
        client, decoder = self.client.last_error, self.client.decoder.last_error
        if decoder != self._seen_decoder:
            self._seen_decoder, self._latest_error = decoder, decoder
        if client != self._seen_client:
            self._seen_client, self._latest_error = client, client
        return self._latest_error

    def health(self) -> dict[str, float | int | str]:
        h = self.client.health()
        h["queue"] = len(self._queue)
        h["queue_events"] = self._queued_events
        h["queue_max"] = self.cfg.max_queue
        h["dropped_events"] = self.dropped_events
        h["overloads"] = self.overloads
        h["last_error"] = self.last_error
        return h

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        loop, evt = self._loop, self._stop_evt
        if loop is not None and evt is not None:
            try:
                loop.call_soon_threadsafe(evt.set)
            except RuntimeError:
                pass  # loop already closed
        if self._thread is not None:
            self._thread.join(10.0)

    def set_raw_sink(self, raw: Callable[[int, bytes], None] | None) -> None:
        """Where raw messages go (a recorder's ``write_raw``); set before ``start``."""
        self.client.raw = raw

    # --- extras for the engine and the UI ----------------------------------------------------
    def stale(self, sym: int) -> bool:
        """True while ``sym``'s book is not known to be exact (resync, reconnect)."""
        return self.client.decoder.sync.stale(sym)

    def stale_reason(self, sym: int) -> str:
        """Why ``sym`` is stale: the resync's reason, or the connection."""
        st = self.client.decoder.sync.sym[sym]
        if st.state == WAITING:
            return st.last_reason or "waiting for a snapshot"
        return "connection lost"

    def stale_mask(self) -> np.ndarray:
        return np.array([s.stale for s in self.client.decoder.sync.sym], dtype=bool)

    def read_stale(self, sym: int) -> bool:
        """Stale as the consumer should see it: at once when the feed loses a book, but
        exact again only once the events that rebuilt it (a snapshot) have been read.
        The feed clears its flag a moment before it queues those events."""
        return self.client.decoder.sync.stale(sym) or bool(self._read_mask >> sym & 1)

    # --- feed thread --------------------------------------------------------------------------
    def _run(self, started: threading.Event) -> None:
        async def main() -> None:
            warm_up()  # compile before connecting, not inside the read loop
            self._loop = asyncio.get_running_loop()
            self._stop_evt = asyncio.Event()
            started.set()
            if self._stopped:
                return
            await self.client.run(self._stop_evt)

        try:
            asyncio.run(main())
        except Exception as exc:  # surfaced to the engine through read() and health()
            log.exception("live feed thread failed")
            self._error = exc
            self._ready.set()

    def _put(self, events: np.ndarray) -> None:
        """Called on the feed thread with each message's events."""
        if self._shedding:
            if len(self._queue) > self.cfg.max_queue // 2:
                self.dropped_events += len(events)
                return
            # caught up: the books missed events, so every symbol starts over from a snapshot
            self._shedding = False
            for sym in range(len(self.instruments)):
                self.client.decoder.sync.resync(sym, "engine backlog: events were dropped")
        elif len(self._queue) >= self.cfg.max_queue:
            self._shedding = True
            self.overloads += 1
            self.dropped_events += len(events)
            log.warning("engine %d batches behind: dropping events until it catches up", len(self._queue))
            return
        with self._lock:
            self._queued_events += len(events)
        mask = 0
        for i, st in enumerate(self.client.decoder.sync.sym):
            if st.stale:
                mask |= 1 << i
        self._masks.append(mask)  # before the events: read() pops both together
        self._queue.append(events)
        self._ready.set()
