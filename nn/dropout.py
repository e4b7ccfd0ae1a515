"""Dropout as a layer: inverted dropout in training mode, the identity in eval mode."""

from __future__ import annotations

import numpy as np

from nn import functional as F
from nn.module import Module
from tinygrad_notes import Tensor


class Dropout(Module):
    """Inverted dropout (the notes' recipe): keep each unit with probability 1 - p, scale kept ones by 1/(1 - p).

    Give the drop probability `p` (PyTorch's spelling, `nn.Dropout(0.2)`) or the keep probability
    `keep_prob` (the notes' spelling, `nn.Dropout(keep_prob=0.8)`: the same layer), not both.
    A fresh mask every call in training mode; nothing in eval mode. `generator`
    (a `np.random.Generator`) seeds the masks; without one the library's default
    generator (`tinygrad_notes.random.manual_seed`) is used. Masks go through
    `tinygrad_notes.random.draw`, so a gradient check can freeze them.
    """

    def __init__(self, p: float | None = None, generator: np.random.Generator | None = None, *,
                 keep_prob: float | None = None) -> None:
        super().__init__()
        if p is not None and keep_prob is not None:
            raise ValueError(f"Dropout: got both p={p} and keep_prob={keep_prob}; give one of them "
                             "(p drops a unit with probability p, keep_prob keeps it: p = 1 - keep_prob)")
        if keep_prob is not None:
            if not 0 < keep_prob <= 1:
                raise ValueError(f"Dropout: keep_prob is the probability of keeping a unit and must be in (0, 1], "
                                 f"got {keep_prob} (keep_prob = 0 would drop everything)")
            p = 1.0 - keep_prob
        elif p is None:
            p = 0.5
        F._check_p(p, "Dropout")
        self.p = p
        self.generator = generator

    @property
    def keep_prob(self) -> float:
        """The notes' keep probability, 1 - p."""
        return 1.0 - self.p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
