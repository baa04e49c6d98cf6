"""Benchmark area ``tickfile``: write speed, open-and-verify speed, replay memory.

The replay figure comes from a separate process (``python -m
hft_tui.bench.tickfile FILE``) so that its peak RSS is its own: it opens the
file as a stream and walks every batch, summing a field.
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
    "tickfile_write_events_per_s": "events/s written to a tick file (64k-event chunks, CRC32, no fsync)",
    "tickfile_verify_mb_per_s": "MiB/s opening a tick file: chunk walk + CRC32 of every chunk (warm cache)",
    "replay_peak_rss_mb": "MiB peak RSS of a process streaming every event of a 10M-event file (quick: 1M)",
}

_BLOCK = 1_000_000  # events generated once and written repeatedly with shifted times


def synthetic_events(n: int, seed: int = 1, t0: int = 1_700_000_000_000_000_000) -> np.ndarray:
    """L2-like events: messages of 1-10 level updates (last one EOM) around a random-walk mid."""
    from hft_tui.events import EOM, EVENT_DTYPE, LEVEL, TRADE

    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE)
    starts = np.zeros(n, bool)
    starts[0] = True
    starts[1:] = rng.random(n - 1) < 0.2
    msg = np.cumsum(starts) - 1
    gaps = rng.exponential(50_000.0, msg[-1] + 1).astype(np.int64)  # ~20k messages/s
    ev["exch_ts"] = t0 + np.cumsum(gaps)[msg]
    ev["local_ts"] = ev["exch_ts"] + rng.integers(200_000, 2_000_000, n)
    mid = 6_000_000 + np.cumsum(rng.integers(-1, 2, msg[-1] + 1))[msg]
    ev["side"] = rng.choice(np.array([-1, 1], np.int8), n)
    ev["px"] = mid + ev["side"] * rng.integers(1, 200, n)
    ev["qty"] = rng.integers(0, 50_000, n)
    ev["kind"] = np.where(rng.random(n) < 0.05, TRADE, LEVEL)
    ev["order_id"] = np.arange(n)
    ends = np.flatnonzero(np.append(starts[1:], True))
    ev["flags"][ends] = EOM
    return ev


def run(quick: bool) -> dict[str, float]:
    from hft_tui.instrument import Instrument
    from hft_tui.tickfile import TickReader, TickWriter

    n = 1_000_000 if quick else 10_000_000
    block = synthetic_events(min(n, _BLOCK))
    span = int(block["exch_ts"][-1] - block["exch_ts"][0]) + 1
    inst = Instrument("BTCUSDT", "0.01", "0.00001")
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        path = Path(tmp) / "bench.hft"
        elapsed = 0.0
        with TickWriter(path, inst) as writer:
            for start in range(0, n, len(block)):
                part = block[: n - start]
                t = time.perf_counter()
                writer.write(part)
                elapsed += time.perf_counter() - t
                # Next block later in time, as a longer recording would be.
                block["exch_ts"] += span
                block["local_ts"] += span
            t = time.perf_counter()
            writer.close()
            elapsed += time.perf_counter() - t
        del block
        size = path.stat().st_size
        best = float("inf")
        for _ in range(2 if quick else 3):
            t = time.perf_counter()
            reader = TickReader(path)
            best = min(best, time.perf_counter() - t)
            if reader.n_events != n or reader.warnings:
                raise RuntimeError(f"bench file read back wrong: {reader.n_events} {reader.warnings}")
            reader.close()
        child = _replay_in_child(path, n)
    return {
        "tickfile_write_events_per_s": n / elapsed,
        "tickfile_verify_mb_per_s": size / 2**20 / best,
        "replay_peak_rss_mb": child["peak_rss_kb"] / 1024,
    }


def _replay_in_child(path: Path, n: int) -> dict[str, float]:
    root = str(Path(__file__).resolve().parents[2])  # so the child imports this same package
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "hft_tui.bench.tickfile", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"replay child failed: {proc.stderr.strip()[-500:]}")
    result = json.loads(proc.stdout)
    if result["events"] != n:
        raise RuntimeError(f"replay child saw {result['events']} events, expected {n}")
    return result


def _peak_rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _replay(path: str) -> None:
    from hft_tui.stream import open_stream

    events = total = 0
    t = time.perf_counter()
    with open_stream([path]) as stream:
        for batch in stream:
            events += len(batch)
            total += int(batch["qty"].sum())
    seconds = time.perf_counter() - t
    print(json.dumps({"events": events, "qty_sum": total, "seconds": seconds, "peak_rss_kb": _peak_rss_kb()}))


if __name__ == "__main__":
    _replay(sys.argv[1])
