"""Benchmark area ``import``: conversion speed and memory of ``hft-tui convert``.

Each conversion runs in its own process (``python -m hft_tui.bench.importers``)
so that its peak RSS is its own and numba's cache is loaded as a user's run
would load it; the child times the conversion itself (not interpreter start).
Inputs are synthetic: a block of rows generated once and written repeatedly,
with times shifted so that the file moves forward as a real one does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIGURES = {
    "csv_import_rows_per_s": "rows/s converting a Binance trades CSV to a tick file (wall clock; quick: 300k rows, else 10M)",
    "csv_import_rows_per_cpu_s": "rows per CPU second of the same conversion (less sensitive to a shared machine)",
    "import_peak_rss_mb": "MiB peak RSS of that conversion (10M rows, a ~650 MB input; quick: 300k)",
    "tardis_l2_import_rows_per_s": "rows/s converting a Tardis incremental_book_L2 CSV (quick: 200k rows, else 3M)",
    "lobster_import_rows_per_s": "message rows/s converting LOBSTER level-10 files with corrections (quick: 50k, else 1M)",
}

_BLOCK = 100_000
_T0_MS = 1_704_067_200_000


def _trades_block(rng: np.random.Generator, first_id: int, t_ms: int) -> tuple[str, int]:
    n = _BLOCK
    px = 4_200_000 + np.cumsum(rng.integers(-3, 4, n))
    qty = rng.integers(1, 200_000, n)
    ts = t_ms + np.cumsum(rng.integers(0, 3, n))
    maker = rng.integers(0, 2, n)
    lines = [
        f"{first_id + i},{p // 100}.{p % 100:02d}000000,0.{q:08d},1.00000000,{t},{'True' if m else 'False'},True\n"
        for i, (p, q, t, m) in enumerate(zip(px.tolist(), qty.tolist(), ts.tolist(), maker.tolist()))
    ]
    return "".join(lines), int(ts[-1])


def write_binance_trades(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    block, last = _trades_block(rng, 3_340_000_000, _T0_MS)
    with open(path, "w") as fh:
        for start in range(0, rows, _BLOCK):
            take = min(_BLOCK, rows - start)
            text = block if take == _BLOCK else "".join(block.splitlines(True)[:take])
            fh.write(text)
    # The repeated block's ids and times restart; the importer does not care, and
    # generating 10M distinct rows in Python would take longer than converting them.


def write_tardis_l2(path: Path, rows: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    n = min(rows, _BLOCK)
    ts = 1_704_067_200_000_000 + np.cumsum(rng.integers(0, 4, n) == 0) * 1000
    side = np.where(rng.integers(0, 2, n) == 1, "bid", "ask")
    px = 4_200_000 + rng.integers(-500, 500, n)
    amount = rng.integers(0, 100_000, n)
    lines = [
        f"binance-futures,BTCUSDT,{t},{t + 900},false,{s},{p // 100}.{p % 100:02d},{a / 1000:.3f}\n"
        for t, s, p, a in zip(ts.tolist(), side.tolist(), px.tolist(), amount.tolist())
    ]
    block = "".join(lines)
    with open(path, "w") as fh:
        fh.write("exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n")
        for start in range(0, rows, n):
            fh.write(block if start + n <= rows else "".join(lines[: rows - start]))


def write_lobster(directory: Path, rows: int, levels: int = 10, seed: int = 3) -> Path:
    """A level-N book walked by random visible events, as LOBSTER would write it."""
    rng = np.random.default_rng(seed)
    n = min(rows, 50_000)
    asks = [[5_000_100 + 100 * k, 100] for k in range(levels)]
    bids = [[5_000_000 - 100 * k, 100] for k in range(levels)]
    msgs, books = [], []
    t = 34_200 * 10**9
    oid = 1
    kinds = rng.integers(1, 5, n)
    for i in range(n):
        t += int(rng.integers(0, 2_000_000))
        side = 1 if rng.random() < 0.5 else -1
        lv = bids if side == 1 else asks
        k = int(rng.integers(0, levels))
        kind = int(kinds[i])
        if kind == 4 and k != 0:
            kind = 2  # only the best level trades
        px = lv[k][0]
        size = int(rng.integers(1, 100))
        if kind == 1:
            lv[k][1] += size
        else:
            size = min(size, lv[k][1])
            lv[k][1] -= size
            if lv[k][1] == 0:  # the level goes; the next one beyond the window comes into view
                del lv[k]
                worst = lv[-1][0]
                lv.append([worst - 100 if side == 1 else worst + 100, int(rng.integers(1, 500))])
        msgs.append(f"{t // 10**9}.{t % 10**9:09d},{kind},{oid},{size},{px},{side}\n")
        oid += 1
        books.append(",".join(f"{a[0]},{a[1]},{b[0]},{b[1]}" for a, b in zip(asks, bids)) + "\n")
    stem = directory / "BENCH_2013-01-15_34200000_57600000"
    msg_path = Path(f"{stem}_message_{levels}.csv")
    with open(msg_path, "w") as fm, open(f"{stem}_orderbook_{levels}.csv", "w") as fo:
        for start in range(0, rows, n):
            take = min(n, rows - start)
            fm.write("".join(msgs[:take]))
            fo.write("".join(books[:take]))
    return msg_path


def _convert_in_child(argv: list[str]) -> dict[str, float]:
    root = str(Path(__file__).resolve().parents[2])  # so the child imports this same package
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "hft_tui.bench.importers", *argv],
        capture_output=True, text=True, env=env, timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"convert child failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        d = Path(tmp)
        trades = d / "BTCUSDT-trades-2024-01-01.csv"
        n = 300_000 if quick else 10_000_000
        write_binance_trades(trades, n)
        res = _convert_in_child(["-f", "binance-vision", str(trades), "-o", str(d / "t.hft"),
                                 "--tick-size", "0.01", "--lot-size", "0.00000001"])
        trades.unlink()
        out["csv_import_rows_per_s"] = res["rows"] / res["seconds"]
        out["csv_import_rows_per_cpu_s"] = res["rows"] / res["cpu_seconds"]
        out["import_peak_rss_mb"] = res["peak_rss_kb"] / 1024

        l2 = d / "binance-futures_incremental_book_L2_BTCUSDT.csv"
        write_tardis_l2(l2, 200_000 if quick else 3_000_000)
        res = _convert_in_child(["-f", "tardis", str(l2), "-o", str(d / "l2.hft"),
                                 "--tick-size", "0.01", "--lot-size", "0.001"])
        l2.unlink()
        out["tardis_l2_import_rows_per_s"] = res["rows"] / res["seconds"]

        msg = write_lobster(d, 50_000 if quick else 1_000_000)
        res = _convert_in_child(["-f", "lobster", str(msg), "-o", str(d / "lob.hft")])
        out["lobster_import_rows_per_s"] = res["rows"] / res["seconds"]
    return out


def _peak_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _child(argv: list[str]) -> None:
    import argparse

    from hft_tui.commands import convert
    from hft_tui.importers.lobster_book import warm_up as warm_lobster
    from hft_tui.importers.parse import warm_up

    parser = argparse.ArgumentParser()
    convert.add_arguments(parser)
    args = parser.parse_args(argv)
    warm_up()  # load numba's cached kernels outside the timing
    warm_lobster()
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = convert.convert(args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if outcome.status != 0:
        raise SystemExit(outcome.status)
    print(json.dumps({"rows": outcome.rows, "seconds": wall, "cpu_seconds": cpu, "peak_rss_kb": _peak_rss_kb()}))


if __name__ == "__main__":
    _child(sys.argv[1:])
