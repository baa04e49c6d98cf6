"""From received Binance messages to the events the engine gets, in order.

:class:`FeedDecoder` routes each message by its stream name, parses it and
passes depth diffs and snapshots through the sync state machine. The live
client calls it for every message off the socket and for every REST snapshot
(wrapped as a ``<symbol>@depthSnapshot`` message, the line the raw recording
holds); the ``binance-raw`` importer calls it for every line of a recording. So
both produce the same events from the same messages.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hft_tui.events import EVENT_DTYPE
from hft_tui.feeds.binance_json import H_FIRST, H_LAST, H_PREV
from hft_tui.feeds.binance_protocol import (
    K_DEPTH,
    K_SNAPSHOT,
    K_TICKER,
    SNAPSHOT_SUFFIX,
    MessageParser,
    ParseError,
    Router,
)
from hft_tui.feeds.binance_sync import DepthSync
from hft_tui.instrument import Instrument

# outcome of FeedDecoder.feed, for callers that count or report
OK = 0
CONTROL = 1  # a reply to a control message ({"result":..,"id":..})
UNKNOWN = 2  # a stream or event type we do not handle
BAD = 3  # malformed: counted and skipped


def snapshot_message(symbol: str, body: bytes) -> bytes:
    """A REST depth snapshot body as the message the decoder and the raw recording take."""
    return b'{"stream":"%s@%s","data":%s}' % (
        symbol.lower().encode(),
        SNAPSHOT_SUFFIX.encode(),
        body.strip(),
    )


class FeedDecoder:
    """Messages in, events out (through ``emit``); the one path for live and import.

    ``emit`` gets views into the parser's arena (they stay valid; ``EventRuns``
    joins neighbours) or, for diffs buffered during a resync, copies.
    ``futures=None`` decides the sync rule from the first diff (for recordings).
    """

    def __init__(
        self,
        instruments: list[Instrument],
        router: Router,
        futures: bool | None,
        emit: Callable[[np.ndarray], None],
        request_snapshot: Callable[[int, str], None],
        log: Callable[[int, str], None] | None = None,
        *,
        max_buffer: int = 4096,
        verify_ticker: bool = False,
    ):
        self.router = router
        self.parser = MessageParser(instruments)
        self.sync = DepthSync(
            [i.symbol for i in instruments],
            futures,
            emit,
            request_snapshot,
            log,
            max_buffer=max_buffer,
            verify_ticker=verify_ticker,
        )
        self.emit = emit
        self.last_error = ""
        self.messages = 0
        self.parse_errors = 0
        self.unknown = 0
        self.last_exch_ns = 0  # exchange time of the last market message

    def feed(self, msg: bytes, local_ns: int) -> int:
        """Process one message received at ``local_ns``; returns OK, CONTROL, UNKNOWN or BAD."""
        self.messages += 1
        stream = Router.stream_of(msg)
        if stream is None:
            return self._unrouted(msg)
        route = self.router.route(stream)
        if route is None:
            self.unknown += 1
            self.last_error = f"unknown stream {stream[:64].decode(errors='replace')}"
            return UNKNOWN
        sym, kind = route
        parser = self.parser
        try:
            events = parser.parse(msg, sym, kind, local_ns)
        except ParseError as exc:
            self.last_error = f"{stream.decode(errors='replace')}: {exc.reason}"
            if exc.unknown:
                self.unknown += 1
                return UNKNOWN
            self.parse_errors += 1
            if kind == K_SNAPSHOT:
                self.sync.snapshot_failed(sym, exc.reason)
            return BAD
        hdr = parser.hdr
        if kind == K_DEPTH:
            if self.sync.futures is None:  # a recording: USD-M diffs carry pu, spot ones do not
                self.sync.futures = bool(hdr[H_PREV] >= 0)
            self.sync.on_diff(sym, int(hdr[H_FIRST]), int(hdr[H_LAST]), int(hdr[H_PREV]), events)
        elif kind == K_SNAPSHOT:
            self.sync.on_snapshot(sym, int(hdr[H_LAST]), events)
        else:
            if kind == K_TICKER and self.sync.verify_ticker:
                self.sync.on_ticker(
                    sym,
                    int(hdr[H_LAST]),
                    int(events[0]["px"]),
                    int(events[0]["qty"]),
                    int(events[1]["px"]),
                    int(events[1]["qty"]),
                )
            self.emit(events)
        if len(events):
            self.last_exch_ns = int(events[0]["exch_ts"])
        return OK

    def _unrouted(self, msg: bytes) -> int:
        """A message without a stream name: a control reply, or garbage."""
        head = msg[:200].lstrip()
        if head.startswith(b"{") and b'"id"' in head and (b'"result"' in head or b'"error"' in head):
            if b'"error"' in head:
                self.last_error = f"control error: {head.decode(errors='replace')}"
            return CONTROL
        self.parse_errors += 1
        self.last_error = f"message without a stream name: {head[:60].decode(errors='replace')!r}"
        return BAD


def empty_events() -> np.ndarray:
    return np.zeros(0, dtype=EVENT_DTYPE)

