"""Benchmarks: one module per area, each declaring the figures it produces.

An area module (``hft_tui/bench/<area>.py``) has

    FIGURES: dict[str, str]          figure name -> what it measures, with its unit
    def run(quick: bool) -> dict[str, float]

``run`` returns some or all of its declared figures (never others); with
``quick`` it uses small sizes so the whole area takes seconds (tests use it).
Data files go to a temporary directory that is removed afterwards. Keep heavy
imports inside ``run``: the registry imports every area module to learn the
figure names.

To add an area, write its module and add one line to ``AREAS``.
"""

from __future__ import annotations

import importlib
import os
import platform
from collections.abc import Callable, Iterable
from importlib import metadata
from types import ModuleType

from hft_tui.errors import HftError

# area name -> module; the order is the order of a full run
AREAS: dict[str, str] = {
    "tickfile": "hft_tui.bench.tickfile",
    "sim": "hft_tui.bench.sim",
    "exchange": "hft_tui.bench.exchange",
    "backtest": "hft_tui.bench.backtest",
    "risk": "hft_tui.bench.risk",
    "import": "hft_tui.bench.importers",
    "replay": "hft_tui.bench.replay",
    "ui": "hft_tui.bench.ui",
    "live": "hft_tui.bench.live",
    "book": "hft_tui.bench.book",
}


def area_module(name: str) -> ModuleType:
    return importlib.import_module(AREAS[name])


def figures() -> dict[str, tuple[str, str]]:
    """Every declared figure: name -> (area, description)."""
    out: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        for fig, text in area_module(area).FIGURES.items():
            out[fig] = (area, text)
    return out


def select(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The areas to run and the figures to report for NAMEs that are areas or figures.

    No names: everything. A figure name runs the area that produces it.
    """
    names = list(names)
    declared = figures()
    if not names:
        return list(AREAS), list(declared)
    areas: list[str] = []
    wanted: list[str] = []
    for name in names:
        if name in AREAS:
            picked = [f for f, (a, _) in declared.items() if a == name]
            area = name
        elif name in declared:
            picked, area = [name], declared[name][0]
        else:
            raise HftError(
                f"unknown benchmark {name!r}; areas: {', '.join(AREAS)}; "
                "`hft-tui bench --list` shows the figures"
            )
        if area not in areas:
            areas.append(area)
        wanted += [f for f in picked if f not in wanted]
    # Keep the areas' own order, so results do not depend on the order of NAMEs.
    return [a for a in AREAS if a in areas], wanted


def run(
    areas: Iterable[str],
    quick: bool,
    progress: Callable[[str], None] | None = None,
    failed: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run the areas in turn; all their figures, checked against their declarations.

    With ``failed`` given, an area that raises is recorded there (area -> one-line
    reason) and the others still run: one broken measurement must not cost the rest.
    """
    results: dict[str, float] = {}
    for area in areas:
        module = area_module(area)
        if progress:
            progress(area)
        try:
            got = module.run(quick)
        except Exception as exc:
            if failed is None:
                raise
            failed[area] = f"{type(exc).__name__}: {exc}"
            continue
        unknown = set(got) - set(module.FIGURES)
        if unknown:
            raise RuntimeError(f"bench area {area} produced undeclared figures {sorted(unknown)}")
        results.update({k: float(v) for k, v in got.items()})
    return results


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": str(cores),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "numba": version("numba"),
    }
