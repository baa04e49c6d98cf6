"""The built-in market maker's wake-ups in jitted code: inside the runner, no stop for them.

When ``mm`` runs alone on one symbol, its wake-ups end in a price-only replace
of one or both quotes, or (after a fill) a new quote. Handing each of them to
Python (stop, wake, the quote rule, the pre-trade checks, the order desk) is
most of a backtest's time. ``fast_wake`` does them where the runner stands
(and, called from Python, the wake-up after a fill): the same quote rule
(``market_maker.as_quotes``, the one jitted function both paths call), the
same choices as ``MarketMaker.on_wake``, the pre-trade checks of a new
post-only order or a price-only replace, and the order sent to the exchange.
It logs what it sent; the engine enters the log into the order desk, the risk
ledger and the strategy (``fast_link``), so they end up exactly as the Python
path leaves them.

It acts only where it is sure to do what the Python path would: anything else
returns False and the runner stops as before, and Python does that wake-up
(so the results are the same bit for bit: tests compare the two paths):

- a quote to cancel (inventory limit), or an order the desk would not
  replace (a cancel asked, not open);
- a risk check that does not pass. Its state is the engine's as of the last
  stop, plus what it sent since; the exchange's answers since then are not in
  it yet, and they can only free exposure, own price levels and open-order
  counts, never take more, so a pass here is a pass there (a refusal is left to Python to find,
  count and log with its reason);
- a volatility sample due, a deadline (timer, sample, markout grid, an answer
  calling a strategy hook) reached, an empty side, the kill switch tripped,
  the log full.

The engine arms it (``fq[F_ARMED]``) at each stop only while nothing else could
matter: one strategy, the built-in ``MarketMaker``, live and ACTIVE, one symbol,
the feed fresh. Prices in ticks, sizes in lots, times in ns, as everywhere.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.book import NO_PRICE, book_best_px
from hft_tui.events import ASK, BID, ORDER_CANCELED, ORDER_DONE, ORDER_FILL
from hft_tui.exchange import codes as c
from hft_tui.exchange.intents import replace as x_replace
from hft_tui.exchange.intents import submit as x_submit
from hft_tui.exchange.layout import C_ACAP, C_AHEAD, C_ATAIL, C_FEED_NOW, C_NFREE, C_NOUT, C_RESERVE, S_LAST_ASK, S_LAST_BID
from hft_tui.risk.rate import rate_allows, rate_record
from hft_tui.strategies.market_maker import as_quotes

# --- fq: int64 state, written by the engine before each run (F_ARMED .. F_ASK_POST) ---------
F_ARMED = 0
F_ENOW = 1  # the engine's clock; the runner keeps it as a stop would
F_SYM = 2
F_MPOS = 3  # the strategy's position (``ctx.position``)
F_POS = 4  # F_POS .. F_OTHER_ASK: ``RiskManager.fast_state``, in its order
F_TPOS = 5
F_OB = 6  # reserved lots of open/in-flight orders: strategy buy, sell; total buy, sell
F_OS = 7
F_TOB = 8
F_TOS = 9
F_OWN_BID = 10  # own best resting prices for the self-trade check (else fast_view.NONE_BID / NONE_ASK)
F_OWN_ASK = 11
F_ORDER_LOTS = 12
F_POS_LOTS = 13
F_GPOS_LOTS = 14
F_NOTIONAL = 15
F_BAND_ON = 16
F_POST_CHECK = 17
F_SELF_CHECK = 18
F_NOPEN = 19  # open orders: the strategy's, all; and their limits
F_NOPEN_T = 20
F_OPEN_LIM = 21
F_GOPEN_LIM = 22
F_OTHER_BID = 23  # the own best bid / ask of the strategy's orders other than its quotes
F_OTHER_ASK = 24  # (what F_OWN_BID / F_OWN_ASK fall back to when a quote fills in full)
F_SIZE = 25  # the strategy's parameters and state
F_MAX_INV = 26
F_REQUOTE = 27
F_MIN_SPREAD = 28
F_LAST_SAMPLE = 29
F_BID = 30  # per quote: order id (0: none), price, replaceable, lots open, post-only,
F_ASK = 37  # lots the risk ledger reserves for it, 1 if a replace of it is in flight
Q_ID, Q_PX, Q_OK, Q_LEAVES, Q_POST, Q_RES, Q_PEND = range(7)
F_SYNCED = 44  # the values above: what the engine writes
F_WAKES = 44  # wake-ups done here since the engine last looked
F_NLOG = 45
F_WAKE_BID = 46  # best bid and ask at the last of them: the strategy's wake references
F_WAKE_ASK = 47
F_DECLINED = 48  # the D_* reason of the last wake-up left to Python
F_FCUR = 49  # fast_fills: own events before this index of ``out`` need no look any more
F_RISK_WHY = 50  # the R_* check of the last D_RISK
F_LOG = 52
# per order sent: (time, L_NEW or L_REPLACE, order id, side, price, lots, bid + ask,
# own events written before it)
LOG_WIDTH = 8
L_REPLACE, L_NEW, L_FILLS, L_WAKE = 0, 1, 2, 3  # (L_FILLS: the fills due by then were met, fast_fills;
# L_WAKE: a wake-up that sent nothing: the answers due by then are delivered at its time)
LOG_ROWS = 256
FQ_LEN = F_LOG + LOG_WIDTH * LOG_ROWS

# --- fqf: float64 --------------------------------------------------------------------------
G_VAR, G_GAMMA, G_K, G_TAU, G_SAMPLE_S, G_BAND_BPS, G_GROSS, G_GGROSS, G_HALF_UNIT = range(9)
FQF_LEN = 9

# why a wake-up went to Python (the engine counts them for the report)
D_KILLED, D_LOG_FULL, D_DEADLINE, D_PRICES, D_SAMPLE, D_FULL, D_CANCEL, D_NOT_OPEN, D_RISK, D_QUEUE_FULL, D_ANSWER = range(1, 12)
DECLINE_NAMES = {
    D_KILLED: "killed", D_LOG_FULL: "log_full", D_DEADLINE: "deadline", D_PRICES: "prices", D_SAMPLE: "sigma_sample",
    D_FULL: "order_table_full", D_CANCEL: "cancel", D_NOT_OPEN: "not_open", D_RISK: "risk_check", D_QUEUE_FULL: "queue_full",
    D_ANSWER: "order_closed",
}  # fmt: skip
# the pre-trade check a D_RISK did not pass (the names of PreTrade's reasons)
R_BAD_ORDER, R_ORDER_QTY, R_BAND, R_NOTIONAL, R_POST_ONLY, R_SELF_TRADE, R_OPEN_ORDERS, R_POSITION, R_GROSS, R_RATE = range(1, 11)
RISK_NAMES = {
    R_BAD_ORDER: "bad_order", R_ORDER_QTY: "max_order_qty", R_BAND: "price_band", R_NOTIONAL: "max_order_notional",
    R_POST_ONLY: "post_only_cross", R_SELF_TRADE: "self_trade", R_OPEN_ORDERS: "max_open_orders",
    R_POSITION: "max_position", R_GROSS: "max_gross_notional", R_RATE: "rate_limit",
}  # fmt: skip
_SAFE = 1 << 40  # prices, mids and sizes beyond this go to Python (exact int/float compares)


@njit(cache=True, nogil=True)
def calls_hook(e):
    """An own-order event that calls a strategy hook when it arrives: a fill, or the end
    of an order other than a cancel that was asked for (``OrderDesk.first_due``'s rule,
    which may be stricter: an extra stop is a no-op)."""
    return e.kind == ORDER_FILL or ((e.flags & ORDER_DONE) != 0 and not (e.kind == ORDER_CANCELED and e.aux == c.CXL_REQUESTED))


def new_state() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(FQ_LEN, np.int64), np.zeros(FQF_LEN, np.float64)


@njit(cache=True, nogil=True)
def _passes(fq, fqf, rs_ring, rs_st, rg_ring, rg_st, side, px, qty, post, new, bb, ba, ob, os_, tob, tos,
            own_b, own_a, n_open, n_open_t, now, k):  # fmt: skip
    """``PreTrade._check`` of a price-only replace or (``new``) a new order, over the
    state passed in (the checks the arming leaves open, in its order): 0 if it passes,
    else the ``R_*`` check it does not pass."""
    if qty <= 0 or qty >= _SAFE or px <= 0 or px >= _SAFE:
        return R_BAD_ORDER
    pos = fq[F_POS]
    tpos = fq[F_TPOS]
    if side > 0:
        worst = pos + ob + qty
        gworst = tpos + tob + qty
        reducing = pos < 0 and worst <= 0
        greducing = tpos < 0 and gworst <= 0
    else:
        worst = pos - os_ - qty
        gworst = tpos - tos - qty
        reducing = pos > 0 and worst >= 0
        greducing = tpos > 0 and gworst >= 0
    if qty > fq[F_ORDER_LOTS]:
        return R_ORDER_QTY
    mid2 = bb + ba
    if fq[F_BAND_ON] != 0 and abs(2 * px - mid2) * 10_000 > mid2 * fqf[G_BAND_BPS]:
        return R_BAND
    if px * qty > fq[F_NOTIONAL]:
        return R_NOTIONAL
    if post and fq[F_POST_CHECK] != 0 and (px >= ba if side > 0 else px <= bb):
        return R_POST_ONLY
    if fq[F_SELF_CHECK] != 0 and (px >= own_a if side > 0 else px <= own_b):
        return R_SELF_TRADE
    if new and (n_open >= fq[F_OPEN_LIM] or n_open_t >= fq[F_GOPEN_LIM]):
        return R_OPEN_ORDERS
    if not reducing and abs(worst) > fq[F_POS_LOTS]:
        return R_POSITION
    if not greducing and abs(gworst) > fq[F_GPOS_LOTS]:
        return R_POSITION
    value = mid2 * fqf[G_HALF_UNIT]
    if not reducing and fqf[G_GROSS] < np.inf:
        other = pos - os_ if side > 0 else pos + ob
        if max(abs(worst), abs(other)) * value > fqf[G_GROSS]:
            return R_GROSS
    if not greducing and fqf[G_GGROSS] < np.inf:
        other = tpos - tos if side > 0 else tpos + tob
        if max(abs(gworst), abs(other)) * value > fqf[G_GGROSS]:
            return R_GROSS
    if not (rate_allows(rs_ring, rs_st, now, k) and rate_allows(rg_ring, rg_st, now, k)):
        return R_RATE
    return 0


@njit(cache=True, nogil=True)
def log_row(fq, ts, what, oid, side, px, qty, mid2, written):
    """Append a row to the log the engine enters at its next stop (``fast_link``)."""
    row = F_LOG + LOG_WIDTH * fq[F_NLOG]
    fq[row : row + LOG_WIDTH] = (ts, what, oid, side, px, qty, mid2, written)
    fq[F_NLOG] += 1


@njit(cache=True, nogil=True)
def _want(fq, base, want, allowed, requote):
    """What ``MarketMaker._quote`` does with one side: 0 nothing, 1 a replace to
    ``want``, 2 forget the quote (not allowed, none open), 3 a new quote at
    ``want``, or minus the ``D_*`` why Python has to do it."""
    oid = fq[base + Q_ID]
    if not allowed:
        return 2 if oid == 0 else -D_CANCEL
    if oid == 0:
        return 3
    if abs(want - fq[base + Q_PX]) < requote:
        return 0
    return 1 if fq[base + Q_OK] != 0 else -D_NOT_OPEN


@njit(cache=True, nogil=True)
def fast_wake(book, ints, floats, out, symv, fq, fqf, kflag, rs_ring, rs_st, rg_ring, rg_st, at):
    """Do the strategy's wake-up now if it is sure to (module docstring): 0 if done,
    else the ``D_*`` reason why Python has to."""
    if kflag[0] != 0:
        return D_KILLED
    if fq[F_NLOG] + 2 > LOG_ROWS:
        return D_LOG_FULL
    now = max(fq[F_ENOW], ints[C_FEED_NOW])
    if now >= at:
        return D_DEADLINE
    sym = fq[F_SYM]
    bb = book_best_px(book, sym, BID)
    ba = book_best_px(book, sym, ASK)
    if bb == NO_PRICE or ba == NO_PRICE or bb <= 0 or ba >= _SAFE:
        return D_PRICES
    if not (now - fq[F_LAST_SAMPLE]) * 1e-9 < fqf[G_SAMPLE_S]:
        return D_SAMPLE
    mid2 = bb + ba
    pos = fq[F_MPOS]
    size = fq[F_SIZE]
    bid, ask = as_quotes(mid2, pos / size, fqf[G_VAR], fqf[G_GAMMA], fqf[G_K], fqf[G_TAU], fq[F_MIN_SPREAD])
    bid = min(bid, ba - 1)
    ask = max(ask, bb + 1)
    limit = fq[F_MAX_INV]
    requote = fq[F_REQUOTE]
    act_b = _want(fq, F_BID, bid, pos + size <= limit, requote)
    act_a = _want(fq, F_ASK, ask, pos - size >= -limit, requote)
    if act_b < 0 or act_a < 0:
        return -min(act_b, act_a)
    # the order of the two, as on_wake: when the market jumped up, the ask moves first
    up = fq[F_ASK + Q_ID] != 0 and bid >= fq[F_ASK + Q_PX]
    first = ASK if up else BID
    # every check first, on copies of what a send changes: then send all or nothing
    ob, os_, tob, tos = fq[F_OB], fq[F_OS], fq[F_TOB], fq[F_TOS]
    own_b, own_a = fq[F_OWN_BID], fq[F_OWN_ASK]
    n_open, n_open_t = fq[F_NOPEN], fq[F_NOPEN_T]
    sends = 0
    news = 0
    for n in range(2):
        side = first if n == 0 else -first
        base, act, px = (F_BID, act_b, bid) if side == BID else (F_ASK, act_a, ask)
        if act != 1 and act != 3:
            continue
        new = act == 3
        qty = size if new else fq[base + Q_LEAVES]
        post = new or fq[base + Q_POST] != 0
        check = _passes(fq, fqf, rs_ring, rs_st, rg_ring, rg_st, side, px, qty, post, new,
                        bb, ba, ob, os_, tob, tos, own_b, own_a, n_open, n_open_t, now, sends)  # fmt: skip
        if check != 0:
            fq[F_RISK_WHY] = check
            return D_RISK
        if side == BID:
            ob += qty
            tob += qty
            own_b = max(own_b, px)
        else:
            os_ += qty
            tos += qty
            own_a = min(own_a, px)
        if new:
            n_open += 1
            n_open_t += 1
            news += 1
        sends += 1
    if ints[C_ATAIL] - ints[C_AHEAD] + sends > ints[C_ACAP] or out.shape[0] - ints[C_NOUT] - news < ints[C_RESERVE]:
        return D_QUEUE_FULL  # Python logs it
    if ints[C_NFREE] < news:
        return D_FULL
    for n in range(2):
        side = first if n == 0 else -first
        base, act, px = (F_BID, act_b, bid) if side == BID else (F_ASK, act_a, ask)
        if act == 2:
            fq[base + Q_PX] = 0
        if act != 1 and act != 3:
            continue
        written = ints[C_NOUT]  # (before the new order's echo)
        if act == 3:
            oid = x_submit(ints, floats, out, now, sym, side, c.POST_ONLY, px, size)
            fq[base + Q_ID] = oid
            fq[base + Q_OK] = 1
            fq[base + Q_LEAVES] = size
            fq[base + Q_POST] = 1
            fq[base + Q_RES] = size
            fq[base + Q_PEND] = 0
            log_row(fq, now, L_NEW, oid, side, px, size, mid2, written)
        else:
            oid = fq[base + Q_ID]
            x_replace(ints, floats, out, now, oid, px, 0)
            fq[base + Q_RES] += fq[base + Q_LEAVES]  # as the ledger reserves a replace in flight
            fq[base + Q_PEND] = 1
            log_row(fq, now, L_REPLACE, oid, side, px, fq[base + Q_LEAVES], mid2, written)
        rate_record(rs_ring, rs_st, now)
        rate_record(rg_ring, rg_st, now)
        fq[base + Q_PX] = px
    if sends == 0:
        log_row(fq, now, L_WAKE, 0, 0, 0, 0, 0, ints[C_NOUT])
    fq[F_OB], fq[F_OS], fq[F_TOB], fq[F_TOS] = ob, os_, tob, tos
    fq[F_OWN_BID], fq[F_OWN_ASK] = own_b, own_a
    fq[F_NOPEN], fq[F_NOPEN_T] = n_open, n_open_t
    fq[F_ENOW] = now
    fq[F_WAKES] += 1
    fq[F_WAKE_BID] = bb
    fq[F_WAKE_ASK] = ba
    symv[sym, S_LAST_BID] = bb
    symv[sym, S_LAST_ASK] = ba
    return 0
