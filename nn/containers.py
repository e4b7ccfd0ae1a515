"""Sequential: modules applied one after another, named "0", "1", ... as in PyTorch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from nn.module import Module


class Sequential(Module):
    """`Sequential(m0, m1, ...)` or `Sequential({"name": m, ...})`: forward feeds each output to the next.

    Indexing gives a module (`seq[-1]`) or, with a slice, a Sequential of those
    modules under their original names; `len`, iteration and `append` work.
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            self._add(name, module)

    def _add(self, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: item {name!r} is a {type(module).__name__}, not an nn.Module "
                            "(wrap functions in a Module, e.g. nn.ReLU() instead of F.relu)")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"Sequential: {name!r} is not a valid module name (a non-empty str without '.')")
        setattr(self, name, module)

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end, named by its position."""
        self._add(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential: index {index} is out of range for {len(items)} modules")
        return items[index][1]

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x
