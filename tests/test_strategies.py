"""Strategy loading, parameter checking, and the built-ins' arithmetic."""

from __future__ import annotations

import math
import textwrap

import pytest

from hft_tui.strategies.base import Strategy
from hft_tui.strategies.grid import Grid
from hft_tui.strategies.loader import StrategyError, load_class, load_strategies, parse_params
from hft_tui.strategies.market_maker import MarketMaker, as_quotes
from hft_tui.strategies.taker import Taker


def test_builtins_by_name():
    assert load_class("mm") is MarketMaker
    assert load_class("taker") is Taker
    assert load_class("grid") is Grid
    for cls in (MarketMaker, Taker, Grid):
        assert cls.__doc__ or cls.__module__  # documented in their modules
        cls.check_params(dict(cls.defaults))


def test_user_file(tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(
        textwrap.dedent(
            """
            from hft_tui.strategies.base import Strategy
            class Mine(Strategy):
                defaults = {"size": 5, "edge": 1.5, "on": True, "tag": "x"}
            NotAStrategy = int
            """
        )
    )
    specs = load_strategies([f"{f}:Mine"], {}, ["size=7", "edge=2"])
    assert specs[0].name == "Mine"
    assert specs[0].params == {"size": 7, "edge": 2.0, "on": True, "tag": "x"}
    assert isinstance(specs[0].params["edge"], float)  # an int is accepted for a float
    assert isinstance(specs[0].build(), Strategy)
    with pytest.raises(StrategyError, match="no class 'Nope'"):
        load_class(f"{f}:Nope")
    with pytest.raises(StrategyError, match="not a subclass"):
        load_class(f"{f}:NotAStrategy")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nosuch", "unknown strategy 'nosuch'"),
        ("missing/file.py:X", "strategy file missing/file.py not found"),
    ],
)
def test_unknown_strategies(spec, message):
    with pytest.raises(StrategyError, match=message):
        load_class(spec)


def test_broken_user_file_is_one_line(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("def x(:\n")
    with pytest.raises(StrategyError) as err:
        load_class(f"{f}:X")
    assert "SyntaxError" in str(err.value) and "\n" not in str(err.value)
    g = tmp_path / "raises.py"
    g.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(StrategyError, match="RuntimeError: boom"):
        load_class(f"{g}:X")


@pytest.mark.parametrize(
    "param, message",
    [
        ("nosuch=1", "unknown parameter 'nosuch'"),
        ("size=1.5", "size must be a whole number"),
        ("gamma=abc", "gamma must be a finite number"),
        ("size=true", "size must be a whole number"),
        ("gamma=-1", "gamma must be positive"),
        ("sigma_init=1e300", "sigma_init must be 0 to 1e9"),
        ("novalue", "not of the form key=value"),
    ],
)
def test_bad_parameters(param, message):
    with pytest.raises(StrategyError, match=message):
        load_strategies(["mm"], {}, [param])


def test_parameter_precedence_defaults_config_cli():
    cfg = {"strategies": {"mm": {"gamma": 0.5, "size": 10}}}
    (spec,) = load_strategies(["mm"], cfg, ["size=20"])
    assert spec.params["gamma"] == 0.5 and spec.params["size"] == 20
    assert spec.params["k"] == MarketMaker.defaults["k"]
    with pytest.raises(StrategyError, match=r"config \[strategies.mm\]: unknown parameter 'bad'"):
        load_strategies(["mm"], {"strategies": {"mm": {"bad": 1}}})


def test_several_strategies_need_scoped_params():
    specs = load_strategies(["mm", "grid", "grid"], {}, ["grid.size=3", "mm.size=4"])
    assert [s.name for s in specs] == ["mm", "grid", "grid2"]
    assert specs[1].params["size"] == 3 and specs[0].params["size"] == 4
    with pytest.raises(StrategyError, match="several strategies"):
        load_strategies(["mm", "grid"], {}, ["size=3"])
    with pytest.raises(StrategyError, match="no strategy named 'taker'"):
        load_strategies(["mm"], {}, ["taker.size=3"])
    assert parse_params(["a.b=1", "c='x'"]) == [("a", "b", 1), (None, "c", "x")]


def test_avellaneda_stoikov_quotes_by_hand():
    gamma, k, tau, var = 0.1, 1.5, 2.0, 4.0
    mid2 = 2 * 1000  # mid 1000 ticks
    for q in (-2.0, 0.0, 3.0):
        r = 1000 - q * gamma * var * tau
        spread = gamma * var * tau + (2 / gamma) * math.log(1 + gamma / k)
        bid, ask = as_quotes(mid2, q, var, gamma, k, tau, 1)
        assert bid == math.floor(r - spread / 2) and ask == math.ceil(r + spread / 2)
    # long inventory skews both quotes down, short up
    assert as_quotes(mid2, 3.0, var, gamma, k, tau, 1)[0] < as_quotes(mid2, -3.0, var, gamma, k, tau, 1)[0]
    # never tighter than min_spread
    bid, ask = as_quotes(mid2, 0.0, 0.0, 1e-9, 1e9, tau, 4)
    assert ask - bid >= 4


def test_mm_wake_settings_follow_parameters():
    mm = MarketMaker("mm", {"requote_ticks": 7, "sigma_sample_ms": 250.0})
    assert mm.wake_ticks == 7 and mm.timer_ms == 250.0
    mm.params["requote_ticks"] = 9
    assert mm.wake_ticks == 9


def test_grid_does_not_retry_a_refused_level_at_every_wake():
    """Under a tight rate limit the grid waits for the grid to move (or an order to end)
    before it tries a refused level again; retrying on every best-price tick sent a
    refused order per tick."""
    from hft_tui.config import load
    from hft_tui.engine.engine import Engine
    from hft_tui.feeds.sim_source import SimSource

    cfg = load(use_user_file=False, overrides=["risk.max_order_rate=10"])
    engine = Engine(SimSource(seed=1, max_events=300_000), load_strategies(["grid"], cfg), cfg)
    engine.run()
    refused = engine.risk.rejections.get("rate_limit", 0)
    (slot,) = engine.slots
    assert refused > 0  # the limit bites: the test means something
    # a grid move tries each missing level once (some are refused again); retrying at
    # every wake refused about five orders per wake-up here
    assert refused < slot.wakes, (refused, slot.wakes)
