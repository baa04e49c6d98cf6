"""The `live` benchmark area runs and measures what it says (tiny sizes; not a timed test)."""

from __future__ import annotations

from hft_tui import bench
from hft_tui.bench import live


def test_live_area_is_registered_with_its_figures():
    assert bench.AREAS["live"] == "hft_tui.bench.live"
    assert set(live.FIGURES) == {
        "depth_update_apply_median_us",
        "binance_raw_lines_per_s",
        "live_10sym_queue_max",
        "live_10sym_msgs_per_s",
    }


def test_live_measurements_on_tiny_sizes():
    assert 0 < live._depth_apply_us(300) < 10_000
    assert live._raw_lines_per_s(3000) > 1000
    live._connection_run(500, 0.5)  # first run: compile and connect, not measured
    # messages must flow and the queue stay bounded; the rate itself is the
    # benchmark's business, not a test's (a loaded CI machine is slow)
    rate, qmax = live._connection_run(500, 3.0)
    assert rate > 0 and 0 <= qmax < 1000
