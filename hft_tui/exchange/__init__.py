"""The simulated exchange: own orders matched against L2 or L3 market data.

See README.md, "Simulated exchange", for the order types, states, queue models,
latency model and fees, and what makes a backtest here optimistic or
pessimistic. Hot paths use the jitted functions (``intents``, ``run``);
``SimExchange`` wraps them for Python callers.
"""

from hft_tui.exchange.config import ExchangeConfig, from_config
from hft_tui.exchange.exchange import NO_DEADLINE, OrderRefused, SimExchange
from hft_tui.exchange.layout import ExchState

__all__ = ["NO_DEADLINE", "ExchState", "ExchangeConfig", "OrderRefused", "SimExchange", "from_config"]
