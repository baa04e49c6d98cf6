"""Input files: plain, gzip or a zip holding one CSV, read as blocks of whole lines.

The kind of file is told by its first bytes, not its name. Blocks are a few
megabytes, so memory stays bounded whatever the input size; the position in
the raw (compressed) file gives the progress, and line numbers are counted so
that errors can name ``file:line``.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, NamedTuple

from hft_tui.errors import HftError

BLOCK_BYTES = 2 << 20
# A line longer than this is not CSV we can read (and would grow the block without bound).
MAX_LINE_BYTES = 64 << 20
UTF8_BOM = b"\xef\xbb\xbf"


class Block(NamedTuple):
    data: bytes  # whole lines (the last one may lack its newline at end of file)
    first_line: int  # 1-based line number of the block's first line
    raw_pos: int  # bytes of the raw file consumed so far (for progress)


@contextmanager
def decompressing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Corrupt compressed data as one line, ``PATH: cannot decompress: ...``: every
    importer's reader wraps its decompression in this (a cut-short stream, an
    ``EOFError``, is left to the reader, which may read up to the cut)."""
    try:
        yield
    except (OSError, zlib.error, zipfile.BadZipFile) as exc:
        raise HftError(f"{path}: cannot decompress: {exc}") from None


class InputFile:
    """One input opened for reading text lines, whatever its compression."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._raw: BinaryIO = open(path, "rb")
        except FileNotFoundError:
            raise HftError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise HftError(f"{path}: is a directory") from None
        except OSError as exc:
            raise HftError(f"{path}: {exc.strerror or exc}") from None
        self.size = os.fstat(self._raw.fileno()).st_size
        self._begun = False
        magic = self._raw.read(4)
        self._raw.seek(0)
        self._zip: zipfile.ZipFile | None = None
        if magic[:2] == b"\x1f\x8b":
            self.kind = "gzip"
            self._text: BinaryIO = gzip.GzipFile(fileobj=self._raw, mode="rb")  # type: ignore[assignment]
        elif magic in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip (the second: one with nothing in it)
            self.kind = "zip"
            self._text = self._open_zip()
        else:
            self.kind = "plain"
            self._text = self._raw

    def _open_zip(self) -> BinaryIO:
        try:
            self._zip = zipfile.ZipFile(self._raw)
        except zipfile.BadZipFile as exc:
            raise HftError(f"{self.path}: not a readable zip file ({exc})") from None
        members = [m for m in self._zip.infolist() if not m.is_dir()]
        if len(members) != 1:
            names = ", ".join(m.filename for m in members[:5]) or "nothing"
            raise HftError(f"{self.path}: the zip holds {len(members)} files ({names}); expected one CSV")
        return self._zip.open(members[0])  # type: ignore[return-value]

    @property
    def raw_pos(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return self.size

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes of text; a UTF-8 byte-order mark at the start is dropped
        (spreadsheet exports write one, and it would stick to the first column's name)."""
        try:
            with decompressing(self.path):
                data = self._text.read(n)
            if not self._begun:
                self._begun = True
                if data.startswith(UTF8_BOM):
                    data = data[len(UTF8_BOM) :]
            return data
        except EOFError:
            raise HftError(f"{self.path}: compressed data ends early (the file is cut short)") from None

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
        """Blocks of whole lines; the last line of the file may lack a newline."""
        line = 1
        carry = b""
        while True:
            chunk = self.read(block_bytes)
            if not chunk:
                if carry:
                    yield Block(carry, line, self.raw_pos)
                return
            cut = chunk.rfind(b"\n")
            if cut < 0:
                carry += chunk
                if len(carry) > MAX_LINE_BYTES:
                    raise HftError(f"{self.path}:{line}: line longer than {MAX_LINE_BYTES >> 20} MB")
                continue
            data = carry + chunk[: cut + 1] if carry else chunk[: cut + 1]
            carry = chunk[cut + 1 :]
            yield Block(data, line, self.raw_pos)
            line += data.count(b"\n")

    def head(self, n: int = 1) -> list[str]:
        """The first n lines of text (for format detection), without consuming the stream."""
        probe = InputFile(self.path)
        try:
            data = probe.read(1 << 16)
        finally:
            probe.close()
        lines = data.split(b"\n", n)[:n]
        return [ln.rstrip(b"\r").decode("utf-8", "replace") for ln in lines if ln.strip()]

    def close(self) -> None:
        for fh in (self._text, self._zip, self._raw):
            if fh is not None:
                try:
                    fh.close()
                except (OSError, ValueError):
                    pass

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def input_size(paths: list[str]) -> int:
    """Total raw bytes of the inputs (0 for any that cannot be stat'ed: they fail later)."""
    total = 0
    for p in paths:
        try:
            total += os.path.getsize(p)
        except OSError:
            pass
    return total
