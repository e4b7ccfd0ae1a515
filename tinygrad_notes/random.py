"""Randomness that layers draw through, so a gradient check can freeze it.

A layer that needs random numbers at run time (dropout's mask) calls
`draw(make, generator)`. Normally that is just `make(generator)`. Inside
`frozen_randomness()`, the draws of the first evaluation are recorded and every
later evaluation (after `restart()`) gets the same arrays back in the same order:
the cost J becomes a fixed function of θ, which finite differences need.

Freezing is per thread (a context variable, like the engine's modes): a check
running in one thread never freezes the dropout masks another thread is training
with.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from tinygrad_notes import mode

_default = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the default generator that layers use when they were given none."""
    global _default
    _default = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The generator layers use when they were given none."""
    return _default


class FrozenDraws:
    """The random draws of one frozen evaluation, handed out again in order after `restart()`."""

    def __init__(self) -> None:
        self.draws: list[np.ndarray] = []
        self.position = 0

    def restart(self) -> None:
        """Start the next evaluation: draws are handed out again from the first one."""
        self.position = 0

    def draw(self, make: Callable[[np.random.Generator], np.ndarray], generator: np.random.Generator) -> np.ndarray:
        if self.position < len(self.draws):
            value = self.draws[self.position]
        else:
            value = make(generator)
            self.draws.append(value)
        self.position += 1
        return value


_frozen: contextvars.ContextVar[FrozenDraws | None] = contextvars.ContextVar("tinygrad_notes_frozen", default=None)


def draw(make: Callable[[np.random.Generator], np.ndarray], generator: np.random.Generator | None = None) -> np.ndarray:
    """`make(generator)`, or inside `frozen_randomness()` the draw recorded at this point of the first evaluation."""
    tracer = mode.current.get().tracer
    if tracer is not None:  # a compiled step is being traced: the draw is made again on every replay
        return tracer.draw(draw, make, generator)
    gen = generator if generator is not None else _default
    frozen = _frozen.get()
    if frozen is None:
        return make(gen)
    return frozen.draw(make, gen)


@contextmanager
def frozen_randomness() -> Iterator[FrozenDraws]:
    """In this thread, record the random draws of the first evaluation and hand them out in every later one."""
    token = _frozen.set(FrozenDraws())
    try:
        yield _frozen.get()  # type: ignore[misc]
    finally:
        _frozen.reset(token)
