"""The inputs of a call as the program sees them: the tensors and arrays in it, and a key for everything else.

Arguments are walked through tuples, lists and dicts. Tensors and numpy arrays
are the program's inputs: a call with other shapes, dtypes or memory layouts is
another signature (traced separately). Everything else is part of the key as it
is: numbers and strings by value, other objects (a model, an optimizer) by
identity; so a different learning rate passed as an argument is a different
program, while a learning rate read from an optimizer is read afresh each call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.mode import Modes
from tinygrad_notes.tensor import Tensor

_VALUES = (int, float, bool, str, bytes, complex, type(None), np.generic, np.dtype)


def flatten(tree: Any, leaves: list[Any], key: list[Any], keep: list[Any]) -> None:
    """Append the tensors and arrays of `tree` to `leaves`, and what identifies the rest to `key`."""
    if isinstance(tree, Tensor):
        d = tree._data
        leaves.append(tree)
        key.append(("T", d.shape, d.dtype.str, tree.requires_grad, _layout(d)))
    elif isinstance(tree, np.ndarray):
        leaves.append(tree)
        key.append(("A", tree.shape, tree.dtype.str, _layout(tree)))
    elif type(tree) in (tuple, list):
        key.append((type(tree).__name__, len(tree)))
        for item in tree:
            flatten(item, leaves, key, keep)
    elif type(tree) is dict:
        key.append(("dict", tuple(tree)))
        for item in tree.values():
            flatten(item, leaves, key, keep)
    elif isinstance(tree, _VALUES):
        key.append(("V", type(tree), tree))
    else:
        keep.append(tree)  # held by the cache entry, so its id is not reused while the entry lives
        key.append(("O", id(tree)))


def _layout(arr: Any) -> Any:
    if not isinstance(arr, np.ndarray):
        return "scalar"
    flags = arr.flags
    return "C" if flags.c_contiguous else "F" if flags.f_contiguous else arr.strides


def signature(args: tuple, kwargs: dict, modes: Modes) -> tuple[list[Any], tuple, list[Any]]:
    """(the call's tensors and arrays, its key, objects the key refers to by identity)."""
    leaves: list[Any] = []
    key: list[Any] = [modes.grad_enabled, modes.default_dtype.str]
    keep: list[Any] = []
    flatten(args, leaves, key, keep)
    flatten(kwargs, leaves, key, keep)
    return leaves, tuple(key), keep


class Leaf:
    """Where an output tensor (or array) goes in the structure a function returned."""

    __slots__ = ("index", "tensor")

    def __init__(self, index: int, tensor: bool) -> None:
        self.index, self.tensor = index, tensor


def structure(tree: Any, leaves: list[Any]) -> Any:
    """`tree` with every Tensor and array moved to `leaves` and replaced by a Leaf (to rebuild it later)."""
    if isinstance(tree, (Tensor, np.ndarray)):
        leaves.append(tree)
        return Leaf(len(leaves) - 1, isinstance(tree, Tensor))
    if type(tree) in (tuple, list):
        return type(tree)(structure(item, leaves) for item in tree)
    if type(tree) is dict:
        return {k: structure(v, leaves) for k, v in tree.items()}
    return tree


def rebuild(shape: Any, values: Any, make_tensor: Any) -> Any:
    """The structure back, with each Leaf's value (wrapped by `make_tensor` where it was a Tensor)."""
    if type(shape) is Leaf:
        value = values[shape.index]
        return make_tensor(value) if shape.tensor else value
    if type(shape) in (tuple, list):
        return type(shape)(rebuild(item, values, make_tensor) for item in shape)
    if type(shape) is dict:
        return {k: rebuild(v, values, make_tensor) for k, v in shape.items()}
    return shape
