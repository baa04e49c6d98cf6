"""Borrowed array views for hot loops: the same data, without reference counting.

Numba counts references to every array it passes around (atomic increments and
decrements through ``NRT_incref``/``NRT_decref``). LLVM removes most of those
pairs, but not when a called function touches different arrays on different
branches, which is every matching helper here and every book update: measured
on this code, that cost about 100 ns per call, more than all the useful work.
:func:`borrow` returns a view of an array whose memory-manager pointer is null,
which makes those counts no-ops. It is safe only while the borrowed view cannot
outlive the original: the entry points borrow their arguments, use the views
inside the call and never return or store them.
"""

from __future__ import annotations

from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from hft_tui.book import BookState


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
