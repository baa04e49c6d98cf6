"""Numba start-up: announce the first compile, and keep the on-disk cache honest.

numba compiles a kernel on first use (seconds) and then loads it from its cache
(``cache=True``; the cache directory honours NUMBA_CACHE_DIR, see
``hft_tui/__init__.py``). Commands call :func:`prepare` before their first
jitted call: on a cold cache it prints one line on stderr and compiles every
registered kernel; on a warm one it loads them silently.

Each module with jitted code called from Python registers itself in
``KERNEL_MODULES`` (one line) and provides ``KERNELS`` (the dispatchers that
Python calls), ``warm_up()`` (calls each of them with tiny inputs, in every
argument flavour the program uses) and optionally ``COMPILE_ESTIMATE_S``.

Why the fingerprint: numba keys a cached kernel on its *own* source file only.
A kernel that calls jitted code from another file keeps running the old callee
after that file changes. So :func:`prepare` keeps a hash of every jitted source
of the package beside the cache, and when it changes it deletes our cache files
so that everything is compiled afresh once.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

# name -> module holding KERNELS, warm_up() and COMPILE_ESTIMATE_S
KERNEL_MODULES: dict[str, str] = {
    "book": "hft_tui.book",
    "book_replay": "hft_tui.book_replay",
    "exchange": "hft_tui.exchange.exchange",
    "engine": "hft_tui.engine.warmup",
    "binance": "hft_tui.feeds.binance_kernels",
    "sim": "hft_tui.feeds.sim_kernel",
}

STAMP_NAME = "hft_tui-sources.sha256"
PACKAGE_DIR = Path(__file__).resolve().parent


def modules(names: Iterable[str] | None = None) -> list[ModuleType]:
    chosen = KERNEL_MODULES if names is None else {n: KERNEL_MODULES[n] for n in names}
    return [importlib.import_module(m) for m in chosen.values()]


def kernels(mods: Iterable[ModuleType]) -> list[Any]:
    return [k for m in mods for k in m.KERNELS]


def cache_dirs(kernel_list: Iterable[Any]) -> set[Path]:
    return {Path(k.stats.cache_path) for k in kernel_list}


def is_cached(kernel: Any) -> bool:
    """True if the kernel's cache index holds code usable by this machine and source.

    The index (``*.nbi``) is the one numba reads: it is empty when missing, of
    another numba version or older than the source file; its keys name the
    CPU and a hash of the function's bytecode, which must match ours.
    """
    cache = kernel._cache
    try:
        index = cache._cache_file._load_index()
        _sig, machine, code = cache._index_key(None, kernel.targetctx.codegen())
    except Exception:  # numba internals moved: say cold; the worst is one extra line
        return False
    return any(key[1] == machine and key[2] == code for key in index)


def is_warm(kernel_list: Iterable[Any]) -> bool:
    return all(is_cached(k) for k in kernel_list)


def entry_point(dispatcher: Any, *args: Any) -> Any:
    """The compiled function of ``dispatcher`` for arguments like ``args``, to be called
    without numba's type dispatch: that dispatch costs a few microseconds per call
    (typing every argument), several times the call itself, and the engine makes such
    calls at every stop and for every order. Compiles (or loads from the cache) for
    those argument types; runs nothing."""
    try:
        return dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in args))
    except AttributeError:  # another numba: dispatch as usual
        return dispatcher


def sources_fingerprint(root: Path) -> str:
    """Hash of every package source file that holds jitted code."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        if b"njit" in data:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + data)
    return digest.hexdigest()


def purge_if_stale(dirs: Iterable[Path], fingerprint: str) -> bool:
    """Delete our cached kernels if they were built from other sources; True if so.

    A directory without a stamp is trusted (first run of this helper): the
    stamp is written by :func:`prepare` once the kernels are in place.
    """
    dirs = list(dirs)
    stale = False
    for d in dirs:
        try:
            stamp = (d / STAMP_NAME).read_text().strip()
        except OSError:
            continue
        stale = stale or stamp != fingerprint
    if stale:
        for d in dirs:
            for path in [*d.glob("*.nbi"), *d.glob("*.nbc"), d / STAMP_NAME]:
                path.unlink(missing_ok=True)
    return stale


def _write_stamps(dirs: Iterable[Path], fingerprint: str) -> None:
    for d in dirs:
        try:
            d.mkdir(parents=True, exist_ok=True)
            (d / STAMP_NAME).write_text(fingerprint + "\n")
        except OSError:
            pass  # a read-only cache only costs a recompile per run


def warm_up(names: Iterable[str] | None = None) -> None:
    """Compile or load every registered kernel (those of ``names`` only, if given)."""
    for mod in modules(names):
        mod.warm_up()


def forget_compiled(kernel_list: Iterable[Any]) -> None:
    """Drop the in-memory code of kernels, so that their next call compiles afresh.

    For kernels this process loaded before a purge: they may come from the
    deleted, stale files. (What numba's own ``recompile`` does first.)
    """
    for k in kernel_list:
        if k.signatures:
            try:
                k._make_finalizer()()
                k._reset_overloads()
            except Exception:  # numba internals moved: this process keeps what it has
                pass


#: with kernels to compile, how long ``meanwhile`` may fail before the compiling starts
FAIL_FAST_S = 1.0

_STDERR: Any = object()  # default stream: sys.stderr as it is at call time, not at import (tests swap it)


def prepare(
    names: Iterable[str] | None = None,
    stream: TextIO | None = _STDERR,
    meanwhile: Callable[[], Any] | None = None,
) -> float | None:
    """Make the kernels ready; announce on ``stream`` if they must be compiled.

    The stale-source check covers every registered module (a change anywhere
    may be inlined anywhere); the warm-up covers ``names`` (default: all).
    ``meanwhile`` runs in a thread of its own once stale code is gone, while the
    kernels load (numba serialises its own compiling and loading): reading and
    checking files overlaps the loading. Its exception is raised here.
    Returns the compile time in seconds, or None when the cache was warm.
    """
    if stream is _STDERR:
        stream = sys.stderr
    mods = modules(names)
    kernel_list = kernels(mods)
    every = kernels(modules())
    dirs = cache_dirs(every)
    fingerprint = sources_fingerprint(PACKAGE_DIR)
    if purge_if_stale(dirs, fingerprint):
        forget_compiled(every)
    warm = is_warm(kernel_list)
    if meanwhile is None:
        return _load(mods, warm, dirs, fingerprint, stream)
    with ThreadPoolExecutor(max_workers=1) as pool:
        side = pool.submit(meanwhile)
        if not warm:
            # A first run compiles for a minute: a mistake the work finds at once
            # (a bad --start, a missing strategy file) is reported before that.
            wait([side], timeout=FAIL_FAST_S)
            if side.done():
                side.result()
        elapsed = _load(mods, warm, dirs, fingerprint, stream)
        side.result()  # its exception, if any
    return elapsed


def _load(mods: list[ModuleType], warm: bool, dirs: set[Path], fingerprint: str, stream: TextIO | None) -> float | None:
    if warm:
        for mod in mods:
            mod.warm_up()
        _write_stamps(dirs, fingerprint)
        return None
    estimate = sum(getattr(m, "COMPILE_ESTIMATE_S", 5) for m in mods)
    if stream is not None:
        print(f"compiling numba kernels (first run only, ~{estimate:.0f} s)...", end="", file=stream)
        stream.flush()
    start = time.perf_counter()
    for mod in mods:
        mod.warm_up()
    elapsed = time.perf_counter() - start
    if stream is not None:
        print(f" compiled in {elapsed:.1f} s", file=stream)
    _write_stamps(dirs, fingerprint)
    return elapsed
