"""Output paths, checked before any work is done.

A command that writes files must never write over one of its own inputs (also
when the two names differ: ``./a.hft`` and ``a.hft``, a symbolic link, a hard
link), never send two outputs to one file, and should say at once, not after a
long run, that a directory is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from hft_tui.errors import HftError


def same_file(a: str, b: str) -> bool:
    """True if both names reach one file (or would: neither need exist)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(outputs: Mapping[str, str | None], inputs: Iterable[str] = ()) -> None:
    """HftError if an output (option name -> path; None: not asked for) is an input,
    is named twice, is a directory, or lies in a directory that does not exist."""
    inputs = [os.fspath(p) for p in inputs]
    given = [(opt, os.fspath(p)) for opt, p in outputs.items() if p]
    for i, (opt, path) in enumerate(given):
        for src in inputs:
            if same_file(path, src):
                raise HftError(f"{path} ({opt}) is also an input")
        for other_opt, other in given[:i]:
            if same_file(path, other):
                raise HftError(f"{other_opt} and {opt} both name {path}")
        if os.path.isdir(path):
            raise HftError(f"{path} ({opt}): is a directory")
        folder = os.path.dirname(os.path.realpath(path))
        if not os.path.isdir(folder):
            raise HftError(f"{path} ({opt}): no such directory {folder}")
