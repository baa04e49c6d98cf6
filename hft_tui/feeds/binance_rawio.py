"""Reading raw recordings: plain or gzip, several gzip members, cut-short files, read ahead.

A recorder killed mid-write leaves a gzip stream without its end: everything up
to its last flush decompresses, and the reader reports the cut (``EOFError``
after the last complete data) instead of failing on the whole file.
"""

from __future__ import annotations

import os
import queue
import threading
import zlib
from collections.abc import Iterator

from hft_tui.errors import HftError
from hft_tui.importers.files import decompressing

_READ = 1 << 20


def read_blocks(path: str | os.PathLike[str]) -> Iterator[tuple[bytes, int]]:
    """(decompressed bytes, bytes of the file read so far) of a plain or gzip file.

    A gzip stream that ends early yields what it holds and then raises
    ``EOFError`` (the caller decides how to report it). zlib is used directly,
    not the importers' ``InputFile``: ``GzipFile`` loses what it decompressed of
    a read cut by the end of a killed recording. Corrupt data is an HftError.
    """
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise HftError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        gz = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        dec = zlib.decompressobj(wbits=31) if gz else None
        while True:
            block = fh.read(_READ)
            if not block:
                break
            if dec is None:
                yield block, fh.tell()
                continue
            with decompressing(path):
                data = dec.decompress(block)
                while dec.eof and dec.unused_data:  # the next gzip member
                    tail = dec.unused_data
                    dec = zlib.decompressobj(wbits=31)
                    data += dec.decompress(tail)
            yield data, fh.tell()
        if dec is not None and not dec.eof:
            raise EOFError(str(path))


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """``items`` produced a step ahead in a thread: zlib releases the GIL, so the
    next block decompresses while this one is parsed. Exceptions (``EOFError``
    for a cut gzip stream) surface where they happened."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # handed to the consumer
            q.put((done, exc))

    threading.Thread(target=work, name="binance-raw-read", daemon=True).start()
    try:
        while True:
            item, exc = q.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()


def read_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The lines of a plain or gzip file, without line ends; a line cut off by a
    truncated gzip stream is not returned (``EOFError`` follows instead)."""
    rest = b""
    for block, _ in read_blocks(path):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest.strip():
        yield rest
