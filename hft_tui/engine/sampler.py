"""The engine's event-time grids: equity samples (and the risk manager's post-trade
watch) every ``sample_ms``, mid rows for markouts every ``markout_ms``.

The engine stops the exchange runner at each grid time (it is part of the
runner's deadline), so a sample holds the book and the P&L exactly as they
stood at that time, whatever the batch sizes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hft_tui.engine.clock import NO_DEADLINE
from hft_tui.engine.exchange_link import NO_PX
from hft_tui.engine.mids import MidRecorder

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine


class Sampler:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.sample_ns = int(engine.settings.sample_ms * 1_000_000)
        self.mid_ns = int(engine.settings.markout_ms * 1_000_000)
        self.next_sample = NO_DEADLINE
        self.next_mid = NO_DEADLINE
        #: the earlier of the two: the runner's deadline
        self.next = NO_DEADLINE
        self.mids_rec = MidRecorder(engine.n_syms, 1_000_000 if engine.source.realtime else None)

    def start(self, now: int) -> None:
        self.next_sample = now - now % self.sample_ns + self.sample_ns
        self.next_mid = now - now % self.mid_ns + self.mid_ns
        self.next = min(self.next_sample, self.next_mid)

    def mids(self) -> list[float | None]:
        xl = self.e.xl
        out: list[float | None] = []
        for sym in range(self.e.n_syms):
            b, a = xl.top_px(sym, 1), xl.top_px(sym, -1)
            out.append(None if b == NO_PX or a == NO_PX else (b + a) * 0.5)
        return out

    def due(self, now: int) -> None:
        """Mid rows and equity samples whose grid time has come (``now`` >= ``next``)."""
        if now >= self.next_mid:
            mids = self.mids()
            while self.next_mid <= now:
                self.mids_rec.add(self.next_mid, mids)
                self.next_mid += self.mid_ns
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
        equity = {s.name: e.portfolio.equity(s.name) for s in e.slots}
        # the feed time of the last message: the watch sees a gap in the data as a stale feed
        last = [e.xl.feed_now] * e.n_syms
        for change in e.risk.post_trade(now, equity, e.portfolio.equity(), last, mids):
            e.control.on_state_change(change)
