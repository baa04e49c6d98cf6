"""What the docs say about the sim venue and our own aggressive orders: the engine
does not pass taker fills to ``SimVenue.take``, so the sim market is the same
stream whatever we trade (README "Own aggressive orders")."""

from __future__ import annotations

from hft_tui.config import load
from hft_tui.engine.backtest import run_backtest
from hft_tui.feeds.sim_source import SimSource
from hft_tui.strategies.loader import load_strategies

N = 200_000


def test_taker_fills_do_not_change_the_sim_stream():
    cfg = load(use_user_file=False)
    traded = SimSource(seed=5, max_events=N)
    result = run_backtest(traded, load_strategies(["taker"], cfg), cfg)
    assert result.engine.desk.n_fills > 0  # it did take liquidity
    quiet = SimSource(seed=5, max_events=N)
    while quiet.read(1 << 16) is not None:
        pass
    a, b = traded.venue.stats(), quiet.venue.stats()
    assert a["own_takes"] == 0
    assert a == b
