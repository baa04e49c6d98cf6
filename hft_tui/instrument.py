"""Instruments and exact conversion between decimal strings and integer ticks/lots.

Prices and sizes enter and leave the program as decimal strings ("61737.63",
"0.00012"). Inside they are integers: price in ticks, size in lots. Conversion
is exact: a value off the tick or lot grid is an error, never a silent rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from hft_tui.errors import HftError

if TYPE_CHECKING:
    import numpy as np


def _scaled(text: str, decimals: int) -> int | None:
    """``text`` times 10**decimals as an int, or None if it does not divide exactly.

    A plain-string fast path: the Decimal module is about ten times slower and
    this runs once per price in every importer and in the live feed.
    """
    s = text.strip()
    neg = s.startswith("-")
    if neg or s.startswith("+"):
        s = s[1:]
    if "e" in s or "E" in s:
        try:
            d = Decimal(text) * (10**decimals)
            if not d.is_finite() or (d and abs(d.adjusted()) > 60):
                raise ValueError(text)
        except ArithmeticError:  # InvalidOperation, Overflow: "1E1000000"
            raise ValueError(text) from None
        if d != d.to_integral_value():
            return None
        return int(d)
    whole, dot, frac = s.partition(".")
    if not (whole.isdigit() or (not whole and frac)) or (frac and not frac.isdigit()):
        raise ValueError(text)
    if len(frac) > decimals:
        if frac[decimals:].strip("0"):
            return None
        frac = frac[:decimals]
    value = int(whole or "0") * 10**decimals + int(frac.ljust(decimals, "0") or "0")
    return -value if neg else value


def _decimals(step: str) -> int:
    d = Decimal(step).normalize()
    exp = d.as_tuple().exponent
    return max(0, -int(exp))


@dataclass(frozen=True)
class Instrument:
    """A tradable symbol with its price grid (tick_size) and size grid (lot_size)."""

    symbol: str
    tick_size: str
    lot_size: str
    _tick_dec: int = field(init=False, repr=False, compare=False)
    _tick_scaled: int = field(init=False, repr=False, compare=False)
    _lot_dec: int = field(init=False, repr=False, compare=False)
    _lot_scaled: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.symbol or len(self.symbol.encode()) > 32:
            raise HftError(f"symbol must be 1 to 32 bytes, got {self.symbol!r}")
        for name, prefix in (("tick_size", "_tick"), ("lot_size", "_lot")):
            raw = getattr(self, name)
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                raise HftError(f"{name} {raw!r} is not a decimal number") from None
            if not value.is_finite() or value <= 0:
                raise HftError(f"{name} must be a positive decimal, got {raw!r}")
            canonical = format(value.normalize(), "f")
            object.__setattr__(self, name, canonical)
            dec = _decimals(canonical)
            object.__setattr__(self, f"{prefix}_dec", dec)
            object.__setattr__(self, f"{prefix}_scaled", _scaled(canonical, dec))

    # --- decimal string -> integer -------------------------------------------------
    def price_to_ticks(self, text: str) -> int:
        return self._to_int(text, self._tick_dec, self._tick_scaled, "price", self.tick_size)

    def qty_to_lots(self, text: str) -> int:
        return self._to_int(text, self._lot_dec, self._lot_scaled, "size", self.lot_size)

    def _to_int(self, text: str, dec: int, step: int, what: str, step_text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        try:
            scaled = _scaled(text, dec)
        except ValueError:
            raise HftError(f"{what} {text!r} is not a decimal number") from None
        if scaled is None or scaled % step:
            raise HftError(f"{what} {text} is not a multiple of {step_text} ({self.symbol})")
        return scaled // step

    # --- integer -> decimal string ---------------------------------------------------
    def ticks_to_str(self, ticks: int) -> str:
        return _format(int(ticks) * self._tick_scaled, self._tick_dec)

    def lots_to_str(self, lots: int) -> str:
        return _format(int(lots) * self._lot_scaled, self._lot_dec)

    def half_ticks_to_str(self, half_ticks: int) -> str:
        """A price given in half ticks (a mid as bid + ask), exactly."""
        if half_ticks % 2 == 0:
            return self.ticks_to_str(half_ticks // 2)
        return _format(int(half_ticks) * self._tick_scaled * 5, self._tick_dec + 1)

    # --- floats, for P&L and display only ----------------------------------------------
    @property
    def tick_value(self) -> float:
        return float(Decimal(self.tick_size))

    @property
    def lot_value(self) -> float:
        return float(Decimal(self.lot_size))

    def ticks_to_float(self, ticks: int) -> float:
        return ticks * self._tick_scaled / 10**self._tick_dec

    def lots_to_float(self, lots: int) -> float:
        return lots * self._lot_scaled / 10**self._lot_dec

    def lots_to_floats(self, lots: np.ndarray) -> np.ndarray:
        """``lots_to_float`` over an int64 array (for display series)."""
        return lots * self._lot_scaled / 10**self._lot_dec


def _format(scaled: int, decimals: int) -> str:
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled))
    if decimals == 0:
        return sign + digits
    digits = digits.rjust(decimals + 1, "0")
    return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"
