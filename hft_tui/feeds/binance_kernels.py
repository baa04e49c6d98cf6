"""The Binance feed's jitted kernels, for ``hft_tui.jit`` (compile announcement, cache checks).

``warm_up`` runs each kernel once in every argument flavour the program uses:
message bytes through the live decoder (every message kind, the sync check,
the ticker check) and a few raw lines through the importer's batch path.
"""

from __future__ import annotations

import numpy as np

from hft_tui.feeds.binance_lines import apply_rows, scan_lines
from hft_tui.feeds.binance_parse import parse_payload
from hft_tui.feeds.binance_sync import apply_checked, top_of_book

COMPILE_ESTIMATE_S = 25
KERNELS = (parse_payload, apply_checked, top_of_book, scan_lines, apply_rows)  # those Python calls

_WARM_MESSAGES = (
    b'{"stream":"warmusdt@depthSnapshot","data":{"lastUpdateId":9,"bids":[["1.00","2"]],"asks":[["1.01","2"]]}}',
    b'{"stream":"warmusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"WARMUSDT","U":10,"u":11,"b":[["1.00","1"]],"a":[]}}',
    b'{"stream":"warmusdt@trade","data":{"e":"trade","E":1,"s":"WARMUSDT","t":1,"p":"1.00","q":"1","T":1,"m":true,"M":true}}',
    b'{"stream":"warmusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"WARMUSDT","a":1,"p":"1.00","q":"1","f":1,"l":1,"T":1,"m":false}}',
    b'{"stream":"warmusdt@bookTicker","data":{"u":11,"s":"WARMUSDT","b":"1.00","B":"1","a":"1.01","A":"2"}}',
)


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel of the feed and the importer.

    The live source runs it before connecting: a first-time compile inside the
    read loop would hold up the connection for seconds.
    """
    from hft_tui.feeds.binance_decode import FeedDecoder
    from hft_tui.feeds.binance_protocol import K_AGGTRADE, K_TRADE, MARKETS, Router, stream_names
    from hft_tui.feeds.binance_raw import RawStats, _Converter
    from hft_tui.instrument import Instrument

    inst = Instrument("WARMUSDT", "0.01", "1")
    names = [
        stream_names("WARMUSDT", MARKETS["spot"], 100, "trade", True)
        + [("warmusdt@aggTrade", K_AGGTRADE), ("warmusdt@trade", K_TRADE)]
    ]
    out: list[np.ndarray] = []
    dec = FeedDecoder([inst], Router(["WARMUSDT"], names), False, out.append, lambda s, r: None, verify_ticker=True)
    for msg in _WARM_MESSAGES:
        dec.feed(msg, 1)
    conv = _Converter(inst, RawStats(), skip_bad=True)
    data = b"".join(b"%d %s\n" % (i + 1, m) for i, m in enumerate(_WARM_MESSAGES))
    list(conv.lines(data, len(data), "warm-up"))
