"""Soak: the live feed under a stream of random faults, bounded in time and memory.

About 20 s by default; set HFT_SOAK_SECONDS for a longer run.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from fake_binance import FakeBinance
from fake_binance_book import BookChecker
from test_binance_feed import config

from hft_tui.feeds.binance_source import BinanceSource

SOAK_S = float(os.environ.get("HFT_SOAK_SECONDS", "20"))
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_soak_with_random_faults():
    rng = random.Random(7)
    counts: dict[str, int] = {}
    fake = FakeBinance(SYMBOLS, interval=0.01, seed=3).start()
    source = BinanceSource(config(fake, watchdog_s=0.6, reconnect_min_s=0.05, reconnect_max_s=0.3))
    try:
        source.start()
        chk = BookChecker(source, fake)
        assert chk.until(lambda: chk.checked > 30 and not any(source.stale_mask()), 15)
        rss0 = rss_mb()
        end = time.monotonic() + SOAK_S
        while time.monotonic() < end:
            chk.until(lambda: False, rng.uniform(0.6, 1.2))
            fault = rng.choice(
                ["skip", "duplicate", "out_of_order", "crossed", "malformed", "unknown",
                 "drop", "drop_clean", "silent", "slow_snapshot", "old_snapshot"]
            )
            counts[fault] = counts.get(fault, 0) + 1
            sym = rng.choice(SYMBOLS)
            before = source.health()["reconnects"]
            if fault in ("skip", "duplicate", "out_of_order", "crossed", "old_snapshot"):
                if fault == "old_snapshot":
                    fake.old_snapshot(sym)
                    fake.skip(sym)
                else:
                    getattr(fake, fault)(sym)
            elif fault in ("malformed", "unknown"):
                getattr(fake, fault)()
            elif fault == "slow_snapshot":
                fake.snapshot_delay = 0.5
                fake.skip(sym)
            else:
                if fault == "silent":
                    fake.silent()
                else:
                    fake.drop(clean=fault == "drop_clean")
                # one connection fault at a time, so each is one reconnect
                assert chk.until(lambda: source.health()["reconnects"] == before + 1, 5), fault
            if fault != "slow_snapshot":
                fake.snapshot_delay = 0.0
        fake.snapshot_delay = 0.0
        # after the faults: every book live again and still exact
        n = chk.checked
        assert chk.until(lambda: chk.checked > n + 60 and not any(source.stale_mask()), 15)
        h = source.health()
        growth = rss_mb() - rss0
        sync = source.client.decoder.sync
    finally:
        source.stop()
        fake.stop()
    assert "died" not in h["last_error"], h
    assert chk.mismatches == [], chk.mismatches[:5]
    assert h["reconnects"] == counts.get("drop", 0) + counts.get("drop_clean", 0) + counts.get("silent", 0)
    assert h["parse_errors"] == 2 * counts.get("malformed", 0)
    assert h["unknown"] == 2 * counts.get("unknown", 0)
    assert h["crossed"] == counts.get("crossed", 0)
    gap_faults = sum(counts.get(f, 0) for f in ("skip", "out_of_order", "crossed", "slow_snapshot", "old_snapshot"))
    assert h["resyncs"] >= gap_faults
    assert sum(s.stale_snapshots for s in sync.sym) >= counts.get("old_snapshot", 0)
    assert h["queue"] <= source.cfg.max_queue and all(len(s.buffer) <= sync.max_buffer for s in sync.sym)
    assert growth < 64, f"RSS grew {growth:.0f} MB"
    assert chk.checked > 500
    print(f"\nsoak {SOAK_S:.0f} s: faults {counts}; {chk.checked} books checked; health {h}")
