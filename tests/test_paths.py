"""Output paths: never over an input, whatever the names."""

from __future__ import annotations

import os

import pytest

from hft_tui.errors import HftError
from hft_tui.paths import check_outputs


def test_an_output_that_reaches_an_input_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x\n")
    os.symlink("data.csv", "soft.csv")
    os.link("data.csv", "hard.csv")
    for out in ("data.csv", "./data.csv", "soft.csv", "hard.csv", str(tmp_path / "data.csv")):
        with pytest.raises(HftError, match="is also an input"):
            check_outputs({"-o": out}, ["data.csv"])
    check_outputs({"-o": "new.hft", "--report": None}, ["data.csv"])  # fine


def test_two_outputs_in_one_file_or_nowhere_to_write_are_refused(tmp_path):
    with pytest.raises(HftError, match="--report and --fills both name"):
        check_outputs({"--report": str(tmp_path / "a"), "--fills": str(tmp_path / "." / "a")})
    with pytest.raises(HftError, match="no such directory"):
        check_outputs({"--report": str(tmp_path / "missing" / "a.json")})
    with pytest.raises(HftError, match="is a directory"):
        check_outputs({"--report": str(tmp_path)})
