"""The fake Binance's market: true books, and messages in Binance's schema.

Each symbol's true book (integer ticks and lots in dicts) follows a seeded
random process that never crosses: a bid is placed below the best ask, an ask
above the best bid, levels far from the touch are deleted (so a snapshot
always holds the whole book). Every diff advances the update ids and is kept
in ``history`` (the book after each id) for the tests to compare against.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from dataclasses import dataclass, field

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


class FakeMarket:
    def __init__(
        self,
        symbols,
        *,
        futures: bool = False,
        seed: int = 1,
        tick_size: str = "0.01",
        lot_size: str = "0.00001",
        mid: int = 6_000_000,
        max_changes: int = 8,
        history: int = 20000,
        depth_suffix: str | None = None,
    ):
        self.futures = futures
        self.rng = random.Random(seed)
        self.max_changes = max_changes
        self.history_len = history
        self.depth_suffix = depth_suffix or ("depth@0ms" if futures else "depth@100ms")
        self.syms = {s: FakeSymbol(Instrument(s, tick_size, lot_size)) for s in symbols}
        self.trades: dict[str, list[tuple[int, int, int, bool]]] = {s: [] for s in symbols}
        for fs in self.syms.values():
            for d in range(1, 40):
                fs.bids[mid - d] = self.rng.randint(1, 100_000)
                fs.asks[mid + d] = self.rng.randint(1, 100_000)
            self._remember(fs)

    # --- messages ----------------------------------------------------------------------
    def diff(self, name: str, now: int, *, cross: bool = False) -> str:
        """The next depth diff of ``name`` (applied to its true book) as message text.

        ``cross``: add a bid above the best ask that the true book never gets.
        """
        fs = self.syms[name]
        rng = self.rng
        changes: dict[tuple[int, int], int] = {}
        for _ in range(rng.randint(1, self.max_changes)):
            if rng.random() < 0.5:
                px = min(fs.asks, default=max(fs.bids, default=6_000_000) + 2) - 1 - int(rng.expovariate(0.15))
                book, side = fs.bids, 1
            else:
                px = max(fs.bids, default=min(fs.asks, default=6_000_000) - 2) + 1 + int(rng.expovariate(0.15))
                book, side = fs.asks, -1
            qty = 0 if (px in book and rng.random() < 0.35) else rng.randint(1, 100_000)
            if qty:
                book[px] = qty
            else:
                book.pop(px, None)
            changes[(side, px)] = qty
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
        data["b"] = [[self.px(inst, p), self.qty(inst, q)] for (s, p), q in changes.items() if s == 1]
        data["a"] = [[self.px(inst, p), self.qty(inst, q)] for (s, p), q in changes.items() if s == -1]
        if cross and fs.asks:
            data["b"].append([self.px(inst, min(fs.asks) + 5), self.qty(inst, 1)])
        return json.dumps({"stream": self.stream(name, self.depth_suffix), "data": data}, separators=(",", ":"))

    def ticker(self, name: str, now: int, *, bad: bool = False) -> str | None:
        """A book ticker at the current update id (``bad``: its bid size off by one lot)."""
        fs = self.syms[name]
        if not fs.bids or not fs.asks:
            return None
        bb, ba = max(fs.bids), min(fs.asks)
        inst = fs.inst
        data = {"u": fs.last_u, "s": name, "b": self.px(inst, bb), "B": self.qty(inst, fs.bids[bb] + bad),
                "a": self.px(inst, ba), "A": self.qty(inst, fs.asks[ba])}
        if self.futures:
            data = {"e": "bookTicker", **data, "E": now, "T": now}
        return json.dumps({"stream": self.stream(name, "bookTicker"), "data": data})

    def trade(self, name: str, now: int) -> list[tuple[str, str]]:
        """A trade at the touch, as (stream, text) for both the trade and aggTrade streams."""
        fs = self.syms[name]
        if not fs.bids or not fs.asks:
            return []
        fs.trade_id += 1
        maker = self.rng.random() < 0.5
        px = max(fs.bids) if maker else min(fs.asks)
        qty = self.rng.randint(1, 5000)
        self.trades[name].append((fs.trade_id, px, qty, maker))
        inst = fs.inst
        out = []
        for kind in ("trade", "aggTrade"):
            data = {"e": kind, "E": now, "s": name, "p": self.px(inst, px), "q": self.qty(inst, qty),
                    "T": now, "m": maker, "M": True}
            if kind == "trade":
                data["t"] = fs.trade_id
            else:
                data.update(a=fs.trade_id, f=fs.trade_id, l=fs.trade_id)
            stream = self.stream(name, kind)
            out.append((stream, json.dumps({"stream": stream, "data": data})))
        return out

    def snapshot(self, name: str, limit: int, at: int | None = None) -> dict:
        """The REST depth body of the true book now, or at update id ``at``."""
        fs = self.syms[name]
        u = fs.last_u if at is None else at
        bids, asks = (fs.bids, fs.asks) if at is None else fs.history[at]
        body = {
            "lastUpdateId": u,
            "bids": [[self.px(fs.inst, p), self.qty(fs.inst, bids[p])] for p in sorted(bids, reverse=True)[:limit]],
            "asks": [[self.px(fs.inst, p), self.qty(fs.inst, asks[p])] for p in sorted(asks)[:limit]],
        }
        if self.futures:
            now = int(time.time() * 1000)
            body = {"lastUpdateId": u, "E": now, "T": now, "bids": body["bids"], "asks": body["asks"]}
        return body

    def exchange_info(self) -> dict:
        return {"symbols": [_symbol_info(fs.inst) for fs in self.syms.values()]}

    # --- formatting ------------------------------------------------------------------------
    def px(self, inst: Instrument, ticks: int) -> str:
        s = inst.ticks_to_str(ticks)
        return s if self.futures else pad8(s)  # spot writes 8 decimals, futures the tick's

    def qty(self, inst: Instrument, lots: int) -> str:
        s = inst.lots_to_str(lots)
        return s if self.futures else pad8(s)

    @staticmethod
    def stream(name: str, suffix: str) -> str:
        return f"{name.lower()}@{suffix}"

    def _remember(self, fs: FakeSymbol) -> None:
        fs.history[fs.last_u] = (dict(fs.bids), dict(fs.asks))
        fs.order.append(fs.last_u)
        while len(fs.order) > self.history_len:
            del fs.history[fs.order.popleft()]


def pad8(s: str) -> str:
    whole, _, frac = s.partition(".")
    return f"{whole}.{frac.ljust(8, '0')}"


def _symbol_info(inst: Instrument) -> dict:
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": pad8(inst.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.0", "stepSize": pad8(inst.lot_size)},
        ],
    }
