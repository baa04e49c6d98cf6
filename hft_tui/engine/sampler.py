"""The engine's event-time grids: equity samples (and the risk manager's post-trade
watch) every ``sample_ms``, mid rows for markouts every ``markout_ms``.

The engine stops the exchange runner at each sample time (it is part of the
runner's deadline), so a sample holds the book and the P&L exactly as they
stood at that time, whatever the batch sizes. The mid grid needs the book only:
the runner records it itself, without a stop (``runner.drive``), and
``after_run`` moves its rows to the recorder, in time order, with the values a
stop would have given, and moves the engine's clock to the last of them as that
stop would have.

The stale-feed watch gets, per symbol, the feed time of the last message on
that symbol (the tape keeps them); a symbol with no message yet counts from
the start (or the seek target), so one that never ticks also turns stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hft_tui.engine.clock import NO_DEADLINE
from hft_tui.engine.exchange_link import NO_PX
from hft_tui.engine.mids import MidRecorder

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine


def _mid(bid: int, ask: int) -> float | None:
    return None if bid == NO_PX or ask == NO_PX else (bid + ask) * 0.5


class Sampler:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.sample_ns = int(engine.settings.sample_ms * 1_000_000)
        self.mid_ns = int(engine.settings.markout_ms * 1_000_000)
        self.next_sample = NO_DEADLINE
        self.next_mid = NO_DEADLINE
        #: the earlier of the two: the runner's deadline
        self.next = NO_DEADLINE
        self.start_ts = 0
        self.mids_rec = MidRecorder(engine.n_syms, 1_000_000 if engine.source.realtime else None)

    def start(self, now: int) -> None:
        self.start_ts = now
        self.e.tape.forget_feed_times()  # a seek: they belong to another stretch
        self.next_sample = now - now % self.sample_ns + self.sample_ns
        self.next_mid = now - now % self.mid_ns + self.mid_ns
        self.next = min(self.next_sample, self.next_mid)
        xl = self.e.xl
        xl.mid_ns = self.mid_ns
        xl.grid[0] = self.next_mid
        xl.grid[1] = 0  # rows of before a seek: gone

    def first(self, now: int) -> None:
        """The run's first equity sample, at its start (equity 0): the report's period,
        increments and drawdowns count from there, not from the first grid time."""
        pf = self.e.portfolio
        pf.mark(self.mids())
        pf.sample(now)

    def after_run(self) -> None:
        """Take the mid rows the runner recorded (call after every ``xl.run``)."""
        grid = self.e.xl.grid
        k = grid.item(1)
        if not k:
            return
        n = self.e.n_syms
        width = 1 + 2 * n
        rows = grid[2 : 2 + k * width].tolist()
        grid[1] = 0
        add = self.mids_rec.add
        for r in range(0, k * width, width):
            add(rows[r], [_mid(b, a) for b, a in zip(rows[r + 1 : r + width : 2], rows[r + 2 : r + width : 2])])
        self.next_mid = grid.item(0)
        self.next = min(self.next_sample, self.next_mid)
        # A stop at a grid time would have moved the engine's clock to it. Feed times
        # need not grow (recorded local times jitter): keep that, or the clock differs.
        last = rows[k * width - width]
        if last > self.e.now:
            self.e.now = last

    def mids(self) -> list[float | None]:
        return [_mid(b, a) for b, a in self.e.xl.tops()]

    def due(self, now: int) -> None:
        """Mid rows and equity samples whose grid time has come (``now`` >= ``next``)."""
        if now >= self.next_mid:
            mids = self.mids()
            while self.next_mid <= now:
                self.mids_rec.add(self.next_mid, mids)
                self.next_mid += self.mid_ns
            self.e.xl.grid[0] = self.next_mid
        if now >= self.next_sample:
            self.sample(now)
        self.next = min(self.next_sample, self.next_mid)

    def sample(self, now: int, final: bool = False) -> None:
        e = self.e
        mids = self.mids()
        e.portfolio.mark(mids)
        ts = now
        while not final and self.next_sample <= now:
            ts = self.next_sample
            e.portfolio.sample(ts)
            self.next_sample += self.sample_ns
        if final:
            e.portfolio.sample(ts)
        pf = e.portfolio
        equity = {s.name: pf.equity(s.name) for s in e.slots}
        # one strategy: the total is the same sum, in the same order (no need to redo it)
        total = equity[e.slots[0].name] if len(e.slots) == 1 else pf.equity()
        e.sync_tape()
        start = self.start_ts
        last = [start if t < start else t for t in e.tape.last_feed.tolist()]
        for change in e.risk.post_trade(now, equity, total, last, mids):
            e.control.on_state_change(change)
