"""The engine's log: the last ``maxlen`` lines, numbered, with texts built when read.

Order and fill lines come by the thousand a second at full speed and viewers see
only the latest, so those are kept as a function and its arguments
(:meth:`Journal.add_later`) and formatted once, the first time they are read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from hft_tui.engine.snapshot import LogLine


class Journal:
    def __init__(self, maxlen: int) -> None:
        self._lines: deque[LogLine | list] = deque(maxlen=maxlen)
        self._seq = 0

    def add(self, now: int, category: str, strategy: str, text: str, level: str = "info") -> None:
        self._seq += 1
        self._lines.append(LogLine(self._seq, now, category, strategy, text, level))

    def add_later(self, now: int, category: str, strategy: str, text: Callable[..., str], args: tuple) -> None:
        """An info line whose text ``text(*args)`` is built only when it is read
        (``args``: values, not objects that change later)."""
        self._seq += 1
        self._lines.append([self._seq, now, category, strategy, text, args, None])

    def tail(self, n: int) -> tuple[LogLine, ...]:
        """The last ``n`` lines, oldest first (their texts built now if needed).
        Any thread may call it: the deque is copied in one step before it is read."""
        tail = tuple(self._lines)[-n:] if n > 0 else ()
        return tuple(x if type(x) is LogLine else _built(x) for x in tail)

    def all(self) -> tuple[LogLine, ...]:
        return self.tail(len(self._lines))


def _built(entry: list) -> LogLine:
    """The LogLine of an ``add_later`` entry, built once (kept in the entry's last item)."""
    line = entry[6]
    if line is None:
        seq, ts, category, strategy, text, args, _ = entry
        line = entry[6] = LogLine(seq, ts, category, strategy, text(*args))
    return line
