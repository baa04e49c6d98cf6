"""Binance REST through the standard library: depth snapshots and symbol rules.

Blocking ``urllib`` calls, meant to run in a worker thread (``asyncio.to_thread``)
so the WebSocket loop never waits on them. The request weight Binance reports
(``X-MBX-USED-WEIGHT-1M``) is watched: near the per-minute budget, and after a
429 or 418 answer, callers are told how long to wait instead of being allowed to
get the IP banned.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from hft_tui.errors import HftError
from hft_tui.instrument import Instrument

WEIGHT_BUDGET = 6000  # per minute per IP (spot; futures allows more)
WEIGHT_HEADROOM = 0.8  # stop sending snapshot requests above this share of the budget
_USER_AGENT = "hft-tui (market data; +https://github.com)"


class RestBackoff(Exception):
    """The server asked us to slow down: wait ``seconds`` before the next request."""

    def __init__(self, seconds: float, reason: str):
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class RestError(Exception):
    """A request that failed (network, HTTP status, bad body); one line in ``str()``."""


class RestClient:
    """GET requests to one Binance REST host, with weight accounting."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.used_weight = 0  # last X-MBX-USED-WEIGHT-1M seen
        self.requests = 0
        self._lock = threading.Lock()
        self._blocked_until = 0.0  # monotonic time before which we do not send

    def wait_time(self) -> float:
        """Seconds to wait before a request is allowed (0 if none)."""
        with self._lock:
            return max(0.0, self._blocked_until - time.monotonic())

    def get(self, path: str, params: dict[str, str | int]) -> bytes:
        """The body of ``GET path?params``; raises RestBackoff or RestError."""
        wait = self.wait_time()
        if wait > 0:
            raise RestBackoff(wait, "request weight budget: waiting")
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        self.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = resp.read()
                self._note_weight(resp.headers.get("X-MBX-USED-WEIGHT-1M"))
                return body
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the connection open until collected
            if exc.code in (429, 418):
                retry = _retry_after(exc.headers.get("Retry-After"), 60.0 if exc.code == 429 else 300.0)
                self._block(retry)
                raise RestBackoff(retry, f"HTTP {exc.code} from {path}: backing off {retry:.0f} s")
            raise RestError(f"HTTP {exc.code} from {url}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RestError(f"GET {url}: {reason}") from None

    def _note_weight(self, header: str | None) -> None:
        if not header:
            return
        try:
            self.used_weight = int(header)
        except ValueError:
            return
        if self.used_weight >= WEIGHT_BUDGET * WEIGHT_HEADROOM:
            # the budget refills each clock minute: sit out the rest of this one
            self._block(60.0 - time.time() % 60.0 + 0.5)

    def _block(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)


def _retry_after(header: str | None, default: float) -> float:
    try:
        return max(1.0, float(header)) if header else default
    except ValueError:
        return default


# --- symbol rules (tick and lot sizes) ----------------------------------------------------
def cache_path(market: str, rest_base: str = "") -> Path:
    """Where the symbol rules of ``market`` as served by ``rest_base`` are kept: one
    file per server, so that a testnet's or a local server's sizes never stand in for
    the exchange's."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    host = re.sub(r"[^A-Za-z0-9.-]", "_", urllib.parse.urlsplit(rest_base).netloc) if rest_base else ""
    return Path(base) / "hft-tui" / f"binance-{market}{'-' + host if host else ''}-symbols.json"


def parse_exchange_info(body: bytes, symbols: list[str]) -> dict[str, tuple[str, str]]:
    """{symbol: (tickSize, stepSize)} for the wanted symbols found in an exchangeInfo body."""
    try:
        info = json.loads(body)
        out = {}
        for entry in info["symbols"]:
            if entry["symbol"] not in symbols:
                continue
            filters = {f["filterType"]: f for f in entry["filters"]}
            out[entry["symbol"]] = (
                filters["PRICE_FILTER"]["tickSize"],
                filters["LOT_SIZE"]["stepSize"],
            )
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise RestError(f"exchangeInfo: unexpected body ({exc.__class__.__name__}: {exc})") from None


def resolve_instruments(
    symbols: list[str],
    configured: dict[str, dict[str, str]],
    rest: RestClient | None,
    info_path: str,
    market: str,
    ttl_hours: float,
    *,
    futures: bool = False,
) -> list[Instrument]:
    """Tick and lot sizes for ``symbols``: from config, else the cache, else exchangeInfo."""
    found: dict[str, tuple[str, str]] = {}
    for sym in symbols:
        spec = configured.get(sym)
        if spec:
            found[sym] = (str(spec["tick_size"]), str(spec["lot_size"]))
    missing = [s for s in symbols if s not in found]
    cache_file = cache_path(market, rest.base_url if rest is not None else "")
    cache = _read_cache(cache_file)
    now = time.time()
    for sym in list(missing):
        entry = cache.get(sym)
        if entry and now - entry.get("at", 0) < ttl_hours * 3600:
            found[sym] = (entry["tick_size"], entry["lot_size"])
            missing.remove(sym)
    if missing:
        if rest is None:
            raise HftError(f"no tick/lot size for {', '.join(missing)} (set [live.instruments])")
        params: dict[str, str | int] = {}
        if not futures:  # spot filters server-side; futures answers with every symbol
            params["symbols"] = json.dumps(missing, separators=(",", ":"))
        try:
            fetched = parse_exchange_info(rest.get(info_path, params), missing)
        except (RestError, RestBackoff) as exc:
            raise HftError(f"cannot fetch symbol rules: {exc}") from None
        unknown = [s for s in missing if s not in fetched]
        if unknown:
            raise HftError(f"unknown symbol {', '.join(unknown)} on Binance {market}")
        for sym, (tick, lot) in fetched.items():
            found[sym] = (tick, lot)
            cache[sym] = {"tick_size": tick, "lot_size": lot, "at": now}
        _write_cache(cache_file, cache)
    return [Instrument(sym, *found[sym]) for sym in symbols]


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, cache: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache we cannot write only costs a request next time
