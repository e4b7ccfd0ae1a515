"""Numbers, arrays, shapes and op attributes as short text, for labels and pages (before any escaping)."""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_TEXT = 60  # characters of one attribute or value row before it is cut with "..."


def fmt_number(x: Any) -> str:
    """A number in at most 4 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def fmt_array(a: np.ndarray) -> str:
    """Values of a small array: `0.5` for one element, `[1, 2, 3]`, nested brackets for more dimensions."""
    if a.ndim == 0:
        return fmt_number(a.item())
    if a.dtype.kind == "b":
        return np.array2string(a, separator=", ")
    return np.array2string(a, separator=", ", formatter={"all": fmt_number})


def fmt_shape(shape: tuple[int, ...] | None, dtype: Any) -> str:
    if shape is None:
        return "shape unknown"  # a freed node whose forward cannot run on stand-ins
    return f"scalar {dtype}" if shape == () else f"{tuple(shape)} {dtype}"


def fmt_shape_only(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "scalar" if shape == () else str(tuple(shape))


def cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fmt_index(index: Any) -> str:
    """A numpy index as it was written: `[:, 1:3]`, `[0, 2]`, `[bool array (3, 4)]`."""
    items = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join("None" if v is None else fmt_attr(v) for v in items) + "]"


def fmt_attr(value: Any) -> str:
    """An op attribute as short text: numbers, shapes, dtypes, slices, arrays."""
    if isinstance(value, np.ndarray):
        if value.size <= 6 and value.dtype.kind != "b":
            return fmt_array(value)
        return f"{value.dtype} array {value.shape}"
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if value is Ellipsis:
        return "..."
    if isinstance(value, (float, np.floating)):
        return fmt_number(value)
    if isinstance(value, np.dtype):
        return str(value)
    return repr(value)
