"""In-place arithmetic recorded for backward: `h += y` on a tensor in the graph, as PyTorch records it.

`h += y` where h is an intermediate (or y requires grad) writes the new values into h's memory, so views
and detached copies of h see them, and h's graph now ends in the add: h.grad_fn is the new node. On a
leaf that requires grad it stays an error (its .grad is the gradient of the value it holds), as in PyTorch.

Ops recorded before hold h itself as an input, and would now read its new value and route their gradient
through its new node. So the old h is kept: a snapshot (a copy of the old values, with the old graph node)
is stored in h's history with the write's stamp, and every graph walk reads a node's inputs as they were
when the op ran (`graph.recorded_inputs`): an op recorded before the write sees the snapshot. Their
gradients are therefore right, where PyTorch raises for the ops that saved the old value; the version
counter still protects whatever shares h's memory (a view's or a detached copy's saved value is caught
at backward, as for any in-place write).

A view (h = x[0], x.reshape(...)) or a tensor with live views is refused: the write would change
another tensor's values without changing its graph.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes import primitives as P
from tinygrad_notes.errors import ShapeError
from tinygrad_notes.function import op_name, run_op
from tinygrad_notes.tensor import Tensor, _make, version_box

OPS = {"+": P.Add, "-": P.Sub, "*": P.Mul, "/": P.Div}


def record_inplace(t: Tensor, other: Any, symbol: str) -> Tensor:
    """`t <symbol>= other` with autograd recording: the new values in t's memory, t's graph ending in the op."""
    if t.requires_grad and t._ctx is None:
        raise RuntimeError(
            f"'{symbol}=' cannot be recorded on a leaf tensor that requires grad (shape {t.shape}): backward "
            f"fills its .grad with the gradient of the value it holds. Write `x = x {symbol} y` for a new tensor, "
            "or change it inside `with no_grad():` as an optimizer step does"
        )
    _refuse_shared_memory(t, symbol)
    old = _make(t._data.copy(), t.requires_grad, t._ctx)  # the value and graph node ops recorded before saw
    node = t._ctx
    if node is not None and type(node).saves_output and node.out_data is t._data:
        node.out_data, node.out_box = old._data, version_box(old)  # its backward reads the old output
    result = run_op(OPS[symbol], (old, other))
    if result.shape != t.shape:
        raise ShapeError(f"'{symbol}=': the result of shapes {t.shape} and {np.shape(other)} has shape "
                         f"{result.shape}, which cannot be written into this tensor of shape {t.shape}")
    try:
        if isinstance(t._data, np.ndarray):  # (a compiled step's traced array too: the write is recorded)
            np.copyto(t._data, result._data, casting="same_kind")
        else:  # a numpy scalar (a 0-d op result): immutable, so nothing else can see it change
            t._data = np.asarray(result._data).astype(np.result_type(t._data), casting="same_kind")
    except (TypeError, ValueError) as err:
        raise ShapeError(f"'{symbol}=': cannot write the result (dtype {result.dtype}) into this tensor of dtype "
                         f"{t.dtype}: {err}") from None
    stamp = mode.count_write()
    version_box(t)[0] = stamp
    if t._extra is None:
        t._extra = {}
    t._extra.setdefault("history", []).append((stamp, old))
    t._ctx = result._ctx
    t.requires_grad = True
    return t


def _refuse_shared_memory(t: Tensor, symbol: str) -> None:
    node = t._ctx
    if node is not None and type(node).is_view:
        raise RuntimeError(
            f"'{symbol}=' on a view ({op_name(node)} of another tensor, shape {t.shape}) cannot be recorded: the "
            f"write would change the other tensor's values but not its graph. Write `x = x {symbol} y`"
        )
    box = t._version
    if box is None:
        return
    expected = 1 + (node is not None and getattr(node, "out_box", None) is box)  # t itself, and its own node
    if sys.getrefcount(box) - 2 > expected:  # minus getrefcount's argument and the local name
        raise RuntimeError(
            f"'{symbol}=' on a tensor (shape {t.shape}) that shares its memory with views (x.reshape, x[...], "
            "x.T) or detached copies made from it cannot be recorded: they would see the new values with their "
            f"old graphs. Write `x = x {symbol} y` instead"
        )
