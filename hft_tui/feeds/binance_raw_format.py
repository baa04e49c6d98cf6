"""``hft-tui convert --format binance-raw``: the importer registry's face of ``binance_raw``.

Kept apart because the registry imports every format's module on each
``hft-tui`` start: this one imports nothing heavy until a conversion runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from hft_tui.instrument import Instrument

HELP = "raw Binance WebSocket recordings: <ns> <message> lines, gzip or plain (hft-tui record --raw)"


def add_arguments(group: Any) -> None:
    """No options of its own: --symbol, --tick-size, --lot-size and --skip-bad are convert's."""


def instrument(args: Any) -> Instrument:
    from hft_tui.feeds.binance_raw import instrument_for

    return instrument_for(list(args.inputs), args.symbol, args.tick_size, args.lot_size)


def events(args: Any, inst: Instrument, ctx: Any) -> Iterator[np.ndarray]:
    from hft_tui.feeds.binance_raw import RawStats, notes, raw_events

    st = RawStats()
    yield from raw_events(
        list(args.inputs), inst, skip_bad=ctx.bad.skip, stats=st,
        progress=ctx.progress.update, file_done=ctx.progress.file_done,
    )
    if st.bad:
        ctx.bad.add(st.first_bad, st.bad)
    ctx.notes.extend(notes(st))
