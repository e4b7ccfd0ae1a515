"""Errors a user meets, worded to name the op, the shapes, and what to do."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


class ShapeError(ValueError):
    """An op got inputs whose shapes (or index, or axis) do not fit; the message names op and shapes."""


NUMERIC_KINDS = "biuf"  # bool, signed and unsigned ints, floats: the values this library computes with
EXPECTED_OPERAND = "expected a Tensor, a number or a numeric array (bool, int or float)"
_ORDINALS = ("first", "second", "third")


def _operand(position: int) -> str:
    return f"the {_ORDINALS[position]} operand" if position < len(_ORDINALS) else f"operand {position + 1}"


def operand_problem(value: Any) -> str | None:
    """What keeps `value` from being an op's operand, in words (None when it is fine).

    Operands are numbers: Python bool/int/float, numeric numpy arrays and scalars, or lists of numbers.
    Complex values are refused (this library is real-valued: a complex operand would silently give wrong
    gradients), and so are object arrays, strings, None and anything numpy can only hold as objects.
    """
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} ({value!r:.40})"
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in NUMERIC_KINDS:
            return None
        return f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray) else f"a {value.dtype} scalar"
    if isinstance(value, (bool, int, float)):
        return None
    if isinstance(value, complex):
        return f"a complex number ({value})"
    if isinstance(value, (list, tuple)):
        try:
            kind = np.asarray(value).dtype
        except ValueError:  # ragged nesting
            return f"a ragged {type(value).__name__} (rows of different lengths)"
        return None if kind.kind in NUMERIC_KINDS else f"a {type(value).__name__} of {kind} values"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def operand_error(op: str, value: Any, position: int) -> TypeError | None:
    """The TypeError for an unusable operand of op `op` at `position` (0-based), or None when it is fine."""
    problem = operand_problem(value)
    if problem is None:
        return None
    hint = ""
    if "complex" in problem:
        hint = " (this library is real-valued: take the real part or the modulus first)"
    elif problem.startswith("a ragged"):
        hint = " (make every row the same length)"
    return TypeError(f"{op}: {_operand(position)} is {problem}; {EXPECTED_OPERAND}{hint}")


def shape_of(value: Any) -> tuple[int, ...]:
    """Shape of an array, Tensor or Python scalar."""
    return tuple(np.shape(value))


def broadcast_message(op: str, shapes: list[tuple[int, ...]]) -> str:
    """Explain why shapes do not broadcast, pointing at the first pair of sizes that clash."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for axis in range(ndim - 1, -1, -1):
        sizes = {p[axis] for p in padded} - {1}
        if len(sizes) > 1:
            dims = " vs ".join(str(p[axis]) for p in padded)
            return (
                f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be broadcast together: "
                f"sizes {dims} clash at axis {axis - ndim} (counting from the right). Broadcasting aligns "
                "shapes from the right and needs each pair of sizes equal or one of them 1; "
                "reshape or transpose an input so they line up."
            )
    return f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be broadcast together"


def explain_numpy_error(cls: type, op: str, err: Exception, arrays: list[Any],
                        attrs: Mapping[str, Any]) -> Exception | None:
    """Turn the error raised by op `op`'s forward (class `cls`) into one that names the op, or None to let it through.

    The one place every op's failure is explained, so it costs nothing until something fails. In order: an
    operand that is not a number; a bool tensor where the op needs numbers; the op's own `explain` (a str
    becomes a ShapeError); shapes that do not broadcast; an error that already names the op passes as it is;
    and for the library's own ops, numpy's words prefixed with the op and what it was given. A user's
    Function keeps its own errors.
    """
    text = str(err)
    for i, a in enumerate(arrays):
        error = operand_error(op, a, i)
        if error is not None:
            return error
    if isinstance(err, TypeError) and "boolean" in text:
        kinds = [np.asarray(a).dtype.kind for a in arrays]
        if "b" in kinds:
            return TypeError(f"{op}: got a bool tensor ({given(arrays, attrs)}), but {op} needs numbers; "
                             "convert it first, e.g. x.astype(np.float32)")
    explain = getattr(cls, "explain", None)
    if explain is not None:
        message = explain(err, arrays, attrs)
        if isinstance(message, Exception):
            return message
        if message is not None:
            return ShapeError(message)
    if "broadcast" in text:
        return ShapeError(broadcast_message(op, [shape_of(a) for a in arrays]))
    if text.startswith(f"{op}:") or not _is_library_op(cls):
        return None
    kind = TypeError if isinstance(err, TypeError) else ShapeError if isinstance(err, IndexError) else ValueError
    return kind(f"{op}: {text} ({given(arrays, attrs)})")


def given(arrays: list[Any], attrs: Mapping[str, Any]) -> str:
    """What an op was given, for error messages: each operand's shape and dtype, then the keyword arguments."""
    parts = [f"shape {shape_of(a)} {np.asarray(a).dtype}" for a in arrays]
    parts += [f"{k}={v!r:.60}" for k, v in attrs.items()]
    return "; ".join(parts) if parts else "no arguments"


def _is_library_op(cls: type) -> bool:
    """True for this library's own ops (engine and nn), whose numpy errors are reworded to name the op."""
    return cls.__module__.split(".")[0] in ("tinygrad_notes", "nn")


def empty_reduction_error(op: str, shape: tuple[int, ...], axis: Any) -> ValueError:
    """The error for a max or min over no elements (numpy refuses it too: an empty set has no max)."""
    return ValueError(f"{op}: cannot take the {op} over no elements (tensor shape {tuple(shape)}, axis={axis!r}): "
                      f"an empty set has no {op}. Reduce over axes that have elements (a {op} along a non-empty "
                      "axis of an empty tensor is fine: it is empty too), or skip empty batches")


def normalize_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """numpy's `axis` (None, int, negative int, tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, quickly
        return (axis % ndim,)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes: tuple = (axis,)
    elif isinstance(axis, tuple):
        axes = axis
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r} "
                        f"({type(axis).__name__})")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, (bool, np.bool_)):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {a!r} in {axis!r}")
        if not -ndim <= a < ndim:
            where = f"use an axis in [{-ndim}, {ndim - 1}] or None" if ndim else "use axis=None"
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s); {where}")
        a = int(a) % ndim
        if a in out:
            raise ShapeError(f"{op}: axis {a} is repeated in {axis!r}")
        out.append(a)
    return tuple(sorted(out))


def single_axis(op: str, axis: Any, ndim: int) -> int:
    """One axis (an int in [-ndim, ndim)) as a non-negative int, for ops that take exactly one."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r} ({type(axis).__name__})")
    return normalize_axes(op, axis, ndim)[0]  # type: ignore[index]


# PyTorch's keyword -> numpy's, the spelling of every op here (docs/coming_from_pytorch.md has the other habits).
NUMPY_SPELLING = {"dim": "axis", "keepdim": "keepdims", "start_dim": "start_axis", "end_dim": "end_axis",
                  "unbiased": "ddof", "correction": "ddof"}


def numpy_keywords(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The wrapper of a public op composed of others: its errors name it, and `dim=`/`keepdim=` (PyTorch's
    keywords) fail with a TypeError that names numpy's spelling to use.

    An error from an op inside (`mul: ...` within leaky_relu) is reworded to start with this op's name
    (`leaky_relu: mul: ...`). Ordinary calls pay only for the wrapper's frame: everything happens in the
    `except` branch, after something has failed."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (TypeError, ValueError) as err:
            torch_names = [k for k in kwargs if k in NUMPY_SPELLING] if isinstance(err, TypeError) else []
            if torch_names:
                given = ", ".join(f"{k}={kwargs[k]!r}" for k in torch_names)
                fix = ", ".join(_numpy_spelling(k, kwargs[k]) for k in torch_names)
                raise TypeError(f"{fn.__qualname__}() got PyTorch's {given}: use numpy's {fix} (every op "
                                "here takes numpy's keywords; docs/coming_from_pytorch.md lists what else "
                                "differs)") from None
            binding = err.__traceback__ is not None and err.__traceback__.tb_next is None  # Python refused the
            renamed = None if binding else named_error(fn.__name__, err)  # call's arguments: it names the op
            if renamed is None:
                raise
            raise renamed from None

    return call


def named_error(op: str, err: Exception) -> Exception | None:
    """`err` reworded to start with `op: ` (same kind: ShapeError, TypeError or ValueError), or None if it does."""
    text = str(err)
    if text.startswith(f"{op}:"):
        return None
    kind = ShapeError if isinstance(err, ShapeError) else TypeError if isinstance(err, TypeError) else ValueError
    return kind(f"{op}: {text}")


def _numpy_spelling(name: str, value: Any) -> str:
    if name == "unbiased":  # unbiased=True divides by n - 1
        return f"ddof={int(bool(value))}"
    return f"{NUMPY_SPELLING[name]}={value!r}"
