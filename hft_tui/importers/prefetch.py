"""Read and split an input one block ahead, in a background thread.

Reading, decompressing and splitting a block into fields (``Table``) is about
a third of a conversion's work and releases the GIL (file reads, zlib, the
jitted splitter), so a second thread doing it while the caller parses and
writes the previous block uses the machine's second core. Output order and
content are those of a plain loop: the thread only runs ahead, by at most
``AHEAD`` blocks, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from hft_tui.importers.files import Block, InputFile
from hft_tui.importers.table import Scratch

AHEAD = 1  # blocks waiting in the queue
# Tables alive at once: one in the queue, one being built, one with the caller,
# plus one spare; each owns a scratch (a table's index arrays are views into it).
_RING = AHEAD + 3


class TablePrefetch:
    """Iterate ``(block, make(block, scratch))`` over one input, made by a background thread."""

    def __init__(self, path: str, block_bytes: int, make: Callable[[Block, Scratch], Any]) -> None:
        self.path = path
        self.size = 0
        self._make = make
        self._block_bytes = block_bytes
        self._queue: queue.Queue[tuple[str, object, object]] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=f"prefetch {path}", daemon=True)

    def _put(self, item: tuple[str, object, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        scratches = [Scratch() for _ in range(_RING)]
        try:
            with InputFile(self.path) as fh:
                self.size = fh.size
                for i, block in enumerate(fh.blocks(self._block_bytes)):
                    item = self._make(block, scratches[i % _RING])
                    if not self._put(("ok", block, item)):
                        return
            self._put(("end", None, None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc, None))

    def __iter__(self) -> Iterator[tuple[Block, Any]]:
        self._thread.start()
        try:
            while True:
                kind, a, b = self._queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise a  # type: ignore[misc]
                yield a, b  # type: ignore[misc]
        finally:
            self._stop.set()
            self._thread.join(timeout=5)
