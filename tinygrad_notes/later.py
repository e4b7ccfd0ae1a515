"""`later("module")`: a module imported on first use, for Tensor's method families (tensor_*.py).

Tensor inherits its op families from mixin classes (tensor_math.py, tensor_reduce.py, ...) that must exist
before the class is made, while the primitives those methods run need Tensor to exist first. A mixin module
therefore names its primitive modules with `later(...)`: the first attribute read imports the module and
keeps what it read on the proxy, so every later read is a plain attribute lookup (as fast as a module's).
"""

from __future__ import annotations

import importlib
from typing import Any


class later:  # noqa: N801 - reads like the module it stands for
    """Stands for the module called `name`, imported when an attribute is first read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:  # only called for names not yet kept on the proxy
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"later({self._name!r})"
