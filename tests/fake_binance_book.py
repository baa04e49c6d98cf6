"""Checking a live ``BinanceSource`` against the fake Binance's true books."""

from __future__ import annotations

import time

import numpy as np

from fake_binance import FakeBinance


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
