"""hft-tui: a terminal trading workstation for HFT research and paper trading."""

from __future__ import annotations

import os
from pathlib import Path

__version__ = "0.1.0"


def _numba_cache_dir() -> None:
    """Point numba's on-disk cache somewhere writable before numba is imported.

    numba caches compiled kernels beside the source by default; a pipx or system
    install has a read-only package folder, and then every start would recompile.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    package_dir = Path(__file__).resolve().parent
    if os.access(package_dir, os.W_OK):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "hft-tui" / "numba"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(target)


_numba_cache_dir()
