"""The depth sync state machine on its own: Binance's procedure, spot and USD-M, under faults."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.events import ASK, BID, CLEAR, EOM, EVENT_DTYPE, LEVEL, SNAPSHOT
from hft_tui.feeds.binance_sync import LIVE, MAX_OLD_RUN, WAITING, DepthSync
from hft_tui.reference import ReferenceBook


def diff_events(changes, u, sym=0):
    ev = np.zeros(len(changes), dtype=EVENT_DTYPE)
    for i, ((side, px), qty) in enumerate(changes):
        ev[i] = (0, 0, px, qty, u, LEVEL, side, 0, sym, 0)
    if len(ev):
        ev["flags"][-1] = EOM
    return ev


def snapshot_events(bids, asks, u, sym=0):
    changes = [((BID, p), q) for p, q in bids.items()] + [((ASK, p), q) for p, q in asks.items()]
    ev = np.zeros(len(changes) + 1, dtype=EVENT_DTYPE)
    ev[0] = (0, 0, 0, 0, u, CLEAR, 0, SNAPSHOT, sym, 0)
    ev[1:] = diff_events(changes, u, sym)
    ev["flags"] |= SNAPSHOT
    return ev


class Harness:
    """A DepthSync with its emitted events applied to a reference book."""

    def __init__(self, futures=False, n=1, **kw):
        self.requests = []
        self.logs = []
        self.ref = ReferenceBook(n)
        self.sync = DepthSync(
            [f"S{i}" for i in range(n)],
            futures,
            self.ref.apply,
            lambda sym, reason: self.requests.append((sym, reason)),
            lambda sym, msg: self.logs.append(msg),
            **kw,
        )

    def book(self, sym=0):
        b = dict(zip(*(a.tolist() for a in self.ref.depth(sym, BID, 1000))))
        a = dict(zip(*(a.tolist() for a in self.ref.depth(sym, ASK, 1000))))
        return b, a


def test_spot_procedure_drops_old_diffs_and_applies_the_rest():
    h = Harness()
    s = h.sync
    s.on_diff(0, 95, 100, -1, diff_events([((BID, 10), 1)], 100))
    assert h.requests == [(0, "start")] and s.sym[0].state == WAITING
    s.on_diff(0, 101, 104, -1, diff_events([((BID, 10), 2)], 104))
    s.on_diff(0, 105, 107, -1, diff_events([((ASK, 12), 5)], 107))
    # snapshot at 102: the first diff is dropped, the second spans 103, the third follows
    assert s.on_snapshot(0, 102, snapshot_events({10: 7, 9: 1}, {13: 1}, 102))
    assert s.sym[0].state == LIVE and s.sym[0].last_u == 107 and not s.stale(0)
    assert h.book() == ({10: 2, 9: 1}, {12: 5, 13: 1})
    s.on_diff(0, 100, 107, -1, diff_events([((BID, 10), 99)], 107))  # old: ignored
    assert s.sym[0].old_diffs == 1 and h.book()[0][10] == 2
    s.on_diff(0, 108, 110, -1, diff_events([((BID, 10), 0)], 110))
    assert h.book() == ({9: 1}, {12: 5, 13: 1})
    s.on_diff(0, 112, 113, -1, diff_events([((BID, 9), 3)], 113))  # 111 is missing
    assert s.sym[0].state == WAITING and s.sym[0].resyncs == 1 and s.stale(0)
    assert "gap" in h.logs[-1] and h.requests[-1][0] == 0
    assert h.book() == ({9: 1}, {12: 5, 13: 1})  # nothing applied past the gap


def test_spot_snapshot_older_than_the_buffer_is_requested_again():
    h = Harness()
    s = h.sync
    s.on_diff(0, 200, 205, -1, diff_events([((BID, 10), 1)], 205))
    assert not s.on_snapshot(0, 150, snapshot_events({10: 3}, {11: 1}, 150))
    assert s.sym[0].stale_snapshots == 1 and len(h.requests) == 2 and h.book() == ({}, {})
    assert s.on_snapshot(0, 199, snapshot_events({10: 3}, {11: 1}, 199))  # U=200 spans 200
    assert h.book() == ({10: 1}, {11: 1})


def test_futures_rule_first_diff_spans_then_pu_chains():
    h = Harness(futures=True)
    s = h.sync
    s.on_diff(0, 90, 99, 89, diff_events([((BID, 10), 1)], 99))
    s.on_diff(0, 100, 110, 99, diff_events([((BID, 10), 2)], 110))
    s.on_diff(0, 111, 120, 110, diff_events([((BID, 11), 4)], 120))
    # futures drops u < lastUpdateId; the first applied has U <= lastUpdateId <= u
    assert s.on_snapshot(0, 105, snapshot_events({10: 9}, {12: 1}, 105))
    assert h.book() == ({10: 2, 11: 4}, {12: 1}) and s.sym[0].last_u == 120
    s.on_diff(0, 121, 125, 120, diff_events([((ASK, 12), 0)], 125))
    assert h.book() == ({10: 2, 11: 4}, {})
    s.on_diff(0, 127, 130, 126, diff_events([((ASK, 13), 1)], 130))  # pu 126 != 125
    assert s.sym[0].resyncs == 1 and s.sym[0].gaps == 1


def test_crossed_book_resyncs_and_is_not_emitted():
    h = Harness()
    s = h.sync
    s.on_diff(0, 11, 11, -1, diff_events([((BID, 10), 1)], 11))
    s.on_snapshot(0, 10, snapshot_events({10: 3}, {12: 1}, 10))
    assert h.book() == ({10: 1}, {12: 1})
    s.on_diff(0, 12, 12, -1, diff_events([((BID, 13), 1)], 12))
    assert s.sym[0].crossed == 1 and s.sym[0].resyncs == 1 and "crossed" in h.logs[-1]
    assert h.book() == ({10: 1}, {12: 1})  # the engine never sees the crossing diff


def test_symbols_are_independent():
    h = Harness(n=2)
    s = h.sync
    for sym in (0, 1):
        s.on_diff(sym, 6, 6, -1, diff_events([((BID, 10), 1)], 6, sym))
        s.on_snapshot(sym, 5, snapshot_events({10: 3}, {12: 1}, 5, sym))
    s.on_diff(0, 9, 9, -1, diff_events([((BID, 10), 2)], 9, 0))  # gap on symbol 0
    s.on_diff(1, 7, 7, -1, diff_events([((BID, 10), 2)], 7, 1))
    assert [x.resyncs for x in s.sym] == [1, 0] and s.stale(0) and not s.stale(1)
    assert h.book(1) == ({10: 2}, {12: 1})


def test_disconnect_marks_stale_until_the_stream_continues():
    h = Harness()
    s = h.sync
    s.on_diff(0, 6, 6, -1, diff_events([((BID, 10), 1)], 6))
    s.on_snapshot(0, 5, snapshot_events({10: 3}, {12: 1}, 5))
    s.disconnected()
    assert s.stale(0)
    s.on_diff(0, 7, 8, -1, diff_events([((BID, 10), 2)], 8))
    assert not s.stale(0) and s.sym[0].resyncs == 0


def test_bad_ids_and_buffer_bound():
    h = Harness(max_buffer=3)
    s = h.sync
    for u in range(10, 20):
        s.on_diff(0, u, u, -1, diff_events([((BID, 10), u)], u))
    assert len(s.sym[0].buffer) == 3 and s.sym[0].overflows == 7
    assert s.on_snapshot(0, 16, snapshot_events({}, {30: 1}, 16))
    assert h.book() == ({10: 19}, {30: 1})
    s.on_diff(0, 25, 21, -1, diff_events([((BID, 10), 1)], 21))
    assert s.sym[0].resyncs == 1 and "bad update ids" in h.logs[-1]


# --- property: whatever the faults, a live book is the true book ----------------------------
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), futures=st.booleans())
def test_random_faults_never_leave_a_wrong_live_book(seed, futures):
    rng = random.Random(seed)
    bids, asks = {100 - d: 5 for d in range(1, 6)}, {100 + d: 5 for d in range(1, 6)}
    truth = {0: (dict(bids), dict(asks))}
    last = 0
    sent = []  # (U, u, pu, events) as generated
    for _ in range(80):
        changes = {}
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                px = min(asks, default=101) - 1 - rng.randint(0, 6)
                book, side = bids, BID
            else:
                px = max(bids, default=99) + 1 + rng.randint(0, 6)
                book, side = asks, ASK
            q = 0 if px in book and rng.random() < 0.4 else rng.randint(1, 9)
            book.pop(px, None) if q == 0 else book.__setitem__(px, q)
            changes[(side, px)] = q
        first, u = last + 1, last + len(changes) + rng.randint(0, 2)
        sent.append((first, u, last, diff_events(list(changes.items()), u)))
        truth[u] = (dict(bids), dict(asks))
        last = u
    h = Harness(futures=futures)
    s = h.sync
    stream = []
    i = 0
    while i < len(sent):  # deliver with faults: drops, duplicates, swaps, snapshots
        r = rng.random()
        if r < 0.05:
            i += 1  # lost
            continue
        if r < 0.10 and i + 1 < len(sent):
            stream += [("diff", sent[i + 1]), ("diff", sent[i])]
            i += 2
            continue
        stream.append(("diff", sent[i]))
        if r < 0.15:
            stream.append(("diff", sent[i]))
        if rng.random() < 0.2:
            stream.append(("snap", sent[i][1]))
        i += 1
    for what, item in stream:
        if what == "diff":
            s.on_diff(0, item[0], item[1], item[2], item[3])
        elif s.sym[0].requested:
            b, a = truth[item]
            s.on_snapshot(0, item, snapshot_events(b, a, item))
        if s.sym[0].state == LIVE:
            assert h.book() == truth[s.sym[0].last_u]


def test_update_ids_that_start_again_lower_resync_instead_of_staying_stale():
    h = Harness()
    s = h.sync
    s.on_diff(0, 95, 100, -1, diff_events([((BID, 10), 1)], 100))
    assert s.on_snapshot(0, 100, snapshot_events({10: 1}, {12: 1}, 100))
    s.on_diff(0, 101, 101, -1, diff_events([((BID, 10), 2)], 101))
    s.disconnected()  # a restarted server: its ids begin again at 5
    s.on_diff(0, 5, 6, -1, diff_events([((BID, 10), 3)], 6))
    assert s.sym[0].state == WAITING and s.stale(0) and s.sym[0].resyncs == 1
    assert "update ids went back" in h.logs[-1] and h.requests[-1][0] == 0
    assert s.on_snapshot(0, 6, snapshot_events({10: 3}, {12: 1}, 6))
    s.on_diff(0, 7, 7, -1, diff_events([((BID, 9), 1)], 7))
    assert not s.stale(0) and h.book() == ({10: 3, 9: 1}, {12: 1})
    # without a disconnect: a few duplicates are dropped, a long run of them resyncs
    for _ in range(3):
        s.on_diff(0, 7, 7, -1, diff_events([((BID, 9), 1)], 7))
    assert s.sym[0].state == LIVE and s.sym[0].old_run == 3
    for _ in range(MAX_OLD_RUN):
        s.on_diff(0, 2, 3, -1, diff_events([((BID, 9), 5)], 3))
    assert s.sym[0].state == WAITING and s.sym[0].resyncs == 2
