"""Keeping the jitted hot paths cheap: borrowed arrays, and the book's own functions inlined.

Two costs dominated the exchange loop before this module, both measured here:

- **Reference counting.** Numba counts references to every array it passes
  around (``NRT_incref``/``NRT_decref`` calls). LLVM removes most of those pairs,
  but not when a called function touches different arrays on different
  branches, which is every matching helper and every book update: about 100 ns
  per call, more than all the useful work. :func:`borrow` returns a view of an
  array whose memory-manager pointer is null; once inlined, LLVM sees the null
  and the counting disappears. Safe only while the view cannot outlive the
  original: entry points borrow their arguments, use the views inside the call
  and never return or store them.
- **Calls that are not inlined.** A call from one jitted function into another
  that numba compiled separately stays a call, with every array of a state
  tuple passed field by field. One ``book_apply`` per event cost ~250 ns from
  the exchange loop, while the same ladder code inlined on borrowed arrays
  costs ~10 ns. So the book's *own* functions (``ladder_update``,
  ``book_level_qty``, ``book_best_px``: the same Python functions, not copies)
  are compiled here with ``inline="always"``, and :func:`apply_book` sends the
  high-volume kinds (LEVEL, ADD, CANCEL, EXECUTE) to the ladder directly; every
  other kind goes through ``book_apply`` itself. ``tests/test_exchange_run.py``
  checks the result against ``Book.apply`` on random streams.
"""

from __future__ import annotations

from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from hft_tui.book import BookState, book_apply, book_best_px, book_level_qty
from hft_tui.book_ladder import ladder_update
from hft_tui.events import ADD, ASK, BID, CANCEL, EXECUTE, LEVEL


@intrinsic
def borrow(typingctx, arr):
    """``arr`` without its memory-manager reference (see the module docstring)."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        src = context.make_array(sig.args[0])(context, builder, value=args[0])
        dst = context.make_array(sig.return_type)(context, builder)
        context.populate_array(
            dst,
            data=src.data,
            shape=src.shape,
            strides=src.strides,
            itemsize=src.itemsize,
            meminfo=None,
            parent=None,
        )
        return dst._getvalue()

    return arr(arr), codegen


@intrinsic
def borrow2d(typingctx, arr, rows, cols):
    """The first ``rows * cols`` items of 1-D contiguous ``arr`` as a borrowed C-order
    ``rows x cols`` array. Unlike ``reshape`` (which goes through a C helper), LLVM
    sees that the result has no memory manager, so the counts vanish entirely."""
    if not isinstance(arr, types.Array) or arr.ndim != 1 or arr.layout != "C":
        return None
    ret = types.Array(arr.dtype, 2, "C")

    def codegen(context, builder, sig, args):
        src = context.make_array(sig.args[0])(context, builder, value=args[0])
        dst = context.make_array(ret)(context, builder)
        r = context.cast(builder, args[1], sig.args[1], types.intp)
        c = context.cast(builder, args[2], sig.args[2], types.intp)
        shape = cgutils.pack_array(builder, [r, c])
        strides = cgutils.pack_array(builder, [builder.mul(c, src.itemsize), src.itemsize])
        context.populate_array(
            dst, data=src.data, shape=shape, strides=strides, itemsize=src.itemsize, meminfo=None, parent=None
        )
        return dst._getvalue()

    return ret(arr, rows, cols), codegen


@njit(cache=True, nogil=True, inline="always")
def borrow_book(book):
    """A ``BookState`` of borrowed views."""
    return BookState(borrow(book.qty), borrow(book.meta), borrow(book.okey), borrow(book.oqty))

_INLINE = {"cache": True, "nogil": True, "inline": "always"}
_ladder_update = njit(**_INLINE)(ladder_update.py_func)
level_qty = njit(**_INLINE)(book_level_qty.py_func)
best_px = njit(**_INLINE)(book_best_px.py_func)


@njit(**_INLINE)
def apply_book(book, sym, kind, side, px, qty):
    """``book_apply(book, sym, kind, side, px, qty)`` for a valid ``sym``: OK or ERR_CAPACITY."""
    if (kind == LEVEL or kind == ADD or kind == CANCEL or kind == EXECUTE) and (side == BID or side == ASK):
        si = 0 if side == BID else 1
        key = px if si == 0 else -px
        q = -qty if (kind == CANCEL or kind == EXECUTE) else qty
        return _ladder_update(
            book.meta[sym, si], book.qty[sym, si], book.okey[sym, si], book.oqty[sym, si], key, q, kind != LEVEL
        )
    return book_apply(book, sym, kind, side, px, qty)
