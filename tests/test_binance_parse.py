"""The jitted Binance message parser: exact ticks and lots, any key order, bad input rejected."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hft_tui.events import ASK, BID, CLEAR, EOM, LEVEL, SNAPSHOT, TICKER, TRADE
from hft_tui.feeds.binance_protocol import (
    K_AGGTRADE,
    K_DEPTH,
    K_SNAPSHOT,
    K_TICKER,
    K_TRADE,
    MessageParser,
    ParseError,
    Router,
    grid,
)
from hft_tui.instrument import Instrument

BTC = Instrument("BTCUSDT", "0.01", "0.00001")
ODD = Instrument("ODDUSDT", "0.5", "0.25")  # steps that are not powers of ten


def text(inst: Instrument, ticks: int, lots: int, pad: int) -> tuple[str, str]:
    """Decimal strings as Binance writes them: padded with zeros to `pad` decimals."""

    def padded(s: str) -> str:
        whole, _, frac = s.partition(".")
        frac = frac.ljust(pad, "0") if pad else frac
        return f"{whole}.{frac}" if frac else whole

    return padded(inst.ticks_to_str(ticks)), padded(inst.lots_to_str(lots))


def dumps(obj, spaced: bool) -> bytes:
    return json.dumps(obj, separators=(", ", ": ") if spaced else (",", ":")).encode()


levels = st.lists(
    st.tuples(st.integers(1, 10**12), st.integers(0, 10**12)), min_size=0, max_size=30
)


@settings(max_examples=150, deadline=None)
@given(
    inst=st.sampled_from([BTC, ODD]),
    bids=levels,
    asks=levels,
    pad=st.sampled_from([0, 8]),
    spaced=st.booleans(),
    shuffle=st.randoms(use_true_random=False),
    futures=st.booleans(),
)
def test_depth_diff_matches_the_decimal_reference(inst, bids, asks, pad, spaced, shuffle, futures):
    data = {
        "e": "depthUpdate",
        "E": 1_723_161_255_208,
        "s": inst.symbol,
        "U": 50_093_239_189,
        "u": 50_093_239_202,
        "b": [list(text(inst, p, q, pad)) for p, q in bids],
        "a": [list(text(inst, p, q, pad)) for p, q in asks],
    }
    if futures:
        data.update(T=1_723_161_255_207, pu=50_093_239_188)
    items = list(data.items())
    shuffle.shuffle(items)  # Binance's key order is not a contract
    msg = dumps({"stream": f"{inst.symbol.lower()}@depth@100ms", "data": dict(items)}, spaced)
    p = MessageParser([inst])
    ev = p.parse(msg, 0, K_DEPTH, 777)
    # the reference: json + Instrument's exact Decimal-free conversion
    ref = json.loads(msg)["data"]
    want = []
    for key in ref:  # levels come out in message order, sides as the keys come
        if key in ("b", "a"):
            side = BID if key == "b" else ASK
            want += [(side, inst.price_to_ticks(a), inst.qty_to_lots(b)) for a, b in ref[key]]
    assert list(zip(ev["side"].tolist(), ev["px"].tolist(), ev["qty"].tolist())) == want
    assert (ev["kind"] == LEVEL).all() and (ev["order_id"] == 50_093_239_202).all()
    assert (ev["local_ts"] == 777).all()
    assert (ev["exch_ts"] == (1_723_161_255_207 if futures else 1_723_161_255_208) * 1_000_000).all()
    if len(ev):
        assert ev["flags"].tolist() == [0] * (len(ev) - 1) + [EOM]
    assert int(p.hdr[2]) == 50_093_239_189 and int(p.hdr[4]) == (50_093_239_188 if futures else -1)


def test_trade_aggtrade_ticker_and_snapshot():
    p = MessageParser([BTC, ODD])
    t = b'{"stream":"oddusdt@trade","data":{"e":"trade","E":5,"s":"ODDUSDT","t":42,"p":"10.50000000","q":"0.75000000","T":4,"m":true,"M":true}}'
    ev = p.parse(t, 1, K_TRADE, 9)
    assert ev[["kind", "side", "px", "qty", "order_id", "sym", "exch_ts"]].tolist() == [
        (TRADE, ASK, 21, 3, 42, 1, 4_000_000)  # buyer is maker: the seller was the aggressor
    ]
    a = b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":5,"s":"BTCUSDT","a":7,"p":"1.01","q":"2","f":1,"l":3,"T":6,"m":false,"M":true}}'
    ev = p.parse(a, 0, K_AGGTRADE, 9)
    assert ev[["kind", "side", "px", "qty", "order_id"]].tolist() == [(TRADE, BID, 101, 200_000, 7)]
    bt = b'{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"25.35000000","B":"31.21000000","a":"25.36000000","A":"40.66000000"}}'
    ev = p.parse(bt, 0, K_TICKER, 9)
    assert ev[["kind", "side", "px", "qty", "order_id", "flags", "exch_ts"]].tolist() == [
        (TICKER, BID, 2535, 3_121_000, 400900217, 0, 9),  # spot tickers carry no time: local
        (TICKER, ASK, 2536, 4_066_000, 400900217, EOM, 9),
    ]
    snap = b'{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.01000000","12.00000000"],["4.02","1"]]}'
    ev = p.parse(snap, 0, K_SNAPSHOT, 9, envelope=False)
    assert ev[["kind", "side", "px", "flags"]].tolist() == [
        (CLEAR, 0, 0, SNAPSHOT),
        (LEVEL, BID, 400, SNAPSHOT),
        (LEVEL, ASK, 401, SNAPSHOT),
        (LEVEL, ASK, 402, SNAPSHOT | EOM),
    ]
    assert (ev["order_id"] == 1027024).all()


def test_big_snapshot_grows_the_buffer():
    p = MessageParser([BTC])
    bids = [[f"{50000 - i * 0.01:.2f}", "1.0"] for i in range(5000)]
    asks = [[f"{50001 + i * 0.01:.2f}", "1.0"] for i in range(5000)]
    body = json.dumps({"lastUpdateId": 5, "bids": bids, "asks": asks}).encode()
    ev = p.parse(body, 0, K_SNAPSHOT, 1, envelope=False)
    assert len(ev) == 10_001 and ev["px"][1] == 5_000_000 and ev["px"][-1] == 5_005_099


@pytest.mark.parametrize(
    "data, reason",
    [
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.005","1"]],"a":[]}', "grid"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","0.000001"]],"a":[]}', "grid"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1e3","1"]],"a":[]}', "decimal"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["-1","1"]],"a":[]}', "decimal"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[[".","1"]],"a":[]}', "decimal"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["99999999999999999999","1"]],"a":[]}', "decimal"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":2,"b":[],"a":[]}', "missing"),
        ('{"e":"kline","E":1,"s":"BTCUSDT"}', "unexpected event"),
        ('{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":1,"u":2,"b":[],"a":[]}', "symbol ETHUSDT"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","1"]],"a":[]', "malformed"),
        ('{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00" "1"]],"a":[]}', "malformed"),
        ('{"e":"depthUpdate","E":1.5,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}', "malformed"),
    ],
)
def test_bad_messages_raise_parse_error(data, reason):
    msg = ('{"stream":"btcusdt@depth@100ms","data":%s}' % data).encode()
    with pytest.raises(ParseError, match=reason) as info:
        MessageParser([BTC]).parse(msg, 0, K_DEPTH, 1)
    assert info.value.unknown == (reason == "unexpected event")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutilated_messages_never_crash(data):
    good = (
        b'{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT",'
        b'"U":10,"u":12,"b":[["61737.63000000","0.00000000"],["61737.62","1.5"]],"a":[["61737.64","0.123"]]}}'
    )
    cut = data.draw(st.integers(0, len(good)))
    junk = data.draw(st.binary(max_size=6))
    at = data.draw(st.integers(0, len(good)))
    for msg in (good[:cut], good[:at] + junk + good[at:]):
        try:
            ev = MessageParser([BTC]).parse(msg, 0, K_DEPTH, 1)
        except ParseError:
            continue
        try:  # what the parser accepts, JSON accepts, with the same levels
            ref = json.loads(msg)["data"]
        except (ValueError, KeyError, TypeError):
            continue  # leniency in values the parser skips (never in the fields it reads)
        got = ev[["px", "qty"]].tolist()
        pairs = [lv for key in ref if key in ("b", "a") for lv in ref[key]]
        want = [(BTC.price_to_ticks(p), BTC.qty_to_lots(q)) for p, q in pairs]
        assert got == want


def test_router_finds_stream_names():
    assert Router.stream_of(b'{"stream":"btcusdt@trade","data":{}}') == b"btcusdt@trade"
    assert Router.stream_of(b'{"stream" : "btcusdt@trade", "data":{}}') == b"btcusdt@trade"
    assert Router.stream_of(b'{"result":null,"id":1}') is None
    assert grid("0.01000000") == (2, 1) and grid("0.5") == (1, 5) and grid("10") == (0, 10)


def test_the_parser_is_exact_where_floats_are_not():
    # 0.1 + 0.2 style traps: the conversion is integer-only
    inst = Instrument("XUSDT", "0.00000001", "0.00000001")
    msg = b'{"stream":"x","data":{"e":"depthUpdate","E":1,"U":1,"u":1,"b":[["0.30000000","92233720.36854775"]],"a":[]}}'
    ev = MessageParser([inst]).parse(msg, 0, K_DEPTH, 1)
    assert ev["px"][0] == 30_000_000 and ev["qty"][0] == 9_223_372_036_854_775
    assert np.issubdtype(ev["qty"].dtype, np.integer)


def test_warm_up_covers_every_registered_kernel():
    from hft_tui import jit
    from hft_tui.feeds import binance_kernels

    assert jit.KERNEL_MODULES["binance"] == "hft_tui.feeds.binance_kernels"
    jit.prepare(["binance"], stream=None)
    assert all(k.signatures for k in binance_kernels.KERNELS)
    assert jit.is_warm(binance_kernels.KERNELS)
