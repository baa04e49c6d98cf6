"""A scripted engine link for UI behaviour tests: fixed snapshots, recorded commands.

The UI's contract with the engine is ``hft_tui.ui.link.EngineLink``; this double
honours it (kill trips at once, shutdown ends ``run``) without any market data, so
UI tests check the UI alone. Tests of the UI on the real engine use the sim.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from hft_tui.engine.commands import EnableStrategy, Kill, Rearm
from hft_tui.engine.snapshot import BookView, LimitView, LogLine, OrderView, PnLView, Snapshot, StrategyView
from hft_tui.instrument import Instrument
from hft_tui.risk.limits import LIMIT_KEYS, LimitValues

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
ETH = Instrument("ETHUSDT", "0.01", "0.0001")
T0 = 1_704_067_200_000_000_000


def sample_snapshot(mode: str = "SIM") -> Snapshot:
    bids = tuple((6_000_000 - i, 1_000 * (i + 1)) for i in range(20))
    asks = tuple((6_000_002 + i, 900 * (i + 1)) for i in range(20))
    eth_bids = tuple((300_000 - i, 500 * (i + 1)) for i in range(20))
    eth_asks = tuple((300_001 + i, 400 * (i + 1)) for i in range(20))
    return Snapshot(
        mode=mode,
        instruments=(BTC, ETH),
        exch_ts=T0 + 123_000_000,
        events_total=1_000,
        events_per_s=250_000.0,
        engine_state="running",
        books=(
            BookView(0, bids, asks, 6_000_001, 500, 1, T0, traded=((6_000_001, 500),)),
            BookView(1, eth_bids, eth_asks),
        ),
        orders=(OrderView(1, "mm", 0, 1, 5_999_999, 1_000, 1_000, "accepted", "limit", 3_000),),
        log=(
            LogLine(0, T0 + 100_000_000, "order", "mm", "new buy 0.01 @ 59999.99"),
            LogLine(1, T0 + 110_000_000, "fill", "mm", "fill buy 0.01 @ 59999.99"),
            LogLine(2, T0 + 120_000_000, "risk", "taker", "rejected: max_position"),
        ),
        pnl=(
            PnLView("mm", (1_000, 0), 1.5, -0.2, 0.01, 1.29, (0.0, 1.0, 2.0, 1.5), (0.0, 1e3, 5e2, 1e3)),
            PnLView("total", (1_000, 0), 1.5, -0.2, 0.01, 1.29, (0.0, 1.0, 2.0, 1.5), (0.0, 1e3, 5e2, 1e3)),
        ),
        # as the risk manager names them: a per-symbol limit has a row per symbol
        limits=(
            LimitView("max_position BTCUSDT", "global", 0.01, 0.05),
            LimitView("max_position ETHUSDT", "global", 0.0, 0.05),
            LimitView("max_open_orders", "global", 1.0, 20.0),
            LimitView("daily_loss", "global", 10.0, 100.0),
        ),
        limit_settings=tuple(
            (key, getattr(LimitValues(max_position=0.05, max_open_orders=20, daily_loss=100.0), key)) for key in LIMIT_KEYS
        ),
        rejections=(("max_position", 1),),
        strategies=(
            StrategyView("mm", "mm", True, "ACTIVE", (("gamma", 0.1), ("quote_size", 0.01), ("levels", 1))),
            StrategyView("taker", "taker", False, "ACTIVE", (("threshold", 0.6),)),
        ),
    )


class ScriptedLink:
    def __init__(self, mode: str = "SIM", snapshot: Snapshot | None = None) -> None:
        self.mode = mode
        self.commands: list[object] = []
        self.kills: list[str] = []
        self.shutdowns = 0
        self._stop = threading.Event()
        self._snap = snapshot or sample_snapshot(mode)

    def run(self) -> None:
        self._stop.wait(30)

    def latest(self) -> Snapshot:
        return self._snap

    def send(self, command: object) -> None:
        self.commands.append(command)
        if isinstance(command, Rearm):
            self._snap = replace(self._snap, killed=False, kill_reason="")
        if isinstance(command, EnableStrategy):
            views = tuple(
                replace(v, enabled=command.enabled) if v.name == command.name else v for v in self._snap.strategies
            )
            self._snap = replace(self._snap, strategies=views)

    def kill(self, reason: str) -> None:
        self.kills.append(reason)
        self.commands.append(Kill(reason))
        self._snap = replace(self._snap, killed=True, kill_reason=reason, global_state="HALTED")

    def shutdown(self) -> None:
        self.shutdowns += 1
        self._stop.set()
