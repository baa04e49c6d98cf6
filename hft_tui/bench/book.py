"""Benchmark area ``book``: the jitted order book against its reference, and its compile time.

Both streams are written to a tick file first and replayed from the memory
map, chunk by chunk, one jitted call per chunk (as ``hft-tui book`` does):

- the sim venue's L3 stream (defaults, seed 1): ADD, CANCEL and EXECUTE;
- a synthetic L2 stream in the manner of exchange depth diffs: LEVEL updates
  within a few hundred ticks of a slowly wandering mid (a fifth of them
  deletes), some ADD/CANCEL/EXECUTE and trades, messages of 1-20 events.

Throughput is the best of three passes (the machine may be shared).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIGURES = {
    "book_updates_per_s": "events/s through the jitted book: sim-venue L3 stream, 10M events "
    "(quick: 1M) from a memory-mapped tick file, JIT excluded, best of 3",
    "book_l2_updates_per_s": "events/s through the jitted book: synthetic L2 depth-diff stream, "
    "10M events (quick: 1M), from a tick file, best of 3",
    "reference_book_updates_per_s": "events/s through the pure-Python reference book "
    "(first 200k events of the sim stream; quick: 50k)",
    "book_speedup_vs_reference": "book_updates_per_s / reference_book_updates_per_s",
    "jit_compile_s": "s to compile the book kernels in a fresh process with an empty NUMBA_CACHE_DIR",
}

_BLOCK = 1 << 20


def l2_events(n: int, seed: int = 2, t0: int = 1_700_000_000_000_000_000) -> np.ndarray:
    """Depth-diff-like events around a slowly wandering mid (see the module docstring)."""
    from hft_tui.events import ADD, CANCEL, EOM, EVENT_DTYPE, EXECUTE, LEVEL, TRADE

    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["exch_ts"] = t0 + np.cumsum(rng.integers(1_000, 100_000, n))
    ev["local_ts"] = ev["exch_ts"] + 1_000_000
    mid = 6_000_000 + np.cumsum(rng.choice(np.array([-1, 0, 0, 0, 0, 0, 0, 1]), n)) // 4
    side = rng.choice(np.array([-1, 1], np.int8), n)
    # mostly near the touch, thinning out to a few hundred ticks
    dist = 1 + np.minimum(rng.geometric(0.03, n), 400)
    ev["side"] = side
    ev["px"] = mid + side.astype(np.int64) * -dist
    u = rng.random(n)
    ev["kind"] = np.select([u < 0.85, u < 0.90, u < 0.95, u < 0.98], [LEVEL, ADD, CANCEL, EXECUTE], TRADE)
    ev["qty"] = np.where(rng.random(n) < 0.2, 0, rng.integers(1, 50_000, n))
    ev["qty"][ev["kind"] != LEVEL] = rng.integers(1, 5_000, int(np.count_nonzero(ev["kind"] != LEVEL)))
    ends = np.flatnonzero(rng.random(n) < 0.1)
    ev["flags"][ends] = EOM
    ev["flags"][-1] = EOM
    return ev


def _write_sim(path: Path, n: int) -> None:
    from hft_tui.events import empty
    from hft_tui.feeds.sim import SimParams, SimVenue
    from hft_tui.tickfile import TickWriter

    venue = SimVenue(SimParams(), seed=1)
    buf = empty(_BLOCK + venue.max_message_events)
    total = 0
    with TickWriter(path, venue.instrument) as writer:
        while total < n:
            left = n - total
            k = venue.generate(buf, min_events=left) if left <= _BLOCK else venue.generate(buf, _BLOCK)
            writer.write(buf[:k])
            total += k


def _write_l2(path: Path, n: int) -> None:
    from hft_tui.instrument import Instrument
    from hft_tui.tickfile import TickWriter

    with TickWriter(path, Instrument("BTCUSDT", "0.01", "0.00001")) as writer:
        for start in range(0, n, _BLOCK):
            writer.write(l2_events(min(_BLOCK, n - start), seed=2 + start))


def _replay_rate(path: Path) -> float:
    """Best events/s of three replays of the whole file through a fresh book."""
    from hft_tui.book import Book, book_apply_batch
    from hft_tui.tickfile import TickReader

    best = 0.0
    with TickReader(path) as reader:
        n = reader.n_events
        for _ in range(3):
            st = Book().state
            t = time.perf_counter()
            for chunk in reader.iter_chunks(release=False):
                book_apply_batch(st, chunk, 0, len(chunk))
            best = max(best, n / (time.perf_counter() - t))
    return best


def _reference_rate(path: Path, n: int) -> float:
    from hft_tui.reference import ReferenceBook
    from hft_tui.tickfile import TickReader

    parts, have = [], 0
    with TickReader(path) as reader:
        for chunk in reader.iter_chunks(release=False):
            parts.append(chunk[: n - have].copy())
            have += len(parts[-1])
            if have == n:
                break
    events = np.concatenate(parts)
    ref = ReferenceBook()
    t = time.perf_counter()
    ref.apply(events)
    return len(events) / (time.perf_counter() - t)


def _compile_seconds() -> float:
    root = str(Path(__file__).resolve().parents[2])  # the child imports this same package
    code = (
        "import time\nimport hft_tui.book as b\n"
        "t = time.perf_counter()\nb.warm_up()\nprint(time.perf_counter() - t)\n"
    )
    with tempfile.TemporaryDirectory(prefix="hft-tui-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=900
        )
    if proc.returncode != 0:
        raise RuntimeError(f"compile child failed: {proc.stderr.strip()[-500:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def measure(n: int, n_reference: int) -> dict[str, float]:
    """Every figure but the compile time, on streams of ``n`` events."""
    from hft_tui import jit

    jit.prepare(["book"], stream=None)
    with tempfile.TemporaryDirectory(prefix="hft-tui-bench-") as tmp:
        sim, l2 = Path(tmp) / "sim.hft", Path(tmp) / "l2.hft"
        _write_sim(sim, n)
        rate = _replay_rate(sim)
        ref = _reference_rate(sim, n_reference)
        sim.unlink()
        _write_l2(l2, n)
        l2_rate = _replay_rate(l2)
    return {
        "book_updates_per_s": rate,
        "book_l2_updates_per_s": l2_rate,
        "reference_book_updates_per_s": ref,
        "book_speedup_vs_reference": rate / ref,
    }


def run(quick: bool) -> dict[str, float]:
    figures = measure(1_000_000, 50_000) if quick else measure(10_000_000, 200_000)
    figures["jit_compile_s"] = _compile_seconds()
    return figures
