"""The ``exchange`` bench area's pieces, at toy sizes (the figures come from ``hft-tui bench``)."""

import numpy as np

from hft_tui.bench import AREAS, area_module
from hft_tui.bench.exchange import quoting_replay, sim_events, submit_ack
from hft_tui.book import Book
from hft_tui.events import ASK, BID
from hft_tui.exchange.l2_from_l3 import l3_to_l2


def test_area_is_registered_with_the_issue_figure_names():
    assert AREAS["exchange"] == "hft_tui.bench.exchange"
    assert set(area_module("exchange").FIGURES) == {
        "exchange_l2_events_per_s",
        "exchange_l3_events_per_s",
        "submit_ack_median_us",
    }


def test_l2_view_of_the_sim_stream_builds_the_same_book():
    l3 = sim_events(20_000)
    l2 = l3_to_l2(l3)
    assert len(l2) == len(l3) + int(np.count_nonzero(l3["kind"] == 6))
    a, b = Book(1, 1 << 14, 1 << 14), Book(1, 1 << 14, 1 << 14)
    a.apply(l3)
    b.apply(l2)
    for side in (BID, ASK):
        assert all(np.array_equal(x, y) for x, y in zip(a.depth(0, side, 50), b.depth(0, side, 50)))


def test_quoting_replay_keeps_twenty_orders_resting_and_gets_fills():
    l3 = sim_events(60_000)
    for events, model in ((l3, "risk_averse"), (l3_to_l2(l3)[: len(l3)], "prob")):
        n, secs, fills, resting = quoting_replay(events, model, 20_000)
        assert n == len(events) - 20_000 and secs > 0
        assert fills > 0 and resting == 20


def test_submit_ack_measures_both_halves():
    walls, match_ns = submit_ack(200, batch=50)
    assert len(walls) == 200 and (walls > 0).all() and match_ns >= 0
