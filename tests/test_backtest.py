"""Headless backtests: determinism, parity with a threaded engine, the CLI's outputs and errors."""

from __future__ import annotations

import csv
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from enginekit import config

from hft_tui import cli, jit
from hft_tui.engine.backtest import FILL_COLUMNS, run_backtest
from hft_tui.engine.engine import Engine
from hft_tui.feeds.replay import ReplaySource
from hft_tui.feeds.sim_source import SimSource
from hft_tui.strategies.loader import load_strategies
from hft_tui.tickfile import TickWriter

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = f"{ROOT / 'examples' / 'grid_quoter.py'}:GridQuoter"
N = 150_000


def backtest(**engine):
    cfg = config(**engine)
    specs = load_strategies(["mm", "taker", EXAMPLE], cfg)
    return run_backtest(SimSource(seed=5, max_events=N), specs, cfg)


def test_identical_input_gives_identical_fills_and_results():
    a = backtest()
    b = backtest()
    assert a.engine.desk.n_fills > 20  # something happened
    assert a.digest() == b.digest()
    assert a.results == b.results


def test_fills_do_not_depend_on_where_the_engine_stops(tmp_path):
    """The sim's receive times step back now and then (latency jitter): the clock a
    strategy sees is the latest feed time so far, not the time of whichever message
    a stop (a batch end, a mid-grid row) happened to fall after."""
    path = tmp_path / "jitter.hft"
    src = SimSource(seed=7, max_events=N)
    src.start()
    with TickWriter(path, src.instruments[0]) as w:
        while (batch := src.read(1 << 14)) is not None:
            w.write(batch)

    def fills(**engine):
        cfg = config(**engine)
        return run_backtest(ReplaySource([path]), load_strategies(["mm"], cfg), cfg).fills_csv()

    ref = fills()
    assert ref.count("\n") > 20
    assert fills(batch_events=13) == ref
    assert fills(batch_events=50, markout_ms=7) == ref


def test_batch_size_and_threads_with_snapshots_change_nothing():
    ref = backtest().digest()
    assert backtest(batch_events=777).digest() == ref
    cfg = config()
    specs = load_strategies(["mm", "taker", EXAMPLE], cfg)
    engine = Engine(SimSource(seed=5, max_events=N), specs, cfg, mode="SIM")
    engine.want_snapshots(True)
    engine.start()
    seen = []
    while engine._thread.is_alive():
        if engine.latest is not None:
            seen.append(engine.latest)
        time.sleep(0.01)
    engine.join()
    from hft_tui.engine.backtest import BacktestResult, results

    threaded = BacktestResult(engine, {"results": results(engine), "run": {}})
    inline = backtest()
    assert threaded.fills_csv() == inline.fills_csv()
    assert threaded.results["scopes"] == inline.results["scopes"]
    snap = engine.latest
    assert snap is not None and snap.engine_state == "ended" and snap.events_total == engine.events_total
    assert snap.books[0].bids and snap.books[0].asks and snap.pnl and snap.limits
    assert any(line.category == "fill" for line in snap.log)


def run_cli(*argv: str) -> int:
    return cli.main(["backtest", "--no-progress", *argv])


def test_cli_writes_report_and_fills(tmp_path, capsys):
    report, fills = tmp_path / "r.json", tmp_path / "f.csv"
    code = run_cli("--sim-events", "60000", "--seed", "3", "--strategy", "mm", "--strategy", EXAMPLE,
                   "--param", "mm.size=200", "--report", str(report), "--fills", str(fills))  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "run report" in out and "events/s" in out
    doc = json.loads(report.read_text())
    assert set(doc) == {"results", "run"}
    assert {"wall_s", "events_per_s", "versions"} <= set(doc["run"])
    results = doc["results"]
    assert results["input"]["strategies"][0]["params"]["size"] == 200
    rows = list(csv.DictReader(fills.open()))
    assert tuple(rows[0]) == FILL_COLUMNS
    assert len(rows) == results["scopes"]["total"]["fills"] > 0
    assert {r["liquidity"] for r in rows} <= {"maker", "taker"}
    assert all(r["price"].count(".") == 1 and len(r["price"].split(".")[1]) == 2 for r in rows)
    mm = [r for r in rows if r["strategy"] == "mm"]
    assert all(r["qty"] != "" and float(r["qty"]) <= 0.002 for r in mm)  # 200 lots of 0.00001
    # the fee exactly: price x size x bps (maker 2, taker 5 by default), no float noise
    bps = {"maker": Decimal(2), "taker": Decimal(5)}
    assert {r["liquidity"] for r in rows} <= {"maker", "taker"}
    for r in rows:
        assert Decimal(r["fee"]) == Decimal(r["price"]) * Decimal(r["qty"]) * bps[r["liquidity"]] / 10_000


def test_cli_on_tick_files_with_a_risk_override(tmp_path, capsys):
    src = SimSource(seed=2, max_events=60_000)
    path = tmp_path / "sim.hft"
    with TickWriter(path, src.instruments[0]) as w:
        while (batch := src.read(1 << 14)) is not None:
            w.write(batch)
    fills = tmp_path / "f.csv"
    code = run_cli(str(path), "--strategy", "mm", "--risk", "max_position=0.002", "--fills", str(fills), "-q")
    assert code == 0
    rows = list(csv.DictReader(fills.open()))
    assert rows
    # 0.002 BTC = 200 lots, open orders included: the position never goes beyond
    assert max(abs(float(r["position_after"])) for r in rows) <= 0.002


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.hft", "--strategy", "mm"], "missing.hft"),
        (["--sim-events", "10", "--strategy", "nosuch"], "unknown strategy 'nosuch'"),
        (["--sim-events", "10", "--strategy", "mm", "--param", "gamma=abc"], "gamma must be a finite number"),
        (["--sim-events", "10", "--strategy", "mm", "--param", "nope=1"], "unknown parameter 'nope'"),
        (["--sim-events", "10", "--strategy", "mm", "--risk", "nope=1"], "unknown risk limit 'nope'"),
        (["--sim-events", "10", "--strategy", "mm", "--risk", "grid.max_position=1"], "no strategy named 'grid'"),
        (["--sim-events", "10"], "no strategy given"),
        (["--strategy", "mm"], "nothing to backtest"),
        (["x.hft", "--sim-events", "10", "--strategy", "mm"], "not both"),
        (["--sim-events", "10", "--strategy", "nofile.py:X"], "strategy file nofile.py not found"),
        (["--sim-events", "10", "--strategy", "mm", "--param", "gamma=nan"], "gamma must be a finite number"),
        (["--sim-events", "10", "--strategy", "mm", "--param", "sym=3"], "symbol 3 is beyond this run's 1 symbol"),
        (["--sim-events", "10", "--strategy", "mm", "--set", "exchnage.maker_fee_bps=1"], "unknown section [exchnage]"),
        (["--sim-events", "10", "--strategy", "mm", "--report", "o.json", "--fills", "./o.json"], "both name"),
        (["--sim-events", "10", "--strategy", "mm", "--report", "nodir/o.json"], "no such directory"),
        (["--sim-events", "10", "--strategy", "mm", "--fills", "."], "is a directory"),
    ],
)
def test_cli_errors_are_one_line_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    # Kernels compiled beforehand: a cold cache adds its one-line notice to stderr
    # (errors found after the warm-up, like a sym beyond the run's symbols).
    jit.prepare(["engine"], stream=None)
    monkeypatch.chdir(tmp_path)
    assert run_cli(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1


def test_progress_bar_shows_rate_and_eta():
    import io
    from types import SimpleNamespace

    from hft_tui.engine.backtest import Progress

    out = io.StringIO()
    bar = Progress(1_000_000, stream=out, after_s=0.0)
    bar.t0 -= 2.0  # two seconds into the run
    bar(SimpleNamespace(events_total=250_000))
    bar.close()
    text = out.getvalue()
    assert text.startswith("\r[######") and "25.0%" in text and "M ev/s" in text and "ETA 0:06" in text
    assert text.endswith("\n")
    quiet = io.StringIO()
    Progress(1000, stream=quiet, after_s=60.0)(SimpleNamespace(events_total=10))
    assert quiet.getvalue() == ""  # short runs show nothing


def _user_file(tmp_path, body: str) -> str:
    path = tmp_path / "mine.py"
    path.write_text("from hft_tui.strategies.base import Strategy\n" + body)
    return f"{path}:S"


@pytest.mark.parametrize(
    "body, message",
    [
        ("class S(Strategy):\n    def __init__(self, name, params):\n        raise ValueError('boom')\n",
         "cannot create strategy S"),
        ("class S(Strategy):\n    def __init__(self, a, b):\n        pass\n", "must call super().__init__"),
    ],
)
def test_a_user_class_that_cannot_be_built_is_a_one_line_error(body, message, tmp_path, capsys):
    assert run_cli("--sim-events", "10", "--strategy", _user_file(tmp_path, body)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_outputs_never_replace_an_input_or_a_tick_file(tmp_path, capsys):
    path = tmp_path / "in.hft"
    other = tmp_path / "other.hft"
    for p in (path, other):
        with TickWriter(p, SimSource(seed=1).instruments[0]) as w:
            w.write(SimSource(seed=1, max_events=2000).read(2000))
    before = path.read_bytes()
    link = tmp_path / "link.hft"
    link.symlink_to(path)
    cases = [
        ([str(path), "--fills", str(path)], "is also an input"),
        ([str(link), "--report", str(path)], "is also an input"),  # through a link
        ([str(path), "--report", str(other)], "is a tick file"),
    ]
    for argv, message in cases:
        assert run_cli(*argv, "--strategy", "mm", "-q") == 2
        assert message in capsys.readouterr().err
    assert path.read_bytes() == before and other.stat().st_size > 0


def test_the_report_counts_from_the_start_of_the_run():
    cfg = config()
    specs = load_strategies(["taker"], cfg, ["cooldown_ms=0"])
    result = run_backtest(SimSource(seed=5, max_events=20_000), specs, cfg)
    ts, eq, _, _ = result.engine.portfolio.samples.tail()
    # the first sample is the start (equity 0), not the first whole second after it
    assert int(ts[0]) == result.engine.sampler.start_ts and not eq[0].any()
    assert result.results["period"]["start_ns"] == int(ts[0])
    assert all(f.ts >= ts[0] for f in result.engine.portfolio.fills)


def test_numbers_and_booleans_typed_on_the_command_line_act_as_in_a_config_file(tmp_path, capsys):
    # `--param size=100` (the default) once stopped the mm: the typed int kept a subclass
    # that the order desk refused; `--set ...=false` was refused as text
    runs = {}
    for name, extra in (("default", []), ("typed", ["--param", "size=100", "--param", "requote_ticks=40",
                                                    "--set", "risk.post_only_check=true",
                                                    "--risk", "self_trade_check=true"])):  # fmt: skip
        fills = tmp_path / f"{name}.csv"
        assert run_cli("--sim-events", "60000", "--seed", "3", "--strategy", "mm", "--fills", str(fills), "-q",
                       *extra) == 0  # fmt: skip
        runs[name] = fills.read_text()
    assert "stopped" not in capsys.readouterr().err
    assert runs["typed"].count("\n") > 5 and runs["typed"] == runs["default"]


@pytest.mark.parametrize(
    "body, message",
    [
        ("defaults = [1, 2]", "defaults must be a dict"),
        ("timer_ms = 'often'", "timer_ms must be a number of milliseconds"),
        ("wake_ticks = 1.5", "wake_ticks must be a whole number"),
        ("symbols = 'BTC'", "symbols must be symbol indexes"),
        ("@staticmethod\n    def check_params(p):\n        return p['nope']", "check_params raised KeyError"),
        ("def __init__(self, name, params):\n        raise SystemExit(3)", "cannot create strategy Bad"),
        ("def on_start(self, ctx):\n        raise SystemExit(3)", None),  # stopped, the run goes on
    ],
)
def test_a_faulty_user_strategy_class_is_one_line(tmp_path, capsys, body, message):
    f = tmp_path / "bad.py"
    f.write_text(f"from hft_tui.strategies.base import Strategy\nclass Bad(Strategy):\n    {body}\n")
    report = tmp_path / "r.json"
    code = run_cli("--sim-events", "20000", "--strategy", f"{f}:Bad", "--strategy", "grid", "--report", str(report))
    err = capsys.readouterr().err
    if message is None:
        assert code == 0
        doc = json.loads(report.read_text())["results"]
        assert doc["scopes"]["grid"]["fills"] > 0 and "Traceback" not in err
    else:
        assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1


def test_a_bad_setting_names_the_file_or_the_command_line_it_came_from(tmp_path, capsys):
    conf = tmp_path / "desk.toml"
    conf.write_text("[exchange]\nmaker_fee_bps = 1e9\n[risk.strategies.mm]\nmax_position = 0.1\n")
    assert run_cli("--sim-events", "10", "--strategy", "mm", "--config", str(conf)) == 2
    assert capsys.readouterr().err == f"error: config ({conf}): exchange.maker_fee_bps must be -10000 to 10000 bps, got 1000000000.0\n"
    conf.write_text("[risk.strategies.mm]\nmax_position = 'a'\n")
    assert run_cli("--sim-events", "10", "--strategy", "mm", "--config", str(conf)) == 2
    assert capsys.readouterr().err.startswith(f"error: config ({conf}): [risk.strategies.mm]: max_position must be a number")
    assert run_cli("--sim-events", "10", "--strategy", "mm", "--set", "engine.batch_events=0") == 2
    assert capsys.readouterr().err.startswith("error: config (command line): [engine]: batch_events")
