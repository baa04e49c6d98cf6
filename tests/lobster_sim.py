"""A small random L3 market written as LOBSTER files, for the importer's tests.

The simulated book is deeper than the N levels written, and like LOBSTER only
the messages that touch the top N levels are written: levels come into view
from beyond the window, their orders having changed while out of view, and the
book before the first message is not in the files. Those are exactly the gaps
the importer has to fill with corrections.
"""

from __future__ import annotations

import random
from pathlib import Path

EMPTY_ASK, EMPTY_BID = 9999999999, -9999999999
TICK = 100  # $0.01 in LOBSTER units (1/10000 dollars)


class L3Book:
    def __init__(self) -> None:
        self.orders: dict[int, list[int]] = {}  # id -> [side, px, size]
        self.levels: dict[int, dict[int, int]] = {1: {}, -1: {}}  # side -> px -> size

    def top(self, side: int, n: int) -> list[tuple[int, int]]:
        prices = sorted(self.levels[side], reverse=side == 1)[:n]
        return [(p, self.levels[side][p]) for p in prices]

    def rank(self, side: int, px: int) -> int:
        """0-based rank of px among the side's prices (as if it were there)."""
        better = [p for p in self.levels[side] if (p > px if side == 1 else p < px)]
        return len(better)

    def change(self, oid: int, side: int, px: int, delta: int) -> None:
        lv = self.levels[side]
        lv[px] = lv.get(px, 0) + delta
        if lv[px] <= 0:
            del lv[px]
        order = self.orders.setdefault(oid, [side, px, 0])
        order[2] += delta
        if order[2] <= 0:
            del self.orders[oid]


def simulate(seed: int, n_messages: int, n_levels: int, warmup: int = 200, halts: bool = True):
    """(messages, orderbook rows): LOBSTER rows as lists of ints/strings."""
    rng = random.Random(seed)
    book = L3Book()
    mid = 5_000_000
    next_id = 1
    t_ns = 34_200 * 10**9
    messages: list[list] = []
    rows: list[list[int]] = []
    step = 0
    while len(messages) < n_messages:
        step += 1
        t_ns += rng.randint(0, 3_000_000)
        best_bid = max(book.levels[1], default=mid - TICK)
        best_ask = min(book.levels[-1], default=mid + TICK)
        r = rng.random()
        side = rng.choice((1, -1))
        if halts and step > warmup and r < 0.01:
            msg = [7, 0, 0, rng.choice((-1, 0, 1)), 0]
            touched = True
        elif r < 0.5 or len(book.orders) < 10:
            # new order: mostly near the touch, sometimes deep, sometimes improving
            depth = rng.choice((0, 0, 1, 1, 2, 3, 5, 8, 12)) if rng.random() < 0.9 else -1
            if side == 1:
                px = min(best_bid - depth * TICK, best_ask - TICK)
            else:
                px = max(best_ask + depth * TICK, best_bid + TICK)
            size = rng.choice((1, 5, 10, 50, 100, 200))
            oid = next_id
            next_id += 1
            touched = book.rank(side, px) < n_levels
            book.change(oid, side, px, size)
            msg = [1, oid, size, px, side]
        elif r < 0.95:
            oid = rng.choice(list(book.orders))
            side, px, size = book.orders[oid]
            touched = book.rank(side, px) < n_levels
            kind = rng.choice((2, 3, 4)) if book.rank(side, px) == 0 else rng.choice((2, 3))
            removed = size if kind == 3 else rng.randint(1, size)
            book.change(oid, side, px, -removed)
            msg = [kind, oid, removed, px, side]
        else:
            px = best_ask if side == -1 else best_bid
            msg = [5, 0, rng.choice((1, 10, 100)), px, side]
            touched = True
        if step <= warmup or not touched:
            continue
        messages.append([f"{t_ns // 10**9}.{t_ns % 10**9:09d}", *msg])
        row: list[int] = []
        asks, bids = book.top(-1, n_levels), book.top(1, n_levels)
        for k in range(n_levels):
            ap, asz = asks[k] if k < len(asks) else (EMPTY_ASK, 0)
            bp, bsz = bids[k] if k < len(bids) else (EMPTY_BID, 0)
            row += [ap, asz, bp, bsz]
        rows.append(row)
    return messages, rows


def write(directory: Path, ticker: str, day: str, messages, rows, n_levels: int) -> tuple[Path, Path]:
    stem = f"{ticker}_{day}_34200000_57600000"
    msg_path = directory / f"{stem}_message_{n_levels}.csv"
    ob_path = directory / f"{stem}_orderbook_{n_levels}.csv"
    msg_path.write_text("".join(",".join(map(str, m)) + "\n" for m in messages))
    ob_path.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return msg_path, ob_path
