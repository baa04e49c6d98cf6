"""Pre-trade checks, post-trade watch, trading states and the kill switch.

``RiskManager`` (manager.py) is the one entry point; limits.py holds the
settings, ledger.py the orders and exposures, rate.py the order-rate windows,
watch.py the states and the loss/drawdown watch, fast_view.py what the market
maker's jitted path reads of them.
"""

from hft_tui.risk.limits import LIMIT_KEYS, LimitOverrides, LimitValues, RiskConfig
from hft_tui.risk.manager import RiskManager
from hft_tui.risk.watch import StateChange

__all__ = ["LIMIT_KEYS", "LimitOverrides", "LimitValues", "RiskConfig", "RiskManager", "StateChange"]
