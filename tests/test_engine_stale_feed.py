"""The stale-feed watch sees each symbol's own data: one that goes silent turns stale
while another still ticks."""

from __future__ import annotations

import numpy as np
from enginekit import BTC, T0, ArraySource, Recorder, config, l2_walk, spec

from hft_tui.engine.engine import Engine
from hft_tui.events import EOM
from hft_tui.instrument import Instrument

ETH = Instrument("ETHUSDT", "0.01", "0.0001")
GAP = 10_000_000  # 10 ms between messages of each symbol


def merged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whole messages of both streams in time order (sym 0 first on ties)."""
    both = np.concatenate([a, b])
    starts = np.flatnonzero(np.r_[True, both["flags"][:-1] & EOM != 0])
    lengths = np.diff(np.r_[starts, len(both)])
    order = np.argsort(both["exch_ts"][starts], kind="stable")
    return np.concatenate([both[starts[k] : starts[k] + lengths[k]] for k in order])


def run(eth_msgs: int) -> Engine:
    btc = l2_walk(1000, seed=31, gap_ns=GAP)  # 10 s of data
    eth = l2_walk(max(eth_msgs, 1), seed=32, gap_ns=GAP, start_px=300_000)[: None if eth_msgs else 0]
    eth["sym"] = 1
    source = ArraySource(merged(btc, eth), batch=500, instruments=[BTC, ETH])
    engine = Engine(source, [spec(Recorder, "r", ticks=1)], config())
    engine.run()
    return engine


def stale_lines(engine: Engine) -> list[str]:
    return [x.text for x in engine.logs if x.category == "risk" and "no data for" in x.text]


def test_a_silent_symbol_turns_stale_while_another_ticks():
    engine = run(eth_msgs=200)  # ETH stops after 2 s; BTC goes on to 10 s
    lines = stale_lines(engine)
    assert len(lines) == 1 and "ETHUSDT" in lines[0]
    ns = engine.n_syms
    assert engine.risk._stale[0 * ns + 1] is True  # strategy 0, ETH
    assert engine.risk._stale[0 * ns + 0] is False  # strategy 0, BTC: fresh all along
    # and the strategy may no longer open risk on ETH (only reduce it)
    assert engine.risk.check_order("r", 1, 1, 300_000, 1, "limit", engine.now, 299_990, 300_010) == "stale_feed"
    assert engine.risk.check_order("r", 0, 1, 6_000_000, 1, "limit", engine.now, None, None) != "stale_feed"


def test_a_symbol_that_never_ticks_turns_stale_from_the_start():
    engine = run(eth_msgs=0)
    lines = stale_lines(engine)
    assert len(lines) == 1 and "ETHUSDT" in lines[0]


def test_symbols_that_both_tick_stay_fresh():
    engine = run(eth_msgs=1000)
    assert stale_lines(engine) == []
    assert T0 < engine.now
