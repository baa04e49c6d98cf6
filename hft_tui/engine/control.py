"""Commands from viewers, the kill switch, and strategy failures.

``between`` runs between two runner calls: the kill switch first (cancel every
open order, halt every strategy, before any further event is processed), then
the queued commands in the order they came.
"""

from __future__ import annotations

import queue
import time
from typing import TYPE_CHECKING, Any

from hft_tui.engine.clock import NO_DEADLINE
from hft_tui.engine.exchange_link import NO_PX
from hft_tui.engine.commands import (
    EnableStrategy,
    Kill,
    Pause,
    Rearm,
    Resume,
    Seek,
    SetLimit,
    SetParam,
    SetSpeed,
    Step,
    Stop,
)
from hft_tui.engine.slots import NO_TIMER, Slot
from hft_tui.engine.snapshot import ACTIVE, HALTED
from hft_tui.errors import HftError
from hft_tui.strategies.loader import check_param, check_params
from hft_tui.text import utc_ms

if TYPE_CHECKING:
    from hft_tui.engine.engine import Engine


class Controller:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.stopping = False
        self.reread = False  # drop the rest of the current batch (after a seek back)
        self.paused = False
        self.killed = False
        self.kill_t0: float | None = None
        self._step_msgs = 0
        self._step_until = NO_DEADLINE
        self._step_time = False

    # --- polling from the loop --------------------------------------------------------------
    def pending(self) -> bool:
        return not self.e.commands.empty()

    def between(self) -> None:
        e = self.e
        if e.fast is not None:
            e.fast.synced = False  # a command may change what its state holds
        acted = False
        if e.kill.tripped and not self.killed:
            self._kill(e.kill.reason or "kill switch")
            acted = True
        cmds = []
        while not e.commands.empty():
            try:
                cmds.append(e.commands.get_nowait())
            except queue.Empty:
                break
        for cmd in cmds:  # a Kill anywhere in the queue acts before everything else
            if isinstance(cmd, Kill) and not self.killed:
                e.kill.trip(cmd.reason)
                self._kill(cmd.reason)
        for cmd in cmds:
            if not isinstance(cmd, Kill):
                try:
                    self.apply(cmd)
                except HftError as exc:
                    e.log("engine", "", str(exc), "error")
        if acted or cmds:
            # a viewer sees what a command did now, not at the next snapshot tick
            e.publisher.publish()

    def after_end(self) -> None:
        """Apply what a viewer sent after the run ended (a kill, a re-arm, enabling a
        strategy, a limit): the picture stays on screen and the switch still works.
        No time passes without data, so the cancels a kill sends stay in flight."""
        e = self.e
        try:
            self.between()
        except Exception as exc:  # an engine that stopped on an error may not take it
            e.log("engine", "", f"after the end: {type(exc).__name__}: {exc}", "error")
        e.publisher.publish()

    def wait_paused(self) -> None:
        e = self.e
        e.state = "paused"
        e.publisher.maybe_publish()
        e.wakeup.wait(0.05)
        e.wakeup.clear()
        self.between()
        if not self.paused and e.state == "paused":
            e.state = "running"

    # --- stepping while paused -----------------------------------------------------------------
    @property
    def step_pending(self) -> bool:
        return self._step_msgs > 0 or self._step_time

    def step_window(self, events: Any, i: int, n: int, now: int) -> tuple[int, int]:
        """(end index, deadline) that bound the next runner call."""
        if not self.paused:
            return n, NO_DEADLINE
        if self._step_msgs > 0:
            return self.e.xl.after_messages(events, i, n, self._step_msgs), NO_DEADLINE
        if self._step_time:
            if self._step_until == NO_DEADLINE:
                self._step_until = now + self._step_ns
            return n, self._step_until
        return i, NO_DEADLINE

    def stepped(self, events: Any, i: int, j: int) -> None:
        if not self.paused:
            return
        if self._step_msgs > 0:
            self._step_msgs -= self.e.xl.count_messages(events, i, j)
        elif self._step_time and self.e.xl.stopped_on_deadline and self.e.xl.stop_deadline == self._step_until:
            self._step_time = False  # the next message is past the step's end

    # --- commands ----------------------------------------------------------------------------------
    def apply(self, cmd: Any) -> None:  # noqa: C901 - one branch per command
        e = self.e
        if isinstance(cmd, Rearm):
            changes = e.risk.rearm(e.now)
            if not changes and not self.killed:
                e.log("engine", "", "re-arm: the kill switch is not tripped, nothing to re-arm")
                return
            self._log_changes(changes)
            self.killed = False
            for slot in e.slots:
                slot.enabled = False  # re-enabled one by one
            e.slots_changed()  # (the runner must stop watching for them)
        elif isinstance(cmd, Pause):
            self.paused = True
            if e.state == "running":
                e.state = "paused"  # the snapshot published right after says so
        elif isinstance(cmd, Resume):
            self.paused = False
            # wherever the loop drains it (not only inside wait_paused), the state follows
            if e.state == "paused":
                e.state = "running"
            self._step_msgs = 0
            self._step_time = False
            e.pacer.reanchor()
        elif isinstance(cmd, SetSpeed):
            try:
                e.pacer.set_speed(cmd.speed)
            except ValueError as exc:
                raise HftError(str(exc)) from None
        elif isinstance(cmd, Step):
            if cmd.events > 0:
                self._step_msgs = int(cmd.events)
            elif cmd.seconds > 0:
                self._step_time = True
                self._step_ns = int(cmd.seconds * 1e9)
                self._step_until = NO_DEADLINE
            e.pacer.reanchor()
        elif isinstance(cmd, Seek):
            self._seek(cmd.ts_ns)
        elif isinstance(cmd, EnableStrategy):
            self._enable(self._slot(cmd.name), cmd.enabled)
        elif isinstance(cmd, SetParam):
            slot = self._slot(cmd.strategy)
            params = slot.strategy.params
            value = check_param(type(slot.strategy), f"strategy {slot.name}", cmd.key, cmd.value)
            check_params(type(slot.strategy), slot.name, {**params, cmd.key: value})
            old = params[cmd.key]
            params[cmd.key] = value
            try:
                slot.read_wake_settings()
            except HftError:
                params[cmd.key] = old  # a symbol beyond the run's: nothing changes
                raise
            e.slots_changed()
            e.log("engine", slot.name, f"parameter {cmd.key} = {value!r}")
        elif isinstance(cmd, SetLimit):
            e.log("risk", cmd.strategy or "", e.risk.set_limit(cmd.key, cmd.value, cmd.strategy))
        elif isinstance(cmd, Stop):
            n = e.desk.cancel_everything("stop")
            e.log("engine", "", f"stop: {n} cancels sent")
            self.stopping = True

    def _slot(self, name: str) -> Slot:
        for slot in self.e.slots:
            if slot.name == name:
                return slot
        raise HftError(f"no strategy named {name!r}")

    def _enable(self, slot: Slot, on: bool) -> None:
        e = self.e
        if on:
            self._log_changes(e.risk.enable(slot.name, e.now))  # refuses while killed
            slot.enabled = True
            slot.state = ACTIVE
            slot.error = ""
            slot.wake_now = True  # let it look at the market at the next stop
            if slot.timer_ns:
                slot.next_timer = e.now + slot.timer_ns
            # its orders pulled while it was off (kill switch, disable): it must not
            # go on managing them as its own
            untold, slot.untold = slot.untold, []
            for oid, why in untold:
                if slot.live:
                    e.call_hook(slot, slot.strategy.on_order_closed, slot.ctx, oid, why)
        else:
            slot.enabled = False
            e.desk.cancel_all(slot, why="disabled")
            self._log_changes(e.risk.disable(slot.name, "disabled", e.now))
            slot.next_timer = NO_TIMER
        e.slots_changed()

    def _seek(self, ts: int) -> None:
        """Replay from exchange time ``ts``: open orders are dropped (the exchange state
        does not survive a jump), the book is rebuilt by applying the events before
        ``ts`` without strategies, clocks and grids restart at ``ts``."""
        e = self.e
        seek = getattr(e.source, "seek", None)
        if seek is None:
            raise HftError("this source cannot seek")
        e.desk.drop_all("seek")
        e.desk.clear_inbox()
        if seek(ts):
            e.xl.reset()  # back in time: a fresh book, rebuilt from the start
            self.reread = True  # the rest of the current batch is not played
        e.xl.fast_forward_to(ts)
        e.now = ts
        e.risk.clock_jumped(ts)
        e.sampler.start(ts)
        for slot in e.slots:
            for sym in range(e.n_syms):
                slot.ref_bid[sym] = slot.ref_ask[sym] = NO_PX  # the book is being rebuilt
            if slot.timer_ns:
                slot.next_timer = ts + slot.timer_ns
        e.slots_changed()
        e.pacer.reanchor()
        e.log("engine", "", f"seek to {utc_ms(ts)}")

    # --- kill switch, failures, risk state changes -------------------------------------------------
    def _kill(self, reason: str) -> None:
        """Cancel every open order and halt every strategy, now."""
        e = self.e
        self.killed = True
        changes = e.risk.kill(reason, e.now)
        for slot in e.slots:
            slot.state = HALTED
            slot.next_timer = NO_TIMER
        n = e.desk.cancel_everything("kill switch")
        e.slots_changed()
        if self.kill_t0 is not None:
            e.last_kill_us = (time.perf_counter() - self.kill_t0) * 1e6
            self.kill_t0 = None
        e.log("risk", "", f"KILL SWITCH ({reason}): {n} orders cancelled, all strategies halted", "error")
        self._log_changes(changes)

    def fail(self, slot: Slot, text: str) -> None:
        """A strategy raised or ran over its budget: stop it, cancel its orders, go on."""
        e = self.e
        slot.state = HALTED
        slot.error = text
        slot.next_timer = NO_TIMER
        n = e.desk.cancel_all(slot, why="strategy stopped")
        e.log("strategy", slot.name, f"stopped: {text} ({n} orders cancelled)", "error")
        self._log_changes(e.risk.disable(slot.name, "error", e.now))
        e.slots_changed()

    def on_state_change(self, change: Any) -> None:
        e = self.e
        e.log("risk", "" if change.scope == "global" else change.scope, change.text, change.level)
        if change.new == HALTED:
            # a halted scope stops quoting: its resting orders go
            for slot in e.slots:
                if change.scope in ("global", slot.name):
                    e.desk.cancel_all(slot, why=f"risk: {change.reason}")

    def _log_changes(self, changes: list[Any]) -> None:
        for change in changes:
            self.e.log("risk", "" if change.scope == "global" else change.scope, change.text, change.level)
