"""Load (or, the first time, compile) every jitted kernel the engine uses, outside timed runs.

Registered in ``hft_tui.jit.KERNEL_MODULES`` as "engine": ``jit.prepare(["engine"])``
announces a first compile and drops cached kernels built from other sources
(``runner.drive`` calls the exchange's runner, in another file).

numba compiles a kernel on its first call for each argument type; the engine
passes every event array to its kernels read-only (as memory-mapped tick files
are), so one type is exercised here.
"""

from __future__ import annotations

import gc

import numpy as np

from hft_tui.engine.exchange_link import after_messages, count_messages, first_at_or_after
from hft_tui.engine.fast_link import wake_entry
from hft_tui.engine.fast_quote import fast_wake
from hft_tui.engine.runner import drive
from hft_tui.engine.tape import tape_summary, tape_update
from hft_tui.events import ADD, ASK, BID, EOM, EVENT_DTYPE, EXECUTE
from hft_tui.risk.rate import RateWindow, rate_allows, rate_record
from hft_tui.strategies.market_maker import as_quotes, quotes_entry
from hft_tui.stream import first_message_end, last_message_end

#: the jitted functions Python calls (``hft_tui.jit`` checks their cache)
KERNELS = (
    drive, tape_update, tape_summary, after_messages, count_messages, first_at_or_after, last_message_end, first_message_end,
    rate_allows, rate_record, as_quotes, fast_wake,
)  # fmt: skip
COMPILE_ESTIMATE_S = 60


def _events() -> np.ndarray:
    ev = np.zeros(4, EVENT_DTYPE)
    ev["exch_ts"] = [1, 2, 3, 4]
    ev["kind"] = [ADD, ADD, EXECUTE, ADD]
    ev["side"] = [BID, ASK, ASK, BID]
    ev["px"] = [100, 102, 102, 99]
    ev["qty"] = [5, 5, 1, 5]
    ev["order_id"] = [1, 2, 2, 3]
    ev["flags"] = EOM
    return ev


_DONE = False


def ensure_warm() -> None:
    """``warm_up`` once per process: an engine must not compile inside a strategy hook
    (the first ``ctx.buy`` would otherwise compile the exchange's order entry there,
    against the hook's time budget)."""
    global _DONE
    if not _DONE:
        warm_up()
        _DONE = True
        # What the process holds by now (numba's compiled kernels and their types, the
        # imported modules) lives as long as it does: frozen, the collector's full
        # passes skip it (as the app does at its first frame). Unfrozen, each such pass
        # stopped the engine thread for 60 to 75 ms (inside a headless run, or at the
        # end of a TUI replay); frozen, 3 to 6 ms. The garbage of the moment stays, once.
        gc.freeze()


def warm_up() -> None:
    from hft_tui.config import load
    from hft_tui.engine.exchange_link import ExchangeLink
    from hft_tui.engine.tape import Tape
    from hft_tui.instrument import Instrument

    cfg = load(use_user_file=False)
    inst = Instrument("WARMUP", "0.01", "0.01")
    tape = Tape(1)
    ev = _events()
    ev.flags.writeable = False  # the engine hands the kernels read-only arrays only
    xl = ExchangeLink(cfg, [inst])
    xl.watch([(100, 1, 102, 1)])
    xl.tops()
    oid = xl.new_order(0, 1, 98, 1, "post_only", 0, 0)
    xl.replace(oid, 97, 1, 0)
    xl.new_order(0, -1, 103, 1, "limit", 0, 0)
    xl.new_order(0, 1, 110, 1, "ioc", 0, 0)
    xl.cancel(oid, 0)
    i = 0
    while i < len(ev):
        i = xl.run(ev, i, len(ev), 1 << 62)
        xl.take_own()
    xl.depth(0, 1, 5)
    tape.update(ev, 0, len(ev))
    tape.summary(0, 0)
    after_messages(ev, 0, len(ev), 1)
    count_messages(ev, 0, len(ev))
    first_at_or_after(ev, 0, len(ev), 2)
    for events in (ev, ev.copy()):  # a tick file's read-only view; a stream's joined pieces
        last_message_end(events, 0, len(events))
        first_message_end(events, 0, len(events))
    xl.flush(10)
    xl.fast_forward_to(3)
    xl.fast_forward(ev, 0, len(ev))
    window = RateWindow(2)
    window.allows(0)
    window.record(0)
    quotes_entry()(200, 0.0, 1.0, 0.1, 0.1, 1.0, 1)
    wake_entry(xl)
