"""The engine's side of the market maker's fast path (``fast_quote``, ``fast_fills``).

Before each run of the exchange runner, ``before_run`` writes what the jitted
wake-up reads: the strategy's parameters and quotes, its position, the risk
state of its symbol (``RiskManager.fast_state``), the engine's clock. It arms
the path only while the built-in ``MarketMaker`` is the one strategy of a
one-symbol run, live, and its best-price watch is its own. ``wake`` does a
wake-up the engine itself is about to do at a stop (after a fill it delivered,
say) in jitted code.

After the run, ``after_run`` enters what the path did, as the Python path
would have done it at those stops: for each entry of its log (an order sent,
or fills met), the own-order events the exchange had written by then are
received and those due are delivered at that entry's time (fills through the
desk, the portfolio and ``on_fill``), then the order is entered in the desk,
the risk ledger and the log; finally the strategy's quotes, wake count and wake
references are brought up to date. Same order of operations, same numbers: the
fills of a run do not depend on the path (``engine.fast_mm``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hft_tui.engine.fast_quote import (
    DECLINE_NAMES,
    D_RISK,
    F_ARMED,
    F_ASK,
    F_BID,
    F_DECLINED,
    F_ENOW,
    F_LOG,
    F_NLOG,
    F_RISK_WHY,
    F_SYNCED,
    F_WAKES,
    F_WAKE_ASK,
    LOG_WIDTH,
    L_NEW,
    L_REPLACE,
    RISK_NAMES,
    fast_wake,
)
from hft_tui.events import ORDER_NEW
from hft_tui.jit import entry_point
from hft_tui.strategies.market_maker import MarketMaker

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine
    from hft_tui.engine.exchange_link import ExchangeLink
    from hft_tui.engine.slots import Slot

_WAKE: dict[str, Any] = {}  # fast_wake compiled for a call from Python
NO_AT = 1 << 62  # no deadline: a wake-up at a stop comes after everything due
_RUNNING = ("running", "paused")


def _wake_args(xl: ExchangeLink) -> tuple:
    r = xl.rates
    return xl.book, xl.ints, xl.floats, xl.out, xl._symv, xl.fq, xl.fqf, xl.kflag, r[0], r[1], r[2], r[3], NO_AT


def wake_entry(xl: ExchangeLink) -> Any:
    """``fast_wake`` compiled (or loaded from the cache) for the arrays of ``xl``, kept
    for every later call; ``warm_up`` calls it so a run's first wake-up at a stop does
    not pay the load (about 20 ms)."""
    return _WAKE.get("f") or _WAKE.setdefault("f", entry_point(fast_wake, *_wake_args(xl)))


class FastQuote:
    @staticmethod
    def build(engine: Engine) -> FastQuote | None:
        """The fast path for this engine, or None where it cannot apply."""
        slots = engine.slots
        if not engine.settings.fast_mm or len(slots) != 1 or engine.n_syms != 1:
            return None
        if type(slots[0].strategy) is not MarketMaker:  # (a subclass may quote otherwise)
            return None
        return FastQuote(engine, slots[0])

    def __init__(self, engine: Engine, slot: Slot) -> None:
        self.e = engine
        self.slot = slot
        self.mm: MarketMaker = slot.strategy  # type: ignore[assignment]
        self.fq, self.fqf = engine.xl.fq, engine.xl.fqf
        engine.xl.kflag = engine.kill.flag
        self.wakes = 0  # wake-ups done in jitted code over the run
        self.declined: dict[str, int] = {}  # wake-ups it left to Python, by why
        # True from a jitted wake-up at a stop to the next run, if nothing came between
        # (the engine clears it when it applies commands and when a batch ends)
        self.synced = False

    def before_run(self) -> None:
        if self.synced:  # a jitted wake-up just left the state as this would write it
            self.synced = False
            return
        e, slot, mm = self.e, self.slot, self.mm
        p = mm.params
        sym, size, inv, requote, spread = p["sym"], p["size"], p["max_inventory"], p["requote_ticks"], p["min_spread_ticks"]
        state = None
        if slot.live and slot.started and e.state in _RUNNING and e._lone_watch is not None:
            state = e.risk.fast_state(slot.index, sym, (mm.bid_id, mm.ask_id))
        # whole numbers only (else Python's own checks apply: a float size is a strategy error)
        if state is None or not (type(sym) is type(size) is type(inv) is type(requote) is type(spread) is int):
            self.fq[F_ARMED] = 0
            return
        self.fq[:F_SYNCED] = (
            (1, e.now, sym, e.positions[slot.index][sym]) + state[0] + (size, inv, requote, spread, mm.last_sample_ts)
            + self._quote(mm.bid_id, mm.bid_px) + self._quote(mm.ask_id, mm.ask_px)
        )  # fmt: skip
        self.fqf[:] = (mm.var, float(p["gamma"]), float(p["k"]), float(p["horizon_s"]), p["sigma_sample_ms"] * 1e-3 * 0.999) + state[1]
        e.xl.rates = e.risk.fast_rates(slot.index)

    def _quote(self, order_id: int | None, px: int) -> tuple[int, ...]:
        """One of the strategy's quotes as ``fast_quote`` keeps it (``F_BID``)."""
        if order_id is None:
            return 0, px, 0, 0, 0, 0, 0
        slot = self.slot
        rec = self.e.risk.fast_order(slot.index, order_id)
        if rec is None or order_id not in slot.orders or order_id in slot.asked_cancel:
            return order_id, px, 0, 0, 0, 0, 0
        return (order_id, px, 1) + rec

    def wake(self) -> bool:
        """The strategy's wake-up at this stop (``Engine._wake``: after a fill, say) done
        in jitted code if it can be; False: Python's to do."""
        self.before_run()
        if not self.fq.item(F_ARMED):
            return False
        xl = self.e.xl
        why = wake_entry(xl)(*_wake_args(xl))  # (self.fq is xl.fq)
        if why:
            self._declined(why)
            return False
        self._enter_log(at_stop=True)
        self.synced = True
        return True

    def _declined(self, why: int) -> None:
        name = DECLINE_NAMES.get(why, "?")
        if why == D_RISK:
            name += ":" + RISK_NAMES.get(self.fq.item(F_RISK_WHY), "?")
        self.declined[name] = self.declined.get(name, 0) + 1

    def after_run(self) -> None:
        fq = self.fq
        why = fq.item(F_DECLINED)
        if why and fq.item(F_ARMED):  # the run ended on a wake-up it left to Python
            self._declined(why)
        if fq.item(F_WAKES):
            self._enter_log()

    def _enter_log(self, at_stop: bool = False) -> None:
        """What the jitted wake-ups sent, into the desk, the ledger and the strategy
        (module docstring). ``at_stop``: one wake-up at a stop, after everything due
        was delivered: the exchange wrote nothing since but the new orders' echoes,
        which the next stop's ``take_own`` drops as it always does."""
        fq = self.fq
        e, slot, mm, desk = self.e, self.slot, self.mm, self.e.desk
        wakes, n, wake_bid, wake_ask = fq[F_WAKES : F_WAKE_ASK + 1].tolist()
        rows = fq[F_LOG : F_LOG + n * LOG_WIDTH].reshape(n, LOG_WIDTH).tolist()
        sym = mm.params["sym"]
        own = [] if at_stop else e.xl.take_own_raw()
        taken = 0
        for ts, what, order_id, side, px, qty, mid2, written in rows:
            if not at_stop:
                if written > taken:
                    desk.receive([x for x in own[taken:written] if x[5] != ORDER_NEW])
                    taken = written
                if ts > e.now:
                    e.now = ts  # (what log lines written now show)
                desk.deliver(ts)  # (fills too, L_FILLS; L_WAKE rows are only this)
            if what == L_NEW:
                desk.fast_placed(slot, order_id, side, px, qty, sym, mid2, ts)
            elif what == L_REPLACE:
                desk.fast_replaced(slot, order_id, px, mid2, ts)
        if not at_stop:
            if len(own) > taken:
                desk.receive([x for x in own[taken:] if x[5] != ORDER_NEW])
            e.now = max(e.now, fq.item(F_ENOW))
            slot.wake_now = False  # a fill delivered above asked for the wake-up that was done
        bid_id, bid_px = fq[F_BID : F_BID + 2].tolist()
        ask_id, ask_px = fq[F_ASK : F_ASK + 2].tolist()
        mm.bid_id, mm.bid_px = bid_id or None, bid_px
        mm.ask_id, mm.ask_px = ask_id or None, ask_px
        slot.wakes += wakes
        self.wakes += wakes
        slot.ref_bid[sym] = wake_bid
        slot.ref_ask[sym] = wake_ask
        fq[F_WAKES : F_NLOG + 1] = 0
        if not slot.live and slot.orders:
            # on_fill failed while a fill was delivered above (the strategy is stopped and
            # its orders cancelled then): orders the jitted path had sent after that fill
            # were entered since; they go too
            desk.cancel_all(slot, why="strategy stopped")
