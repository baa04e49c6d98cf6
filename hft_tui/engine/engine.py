"""The engine loop: source -> exchange (book + own orders) -> strategies -> risk -> exchange.

One thread runs it (``run`` inline for a backtest, ``start`` for a viewer). A
batch from the source goes to the exchange's jitted runner, which applies the
market events to the book, matches own orders and returns early at a message
boundary when something needs Python: an own-order event, a watched best price
that moved, or an event-time deadline (a strategy timer, the next equity
sample, a delayed exchange response, the replay pacing). Between runner calls
the engine

- checks the kill switch (a flag: no queue needed) and drains the command queue,
  the kill first;
- delivers own-order events whose response time has come (desk -> risk ledger,
  portfolio, ``on_fill``);
- samples equity and mids on a fixed event-time grid;
- wakes the strategies whose conditions hold, in their order, each hook under
  the watchdog's time budget;
- publishes a snapshot at most every ``snapshot_ms`` of wall time if a viewer
  asked for them.

The built-in market maker alone on one symbol has most of its wake-ups done
inside the runner (``fast_quote``): the engine arms that path before each run
and enters what it sent after it (``fast_link``), as its own stops would have.

Everything that decides fills and results depends on the events only: where a
batch or a pacing stop falls changes nothing, because wake conditions are
evaluated at every message boundary where one can hold (the runner stops
there), the clock at a stop is the latest feed time seen so far (receive times
may step back) or the deadline reached, and extra stops are no-ops.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hft_tui.engine import exchange_link
from hft_tui.engine.clock import Pacer
from hft_tui.engine.commands import Command, Kill, KillSwitch
from hft_tui.engine.context import EngineContext
from hft_tui.engine.control import Controller
from hft_tui.engine.fast_link import FastQuote
from hft_tui.engine.feed_watch import FeedWatch
from hft_tui.engine.journal import Journal
from hft_tui.engine.orders import OrderDesk
from hft_tui.engine.publish import Publisher
from hft_tui.engine.sampler import Sampler
from hft_tui.engine.settings import EngineSettings, engine_settings
from hft_tui.engine.slots import NO_TIMER, Slot, watch_bands
from hft_tui.engine.snapshot import HALTED, LogLine, Snapshot
from hft_tui.engine.tape import Tape
from hft_tui.engine.warmup import ensure_warm
from hft_tui.engine.watchdog import KILL, Watchdog
from hft_tui.exchange.codes import STOP_BBO, STOP_DEADLINE
from hft_tui.exchange.layout import CTL_LEN
from hft_tui.portfolio import Portfolio
from hft_tui.risk import RiskManager
from hft_tui.source import Source
from hft_tui.strategies.loader import StrategySpec


class Engine:
    def __init__(
        self,
        source: Source,
        specs: Sequence[StrategySpec],
        cfg: Mapping[str, Any],
        *,
        mode: str = "BACKTEST",
        speed: float | None = None,
        kill: KillSwitch | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.source = source
        self.mode = mode
        self.cfg = cfg
        self.settings = settings or engine_settings(cfg)
        self.instruments = list(source.instruments)
        self.n_syms = len(self.instruments)
        names = [s.name for s in specs]
        self.kill = kill or KillSwitch()
        self.watchdog = Watchdog(self.kill, self.settings.hook_budget_ms / 1000.0)
        self.risk = RiskManager(cfg, self.instruments, names, self.kill)
        self.portfolio = Portfolio(self.instruments, names)
        self.xl = exchange_link.ExchangeLink(cfg, self.instruments)
        # feed times as the exchange computes them (its latency settings survive a reset)
        self.tape = Tape(self.n_syms, self.xl.ints[:CTL_LEN])
        self.desk = OrderDesk(self)
        self.feed_watch = FeedWatch(self)  # a live feed's stale books (inactive otherwise)
        self.slots = [Slot(i, spec, spec.build(), self.n_syms) for i, spec in enumerate(specs)]
        self.positions = [[0] * self.n_syms for _ in self.slots]
        for slot in self.slots:
            slot.ctx = EngineContext(self, slot)
            slot.read_wake_settings()
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.wakeup = threading.Event()
        self.pacer = Pacer(speed, self.wakeup)
        self.control = Controller(self)
        self.publisher = Publisher(self)
        self.journal = Journal(self.settings.log_lines)
        self.verbose = False  # order/fill log lines: only when a viewer looks
        self.now = 0
        self.events_total = 0
        self.stops = 0
        self.state = "starting"
        self.error = ""
        self._timer_min = NO_TIMER
        # the batch being processed, the runner's position in it, the tape's
        self._events: Any = None
        self._pos = 0
        self._tape_pos = 0
        self.sampler = Sampler(self)
        self.on_batch: Callable[[Engine], None] | None = None
        self.latest: Snapshot | None = None
        self._thread: threading.Thread | None = None
        self._started = False
        self.last_kill_us: float | None = None
        self.fast = FastQuote.build(self)  # the market maker's jitted wake-ups, or None
        self.slots_changed()

    # --- viewer side (any thread) -------------------------------------------------------
    def command(self, cmd: Command) -> None:
        """Queue a command; a Kill also trips the shared flag at once."""
        if isinstance(cmd, Kill):
            self.control.kill_t0 = time.perf_counter()
            self.kill.trip(cmd.reason)
        self.commands.put(cmd)
        self.wakeup.set()

    def want_snapshots(self, on: bool = True, notify: Callable[[], None] | None = None) -> None:
        """Publish snapshots for viewers (``notify``: called in the engine thread after each)."""
        self.publisher.enabled = on
        self.publisher.notify = notify
        self.verbose = on

    def start(self) -> threading.Thread:
        """Run in a background thread (the TUI uses a Textual thread worker instead)."""
        self._thread = threading.Thread(target=self.run, kwargs={"reraise": False}, name="hft-engine", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # --- the loop ------------------------------------------------------------------------
    def run(self, reraise: bool = True) -> None:
        ensure_warm()
        self.watchdog.start()
        self.source.start()
        self.state = "running"
        try:
            while not self.control.stopping:
                self.control.between()
                self.control.reread = False
                if self.control.stopping:
                    break
                # paused: nothing is read, except to finish a seek (the book at the target)
                if self.control.paused and not self.control.step_pending and self.xl.ff_until is None:
                    self.control.wait_paused()
                    continue
                batch = self.source.read(self.settings.batch_events, 0.05)
                if batch is None:
                    break
                self.feed_watch.check(may_clear=False)
                if len(batch):
                    self._batch(batch)
                elif self.source.realtime and self._started:
                    self._idle()
                self.feed_watch.check()
                if self.on_batch is not None:
                    self.on_batch(self)
                self.publisher.maybe_publish()
            self._finish()
        except Exception as exc:
            self.state = "error"
            self.error = f"{type(exc).__name__}: {exc}"
            self.log("engine", "", f"engine stopped: {self.error}", "error")
            if reraise:
                raise
        finally:
            self.watchdog.stop()
            self.source.stop()
            self.publisher.publish()

    def _batch(self, events: Any) -> None:
        xl = self.xl
        control = self.control
        killed = self.kill.tripped_now  # bound method of the flag: cheap to call per stop
        commands_empty = self.commands.empty
        pacer = self.pacer
        publisher = self.publisher
        fast = self.fast
        desk = self.desk
        if events.flags.writeable:
            # One array type for every jitted kernel (tick files are read-only maps):
            # numba compiles each kernel once instead of twice.
            events = events.view()
            events.flags.writeable = False
        n = len(events)
        i = 0
        self._events = events
        self._tape_pos = 0
        if not self._started:
            self._start_strategies(xl.first_feed_time(events))
        while i < n:
            if killed() or not commands_empty():
                control.between()
            if control.stopping or control.reread:
                control.reread = False  # a seek back: the source starts over
                break
            if xl.ff_until is not None:  # after a seek: the book only, up to the target
                j = xl.fast_forward(events, i, n)
                self.events_total += j - i
                i = self._pos = self._tape_pos = j
                continue
            end = n
            fixed = min(self.sampler.next_sample, desk.due, self._timer_min)  # mid grid: the runner's
            deadline = fixed
            if control.paused:
                if not control.step_pending:
                    control.wait_paused()
                    continue
                end, step_deadline = control.step_window(events, i, n, self.now)
                deadline = min(deadline, step_deadline)
            if pacer.speed is not None and not control.paused:  # a step is not paced: it jumps
                deadline = min(deadline, pacer.horizon(self.now))
            if fast is not None:
                fast.before_run()
            j = xl.run(events, i, end, deadline)
            if fast is not None:
                fast.after_run()
            self.sampler.after_run()
            if control.paused:
                control.stepped(events, i, j)
            self.events_total += j - i
            self._pos = i = j
            self.stops += 1
            now = xl.feed_now
            paced = False
            if xl.reason == STOP_DEADLINE:
                at = xl.stop_deadline
                if at < deadline or deadline == fixed:
                    # a timer, a sample, a response's arrival: the clock reaches it
                    now = max(now, at)
                else:
                    paced = True  # only the pacing (or a step) stopped it
            if now > self.now:
                self.now = now
            self._after_stop()
            if paced and i < n:
                pacer.wait(deadline)
            if publisher.enabled:
                publisher.maybe_publish()
        self.tape.update(events, self._tape_pos, i)
        self._events = None
        if fast is not None:
            fast.synced = False  # between batches: feed checks, viewers

    def _idle(self) -> None:
        """A live feed with nothing new: time still passes (wall clock, as the feed's
        receive times): in-flight orders reach the matcher, timers and samples fire."""
        self.now = max(self.now, time.time_ns())
        self.xl.flush(self.now)
        self._after_stop()

    def sync_tape(self) -> None:
        """Bring the trade counters up to the current event (they lag behind by design)."""
        if self._events is not None and self._pos > self._tape_pos:
            self.tape.update(self._events, self._tape_pos, self._pos)
            self._tape_pos = self._pos

    def slots_changed(self) -> None:
        """A strategy was halted, enabled, re-parametrised: recompute what the runner watches."""
        self.update_timers()
        self._watchers = [
            [s for s in self.slots if s.live and s.wake_ticks and sym in s.symbols] for sym in range(self.n_syms)
        ]
        watched = [(sym, w[0]) for sym, w in enumerate(self._watchers) if w]
        # One strategy on one symbol, the usual case: its band is its own references
        # (``watch_bands``), and after a wake only they move.
        self._lone_watch = watched[0] if len(watched) == 1 and len(self._watchers[watched[0][0]]) == 1 else None
        self.xl.watch(watch_bands(self._watchers))

    def update_timers(self) -> None:
        self._timer_min = min([s.next_timer for s in self.slots if s.live], default=NO_TIMER)

    def _after_stop(self) -> None:
        now = self.now
        xl = self.xl
        self.desk.receive(xl.take_own())
        self.desk.deliver(now)
        if now >= self.sampler.next:
            self.sampler.due(now)
        if self.kill.tripped_now():
            return  # the loop acts on it before anything else
        woke = False
        tops = xl.tops()
        for slot in self.slots:
            if slot.live and slot.wake_due(now, tops):
                self._wake(slot, now, tops)
                woke = True
        if woke or xl.reason == STOP_BBO:
            # the runner moved its references at a best-price stop: put the bands back
            self._refresh_watch()

    # --- wake-ups ---------------------------------------------------------------------------
    def _wake(self, slot: Slot, now: int, tops: list[tuple[int, int]]) -> None:
        slot.wake_now = False
        for sym in slot.symbols:
            slot.ref_bid[sym], slot.ref_ask[sym] = tops[sym]
        if slot.timer_ns and slot.next_timer <= now:
            slot.next_timer += ((now - slot.next_timer) // slot.timer_ns + 1) * slot.timer_ns
            self.update_timers()  # only a timer that moved can change the earliest one
        if self.fast is not None and slot is self.fast.slot and self.fast.wake():
            return  # done (and counted) in jitted code
        slot.wakes += 1
        self.call_hook(slot, slot.strategy.on_wake, slot.ctx)

    def _refresh_watch(self) -> None:
        """Tell the runner which best-price moves matter (see ``slots.watch_bands``)."""
        lone = self._lone_watch
        if lone is not None:
            sym, slot = lone
            self.xl.move_band(sym, slot.ref_bid[sym], slot.ref_ask[sym])
        else:
            self.xl.watch(watch_bands(self._watchers))

    def call_hook(self, slot: Slot, fn: Callable[..., Any], *args: Any) -> None:
        """Run a strategy hook under the time budget; a failure stops that strategy only."""
        try:
            why = self.watchdog.call(fn, *args)
        except (Exception, SystemExit) as exc:  # a strategy's sys.exit() stops it, not the run
            self.control.fail(slot, f"{type(exc).__name__} in {fn.__name__}: {exc}")
            return
        if why == KILL:
            self.log("strategy", slot.name, f"{fn.__name__} interrupted by the kill switch", "warning")
        elif why:
            budget = self.settings.hook_budget_ms
            self.control.fail(slot, f"{fn.__name__} ran over its {budget:g} ms budget")

    def _start_strategies(self, now: int) -> None:
        self._started = True
        # a seek before the first batch (replay --start) moved the clock to its target
        now = self.now = max(self.now, now)
        self.sampler.start(now)
        self.sampler.first(now)
        for slot in self.slots:
            slot.started = True
            for sym in range(self.n_syms):  # empty sides: the first price is a move
                slot.ref_bid[sym] = self.xl.top_px(sym, 1)
                slot.ref_ask[sym] = self.xl.top_px(sym, -1)
            if slot.timer_ns:
                slot.next_timer = now + slot.timer_ns
            self.call_hook(slot, slot.strategy.on_start, slot.ctx)
        self.slots_changed()

    def _finish(self) -> None:
        if self.state in ("running", "paused"):
            self.state = "ended"  # (before on_stop: the desk sends nothing new from now on)
        if self.desk.inbox:  # responses still on their way when the data ended
            self.now = max(self.now, self.desk.inbox[-1][1])
            self.desk.on_events(list(self.desk.inbox))
            self.desk.clear_inbox()
        for slot in self.slots:
            if slot.started and slot.state != HALTED:
                self.call_hook(slot, slot.strategy.on_stop, slot.ctx)
        if self._started:
            self.sampler.sample(self.now, final=True)

    # --- reads for ctx, desk and viewers --------------------------------------------------------
    def traded(self, sym: int) -> tuple[int, int]:
        self.sync_tape()
        return self.tape.traded(sym)

    def log(self, category: str, strategy: str, text: str, level: str = "info") -> None:
        self.journal.add(self.now, category, strategy, text, level)

    def log_later(self, category: str, strategy: str, text: Callable[..., str], *args: Any, at: int | None = None) -> None:
        """An info line built when read (order and fill lines: see ``journal``), at ``at``
        (default: now; the market maker's jitted path logs what it sent at its times)."""
        self.journal.add_later(self.now if at is None else at, category, strategy, text, args)

    def log_tail(self, n: int) -> tuple[LogLine, ...]:
        return self.journal.tail(n)

    @property
    def logs(self) -> tuple[LogLine, ...]:
        """Every log line kept (the last ``log_lines``), oldest first."""
        return self.journal.all()
