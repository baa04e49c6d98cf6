"""Binance market-data protocol: markets, stream names, routing and message parsing.

The one place that knows what Binance messages look like. The live client and
the ``binance-raw`` importer both turn message bytes into events through
:class:`MessageParser`, so a recording re-processed later gives exactly what the
live session gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.feeds.binance_json import (
    ERROR_NAMES,
    H_ERRPOS,
    H_SYM0,
    H_SYM1,
    HDR_LEN,
    K_AGGTRADE,
    K_DEPTH,
    K_SNAPSHOT,
    K_TICKER,
    K_TRADE,
    P_ENVELOPE,
    P_KIND,
    P_LOCAL_TS,
    P_LOT_DEC,
    P_LOT_STEP,
    P_SYM,
    P_TICK_DEC,
    P_TICK_STEP,
    PARAMS_LEN,
    E_EVENT,
)
from hft_tui.feeds.binance_parse import parse_payload
from hft_tui.instrument import Instrument

__all__ = [
    "K_AGGTRADE",
    "K_DEPTH",
    "K_SNAPSHOT",
    "K_TICKER",
    "K_TRADE",
    "MARKETS",
    "Market",
    "EventRuns",
    "MessageParser",
    "ParseError",
    "Router",
    "stream_names",
]


@dataclass(frozen=True)
class Market:
    """Where a Binance market lives and how its depth stream is synchronised."""

    name: str
    ws_url: str
    rest_url: str
    depth_path: str
    info_path: str
    futures: bool  # USD-M futures: diffs carry `pu`, sync rule differs
    default_depth_ms: int  # the speed of the plain `@depth` stream
    max_snapshot_limit: int


MARKETS = {
    "spot": Market(
        "spot",
        "wss://stream.binance.com:9443",
        "https://api.binance.com",
        "/api/v3/depth",
        "/api/v3/exchangeInfo",
        False,
        1000,
        5000,
    ),
    "usdm": Market(
        "usdm",
        "wss://fstream.binance.com",
        "https://fapi.binance.com",
        "/fapi/v1/depth",
        "/fapi/v1/exchangeInfo",
        True,
        250,
        1000,
    ),
}

_STREAM_RE = re.compile(rb'"stream"\s*:\s*"([^"]*)"')

# stream suffix for each kind name in the [live] config
TRADE_KINDS = {"trade": K_TRADE, "aggTrade": K_AGGTRADE}
SNAPSHOT_SUFFIX = "depthSnapshot"  # envelope name of snapshot lines in raw recordings


def market(name: str) -> Market:
    try:
        return MARKETS[name]
    except KeyError:
        raise HftError(f"unknown market {name!r} (known: {', '.join(MARKETS)})") from None


def depth_stream(mkt: Market, speed_ms: int) -> str:
    if speed_ms == mkt.default_depth_ms:
        return "depth"
    return f"depth@{speed_ms}ms"


def stream_names(
    symbol: str, mkt: Market, depth_ms: int, trade_kind: str, ticker: bool
) -> list[tuple[str, int]]:
    """The streams of one symbol with the kind of message each carries."""
    s = symbol.lower()
    names = [(f"{s}@{depth_stream(mkt, depth_ms)}", K_DEPTH)]
    if trade_kind:
        if trade_kind not in TRADE_KINDS:
            raise HftError(f"trade stream must be one of {', '.join(TRADE_KINDS)} or empty")
        names.append((f"{s}@{trade_kind}", TRADE_KINDS[trade_kind]))
    if ticker:
        names.append((f"{s}@bookTicker", K_TICKER))
    return names


class Router:
    """Maps the stream name of a combined-stream message to (symbol index, kind)."""

    def __init__(self, symbols: list[str], names_per_symbol: list[list[tuple[str, int]]]):
        self.routes: dict[bytes, tuple[int, int]] = {}
        for sym, names in enumerate(names_per_symbol):
            for name, kind in names:
                self.routes[name.encode()] = (sym, kind)
            self.routes[f"{symbols[sym].lower()}@{SNAPSHOT_SUFFIX}".encode()] = (sym, K_SNAPSHOT)

    @staticmethod
    def stream_of(msg: bytes) -> bytes | None:
        """The stream name of an enveloped message, or None (control message, garbage)."""
        i = msg.find(b'"stream":"')  # Binance writes no spaces: the fast path
        if i < 0:
            m = _STREAM_RE.search(msg)
            return m.group(1) if m else None
        i += 10
        j = msg.find(b'"', i)
        return msg[i:j] if j > 0 else None

    def route(self, stream: bytes) -> tuple[int, int] | None:
        return self.routes.get(stream)


class ParseError(Exception):
    """A message that could not be read; ``reason`` is one line for the log."""

    def __init__(self, reason: str, unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.unknown = unknown  # valid but of a kind we do not handle (not a parse error)


def grid(step: str) -> tuple[int, int]:
    """(decimals, step in units of 10**-decimals) of a tick or lot size string."""
    d = Decimal(step).normalize()
    dec = max(0, -int(d.as_tuple().exponent))
    return dec, int(d.scaleb(dec))


ARENA_EVENTS = 1 << 16


class MessageParser:
    """Turns message bytes into events for a fixed list of instruments.

    Events are written into an arena (a large event array, replaced by a fresh
    one when full) and ``parse`` returns a view of the message's events there.
    The view stays valid: it is handed on to the engine without a copy, and
    consecutive messages lie side by side, so batches are views too
    (``EventRuns``). ``last`` is the most recent view.
    """

    def __init__(self, instruments: list[Instrument]):
        self.instruments = list(instruments)
        self.params = np.zeros((len(instruments), PARAMS_LEN), dtype=np.int64)
        self.symbols = [inst.symbol.encode() for inst in instruments]
        for sym, inst in enumerate(instruments):
            p = self.params[sym]
            p[P_SYM] = sym
            p[P_TICK_DEC], p[P_TICK_STEP] = grid(inst.tick_size)
            p[P_LOT_DEC], p[P_LOT_STEP] = grid(inst.lot_size)
        self.hdr = np.zeros(HDR_LEN, dtype=np.int64)
        self.arena = np.empty(ARENA_EVENTS, dtype=EVENT_DTYPE)
        self.pos = 0
        self.last: np.ndarray | None = None
        self.last_range: tuple[np.ndarray, int, int] | None = None  # where ``last`` lies

    def parse(
        self, msg: bytes, sym: int, kind: int, local_ts: int, envelope: bool = True
    ) -> np.ndarray:
        """Events of one message; raises ParseError. Fills ``self.hdr`` (ids, times)."""
        p = self.params[sym]
        p[P_KIND] = kind
        p[P_ENVELOPE] = envelope
        p[P_LOCAL_TS] = local_ts
        # every level takes at least 9 bytes of text, so this much room always suffices
        need = len(msg) // 8 + 16
        if self.pos + need > len(self.arena):
            self.arena = np.empty(max(ARENA_EVENTS, need), dtype=EVENT_DTYPE)
            self.pos = 0
        n = parse_payload(msg, p, self.arena, self.pos, self.hdr)
        if n < 0:
            raise ParseError(
                f"{ERROR_NAMES.get(n, 'error')} at byte {int(self.hdr[H_ERRPOS])}",
                unknown=(n == E_EVENT),
            )
        s0 = int(self.hdr[H_SYM0])
        if s0 >= 0 and msg[s0 : int(self.hdr[H_SYM1])] != self.symbols[sym]:
            raise ParseError(
                f"symbol {msg[s0:int(self.hdr[H_SYM1])].decode(errors='replace')} "
                f"on the stream of {self.instruments[sym].symbol}"
            )
        start = self.pos
        self.pos += n
        self.last = view = self.arena[start : self.pos]
        self.last_range = (self.arena, start, self.pos)
        return view


class EventRuns:
    """Gathers the event arrays of successive messages into one batch.

    Views that continue the previous one in the parser's arena extend it (no
    copy); anything else (a buffered diff replayed after a snapshot) starts a
    new piece. ``take`` returns the batch: a view when it is one piece.
    """

    def __init__(self, parser: MessageParser):
        self.parser = parser
        self.parts: list[np.ndarray] = []
        self.n = 0
        self._arena: np.ndarray | None = None
        self._start = 0
        self._end = 0

    def add(self, events: np.ndarray) -> None:
        k = len(events)
        if k == 0:
            return
        p = self.parser
        if events is p.last:
            self.add_range(*p.last_range)
            return
        self._close()
        self.parts.append(events)
        self.n += k

    def add_range(self, arena: np.ndarray, start: int, end: int) -> None:
        """Events ``arena[start:end]``, joined to the current piece when they follow it."""
        if end <= start:
            return
        self.n += end - start
        if arena is self._arena and start == self._end:
            self._end = end
            return
        self._close()
        self._arena, self._start, self._end = arena, start, end

    def _close(self) -> None:
        if self._arena is not None:
            self.parts.append(self._arena[self._start : self._end])
            self._arena = None

    def take(self) -> np.ndarray:
        self._close()
        parts = self.parts
        if len(parts) == 1:
            out = parts[0]
        else:
            out = np.concatenate(parts) if parts else np.zeros(0, dtype=EVENT_DTYPE)
        self.parts = []
        self.n = 0
        return out
