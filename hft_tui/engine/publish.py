"""Building the immutable ``Snapshot`` viewers poll, at most every ``snapshot_ms`` of wall time.

Only when a viewer asked for snapshots (``Engine.want_snapshots``): a headless
backtest never pays for them and never reads the wall clock here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hft_tui.engine.snapshot import BookView, OrderView, Snapshot, StrategyView

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine

LOG_TAIL = 200  # log lines per snapshot; viewers keep their own history by seq


class Publisher:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.enabled = False
        self.notify: Callable[[], None] | None = None  # told of every new snapshot (a process link)
        self.count = 0
        self._last_wall = 0.0
        self._last_events = 0
        self._rate = 0.0
        self._interval = engine.settings.snapshot_ms / 1000.0
        self._limits_of: object = None  # the risk config _limits were taken from
        self._limits: tuple = ()

    def maybe_publish(self) -> None:
        if not self.enabled:
            return
        wall = time.perf_counter()
        if wall - self._last_wall >= self._interval:
            self.publish(wall)

    def publish(self, wall: float | None = None) -> None:
        if not self.enabled:
            return
        wall = time.perf_counter() if wall is None else wall
        e = self.e
        dt = wall - self._last_wall
        if e.state != "running":
            self._rate = 0.0  # a current rate: nothing flows while paused or after the end
        elif self._last_wall and dt > 0:
            self._rate = (e.events_total - self._last_events) / dt
        self._last_wall = wall
        self._last_events = e.events_total
        e.latest = self.build()
        self.count += 1
        if self.notify is not None:
            self.notify()

    def _limit_settings(self) -> tuple:
        """The global limits as (key, value), rebuilt only when a limit changed (the
        risk manager replaces its frozen config then), not at every snapshot."""
        config = self.e.risk.config
        if config is not self._limits_of:
            self._limits_of, self._limits = config, config.global_values().items()
        return self._limits

    def build(self) -> Snapshot:
        e = self.e
        risk = e.risk
        progress = getattr(e.source, "progress", None)
        try:
            feed = tuple(sorted(e.source.health().items()))
        except Exception as exc:  # a viewer must not take the engine down
            feed = (("error", str(exc)),)
        return Snapshot(
            mode=e.mode,
            instruments=tuple(e.instruments),
            exch_ts=e.now,
            feed_latency_ns=e.xl.feed_latency_ns,
            events_total=e.events_total,
            events_per_s=self._rate,
            engine_state=e.state,
            engine_error=e.error,
            killed=e.kill.tripped,
            kill_reason=e.kill.reason,
            global_state=risk.global_state,
            speed=e.pacer.speed,
            progress=progress,
            books=tuple(self._book(sym) for sym in range(e.n_syms)),
            orders=self._orders(),
            log=e.log_tail(LOG_TAIL),
            pnl=e.portfolio.views(),
            limits=risk.limits_view(e.now),
            limit_settings=self._limit_settings(),
            rejections=tuple(risk.rejections.items()),
            strategies=tuple(
                StrategyView(
                    name=s.name,
                    kind=s.spec.source,
                    enabled=s.enabled,
                    state=s.state if s.state != "ACTIVE" else risk.state(s.name),
                    params=tuple(sorted(s.strategy.params.items())),
                    error=s.error,
                )
                for s in e.slots
            ),
            feed=feed,
            extra={"stops": e.stops, "fills": e.desk.n_fills, "orders_sent": e.desk.sent},
        )

    def _book(self, sym: int) -> BookView:
        e = self.e
        n = e.settings.book_levels
        bpx, bqty = e.xl.depth(sym, 1, n)
        apx, aqty = e.xl.depth(sym, -1, n)
        since = e.now - int(e.settings.trade_window_ms * 1e6)
        last, traded = e.tape.summary(sym, since)
        return BookView(
            sym=sym,
            bids=tuple(zip(bpx.tolist(), bqty.tolist())),
            asks=tuple(zip(apx.tolist(), aqty.tolist())),
            last_trade_px=last[1] if last else None,
            last_trade_qty=last[2] if last else 0,
            last_trade_side=last[3] if last else 0,
            last_trade_ts=last[0] if last else 0,
            traded=traded,
            stale=bool(self._stale(sym)),
        )

    def _stale(self, sym: int) -> bool:
        if self.e.feed_watch.active:  # what risk sees, so the ladder and the risk agree
            return self.e.feed_watch.stale[sym]
        stale = getattr(self.e.source, "stale", None)  # a live feed resyncing
        return bool(stale(sym)) if stale is not None else False

    def _orders(self) -> tuple[OrderView, ...]:
        e = self.e
        out = []
        for o in e.desk.orders.values():
            out.append(
                OrderView(
                    order_id=o.order_id,
                    strategy=e.slots[o.slot].name,
                    sym=o.sym,
                    side=o.side,
                    px=o.px,
                    qty=o.qty,
                    leaves=o.leaves,
                    state=o.state,
                    kind=o.kind,
                    queue_ahead=e.xl.queue_ahead(o.order_id),
                )
            )
        return tuple(out)
