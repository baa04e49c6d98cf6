"""`hft-tui bench [NAME ...] [--quick] [--json]`: run the benchmarks and print their figures.

NAME is an area (``tickfile``, ``book``, ...) or a figure name (its area runs).
Figures come from the areas registered in ``hft_tui.bench.AREAS``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

HELP = "run the benchmarks (all, or the areas and figures named) and print their figures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="an area or a figure name; default: all")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds), for tests")
    parser.add_argument("--json", action="store_true", help="print one JSON object: figure -> number")
    parser.add_argument("--list", action="store_true", help="list the areas and figures; run nothing")


def _value(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}"


def _table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> str:
    """Aligned columns; the last column is free text, columns in right are right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from hft_tui import bench

    areas, wanted = bench.select(args.names)
    declared = bench.figures()
    if args.list:
        rows = [("area", "figure", "what it measures")]
        rows += [(declared[f][0], f, declared[f][1]) for f in wanted]
        print(_table(rows))
        return 0

    def progress(area: str) -> None:
        print(f"bench: {area}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)

    start = time.perf_counter()
    failed: dict[str, str] = {}
    results = bench.run(areas, args.quick, progress, failed)
    for area, reason in failed.items():
        print(f"error: bench area {area} failed: {reason}", file=sys.stderr)
    status = 1 if failed else 0
    shown = {f: results[f] for f in wanted if f in results}
    if args.json:
        print(json.dumps(shown))
        return status
    m = bench.machine()
    print(
        f"machine: {m['cpu']}, {m['cores']} cores; python {m['python']}, "
        f"numpy {m['numpy']}, numba {m['numba']}"
    )
    sizes = "quick (small, indicative only)" if args.quick else "full"
    print(f"sizes: {sizes}; took {time.perf_counter() - start:.1f} s\n")
    rows = [("figure", "value", "what it measures")]
    rows += [(f, _value(shown[f]) if f in shown else "-", declared[f][1]) for f in wanted]
    print(_table(rows, right=(1,)))
    return status
