"""Maker and taker fees in basis points of the traded notional, applied per fill.

A negative maker rate is a rebate. Fees are the one place money is a float:
``fee = px_ticks * qty_lots * (tick_size * lot_size) * bps / 10_000`` in the
quote currency. The exchange keeps per-symbol totals (fees, maker and taker
lots, notional) in its float array; the engine computes the fee of each fill
event with :func:`fill_fee` and gets the same number.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hft_tui.events import ORDER_FILL
from hft_tui.exchange.codes import MAKER
from hft_tui.exchange.layout import (
    F_MAKER_BPS,
    F_SYM0,
    F_TAKER_BPS,
    FS_FEES,
    FS_MAKER_LOTS,
    FS_MULT,
    FS_NF,
    FS_NOTIONAL,
    FS_TAKER_LOTS,
)


@njit(cache=True, nogil=True, inline="always")
def fill_fee(px, qty, liquidity, maker_bps, taker_bps, mult):
    """Fee of one fill in the quote currency (negative: a rebate)."""
    bps = maker_bps if liquidity == MAKER else taker_bps
    return float(px) * float(qty) * mult * bps * 1e-4


@njit(cache=True, nogil=True, inline="always")
def book_fee(fl, sym, px, qty, liquidity):
    """Add one fill to the symbol's totals; return its fee."""
    base = F_SYM0 + FS_NF * sym
    mult = fl[base + FS_MULT]
    fee = fill_fee(px, qty, liquidity, fl[F_MAKER_BPS], fl[F_TAKER_BPS], mult)
    fl[base + FS_FEES] += fee
    fl[base + FS_NOTIONAL] += float(px) * float(qty) * mult
    if liquidity == MAKER:
        fl[base + FS_MAKER_LOTS] += qty
    else:
        fl[base + FS_TAKER_LOTS] += qty
    return fee


def fees_of(events: np.ndarray, maker_bps: float, taker_bps: float, mult: float | np.ndarray) -> np.ndarray:
    """The fee of every event of an own-order event array (0 for events that are not fills).

    ``mult`` is tick_size * lot_size, one number or one per event (by symbol).
    """
    fills = events["kind"] == ORDER_FILL
    bps = np.where(events["aux"] == MAKER, maker_bps, taker_bps)
    notional = events["px"].astype(np.float64) * events["qty"].astype(np.float64) * mult
    return np.where(fills, notional * bps * 1e-4, 0.0)
