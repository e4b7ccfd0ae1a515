"""Parameter names for a picture: from a `{name: tensor}` dict, (name, tensor) pairs or a model's named_parameters()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tinygrad_notes import Tensor


def parameter_names(params: Any, where: str = "draw_graph") -> dict[int, tuple[str, Tensor]]:
    """Map id(tensor) -> (name, tensor) for every named parameter; the tensor is kept so its id stays its own.

    `params` may be None, a mapping name -> Tensor, anything with `named_parameters()`
    (an `nn.Module`, read by duck typing), or an iterable of (name, Tensor) pairs.
    """
    if params is None:
        return {}
    if isinstance(params, Mapping):
        pairs = list(params.items())
    elif callable(getattr(params, "named_parameters", None)):
        pairs = list(params.named_parameters())
    else:
        try:
            pairs = [tuple(p) for p in params]
        except TypeError:
            raise TypeError(
                f"{where}: params must be a dict {{name: Tensor}}, a model with named_parameters(), or "
                f"(name, Tensor) pairs; got {type(params).__name__}"
            ) from None
    names: dict[int, tuple[str, Tensor]] = {}
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[1], Tensor):
            raise TypeError(
                f"{where}: each parameter must be a (name, Tensor) pair; got {pair!r:.80}"
            )
        name, tensor = pair
        names.setdefault(id(tensor), (str(name), tensor))  # a shared tensor keeps its first name
    return names
