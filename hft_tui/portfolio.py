"""Positions, cash and P&L per strategy and symbol, and their sampled history.

Exactness: a fill moves ``px_ticks * qty_lots`` of cash, an exact integer in
units of one tick times one lot (``Instrument.tick_size * lot_size`` of quote
currency). Position (lots), cash and the cost of the open position stay in
those units; the cost is a Fraction after a partial close at average price, so
realized P&L (``cash + cost``) is exact too. (Adds after partial closes can grow
that Fraction's denominator without bound; past 1e9 the cost becomes a float,
off by an ulp of the position's value, until the position is next flat. Flat,
realized P&L is exactly the cash, so every round trip's P&L is exact.) Fees
are floats in quote currency (negative: a rebate). Quote-currency floats
appear only in views and reports.

Definitions (all quote currency, all P&L since the start of the run, so equity
starts at 0):
  realized   = cash + cost of the open position      (average-cost method)
  unrealized = position * mid - cost                 (marked to the last mid)
  equity     = realized + unrealized - fees = cash + position * mid - fees

A round trip runs from flat to flat; a fill that flips the position closes one
trip and opens the next, its fee split by size. Sampling at a fixed event-time
interval is the engine's job (``sample(ts)``); the store keeps every sample for a
backtest report, or the last ``max_samples`` for a live session.

Interface changes against the brief: ``on_fill`` takes an optional ``order_id``
(for the fills CSV); ``views(sym=0)`` picks the symbol of the position series.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from hft_tui.engine.snapshot import PnLView
from hft_tui.errors import HftError
from hft_tui.instrument import Instrument
from hft_tui.pnl_samples import SampleStore

TOTAL = "total"


class FillRecord(NamedTuple):
    ts: int
    strategy: str
    order_id: int
    sym: int
    side: int
    px: int  # ticks
    qty: int  # lots
    fee: float  # quote; negative is a rebate
    liquidity: str  # maker or taker
    position_after: int  # lots, the strategy's position in sym after the fill


class RoundTrip(NamedTuple):
    strategy: str
    sym: int
    open_ts: int
    close_ts: int
    direction: int  # 1 long, -1 short
    max_qty: int  # largest absolute position during the trip, lots
    pnl: float  # realized P&L of the trip, quote, before fees
    fees: float  # fees paid during the trip, quote (rebates negative)

    @property
    def net(self) -> float:
        return self.pnl - self.fees


class Account:
    """One strategy in one symbol. Money in tick*lot units unless named otherwise."""

    __slots__ = (
        "pos", "cost", "cash", "fees", "fees_paid", "rebates", "turnover", "maker_lots",
        "taker_lots", "maker_units", "taker_units", "fills", "trip_ts", "trip_realized",
        "trip_fees", "trip_max",
    )  # fmt: skip

    def __init__(self) -> None:
        self.pos = 0
        self.cost: int | Fraction | float = 0  # signed: what the open position cost (negative for a short)
        self.cash = 0
        self.fees = self.fees_paid = self.rebates = 0.0
        self.turnover = self.maker_lots = self.taker_lots = self.maker_units = self.taker_units = 0
        self.fills = 0
        self.trip_ts = 0
        self.trip_realized: int | Fraction | float = 0
        self.trip_fees = 0.0
        self.trip_max = 0

    @property
    def realized(self) -> int | Fraction | float:
        return self.cash + self.cost


class Portfolio:
    def __init__(
        self,
        instruments: Sequence[Instrument],
        strategy_names: Sequence[str],
        *,
        max_samples: int | None = None,
        series_len: int = 120,
    ) -> None:
        self.instruments = list(instruments)
        self.names = list(strategy_names)
        self._index = {n: i for i, n in enumerate(self.names)}
        self._ns = len(self.instruments)
        self._acct = [[Account() for _ in self.instruments] for _ in self.names]
        self._unit_exact = [Fraction(Decimal(i.tick_size)) * Fraction(Decimal(i.lot_size)) for i in self.instruments]
        self._unit = [float(u) for u in self._unit_exact]
        self._mid: list[float | None] = [None] * self._ns
        self._last_px: list[int | None] = [None] * self._ns
        self.samples = SampleStore(len(self.names) + 1, self._ns, max_samples)
        self.series_len = series_len
        self.fills: list[FillRecord] | deque[FillRecord] = [] if max_samples is None else deque(maxlen=max_samples)
        self.round_trips: list[RoundTrip] | deque[RoundTrip] = [] if max_samples is None else deque(maxlen=max_samples)

    # --- input --------------------------------------------------------------------------
    def on_fill(
        self,
        strategy: str,
        sym: int,
        side: int,
        px: int,
        qty: int,
        fee: float,
        liquidity: str,
        ts: int,
        order_id: int = -1,
    ) -> None:
        si = self._index.get(strategy)
        if si is None:
            raise HftError(f"unknown strategy {strategy!r}")
        if side not in (1, -1) or qty <= 0:
            raise ValueError(f"bad fill: side {side}, qty {qty}")
        a = self._acct[si][sym]
        old, value = a.pos, px * qty
        new = old + side * qty
        a.cash -= side * value
        a.turnover += value
        if liquidity == "maker":
            a.maker_lots += qty
            a.maker_units += value
        else:
            a.taker_lots += qty
            a.taker_units += value
        a.fills += 1
        fee = float(fee)
        a.fees += fee
        if fee >= 0:
            a.fees_paid += fee
        else:
            a.rebates -= fee
        if old == 0:  # a trip opens
            a.cost = side * value
            a.pos = new
            self._open_trip(a, ts, fee)
        elif (old > 0) == (side > 0):  # adds
            a.cost += side * value
            a.pos = new
            a.trip_fees += fee
            a.trip_max = max(a.trip_max, abs(new))
        elif new == 0 or (new > 0) == (old > 0):  # reduces or closes; the rest keeps its average price
            a.cost = 0 if new == 0 else _exact(a.cost * Fraction(new, old))
            a.pos = new
            a.trip_fees += fee
            if new == 0:
                self._close_trip(si, sym, a, ts, old)
        else:  # flips: closes all of old at px, opens the rest at px; the fee is split by size
            closing_fee = fee * abs(old) / qty
            a.cost = side * px * abs(new)  # realized now holds the closed trip's result
            a.trip_fees += closing_fee
            self._close_trip(si, sym, a, ts, old)
            a.pos = new
            self._open_trip(a, ts, fee - closing_fee)
        self._last_px[sym] = px
        self.fills.append(FillRecord(ts, strategy, order_id, sym, side, px, qty, fee, liquidity, new))

    @staticmethod
    def _open_trip(a: Account, ts: int, fee: float) -> None:
        a.trip_ts = ts
        a.trip_realized = a.realized
        a.trip_fees = fee
        a.trip_max = abs(a.pos) if a.pos else 0

    def _close_trip(self, si: int, sym: int, a: Account, ts: int, old: int) -> None:
        pnl = _in_quote(a.realized - a.trip_realized, self._unit_exact[sym])
        direction = 1 if old > 0 else -1
        self.round_trips.append(RoundTrip(self.names[si], sym, a.trip_ts, ts, direction, a.trip_max, pnl, a.trip_fees))

    def mark(self, mids: Mapping[int, float | None] | Sequence[float | None]) -> None:
        """Mid price per symbol in ticks (half ticks allowed); None keeps the last mark."""
        items = mids.items() if isinstance(mids, Mapping) else enumerate(mids)
        for sym, mid in items:
            if mid is not None:
                self._mid[sym] = float(mid)

    def sample(self, ts: int) -> None:
        n, ns = len(self.names), self._ns
        equity = np.empty(n + 1)
        position = np.zeros((n + 1, ns), dtype=np.int64)
        for si in range(n):
            equity[si] = self.equity(si)
            for j in range(ns):
                position[si, j] = self._acct[si][j].pos
        equity[n] = equity[:n].sum()
        position[n] = position[:n].sum(axis=0)
        mids = np.array([np.nan if m is None else m for m in self._mid], dtype=np.float64)
        self.samples.append(ts, equity, position, mids)

    # --- figures (quote currency floats) -------------------------------------------------------
    def _mark_px(self, sym: int) -> float:
        m = self._mid[sym]
        if m is None:
            m = self._last_px[sym]
        return 0.0 if m is None else float(m)

    def _scopes(self, strategy: str | int | None) -> list[int]:
        if strategy is None or strategy == TOTAL:
            return list(range(len(self.names)))
        if isinstance(strategy, int):
            return [strategy]
        si = self._index.get(strategy)
        if si is None:
            raise HftError(f"unknown strategy {strategy!r}")
        return [si]

    def _money(self, a: Account, j: int) -> tuple[float, float]:
        """(realized, unrealized) of one account in quote currency; realized exactly rounded."""
        realized = _in_quote(a.realized, self._unit_exact[j])
        unrealized = (a.pos * self._mark_px(j) - float(a.cost)) * self._unit[j] if a.pos else 0.0
        return realized, unrealized

    def figures(self, strategy: str | int | None = None) -> dict[str, float]:
        """Money figures of a strategy (None: all), quote currency."""
        realized = unrealized = fees = fees_paid = rebates = 0.0
        turnover = maker = taker = 0
        for si in self._scopes(strategy):
            for j, a in enumerate(self._acct[si]):
                r, u = self._money(a, j)
                realized += r
                unrealized += u
                fees += a.fees
                fees_paid += a.fees_paid
                rebates += a.rebates
                ue = self._unit_exact[j]
                turnover += a.turnover * ue
                maker += a.maker_units * ue
                taker += a.taker_units * ue
        return {
            "realized": realized,
            "unrealized": unrealized,
            "fees": fees,
            "fees_paid": fees_paid,
            "rebates": rebates,
            "equity": realized + unrealized - fees,
            "turnover": float(turnover),
            "maker_notional": float(maker),
            "taker_notional": float(taker),
        }

    def equity(self, strategy: str | int | None = None) -> float:
        """realized + unrealized - fees, summed in the same order as ``figures``."""
        realized = unrealized = fees = 0.0
        for si in self._scopes(strategy):
            for j, a in enumerate(self._acct[si]):
                r, u = self._money(a, j)
                realized += r
                unrealized += u
                fees += a.fees
        return realized + unrealized - fees

    def position(self, strategy: str | None = None, sym: int = 0) -> int:
        return sum(self._acct[si][sym].pos for si in self._scopes(strategy))

    def avg_entry(self, strategy: str, sym: int = 0) -> float | None:
        """Average entry price of the open position, ticks (None when flat)."""
        a = self._acct[self._scopes(strategy)[0]][sym]
        return float(a.cost / a.pos) if a.pos else None

    def volume(self, strategy: str | None = None, sym: int | None = None) -> dict[str, int]:
        """Traded lots and fill count (maker, taker) of a strategy (None: all)."""
        out = {"maker_lots": 0, "taker_lots": 0, "fills": 0}
        for si in self._scopes(strategy):
            for j, a in enumerate(self._acct[si]):
                if sym is None or j == sym:
                    out["maker_lots"] += a.maker_lots
                    out["taker_lots"] += a.taker_lots
                    out["fills"] += a.fills
        return out

    def views(self, sym: int = 0) -> tuple[PnLView, ...]:
        """One view per strategy, then the total; series are the last ``series_len`` samples."""
        ts, equity, position, _ = self.samples.tail(self.series_len)
        inst = self.instruments[sym] if self.instruments else None
        out = []
        for col, name in enumerate([*self.names, TOTAL]):
            f = self.figures(None if name == TOTAL else col)
            pos = tuple(self.position(None if name == TOTAL else name, j) for j in range(self._ns))
            pos_series = tuple(inst.lots_to_floats(position[:, col, sym]).tolist()) if inst and len(ts) else ()
            out.append(
                PnLView(
                    name=name,
                    position=pos,
                    realized=f["realized"],
                    unrealized=f["unrealized"],
                    fees=f["fees"],
                    equity=f["equity"],
                    equity_series=tuple(equity[:, col].tolist()),
                    position_series=pos_series,
                )
            )
        return tuple(out)


_MAX_DEN = 10**9


def _in_quote(units: int | Fraction | float, unit: Fraction) -> float:
    """``float(units * unit)``, correctly rounded. Whole units (the usual case) skip
    building a Fraction: int / int is correctly rounded in Python, as
    ``float(Fraction)`` is, so both give the same float bit for bit."""
    if type(units) is int:
        return units * unit.numerator / unit.denominator
    return float(units * unit)


def _exact(x: Fraction | float) -> int | Fraction | float:
    """An int when whole, a Fraction while its denominator is small, else a float.

    Averaging after partial closes can grow denominators without bound; a float
    cost then costs one ulp of the position's value, and nothing accumulates:
    the cost returns to an exact 0 whenever the position is flat."""
    if isinstance(x, float):
        return x
    if x.denominator == 1:
        return x.numerator
    return x if x.denominator < _MAX_DEN else float(x)
