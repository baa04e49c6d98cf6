"""The risk manager: every intent passes here before it may reach the exchange.

How the engine uses it (one engine thread; only the kill switch is shared):

    reason = risk.check_order(strategy, sym, side, px, qty, kind, now_ns, best_bid, best_ask)
    if reason is None:  send it, then   risk.on_order_sent(order_id, strategy, sym, side, px, qty, kind, now_ns)
    else:               log risk.last_message (the rejection is already counted)
    cancels:   risk.check_cancel(strategy, order_id)            -> None or "unknown_order"
               risk.on_cancel_sent(order_id, now_ns)
    replaces:  risk.check_replace(strategy, order_id, px, qty, now_ns, best_bid, best_ask)
               risk.on_replace_sent(order_id, px, qty, now_ns)
    exchange:  risk.on_order_event(order_id, kind, px, qty, done)  for ack/fill/canceled/rejected/replaced
               (a fill is fed once: through on_order_event(ORDER_FILL) or on_fill, never both)
    watch:     risk.post_trade(now_ns, equity_by_strategy, total_equity, last_data_ns_by_sym) -> [StateChange]
    commands:  kill(reason) / rearm() / enable(name) / disable(name) / set_limit(key, value, strategy)

``best_bid`` / ``best_ask`` are prices in ticks or None for an empty side; ``px``
is None for market orders. Reason codes: killed, halted, reduce_only,
stale_feed, bad_order, unknown_strategy, unknown_order, max_order_qty, no_mid,
no_market, price_band, max_order_notional, post_only_cross, self_trade,
max_open_orders, max_position, max_gross_notional, rate_limit.

A replace is checked and reserved as a cancel plus a new order: how an exchange
treats fills that race a replace varies, so the manager assumes the old order
may fill in full before the replace lands and the new size still rests after
it. Near a limit, cancel first and send anew once the cancel is confirmed. A
replace's ``qty`` and an ORDER_REPLACED event's qty are the order's new total
size, filled lots included, as the simulated exchange counts them.

on_cancel_sent / on_replace_sent count the messages in the rate windows;
kill/rearm/enable/disable/set_limit return StateChange records for the log;
``last_message`` is the text of the latest rejection; fast_view.py serves the
market maker's jitted path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hft_tui.engine.commands import KillSwitch
from hft_tui.engine.snapshot import LimitView
from hft_tui.errors import HftError
from hft_tui.events import ORDER_ACK, ORDER_CANCELED, ORDER_FILL, ORDER_REJECTED, ORDER_REPLACED
from hft_tui.instrument import Instrument
from hft_tui.risk.fast_view import FastView
from hft_tui.risk.ledger import Ledger, OrderRec
from hft_tui.risk.limits import UNLIMITED, LimitOverrides, RiskConfig, ScopeLimits, parse_limit
from hft_tui.risk.pretrade import PreTrade
from hft_tui.risk.rate import RateWindow
from hft_tui.risk.watch import GLOBAL, S_ACTIVE, S_HALTED, S_REDUCE, STATE_NAMES, EquityWatch, StateChange, breach
from hft_tui.strategies.base import ORDER_KINDS


class RiskManager(PreTrade, FastView):
    def __init__(
        self,
        config: RiskConfig | Mapping[str, Any],
        instruments: Sequence[Instrument],
        strategy_names: Sequence[str],
        kill: KillSwitch | None = None,
    ) -> None:
        if not isinstance(config, RiskConfig):
            config = RiskConfig.from_config(config)
        names = list(strategy_names)
        if len(set(names)) != len(names):
            raise HftError(f"strategy names must be unique, got {', '.join(names)}")
        self.config = config
        self.instruments = list(instruments)
        self.names = names
        self._index = {n: i for i, n in enumerate(names)}
        self.kill_switch = kill if kill is not None else KillSwitch()
        n, ns = len(names), len(self.instruments)
        self._ns = ns
        self._glim = ScopeLimits(config.global_values(), self.instruments)
        self._lim = [ScopeLimits(config.for_strategy(x), self.instruments) for x in names]
        self.ledger = Ledger(n, ns)
        self._gstate, self._gwhy = S_ACTIVE, ""
        self._state = [S_ACTIVE] * n
        self._why = [""] * n
        self._stale = [False] * (n * ns)
        self._resyncing = [False] * ns  # a live book being rebuilt: no new orders on it
        self._grate = RateWindow(self._glim.rate)
        self._rate = [RateWindow(lim.rate) for lim in self._lim]
        self._gwatch = EquityWatch()
        self._watch = [EquityWatch() for _ in names]
        self._mid2: list[float | None] = [None] * ns  # bid + ask in ticks, last seen
        self._unit = [float(Decimal(i.tick_size) * Decimal(i.lot_size)) for i in self.instruments]
        self._half_unit = [u * 0.5 for u in self._unit]  # mids are kept doubled (bid + ask)
        self._kind_ok = frozenset(ORDER_KINDS)
        self._rejections: dict[str, int] = {}
        self._kill_seen = False
        self._now = 0
        self.last_message = ""

    # --- what was sent, what the exchange said --------------------------------------
    def on_order_sent(self, order_id: int, strategy: str, sym: int, side: int, px: int | None, qty: int, kind: str,
                      now_ns: int, recorded: bool = False) -> None:  # fmt: skip
        si = self._index[strategy]
        if order_id in self.ledger.orders:
            raise ValueError(f"order id {order_id} is already open")
        self.ledger.add(order_id, OrderRec(si, sym, side, px, qty, kind))
        self._record(si, now_ns, not recorded)

    def on_cancel_sent(self, order_id: int, now_ns: int) -> None:
        rec = self.ledger.orders.get(order_id)
        if rec is not None:
            rec.cancels += 1
            self.ledger.cancels_sent[rec.strategy] += 1
        self._record(-1 if rec is None else rec.strategy, now_ns)

    def on_replace_sent(self, order_id: int, px: int | None, qty: int | None, now_ns: int, recorded: bool = False) -> None:
        rec = self.ledger.orders.get(order_id)
        if rec is None or not rec.rests:
            return
        self.ledger.replace_sent(rec, rec.px if px is None else px, rec.leaves if qty is None else qty)
        self._record(rec.strategy, now_ns, not recorded)

    def clock_jumped(self, now_ns: int) -> None:
        """The event clock jumped (a replay seek): the order-rate windows start empty,
        since messages stamped at the old times say nothing about the second before
        ``now_ns`` (after a jump back they lie in its future and would block every
        message until the clock caught up with them)."""
        self._now = now_ns
        self._grate = RateWindow(self._glim.rate)
        self._rate = [RateWindow(lim.rate) for lim in self._lim]

    def _record(self, si: int, now: int, windows: bool = True) -> None:
        """A message sent at ``now``; not ``windows``: the market maker's jitted path
        counted it in the rate windows already (``recorded`` above)."""
        if now > self._now:
            self._now = now
        if windows:
            if si >= 0:
                self._rate[si].record(now)
            self._grate.record(now)

    def on_order_event(self, order_id: int, kind: int, px: int = 0, qty: int = 0, done: bool | None = None) -> None:
        """An own-order event from the exchange (events.ORDER_*), as the exchange sends
        them: a fill's qty is what filled; a replace's px and qty are the order's new
        price and new total size (filled lots included). ``done`` is the event's
        ORDER_DONE flag; None lets the ledger infer it."""
        led = self.ledger
        rec = led.orders.get(order_id)
        if rec is None:
            return
        if kind == ORDER_FILL:
            led.fill(rec.strategy, rec.sym, rec.side, qty, rec)
            if done or (done is None and rec.leaves == 0 and not rec.pending):
                led.remove(order_id)
        elif kind == ORDER_ACK:
            rec.acked = True
        elif kind == ORDER_REPLACED:
            if rec.rests:
                led.replaced(rec, px or None, qty)
        elif kind == ORDER_REJECTED and (done is False or (done is None and (rec.pending or rec.cancels))):
            # a request about a resting order was refused; the order rests on as it was
            if rec.pending and not rec.cancels:
                led.replace_refused(rec)
            elif rec.cancels:
                # a cancel (or, if both are in flight, perhaps a replace): keeping the
                # replace's reservation until the order is done is the safe reading
                rec.cancels -= 1
        elif kind in (ORDER_CANCELED, ORDER_REJECTED):
            led.remove(order_id)

    def on_fill(self, strategy: str, sym: int, side: int, qty: int, order_id: int | None = None, done: bool | None = None) -> None:
        """A fill; with an ``order_id`` the ledger also shrinks that order (same as on_order_event)."""
        if order_id is not None and order_id in self.ledger.orders:
            self.on_order_event(order_id, ORDER_FILL, 0, qty, done)
        else:
            self.ledger.fill(self._index[strategy], sym, side, qty, None)

    # --- post-trade watch -----------------------------------------------------------------
    def post_trade(
        self,
        now_ns: int,
        equity_by_strategy: Mapping[str, float],
        total_equity: float,
        last_data_ns_by_sym: Mapping[int, int] | Sequence[int],
        mids: Mapping[int, float] | Sequence[float | None] | None = None,
    ) -> list[StateChange]:
        """Daily loss, drawdown and stale feed; returns the state changes since the last call.

        ``mids`` (ticks, per symbol) keeps the gross-notional check current for
        symbols the strategy is not trading right now.
        """
        self._now = max(self._now, now_ns)
        changes: list[StateChange] = []
        if self.kill_switch.tripped:  # tripped by a viewer directly: bring the states in line
            changes.extend(self._notice_kill(now_ns))
        for j in range(self._ns):
            m = _get(mids, j) if mids is not None else None
            if m is not None:
                self._mid2[j] = 2 * m
        for i, name in enumerate(self.names):
            eq = equity_by_strategy.get(name)
            if eq is None:
                continue
            loss, dd = self._watch[i].update(now_ns, eq)
            lim = self._lim[i]
            hit = breach(loss, dd, lim.daily_loss, lim.max_drawdown)
            if hit and self._state[i] == S_ACTIVE:
                changes.append(self._set(i, self._breach_state(), hit[0], hit[1], now_ns))
        loss, dd = self._gwatch.update(now_ns, total_equity)
        hit = breach(loss, dd, self._glim.daily_loss, self._glim.max_drawdown)
        if hit and self._gstate == S_ACTIVE:
            changes.append(self._set(-1, self._breach_state(), hit[0], hit[1], now_ns))
        for j in range(self._ns):
            last = _get(last_data_ns_by_sym, j)
            if last is None:
                continue  # no data seen yet: nothing to judge
            age = now_ns - last
            for i, name in enumerate(self.names):
                k = i * self._ns + j
                stale = age > self._lim[i].stale_ns
                if stale != self._stale[k]:
                    self._stale[k] = stale
                    sym = self.instruments[j].symbol
                    text = f"no data for {sym} for {age / 1e6:.0f} ms: only risk-reducing orders" if stale else f"data for {sym} flows again"
                    old, new = (STATE_NAMES[S_ACTIVE], STATE_NAMES[S_REDUCE])[:: 1 if stale else -1]
                    changes.append(StateChange(now_ns, f"{name}:{sym}", old, new, "stale_feed" if stale else "feed_ok", text))
        return changes

    def feed_resyncing(self, sym: int, on: bool, reason: str, now_ns: int) -> list[StateChange]:
        """A live feed lost (``on``) or regained the exact book of ``sym``. While it is
        resyncing no new order on ``sym`` passes (cancels do): the book is not known."""
        if self._resyncing[sym] == on:
            return []
        self._resyncing[sym] = on
        symbol = self.instruments[sym].symbol
        old, new = (STATE_NAMES[S_ACTIVE], STATE_NAMES[S_HALTED])[:: 1 if on else -1]
        text = f"{symbol} book resyncing ({reason}): no new orders on it" if on else f"{symbol} book in sync"
        return [StateChange(now_ns, f"feed:{symbol}", old, new, "feed_resync" if on else "feed_ok", text)]

    def _breach_state(self) -> int:
        return S_HALTED if self.config.breach_action == "halt" else S_REDUCE

    def _set(self, si: int, state: int, reason: str, text: str, now: int) -> StateChange:
        if si < 0:
            old, self._gstate, self._gwhy = self._gstate, state, reason
            scope = GLOBAL
        else:
            old, self._state[si], self._why[si] = self._state[si], state, reason
            scope = self.names[si]
        return StateChange(now, scope, STATE_NAMES[old], STATE_NAMES[state], reason, f"{scope}: {STATE_NAMES[state]} ({text})")

    # --- kill switch and states -------------------------------------------------------------
    def kill(self, reason: str = "kill switch", now_ns: int | None = None) -> list[StateChange]:
        """Trip the switch: everything HALTED until ``rearm``. The engine cancels the orders
        (``open_order_ids()``); cancels stay allowed."""
        self.kill_switch.trip(reason)
        return self._notice_kill(self._clock(now_ns))

    def _notice_kill(self, now: int) -> list[StateChange]:
        if self._kill_seen:
            return []
        self._kill_seen = True
        why = f"kill switch: {self.kill_switch.reason}"
        changes = [self._set(-1, S_HALTED, "killed", why, now)]
        changes += [self._set(i, S_HALTED, "killed", why, now) for i in range(len(self.names)) if self._state[i] != S_HALTED]
        return changes

    def rearm(self, now_ns: int | None = None) -> list[StateChange]:
        """Leave the killed state: global ACTIVE; strategies stay HALTED until ``enable``d."""
        if not (self.kill_switch.tripped or self._kill_seen):
            return []
        self.kill_switch.reset()
        self._kill_seen = False
        return [self._set(-1, S_ACTIVE, "rearmed", "re-armed; enable strategies one by one", self._clock(now_ns))]

    def enable(self, name: str | None, now_ns: int | None = None, restart_watch: bool = False) -> list[StateChange]:
        """Back to ACTIVE (``name`` None: the global state). ``restart_watch`` also counts
        daily loss and drawdown afresh from the current equity; without it a breach
        that still holds trips again at the next watch."""
        if self.kill_switch.tripped:
            raise HftError("the kill switch is tripped: re-arm first")
        si = -1 if name is None else self._strategy(name)
        if restart_watch:
            (self._gwatch if si < 0 else self._watch[si]).restart()
        return [self._set(si, S_ACTIVE, "enabled", "enabled", self._clock(now_ns))]

    def disable(self, name: str | None, reason: str = "disabled", now_ns: int | None = None) -> list[StateChange]:
        si = -1 if name is None else self._strategy(name)
        return [self._set(si, S_HALTED, reason, reason, self._clock(now_ns))]

    def _clock(self, now_ns: int | None) -> int:
        if now_ns is not None:
            self._now = max(self._now, now_ns)
        return self._now

    def _strategy(self, name: str) -> int:
        si = self._index.get(name)
        if si is None:
            raise HftError(f"unknown strategy {name!r} (known: {', '.join(self.names)})")
        return si

    @property
    def killed(self) -> bool:
        return self.kill_switch.tripped

    @property
    def global_state(self) -> str:
        return STATE_NAMES[S_HALTED if self.kill_switch.tripped else self._gstate]

    def state(self, name: str) -> str:
        return STATE_NAMES[S_HALTED if self.kill_switch.tripped else self._state[self._strategy(name)]]

    def states(self) -> dict[str, str]:
        return {n: self.state(n) for n in self.names}

    # --- run-time limits ------------------------------------------------------------------
    def set_limit(self, key: str, value: Any, strategy: str | None = None) -> str:
        """Change a limit now; returns a line for the log. Bad key or value: HftError."""
        value = parse_limit(key, value)
        if strategy is None:
            self.config = dataclasses.replace(self.config, **{key: value})
            targets = list(range(len(self.names)))
            self._glim = ScopeLimits(self.config.global_values(), self.instruments)
            self._grate = self._rewindow(self._grate, self._glim.rate)
        else:
            si = self._strategy(strategy)
            over = dict(self.config.strategies)
            over[strategy] = dataclasses.replace(over.get(strategy, LimitOverrides()), **{key: value})
            self.config = dataclasses.replace(self.config, strategies=over)
            targets = [si]
        for i in targets:
            self._lim[i] = ScopeLimits(self.config.for_strategy(self.names[i]), self.instruments)
            self._rate[i] = self._rewindow(self._rate[i], self._lim[i].rate)
        text = str(value).lower() if isinstance(value, bool) else f"{value:g}"
        return f"risk limit {key} = {text} ({strategy or 'global'})"

    @staticmethod
    def _rewindow(window: RateWindow, cap: int) -> RateWindow:
        return window if window.cap == cap else RateWindow(cap, window.recent())

    # --- views and figures ---------------------------------------------------------------------
    def open_order_ids(self, strategy: str | None = None) -> list[int]:
        return self.ledger.open_ids(None if strategy is None else self._strategy(strategy))

    def position(self, strategy: str, sym: int = 0) -> int:
        return self.ledger.pos[self._strategy(strategy) * self._ns + sym]

    @property
    def rejections(self) -> dict[str, int]:
        return dict(sorted(self._rejections.items()))

    def order_counts(self) -> dict[str, dict[str, int]]:
        led = self.ledger
        return {
            n: {
                "orders_sent": led.orders_sent[i],
                "lots_sent": led.lots_sent[i],
                "cancels_sent": led.cancels_sent[i],
                "replaces_sent": led.replaces_sent[i],
                "fills": led.fills[i],
            }
            for i, n in enumerate(self.names)
        }

    def limits_view(self, now_ns: int | None = None) -> tuple[LimitView, ...]:
        """Utilisation of the aggregate limits, global first; positions as worst-case exposure."""
        now = self._now if now_ns is None else now_ns
        led, out = self.ledger, []
        for si, scope in [(-1, GLOBAL), *enumerate(self.names)]:
            lim = self._glim if si < 0 else self._lim[si]
            for j, inst in enumerate(self.instruments):
                if si < 0:
                    pos, ob, os = led.tpos[j], led.topen_buy[j], led.topen_sell[j]
                else:
                    k = si * self._ns + j
                    pos, ob, os = led.pos[k], led.open_buy[k], led.open_sell[k]
                worst = max(abs(pos + ob), abs(pos - os))
                cap = lim.position_lots[j]
                limit = float("inf") if cap >= UNLIMITED else inst.lots_to_float(cap)
                out.append(LimitView(f"max_position {inst.symbol}", scope, inst.lots_to_float(worst), limit))
            watch = self._gwatch if si < 0 else self._watch[si]
            rate = self._grate if si < 0 else self._rate[si]
            n_open = led.n_open_total if si < 0 else led.n_open[si]
            v = lim.values
            out.append(LimitView("max_gross_notional", scope, self._gross_others(si, -1), v.max_gross_notional))
            out.append(LimitView("max_open_orders", scope, float(n_open), float(v.max_open_orders)))
            out.append(LimitView("max_order_rate", scope, float(rate.in_window(now)), float(v.max_order_rate)))
            out.append(LimitView("daily_loss", scope, watch.loss_today(), v.daily_loss))
            out.append(LimitView("max_drawdown", scope, watch.drawdown(), v.max_drawdown))
        return tuple(out)


def _get(values: Any, j: int) -> Any:
    if isinstance(values, Mapping):
        return values.get(j)
    return values[j] if j < len(values) else None
