"""`hft-tui bench`: the registry, NAME selection, --json and the tickfile area (quick sizes)."""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import types

import pytest

from hft_tui import bench, cli
from hft_tui.errors import HftError

TICKFILE_FIGURES = {"tickfile_write_events_per_s", "tickfile_verify_mb_per_s", "replay_peak_rss_mb"}


@pytest.fixture(autouse=True)
def _present_commands(monkeypatch):
    # Other commands are written on other branches; build the parser from those that exist.
    present = {k: v for k, v in cli.COMMANDS.items() if importlib.util.find_spec(v) is not None}
    monkeypatch.setattr(cli, "COMMANDS", present)


def test_registry_declarations():
    names = [f for area in bench.AREAS for f in bench.area_module(area).FIGURES]
    assert len(names) == len(set(names)), "a figure name is declared by two areas"
    assert TICKFILE_FIGURES <= set(names)
    for area in bench.AREAS:
        assert callable(bench.area_module(area).run)


def test_select_by_area_or_figure():
    assert bench.select(["tickfile"]) == (["tickfile"], list(bench.area_module("tickfile").FIGURES))
    assert bench.select(["replay_peak_rss_mb"]) == (["tickfile"], ["replay_peak_rss_mb"])
    areas, wanted = bench.select([])
    assert areas == list(bench.AREAS) and set(wanted) == set(bench.figures())
    with pytest.raises(HftError, match="unknown benchmark 'nope'"):
        bench.select(["nope"])


def test_undeclared_figure_is_a_bug(monkeypatch):
    fake = types.ModuleType("fake_bench_area")
    fake.FIGURES = {"fake_per_s": "fakes per second"}
    fake.run = lambda quick: {"fake_per_s": 1.0, "surprise": 2.0}
    monkeypatch.setitem(sys.modules, "fake_bench_area", fake)
    monkeypatch.setitem(bench.AREAS, "fake", "fake_bench_area")
    with pytest.raises(RuntimeError, match="undeclared figures"):
        bench.run(["fake"], quick=True)


def test_tickfile_quick_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert cli.main(["bench", "tickfile", "--quick", "--json"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out)
    assert set(figures) == TICKFILE_FIGURES
    assert all(isinstance(v, float) and v > 0 for v in figures.values())
    assert figures["replay_peak_rss_mb"] < 300
    assert list(tmp_path.iterdir()) == [], "benchmark data left behind"


def test_plain_output_names_the_machine(capsys):
    assert cli.main(["bench", "tickfile_write_events_per_s", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("machine: ") and "python 3." in lines[0] and "numpy" in lines[0]
    assert lines[3].split()[:3] == ["figure", "value", "what"]
    assert lines[4].split()[0] == "tickfile_write_events_per_s" and len(lines) == 5


def test_list_and_unknown_name(capsys):
    assert cli.main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(f in out for f in TICKFILE_FIGURES)
    assert cli.main(["bench", "nope", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: unknown benchmark 'nope'") and err.count("\n") == 1


def test_a_failing_area_does_not_cost_the_others(monkeypatch, capsys):
    from hft_tui import bench

    def broken(quick):
        raise RuntimeError("measurement broke")

    monkeypatch.setattr(bench.area_module("risk"), "run", broken)
    failed: dict[str, str] = {}
    got = bench.run(["risk", "tickfile"], True, None, failed)
    assert failed == {"risk": "RuntimeError: measurement broke"}
    assert "tickfile_write_events_per_s" in got
    with pytest.raises(RuntimeError):
        bench.run(["risk"], True)
