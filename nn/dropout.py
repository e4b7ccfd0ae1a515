"""Dropout as a layer: inverted dropout in training mode, the identity in eval mode."""

from __future__ import annotations

import numpy as np

from nn import functional as F
from nn.module import Module
from tinygrad_notes import Tensor


class Dropout(Module):
    """Inverted dropout (the notes' recipe): keep each unit with probability 1 - p, scale kept ones by 1/(1 - p).

    A fresh mask every call in training mode; nothing in eval mode. `generator`
    (a `np.random.Generator`) seeds the masks; without one the library's default
    generator (`tinygrad_notes.random.manual_seed`) is used. Masks go through
    `tinygrad_notes.random.draw`, so a gradient check can freeze them.
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        F._check_p(p, "Dropout")
        self.p = p
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
