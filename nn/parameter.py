"""`Parameter`: a Tensor that a Module registers as learnable when assigned as an attribute.

It is a plain `Tensor` subclass (no extra state, `__slots__ = ()`), so every op
treats it exactly like a Tensor: the engine's hot path checks
`isinstance(x, Tensor)`, which a subclass passes, and ops on a Parameter return
ordinary Tensors. The subclass only marks intent: `module.w = Parameter(...)`
registers `w`; `module.w = Tensor(...)` on a registered name is refused.
"""

from __future__ import annotations

from typing import Any

from tinygrad_notes import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is listed by `Module.parameters()`.

    `Parameter(data)`: an ndarray keeps its dtype and memory, a Tensor gives its
    array (sharing memory), Python numbers and lists become the default float
    dtype. A parameter must be floating point.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        array = data.data if isinstance(data, Tensor) else data
        super().__init__(array, dtype=dtype)
        if self.dtype.kind != "f":
            raise TypeError(
                f"Parameter: a parameter must be floating point, got dtype {self.dtype}; "
                "pass dtype=np.float32 (or float64)"
            )
        self.requires_grad = bool(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
