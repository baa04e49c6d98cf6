"""Properties over random L2 and L3 streams with random own orders of every type.

- an own order is never filled at a price better than the market offered at that
  moment (a buy at p needs an ask at or below p, or a sell print at or below p, or
  on L3 an execution of a bid or a new ask at or below p, in the step that filled it);
- never at a price it did not accept (its limit, as last acked or replaced);
- never for more than its size; nothing happens to an order after it is done.
"""

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.book import NO_PRICE, book_best_px
from hft_tui.events import ADD, ASK, BID, BUY, EXECUTE, SELL, TRADE
from hft_tui.exchange import ExchangeConfig, SimExchange
from hft_tui.exchange.layout import C_IN_MSG
from hft_tui.exchange.tape import Tape, own_log


def l2_stream(rng: np.random.Generator, n: int) -> np.ndarray:
    tape = Tape()
    mid, t = 1_000, 1_000
    for _ in range(n):
        t += int(rng.integers(1, 30))
        mid += int(rng.integers(-1, 2))
        parts = int(rng.integers(1, 4))
        for p in range(parts):
            eom = p == parts - 1
            if rng.random() < 0.25:
                side = int(rng.choice([BUY, SELL, 0]))
                tape.trade(t, side, mid + int(rng.integers(-3, 4)), int(rng.integers(1, 10)), eom=eom)
            else:
                side = int(rng.choice([BID, ASK]))
                off = int(rng.integers(0, 6))  # 0: sometimes a level at the mid, crossing the other side
                tape.level(t, side, mid - off if side == BID else mid + off, int(rng.integers(0, 15)), eom=eom)
    return tape.events()


def l3_stream(rng: np.random.Generator, n: int) -> np.ndarray:
    """Price-time FIFO venue: ADDs that never cross, CANCELs, and executions from the front."""
    tape = Tape()
    queues = {BID: defaultdict(list), ASK: defaultdict(list)}
    oid, t, mid = 0, 1_000, 1_000

    def best(side):
        live = [p for p, q in queues[side].items() if q]
        if not live:
            return None
        return max(live) if side == BID else min(live)

    for _ in range(n):
        t += int(rng.integers(1, 30))
        r = rng.random()
        if r < 0.5:
            side = int(rng.choice([BID, ASK]))
            opp = best(-side)
            px = mid - int(rng.integers(0, 6)) if side == BID else mid + int(rng.integers(0, 6))
            if opp is not None and (px >= opp if side == BID else px <= opp):
                px = opp - 1 if side == BID else opp + 1
            oid += 1
            qty = int(rng.integers(1, 10))
            queues[side][px].append([oid, qty])
            tape.add(t, side, px, qty, oid)
        elif r < 0.75:
            side = int(rng.choice([BID, ASK]))
            live = [(p, i) for p, q in queues[side].items() for i in range(len(q))]
            if not live:
                continue
            p, i = live[int(rng.integers(len(live)))]
            o = queues[side][p][i]
            qty = int(rng.integers(1, o[1] + 1))
            tape.cancel(t, side, p, qty, o[0])
            o[1] -= qty
            if o[1] == 0:
                queues[side][p].pop(i)
        else:
            side = int(rng.choice([BID, ASK]))  # the resting side hit
            want = int(rng.integers(1, 15))
            hits = []
            while want > 0 and best(side) is not None:
                p = best(side)
                o = queues[side][p][0]
                q = min(want, o[1])
                hits.append((side, p, q, o[0]))
                o[1] -= q
                want -= q
                if o[1] == 0:
                    queues[side][p].pop(0)
            for k, (s, p, q, i) in enumerate(hits):
                tape.execute(t, s, p, q, i, eom=k == len(hits) - 1)
            if hits:
                mid = hits[-1][1]
    return tape.events()


def check(events: np.ndarray, seed: int, queue_model: str) -> int:
    """Step event by event with random orders; check every fill; return the number of fills."""
    rng = np.random.default_rng(seed)
    cfg = ExchangeConfig(entry_latency_ns=int(rng.integers(0, 40)), response_latency_ns=1,
                         feed_latency_ns=int(rng.integers(0, 20)), queue_model=queue_model)
    ex = SimExchange(1, cfg)
    limit, side_of, size, filled, done = {}, {}, {}, defaultdict(int), set()
    fills = 0

    def best(side):
        p = int(book_best_px(ex.book, 0, side))
        return None if p == NO_PRICE else p

    for i in range(len(events)):
        before = (best(BID), best(ASK))
        ex.run(events, i, i + 1)
        after = (best(BID), best(ASK))
        e = events[i]
        offered_sell = [p for p in (before[1], after[1]) if p is not None]  # prices sellers offered
        offered_buy = [p for p in (before[0], after[0]) if p is not None]
        if e["kind"] == TRADE:
            offered_sell.append(int(e["px"]))
            offered_buy.append(int(e["px"]))
        elif e["kind"] == EXECUTE:
            (offered_sell if e["side"] == BID else offered_buy).append(int(e["px"]))
        elif e["kind"] == ADD:
            (offered_sell if e["side"] == ASK else offered_buy).append(int(e["px"]))
        for kind, oid, px, qty, _, _, _, is_done in own_log(ex.drain()):
            if kind in ("new", "rejected") and oid not in side_of:
                continue
            assert oid not in done or kind == "rejected", f"event after done: {kind} {oid}"
            if kind in ("ack", "replaced"):
                limit[oid] = px
                size[oid] = qty
            elif kind == "fill":
                fills += 1
                filled[oid] += qty
                assert filled[oid] <= size[oid]
                if side_of[oid] == BUY:
                    assert offered_sell and min(offered_sell) <= px, (oid, px, offered_sell)
                    assert limit[oid] == 0 or px <= limit[oid]
                else:
                    assert offered_buy and max(offered_buy) >= px, (oid, px, offered_buy)
                    assert limit[oid] == 0 or px >= limit[oid]
            if is_done:
                done.add(oid)
        if ex.state.ints[C_IN_MSG] == 0 and rng.random() < 0.15:
            now = ex.feed_now
            r = rng.random()
            if r < 0.7:
                side = int(rng.choice([BUY, SELL]))
                kind = str(rng.choice(["limit", "limit", "post_only", "ioc", "fok", "market"]))
                oid = ex.submit(now, 0, side, kind, 1_000 + int(rng.integers(-5, 6)), int(rng.integers(1, 12)))
                side_of[oid] = side
            elif side_of:
                oid = int(rng.choice(list(side_of)))
                if r < 0.85:
                    ex.cancel(now, oid)
                else:
                    ex.replace(now, oid, 1_000 + int(rng.integers(-5, 6)), int(rng.integers(1, 12)))
    return fills


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), model=st.sampled_from(["risk_averse", "prob"]))
def test_l2_fills_respect_the_market_and_the_limit(seed, model):
    check(l2_stream(np.random.default_rng(seed), 250), seed, model)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_l3_fills_respect_the_market_and_the_limit(seed):
    check(l3_stream(np.random.default_rng(seed), 400), seed, "risk_averse")


def test_the_property_streams_do_fill_orders():
    """Guard against a vacuous property: the random runs produce plenty of fills."""
    total = sum(check(l2_stream(np.random.default_rng(s), 250), s, "prob") for s in range(5))
    total += sum(check(l3_stream(np.random.default_rng(s), 400), s, "risk_averse") for s in range(5))
    assert total > 50
