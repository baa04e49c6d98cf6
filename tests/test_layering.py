"""The core never imports the UI: every module outside hft_tui/ui imports with Textual unavailable."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import hft_tui

CODE = """
import importlib, sys
class NoTextual:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual."):
            raise ImportError("textual is not available here")
sys.meta_path.insert(0, NoTextual())
for name in sys.argv[1:]:
    importlib.import_module(name)
print("ok", len(sys.argv) - 1)
"""


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(hft_tui.__path__, "hft_tui."):
        if info.name.startswith("hft_tui.ui") or info.name == "hft_tui.__main__":
            continue
        names.append(info.name)
    return names


def test_core_imports_without_textual():
    names = core_modules()
    assert "hft_tui.engine.engine" in names and "hft_tui.exchange" in names
    out = subprocess.run([sys.executable, "-c", CODE, *names], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr.strip().splitlines()[-1:]
    assert out.stdout.strip() == f"ok {len(names)}"
