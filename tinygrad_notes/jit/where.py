"""Where in the user's code something happened: the first frame outside this library and numpy."""

from __future__ import annotations

import linecache
import os
import sys

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_APP = os.path.join(_ROOT, "tinygrad_notes", "app") + os.sep
_SKIPPED = (*(os.path.join(_ROOT, package) + os.sep for package in ("tinygrad_notes", "nn", "optim", "viz")),
            os.path.dirname(np.__file__) + os.sep)


def is_library_file(filename: str) -> bool:
    """True for a file of this library (engine, nn, optim, viz) or of numpy; the app counts as user code."""
    return filename.startswith(_SKIPPED) and not filename.startswith(_APP)


def user_line(depth: int = 1) -> str | None:
    """`file:line` of the innermost frame of user code above the caller, or None."""
    frame = sys._getframe(depth + 1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_library_file(filename):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def library_line(depth: int = 1) -> str | None:
    """`file:line` of the innermost frame that is not numpy's (the library line that made a call), or None."""
    numpy_dir = _SKIPPED[-1]
    frame = sys._getframe(depth + 1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(numpy_dir):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def called_from_library(depth: int = 1, skip: str | None = None) -> bool:
    """True when the caller (above frames of the file `skip`) is code of this library, not the user's."""
    frame = sys._getframe(depth + 1)
    while frame is not None and skip is not None and frame.f_code.co_filename == skip:
        frame = frame.f_back
    return frame is not None and is_library_file(frame.f_code.co_filename)


def describe(location: str | None) -> str:
    """`file:line` and the source line itself, for messages."""
    if location is None:
        return "(unknown place)"
    filename, _, line = location.rpartition(":")
    text = linecache.getline(filename, int(line)).strip() if line.isdigit() else ""
    return f"{location}" + (f"\n    {text}" if text else "")
