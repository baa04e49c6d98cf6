"""The market maker's own fills met inside the runner: entered in the fast path's state,
and the wake-up that follows them done there too (``fast_quote``), with no stop.

On the Python path a fill's arrival stops the runner: the desk delivers it (the
portfolio, the risk ledger, ``on_fill``, which for ``mm`` forgets a filled
quote) and wakes the strategy, which places the filled side anew. ``fast_stop``
does the part that decides what is sent: the position and the quotes move as
the fill says, then ``fast_wake`` runs at the stop's time. The fill itself is
left in the exchange's output and logged (``L_FILLS``): the engine delivers it
through the desk at the next stop, at its place among the orders sent
(``fast_link``), so the portfolio, the ledger and the hooks see what the Python
path shows them, in the same order.

The position, the quotes' open lots, their reserved lots and the open-order
counts, and the own best prices when a quote fills in full, move as the ledger
moves them (the quote rule, the size of a replace and the limits depend on
them). Where this state may hold more than the ledger (a replace it counts in
flight may have been confirmed; another order may have closed), it keeps the
larger: more refusals left to Python, never fewer.

Only fills: any other answer that calls a hook (an order closed by the
exchange) due at that time, a deadline of the engine reached, or a wake-up
``fast_wake`` does not do, and nothing is changed: the runner stops as before.
"""

from __future__ import annotations

from numba import njit

from hft_tui.engine.fast_quote import (
    D_ANSWER,
    D_DEADLINE,
    D_LOG_FULL,
    F_ASK,
    F_BID,
    F_DECLINED,
    F_ENOW,
    F_FCUR,
    F_MPOS,
    F_NLOG,
    F_NOPEN,
    F_NOPEN_T,
    F_OB,
    F_OS,
    F_OTHER_ASK,
    F_OTHER_BID,
    F_OWN_ASK,
    F_OWN_BID,
    F_POS,
    F_SYNCED,
    F_TOB,
    F_TOS,
    F_TPOS,
    LOG_ROWS,
    L_FILLS,
    Q_ID,
    Q_LEAVES,
    Q_OK,
    Q_PEND,
    Q_RES,
    calls_hook,
    fast_wake,
    log_row,
)
from hft_tui.events import ORDER_DONE, ORDER_FILL
from hft_tui.exchange.layout import C_NOUT


@njit(cache=True, nogil=True)
def _enter_fill(fq, e):
    """``Ledger.fill`` (and ``remove`` when done), ``OrderDesk._fill`` and ``on_fill`` on
    the state: exactly for the quotes it knows, conservatively for the rest."""
    moved = e.side * e.qty
    fq[F_MPOS] += moved
    fq[F_POS] += moved
    fq[F_TPOS] += moved
    done = (e.flags & ORDER_DONE) != 0
    for base in (F_BID, F_ASK):
        if fq[base + Q_ID] != e.order_id:
            continue
        if fq[base + Q_OK] != 0:
            leaves = max(0, fq[base + Q_LEAVES] - e.qty)
            fq[base + Q_LEAVES] = leaves
            res = fq[base + Q_RES]
            # with a replace in flight (here: perhaps no longer) the ledger keeps more
            target = 0 if done else (max(0, res - e.qty) if fq[base + Q_PEND] != 0 else leaves)
            if e.side > 0:
                fq[F_OB] += target - res
                fq[F_TOB] += target - res
            else:
                fq[F_OS] += target - res
                fq[F_TOS] += target - res
            fq[base + Q_RES] = target
            if done:
                fq[F_NOPEN] -= 1
                fq[F_NOPEN_T] -= 1
                # its own price levels go: what is left is the other orders'
                if base == F_BID:
                    fq[F_OWN_BID] = fq[F_OTHER_BID]
                else:
                    fq[F_OWN_ASK] = fq[F_OTHER_ASK]
        if done:
            fq[base + Q_ID] = 0  # on_fill: the strategy forgets a filled quote
            fq[base + Q_OK] = 0


@njit(cache=True, nogil=True)
def fast_stop(book, ints, floats, out, symv, fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st, t, due, grid_at, deadline):
    """The runner stopped at time ``t`` (an answer's arrival, a best-price move): the
    fills due by then and the wake-up, done here if sure (module docstring). Returns
    the runner's next due time, or 0 (``F_DECLINED`` says why) for a stop."""
    fixed = min(grid_at, deadline)
    if t >= fixed:  # the engine's own deadline (timer, sample, mid row, its inbox)
        fq[F_DECLINED] = D_DEADLINE
        return 0
    nxt = due
    handled = -1
    enow = fq[F_ENOW]
    saved = fq[:0]  # what fills change, kept to be put back (a copy only when there are fills)
    if due <= t:
        if fq[F_NLOG] + 3 > LOG_ROWS:
            fq[F_DECLINED] = D_LOG_FULL
            return 0
        nxt = deadline
        later = False
        for j in range(fq[F_FCUR], ints[C_NOUT]):
            e = out[j]
            if not calls_hook(e):
                continue
            if e.local_ts > t:
                later = True
                nxt = min(nxt, e.local_ts)
            elif later or e.kind != ORDER_FILL:
                if handled >= 0:
                    fq[:F_SYNCED] = saved  # an order closed, or answers out of time order: Python's
                fq[F_DECLINED] = D_ANSWER
                return 0
            else:
                if handled < 0:
                    saved = fq[:F_SYNCED].copy()
                _enter_fill(fq, e)
                handled = j
    if handled >= 0:
        log_row(fq, t, L_FILLS, 0, 0, 0, 0, 0, ints[C_NOUT])
    fq[F_ENOW] = t
    why = fast_wake(book, ints, floats, out, symv, fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st, min(fixed, nxt))
    if why != 0:  # (fast_wake changes nothing when it declines)
        if handled >= 0:
            fq[:F_SYNCED] = saved
            fq[F_NLOG] -= 1
        fq[F_ENOW] = enow
        fq[F_DECLINED] = why
        return 0
    if handled >= 0:
        fq[F_FCUR] = handled + 1
    return nxt
