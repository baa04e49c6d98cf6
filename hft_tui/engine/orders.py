"""The order desk: strategy intents through risk to the exchange, exchange events back.

Every new order, replace and cancel of a strategy passes ``RiskManager`` before
it reaches the simulated exchange; nothing else talks to the exchange. Own-order
events coming back (ack, fill, cancel, reject, replace) update the desk's table
of open orders, the risk ledger, the portfolio and the strategy, in the order
the exchange emitted them.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from hft_tui.engine.clock import NO_DEADLINE
from hft_tui.engine.slots import OwnOrder, Slot
from hft_tui.events import (
    ORDER_ACK,
    ORDER_CANCELED,
    ORDER_DONE,
    ORDER_FILL,
    ORDER_REJECTED,
    ORDER_REPLACED,
)
from hft_tui.exchange.codes import REJ_CANCEL_TOO_LATE, REJ_CANCEL_UNKNOWN
from hft_tui.strategies.base import MARKET, ORDER_KINDS, POST_ONLY, Fill

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine

def _plain(x: Any) -> Any:
    """A numpy integer as a plain int (``ctx.depth`` hands out numpy arrays), else ``x``."""
    return int(x) if isinstance(x, np.integer) else x


STATE_AFTER = {ORDER_ACK: "accepted", ORDER_REPLACED: "accepted"}
REFUSAL_QUIET_NS = 1_000_000_000  # the same refusal is logged at most once a second
CANCEL_REFUSED = (REJ_CANCEL_TOO_LATE, REJ_CANCEL_UNKNOWN)
SIZE_TEXTS_KEPT = 4096  # log texts of (sym, qty, px) kept for reuse


class OrderDesk:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.orders: dict[int, OwnOrder] = {}
        self.n_fills = 0
        self.sent = 0
        self.cancels = 0
        self.replaces = 0
        self._refusals: dict[tuple[int, str], list[int]] = {}  # (slot, text) -> [last logged, not logged since]
        # own-order events on their way to the strategy (response latency); due: when
        # the first one that calls a hook arrives (the runner's deadline: acks and
        # replaces need no stop of their own, they are applied at the next stop)
        self.inbox: deque[tuple] = deque()
        self.due = NO_DEADLINE
        self._size_texts: dict[tuple[int, int, int | None], str] = {}  # see _size_at

    # --- intents -------------------------------------------------------------------------
    def _refused(self, slot: Slot) -> None:
        """Log the risk manager's refusal (it has counted it). The same refusal again
        within a second of event time is only counted (a strategy quoting into a stale
        feed would fill the log twice a second); the next line says how many."""
        e = self.e
        text = e.risk.last_message
        key = (slot.index, text)
        seen = self._refusals.get(key)
        if seen is not None and e.now - seen[0] < REFUSAL_QUIET_NS:
            seen[1] += 1
            return
        if len(self._refusals) >= 4096:
            self._refusals.clear()  # texts carry prices: keep the table small
        self._refusals[key] = [e.now, 0]
        more = f" (and {seen[1]} more like it)" if seen and seen[1] else ""
        e.log("risk", slot.name, text + more, "warning")

    def _check_args(self, qty: object, px: object, sym: object, kind: object) -> None:
        # A strategy bug, reported as the strategy's error (it is stopped). Values of
        # the right type that make no order (a size of 0, a price below 1 tick, a
        # symbol beyond the run's) are the risk manager's to refuse (``bad_order``).
        if type(qty) is not int:
            raise ValueError(f"order size must be an int of lots, got {qty!r}")
        if type(kind) is not str:
            raise ValueError(f"order kind must be a str (one of {', '.join(ORDER_KINDS)}), got {kind!r}")
        if kind != MARKET and type(px) is not int:
            raise ValueError(f"a {kind} order needs an int price in ticks, got {px!r}")
        if type(sym) is not int:
            raise ValueError(f"sym must be an int (0..{self.e.n_syms - 1}), got {sym!r}")

    def place(self, slot: Slot, side: int, qty: int, px: int | None, sym: int, kind: str) -> int | None:
        e = self.e
        if type(qty) is not int or (px is not None and type(px) is not int) or type(sym) is not int:
            qty, px, sym = _plain(qty), _plain(px), _plain(sym)
        self._check_args(qty, px, sym, kind)
        if not slot.live:
            return None
        if e.state == "ended":  # on_stop: nothing can trade any more
            e.log("order", slot.name, f"{kind} order not sent: the run has ended", "warning")
            return None
        now = e.now
        bb, ba = e.xl.bests(sym) if 0 <= sym < e.n_syms else (None, None)
        reason = e.risk.check_order(slot.name, sym, side, px, qty, kind, now, bb, ba)
        if reason is not None:
            self._refused(slot)
            return None
        oid = e.xl.new_order(sym, side, 0 if px is None else px, qty, kind, now, slot.index)
        if oid < 0:  # the exchange could not take it (order table or output full)
            e.log("order", slot.name, f"order not sent: {e.xl.reason_text(0, -oid)}", "warning")
            return None
        e.risk.on_order_sent(oid, slot.name, sym, side, px, qty, kind, now)
        self._placed(slot, oid, side, qty, px, sym, kind, now)
        return oid

    def fast_placed(self, slot: Slot, oid: int, side: int, px: int, qty: int, sym: int, mid2: int, now: int) -> None:
        """A new post-only quote the market maker's jitted path sent at ``now`` (``fast_link``)."""
        self.e.risk.fast_order_sent(oid, slot.name, sym, side, px, qty, mid2, now)
        self._placed(slot, oid, side, qty, px, sym, POST_ONLY, now)

    def _placed(self, slot: Slot, oid: int, side: int, qty: int, px: int | None, sym: int, kind: str, now: int) -> None:
        order = OwnOrder(oid, slot.index, sym, side, 0 if px is None else px, qty, qty, kind, sent_ts=now)
        self.orders[oid] = order
        slot.orders[oid] = order
        self.sent += 1
        if self.e.verbose:
            self.e.log_later("order", slot.name, self._order_text, f"new {kind}", side, sym, qty, px, oid, at=now)

    def cancel(self, slot: Slot, order_id: int) -> bool:
        e = self.e
        order = slot.orders.get(order_id)
        if order is None or order_id in slot.asked_cancel:
            if order is None and e.risk.check_cancel(slot.name, order_id) is not None:
                self._refused(slot)  # counted: unknown_order
            return False
        if e.risk.check_cancel(slot.name, order_id) is not None:
            self._refused(slot)
            return False
        self._send_cancel(slot, order_id)
        return True

    def _send_cancel(self, slot: Slot, order_id: int) -> None:
        e = self.e
        if not e.xl.cancel(order_id, e.now):
            e.log("order", slot.name, f"cancel of #{order_id} not sent: exchange busy", "warning")
            return
        e.risk.on_cancel_sent(order_id, e.now)
        slot.asked_cancel.add(order_id)
        self.cancels += 1

    def cancel_all(self, slot: Slot, sym: int | None = None, why: str = "") -> int:
        """Cancel the slot's open orders (on ``sym``). With ``why``, the engine pulls
        them and the strategy is told (``on_order_closed``) when they are gone."""
        n = 0
        for oid, order in list(slot.orders.items()):
            if (sym is None or order.sym == sym) and oid not in slot.asked_cancel:
                self._send_cancel(slot, oid)
                if why:
                    slot.pulled[oid] = why
                n += 1
        return n

    def replace(self, slot: Slot, order_id: int, px: int | None, qty: int | None) -> bool:
        e = self.e
        if (px is not None and type(px) is not int) or (qty is not None and type(qty) is not int):
            px, qty = _plain(px), _plain(qty)  # (the mm's every requote: check before converting)
        if px is not None and type(px) is not int:
            raise ValueError(f"replace price must be an int of ticks, got {px!r}")
        if qty is not None and type(qty) is not int:
            raise ValueError(f"replace size must be an int of lots, got {qty!r}")
        if qty == 0:  # a new open size of nothing: the rest is cancelled (as documented)
            return self.cancel(slot, order_id)
        order = slot.orders.get(order_id)
        if order is None or order_id in slot.asked_cancel or not slot.live:
            if order is None and slot.live and e.risk.check_replace(slot.name, order_id, px, qty, e.now, None, None):
                self._refused(slot)  # counted: unknown_order
            return False
        if e.state == "ended":
            e.log("order", slot.name, f"replace of #{order_id} not sent: the run has ended", "warning")
            return False
        now = e.now
        bb, ba = e.xl.bests(order.sym)
        if e.risk.check_replace(slot.name, order_id, px, qty, now, bb, ba) is not None:
            self._refused(slot)
            return False
        # ctx.replace's qty is the new open size; the exchange wants the new total. None
        # sends 0: the exchange keeps what it has. Our own figures may be out of date (an
        # earlier replace still in flight, fills not yet heard of): resending them would
        # undo that replace.
        total = 0 if qty is None else order.qty - order.leaves + qty
        if not e.xl.replace(order_id, 0 if px is None else px, total, now):
            e.log("order", slot.name, f"replace of #{order_id} not sent: exchange busy", "warning")
            return False
        e.risk.on_replace_sent(order_id, px, qty, now)
        self._replace_sent(slot, order, px, qty, now)
        return True

    def fast_replaced(self, slot: Slot, order_id: int, px: int, mid2: int, now: int) -> None:
        """A price-only replace the market maker's jitted path sent at ``now`` (``fast_link``)."""
        self.e.risk.fast_replace_sent(order_id, px, mid2, now)
        self._replace_sent(slot, slot.orders[order_id], px, None, now)

    def _replace_sent(self, slot: Slot, order: OwnOrder, px: int | None, qty: int | None, now: int) -> None:
        self.replaces += 1
        if self.e.verbose:
            size = order.leaves if qty is None else qty
            self.e.log_later("order", slot.name, self._order_text, "replace", order.side, order.sym, size,
                             order.px if px is None else px, order.order_id, at=now)  # fmt: skip

    def cancel_everything(self, why: str) -> int:
        """Kill switch / stop: a cancel for every open order of every strategy."""
        n = 0
        for slot in self.e.slots:
            n += self.cancel_all(slot, why=why)
        return n

    def drop_all(self, reason: str) -> None:
        """Forget every open order at once (a seek throws the exchange state away)."""
        e = self.e
        for oid, order in list(self.orders.items()):
            e.risk.on_order_event(oid, ORDER_CANCELED, order.px, 0, True)
            self._close(e.slots[order.slot], order, ORDER_CANCELED, -1, reason)

    # --- exchange events -----------------------------------------------------------------
    def receive(self, own: list[tuple]) -> None:
        """Own-order events the exchange wrote, into the inbox."""
        if own:
            self.inbox.extend(own)
            if self.due == NO_DEADLINE:
                self.due = self.first_due(self.inbox)

    def deliver(self, now: int) -> None:
        """Apply the events in the inbox whose response time has come."""
        inbox = self.inbox
        if inbox and inbox[0][1] <= now:
            due = []
            while inbox and inbox[0][1] <= now:
                due.append(inbox.popleft())
            self.on_events(due)
            self.due = self.first_due(inbox) if inbox else NO_DEADLINE

    def clear_inbox(self) -> None:
        """Forget the events in flight (a seek: their orders are gone)."""
        self.inbox.clear()
        self.due = NO_DEADLINE

    def first_due(self, inbox: Any) -> int:
        """Arrival time of the first event in ``inbox`` that calls a strategy hook."""
        for rec in inbox:
            kind = rec[5]
            if kind == ORDER_FILL:
                return rec[1]
            if rec[7] & ORDER_DONE:
                order = self.orders.get(rec[4])
                if order is not None and rec[4] not in self.e.slots[order.slot].asked_cancel:
                    return rec[1]
        return NO_DEADLINE

    def on_events(self, records: list[tuple]) -> None:
        """Own-order events (EVENT_DTYPE rows as tuples), in exchange order."""
        e = self.e
        risk = e.risk
        for ets, lts, px, qty, oid, kind, side, flags, sym, aux in records:
            order = self.orders.get(oid)
            if order is None:
                continue
            slot = e.slots[order.slot]
            done = bool(flags & ORDER_DONE)
            risk.on_order_event(oid, kind, px, qty, done)
            if kind == ORDER_FILL:
                self._fill(slot, order, lts, px, qty, aux, done)
            else:
                if kind == ORDER_REPLACED:  # qty: the new total size, filled lots included
                    filled = order.qty - order.leaves
                    order.px = px
                    order.qty = qty
                    order.leaves = qty - filled
                if kind in STATE_AFTER:
                    order.state = STATE_AFTER[kind]
                elif done:
                    order.state = "rejected" if kind == ORDER_REJECTED else "cancelled"
                if kind == ORDER_REJECTED and not done and aux in CANCEL_REFUSED:
                    # a cancel refused; the order stands as it was and may be cancelled again
                    slot.asked_cancel.discard(oid)
                if kind in (ORDER_CANCELED, ORDER_REJECTED) and e.verbose:
                    what = order.state if done else "request refused"
                    why = slot.pulled.get(oid) if kind == ORDER_CANCELED else None
                    e.log_later("order", slot.name, self._closed_text, what, oid, why, kind, aux)
            if done:
                self._close(slot, order, kind, aux)

    def _fill(self, slot: Slot, order: OwnOrder, ts: int, px: int, qty: int, liq: int, done: bool) -> None:
        e = self.e
        sym = order.sym
        side = order.side
        fee = e.xl.fee(sym, px, qty, liq)
        maker = e.xl.is_maker(liq)
        pos = e.positions[slot.index]
        pos[sym] += side * qty
        order.leaves -= qty
        order.state = "filled" if done else "partially-filled"
        liquidity = "maker" if maker else "taker"
        e.portfolio.on_fill(slot.name, sym, side, px, qty, fee, liquidity, ts, order.order_id)
        self.n_fills += 1
        if e.verbose:
            e.log_later("fill", slot.name, self._fill_text, side, sym, qty, px, order.order_id, liquidity)
        if slot.live:
            slot.wake_now = True
            e.call_hook(slot, slot.strategy.on_fill, slot.ctx, Fill(order.order_id, sym, side, px, qty, fee, liquidity, ts, done))

    # --- log texts (built when read: Engine.log_later) -----------------------------------------
    def _order_text(self, what: str, side: int, sym: int, qty: int, px: int | None, oid: int) -> str:
        return f"{what} {'buy' if side > 0 else 'sell'} {self._size_at(sym, qty, px)} #{oid}"

    def _closed_text(self, what: str, oid: int, why: str | None, kind: int, aux: int) -> str:
        return f"{what} #{oid} ({why or self.e.xl.reason_text(kind, aux)})"

    def _fill_text(self, side: int, sym: int, qty: int, px: int, oid: int, liquidity: str) -> str:
        return f"{'bought' if side > 0 else 'sold'} {self._size_at(sym, qty, px)} #{oid} ({liquidity})"

    def _size_at(self, sym: int, qty: int, px: int | None) -> str:
        """'0.001 @ 60003.71' for the log, in instrument units (the symbol too with several).
        Kept by (sym, qty, px): a quoting strategy's lines repeat a few sizes and prices
        thousands of times, and a viewer's snapshot formats hundreds of lines."""
        key = (sym, qty, px)
        text = self._size_texts.get(key)
        if text is None:
            if len(self._size_texts) >= SIZE_TEXTS_KEPT:
                self._size_texts.clear()
            ins = self.e.instruments[sym]
            at = "market" if px is None else ins.ticks_to_str(px)
            text = f"{ins.lots_to_str(qty)} @ {at}"
            if self.e.n_syms > 1:
                text = f"{text} {ins.symbol}"
            self._size_texts[key] = text
        return text

    def _close(self, slot: Slot, order: OwnOrder, kind: int, aux: int, why: str = "") -> None:
        oid = order.order_id
        self.orders.pop(oid, None)
        slot.orders.pop(oid, None)
        asked = oid in slot.asked_cancel
        slot.asked_cancel.discard(oid)
        pulled = slot.pulled.pop(oid, "")
        if kind in (ORDER_CANCELED, ORDER_REJECTED) and (pulled or not asked):
            why = why or pulled or self.e.xl.reason_text(kind, aux)
            if slot.live:
                self.e.call_hook(slot, slot.strategy.on_order_closed, slot.ctx, oid, why)
            else:  # halted or disabled: told when it is enabled again
                slot.untold.append((oid, why))
