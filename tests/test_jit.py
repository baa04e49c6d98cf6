"""The compile notice and the stale-cache purge, on toy kernels in fresh processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from hft_tui import book, jit

RUN = """
import sys
from pathlib import Path
sys.path.insert(0, {src!r})
from hft_tui import jit
jit.KERNEL_MODULES = {{"toy": "toy_top"}}
jit.PACKAGE_DIR = Path({src!r})
import toy_top
{before}
jit.prepare()
print(toy_top.f(1))
"""


def write_toy(src: Path, step: int) -> None:
    """toy_top.f calls toy_dep.g from another file: the case numba's cache misses."""
    (src / "toy_dep.py").write_text(
        textwrap.dedent(
            f"""
            from numba import njit

            @njit(cache=True)
            def g(x):
                return x + {step}
            """
        )
    )
    (src / "toy_top.py").write_text(
        textwrap.dedent(
            """
            from numba import njit
            from toy_dep import g

            @njit(cache=True)
            def f(x):
                return g(x) * 10

            KERNELS = (f,)
            COMPILE_ESTIMATE_S = 1

            def warm_up():
                f(0)
            """
        )
    )


def run_toy(src: Path, cache: Path, before: str = "") -> tuple[str, str]:
    root = Path(jit.__file__).resolve().parents[1]  # so the child imports this package
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(root)}
    proc = subprocess.run(
        [sys.executable, "-c", RUN.format(src=str(src), before=before)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout.strip(), proc.stderr


def test_notice_on_cold_cache_only_and_stale_callers_recompiled(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    cache = tmp_path / "cache"
    write_toy(src, 1)
    out, err = run_toy(src, cache)
    assert out == "20"
    assert err.startswith("compiling numba kernels (first run only, ~1 s)...")
    assert " compiled in " in err and err.endswith(" s\n")
    out, err = run_toy(src, cache)
    assert (out, err) == ("20", "")  # warm: silent
    write_toy(src, 2)  # only the callee's file changes
    out, err = run_toy(src, cache)
    assert out == "30"  # numba alone would still answer 20 from f's cache
    assert err.startswith("compiling numba kernels")


def test_kernels_loaded_before_a_purge_are_compiled_afresh(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    cache = tmp_path / "cache"
    write_toy(src, 1)
    run_toy(src, cache)
    write_toy(src, 2)
    # f runs (from its stale cache) before prepare finds the sources changed
    out, _ = run_toy(src, cache, before="print(toy_top.f(1))")
    assert out.split() == ["20", "30"]
    out, err = run_toy(src, cache)
    assert (out, err) == ("30", "")  # and the cache was rebuilt from the new sources


def test_book_warm_up_covers_every_registered_kernel():
    jit.prepare(["book"], stream=None)
    assert all(k.signatures for k in book.KERNELS)
    assert jit.is_warm(book.KERNELS)


def test_meanwhile_work_runs_beside_the_loading_and_its_error_surfaces():
    seen = []
    jit.prepare(["book"], stream=None, meanwhile=lambda: seen.append(threading.current_thread().name))
    assert len(seen) == 1 and seen[0] != threading.current_thread().name

    def broken():
        raise ValueError("no such tick file")

    with pytest.raises(ValueError, match="no such tick file"):
        jit.prepare(["book"], stream=None, meanwhile=broken)


def test_with_kernels_to_compile_a_quick_failure_of_meanwhile_comes_first(monkeypatch):
    """A first run's compile takes a minute; a bad argument found at once must not wait for it."""
    compiled = []
    monkeypatch.setattr(jit, "is_warm", lambda kernel_list: False)
    monkeypatch.setattr(jit, "_load", lambda *a: compiled.append(1))

    def broken():
        raise ValueError("--start: not a time")

    with pytest.raises(ValueError, match="not a time"):
        jit.prepare(["book"], stream=None, meanwhile=broken)
    assert compiled == []
