"""Randomness that layers draw through, so a gradient check can freeze it.

A layer that needs random numbers at run time (dropout's mask) calls
`draw(make, generator)`. Normally that is just `make(generator)`. Inside
`frozen_randomness()`, the draws of the first evaluation are recorded and every
later evaluation (after `restart()`) gets the same arrays back in the same order:
the cost J becomes a fixed function of θ, which finite differences need.

Freezing is per thread (a context variable, like the engine's modes): a gradient
check in one thread never replays its draws into a model training in another.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

_default = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the default generator that layers use when they were given none."""
    global _default
    _default = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The generator layers use when they were given none."""
    return _default


class Replay:
    """Recorded draws of one frozen evaluation, replayed in order after `restart()`."""

    def __init__(self) -> None:
        self.draws: list[np.ndarray] = []
        self.position = 0

    def restart(self) -> None:
        """Start the next evaluation: draws are replayed from the first one."""
        self.position = 0

    def draw(self, make: Callable[[np.random.Generator], np.ndarray], generator: np.random.Generator) -> np.ndarray:
        if self.position < len(self.draws):
            value = self.draws[self.position]
        else:
            value = make(generator)
            self.draws.append(value)
        self.position += 1
        return value


_replay: contextvars.ContextVar[Replay | None] = contextvars.ContextVar("frozen_randomness", default=None)


def draw(make: Callable[[np.random.Generator], np.ndarray], generator: np.random.Generator | None = None) -> np.ndarray:
    """`make(generator)`, or inside `frozen_randomness()` the draw recorded at this point of the first evaluation."""
    gen = generator if generator is not None else _default
    replay = _replay.get()
    if replay is None:
        return make(gen)
    return replay.draw(make, gen)


def is_frozen() -> bool:
    """True inside `frozen_randomness()` (in this thread)."""
    return _replay.get() is not None


@contextmanager
def frozen_randomness() -> Iterator[Replay]:
    """Record the random draws of the first evaluation (in this thread) and replay them in every later one."""
    replay = Replay()
    token = _replay.set(replay)
    try:
        yield replay
    finally:
        _replay.reset(token)
