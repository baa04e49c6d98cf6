"""``SimExchange``: the simulated exchange for Python callers (the engine, tests, benches).

It owns the exchange state and, unless given one, the book state, and wraps the
jitted entry points: ``submit`` / ``cancel`` / ``replace`` / ``cancel_all``
(order entry at the strategy's local time), ``run`` (market events plus due
actions, stopping where asked) and ``flush`` (due actions without market
events). Own-order events accumulate in the state's output buffer; ``drain``
returns and clears them. The jitted functions are the hot path; this class
adds argument checks and readable views.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hft_tui.book import BookState
from hft_tui.book import new_state as new_book_state
from hft_tui.errors import HftError
from hft_tui.events import EVENT_DTYPE
from hft_tui.exchange import codes as c
from hft_tui.exchange.config import ExchangeConfig
from hft_tui.exchange.fees import fees_of
from hft_tui.exchange.intents import cancel, cancel_all, replace, submit
from hft_tui.exchange.layout import (
    C_ENTRY_KIND,
    C_ENTRY_MAX,
    C_ENTRY_NS,
    C_FEED_LAT,
    C_FEED_NOW,
    C_NOUT,
    C_NOW,
    C_QMODEL,
    C_RESP_NS,
    C_RNG,
    C_STOP,
    C_USE_LOCAL,
    F_MAKER_BPS,
    F_QPOWER,
    F_SIGMA,
    F_SYM0,
    F_TAKER_BPS,
    FS_FEES,
    FS_MAKER_LOTS,
    FS_MULT,
    FS_NF,
    FS_NOTIONAL,
    FS_TAKER_LOTS,
    O_AHEAD,
    O_FILLED,
    O_ID,
    O_LEAVES,
    O_PX,
    O_QTY,
    O_SIDE,
    O_STATE,
    O_SYM,
    O_TYPE,
    QSCALE,
    ExchState,
    new_state,
    view,
)
from hft_tui.exchange.run import exchange_flush, exchange_run
from hft_tui.instrument import Instrument

NO_DEADLINE = np.iinfo(np.int64).max


class OrderRefused(HftError):
    """An order, cancel or replace that could not even be sent (see ``codes.REJ_*``)."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"order refused: {c.REJECT_NAMES.get(code, str(code))}")


def _type_code(kind: int | str) -> int:
    if isinstance(kind, str):
        if kind not in c.TYPE_CODES:
            raise HftError(f"order kind must be one of {', '.join(c.TYPE_CODES)}, got {kind!r}")
        return c.TYPE_CODES[kind]
    return int(kind)


class SimExchange:
    """Own orders against a market-data stream: L2 or L3, with latency and fees."""

    def __init__(
        self,
        instruments: Sequence[Instrument] | int = 1,
        config: ExchangeConfig | None = None,
        book: BookState | None = None,
        *,
        book_window: int = 1 << 12,
        book_capacity: int = 1 << 12,
    ) -> None:
        cfg = config or ExchangeConfig()
        n = instruments if isinstance(instruments, int) else len(instruments)
        self.config = cfg
        self.n_symbols = n
        self.state: ExchState = new_state(
            n,
            max_orders=cfg.max_orders,
            max_open_per_side=cfg.max_open_per_side,
            out_capacity=cfg.out_capacity,
            max_walk_levels=cfg.max_walk_levels,
        )
        ints, fl = self.state.ints, self.state.floats
        ints[C_FEED_LAT] = cfg.feed_latency_ns
        ints[C_USE_LOCAL] = int(cfg.use_local_ts)
        ints[C_ENTRY_KIND] = c.LATENCY_KINDS[cfg.entry_latency]
        ints[C_ENTRY_NS] = cfg.entry_latency_ns
        ints[C_ENTRY_MAX] = cfg.entry_latency_max_ns
        ints[C_RESP_NS] = cfg.response_latency_ns
        ints[C_QMODEL] = c.QUEUE_MODELS[cfg.queue_model]
        ints[C_RNG] = cfg.seed
        fl[F_MAKER_BPS] = cfg.maker_fee_bps
        fl[F_TAKER_BPS] = cfg.taker_fee_bps
        fl[F_QPOWER] = cfg.queue_power
        fl[F_SIGMA] = cfg.entry_latency_sigma
        if not isinstance(instruments, int):
            for i, ins in enumerate(instruments):
                fl[F_SYM0 + FS_NF * i + FS_MULT] = ins.tick_value * ins.lot_value
        self.book = book if book is not None else new_book_state(n, book_window, book_capacity)

    # --- order entry (strategy side, local time `now`) --------------------------------------
    def submit(self, now: int, sym: int, side: int, kind: int | str, px: int, qty: int) -> int:
        """Send an order; return its id. ``px`` is ignored for market orders."""
        ints, fl, out = self.state
        oid = int(submit(ints, fl, out, int(now), int(sym), int(side), _type_code(kind), int(px), int(qty)))
        if oid < 0:
            raise OrderRefused(-oid)
        return oid

    def cancel(self, now: int, order_id: int) -> None:
        ints, fl, out = self.state
        r = int(cancel(ints, fl, out, int(now), int(order_id)))
        if r < 0:
            raise OrderRefused(-r)

    def replace(self, now: int, order_id: int, px: int | None = None, qty: int | None = None) -> None:
        """Send a replace: new price and/or new total size (None keeps it)."""
        ints, fl, out = self.state
        r = int(replace(ints, fl, out, int(now), int(order_id), int(px or 0), int(qty or 0)))
        if r < 0:
            raise OrderRefused(-r)

    def cancel_all(self, now: int, sym: int | None = None) -> int:
        ints, fl, out = self.state
        return int(cancel_all(ints, fl, out, int(now), -1 if sym is None else int(sym)))

    # --- time moves (matcher side) ------------------------------------------------------------
    def run(
        self,
        events: np.ndarray,
        start: int = 0,
        end: int | None = None,
        *,
        stop: int = 0,
        watch_sym: int = -1,
        wake_ticks: int = 1,
        deadline: int = NO_DEADLINE,
    ) -> tuple[int, int]:
        """Process events[start:end]; return (stop index, ``codes.STOP_*`` reason)."""
        if events.dtype != EVENT_DTYPE:
            raise HftError(f"events must be an EVENT_DTYPE array, got dtype {events.dtype}")
        end = len(events) if end is None else int(end)
        ints, fl, out = self.state
        i, reason = exchange_run(
            self.book, ints, fl, out, events, int(start), end, int(stop), int(watch_sym), int(wake_ticks), int(deadline)
        )
        return int(i), int(reason)

    def run_all(self, events: np.ndarray) -> np.ndarray:
        """Process every event (draining as needed); return the own-order events."""
        parts = [self.drain()]
        i = 0
        while i < len(events):
            i, _ = self.run(events, i)
            parts.append(self.drain())
        return np.concatenate(parts)

    def flush(self, until: int = NO_DEADLINE - 1) -> int:
        """Run the actions arriving at or before ``until`` (no market events); return how many."""
        ints, fl, out = self.state
        return int(exchange_flush(self.book, ints, fl, out, int(until)))

    def drain(self) -> np.ndarray:
        """The own-order events written since the last drain (a copy), oldest first."""
        ints, out = self.state.ints, self.state.out
        n = int(ints[C_NOUT])
        events = out[:n].copy()
        ints[C_NOUT] = 0
        return events

    # --- reading ------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Exchange time of the last event or action processed."""
        return int(self.state.ints[C_NOW])

    @property
    def feed_now(self) -> int:
        """Feed time of the last message processed: what a strategy has seen."""
        return int(self.state.ints[C_FEED_NOW])

    @property
    def last_stop(self) -> int:
        return int(self.state.ints[C_STOP])

    def _describe(self, row: np.ndarray) -> dict[str, int | str | float]:
        return {
            "order_id": int(row[O_ID]),
            "sym": int(row[O_SYM]),
            "side": int(row[O_SIDE]),
            "kind": c.TYPE_NAMES.get(int(row[O_TYPE]), "?"),
            "state": c.STATE_NAMES.get(int(row[O_STATE]), "?"),
            "px": int(row[O_PX]),
            "qty": int(row[O_QTY]),
            "leaves": int(row[O_LEAVES]),
            "filled": int(row[O_FILLED]),
            "queue_ahead": float(row[O_AHEAD]) / QSCALE,
        }

    def order(self, order_id: int) -> dict[str, int | str | float] | None:
        """A live (pending or open) order, or None once it is done."""
        orders = view(*self.state).orders
        hit = np.flatnonzero(orders[:, O_ID] == order_id)
        return self._describe(orders[hit[0]]) if order_id > 0 and len(hit) else None

    def open_orders(self, sym: int | None = None) -> list[dict[str, int | str | float]]:
        """Resting orders, per symbol and side in priority order (bids first)."""
        v = view(*self.state)
        result = []
        for s in range(self.n_symbols) if sym is None else (sym,):
            for row in (2 * s, 2 * s + 1):
                result += [self._describe(v.orders[slot]) for slot in v.act[row, : v.nact[row]]]
        return result

    def fee(self, events: np.ndarray) -> np.ndarray:
        """The fee of each event (0 for non-fills), as the exchange charged it."""
        fl = self.state.floats
        mult = fl[F_SYM0 + FS_MULT :: FS_NF][events["sym"]]
        return fees_of(events, float(fl[F_MAKER_BPS]), float(fl[F_TAKER_BPS]), mult)

    def totals(self, sym: int = 0) -> dict[str, float]:
        """Fees paid (negative: rebates), maker and taker lots, notional traded."""
        base = F_SYM0 + FS_NF * sym
        fl = self.state.floats
        return {
            "fees": float(fl[base + FS_FEES]),
            "maker_lots": float(fl[base + FS_MAKER_LOTS]),
            "taker_lots": float(fl[base + FS_TAKER_LOTS]),
            "notional": float(fl[base + FS_NOTIONAL]),
        }
