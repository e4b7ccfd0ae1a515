"""Module titles for pictures: `Linear(64→128)`, `Dropout(p=0.2)`, read from a model's `named_modules()`.

viz reads nn's names by duck typing and never imports nn: any object with
`named_modules()` whose modules have `in_features`/`out_features`,
`num_features` or an `extra_repr()` gets titles. A module's dotted name is the
scope its ops were recorded under (nn's `name_scope`), so a cluster `0` of a
Sequential is titled `0: Linear(64→128)`.
"""

from __future__ import annotations

from typing import Any

MAX_EXTRA = 28  # characters of an extra_repr() shown in a title; longer ones are left out


def describe_module(module: Any) -> str:
    """`Class(sizes)`: in→out features, a feature count, or a short extra_repr(); just the class otherwise."""
    cls = type(module).__name__
    n_in, n_out = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(n_in, int) and isinstance(n_out, int):
        return f"{cls}({n_in}→{n_out})"
    n = getattr(module, "num_features", None)
    if isinstance(n, int):
        return f"{cls}({n})"
    extra_repr = getattr(module, "extra_repr", None)
    if callable(extra_repr):
        try:
            extra = str(extra_repr())
        except Exception:  # noqa: BLE001 - a user's extra_repr that fails only loses its title's sizes
            extra = ""
        if extra and len(extra) <= MAX_EXTRA and "\n" not in extra:
            return f"{cls}({extra})"
    return cls


def module_titles(model: Any) -> dict[str, str]:
    """{dotted name: "Class(sizes)"} for every submodule of `model` (empty for anything without named_modules)."""
    named_modules = getattr(model, "named_modules", None)
    if not callable(named_modules):
        return {}
    titles = {}
    for name, module in named_modules():
        if name:
            titles[str(name)] = describe_module(module)
    return titles


def cluster_title(scope: str, titles: dict[str, str]) -> str:
    """A cluster's title: its dotted name, and the module's class and sizes when known (`0: Linear(64→128)`)."""
    described = titles.get(scope)
    return f"{scope}: {described}" if described else scope
