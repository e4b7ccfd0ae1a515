"""Weight initializers: fill a tensor in place, seeded through a generator.

The course notes' three scales for a weight W of shape (n_out, n_in):

| name            | Var(w)            | for                   |
|-----------------|-------------------|-----------------------|
| `xavier_*`      | 1 / n_in          | tanh (the notes' name)|
| `he_*`          | 2 / n_in          | ReLU                  |
| `glorot_*`      | 2 / (n_in + n_out)| the averaged variant  |

Careful with names: the notes call 1/n_in "Xavier" (PyTorch would call it LeCun),
and PyTorch's `xavier_normal_` is our `glorot_normal_`. `kaiming_*` is an alias of
`he_*` (PyTorch's kaiming with its defaults draws exactly Var = 2/n_in).

Each comes as `*_normal_` (a Gaussian with that variance) and `*_uniform_`
(U(-a, a) with a = sqrt(3 Var), the same variance), and takes `gain`: the
standard deviation is multiplied by it (the notes: the variance multiplier can
itself be tuned). Every function writes through `t.inplace_data()` and returns
`t`; `generator` is a `np.random.Generator` (the library's default one when None;
the deterministic fills accept and ignore it, so any of them can be `Linear(init=...)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_notes import Tensor
from tinygrad_notes.random import default_generator

__all__ = [
    "calculate_gain", "fan_in_and_fan_out", "zeros_", "ones_", "constant_", "normal_", "uniform_", "scaled_",
    "xavier_normal_", "xavier_uniform_", "he_normal_", "he_uniform_", "kaiming_normal_", "kaiming_uniform_",
    "glorot_normal_", "glorot_uniform_", "get_initializer",
]

Generator = np.random.Generator | None


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity: the factor that keeps activations' scale across layers.

    linear/identity/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2))
    (slope `param`, 0.01 by default), selu 3/4. So `xavier_normal_(w, gain=calculate_gain("relu"))`
    draws what `he_normal_(w)` draws.
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if name == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
                     "use linear, identity, sigmoid, tanh, relu, leaky_relu or selu")


def fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    """(n_in, n_out) of a weight laid out like PyTorch's: (n_out, n_in, *kernel) -> n_in * kernel, n_out * kernel."""
    if t.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out need a weight with at least 2 dimensions (n_out, n_in), got shape {t.shape}; "
            "initialize a bias with zeros_ or constant_"
        )
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"init: expected a Tensor to fill in place, got {type(t).__name__}")
    t.inplace_data()[...] = values
    return t


def _rng(generator: Generator) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def zeros_(t: Tensor, generator: Generator = None) -> Tensor:
    """Fill with 0 (biases). `generator` is accepted and unused, so every initializer has one signature."""
    return _fill(t, 0)


def ones_(t: Tensor, generator: Generator = None) -> Tensor:
    """Fill with 1 (batch norm's gamma)."""
    return _fill(t, 1)


def constant_(t: Tensor, value: float, generator: Generator = None) -> Tensor:
    """Fill with `value`."""
    return _fill(t, value)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator = None) -> Tensor:
    """Draw from N(mean, std^2)."""
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(t, _rng(generator).normal(mean, std, size=t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator = None) -> Tensor:
    """Draw from U(a, b)."""
    if b < a:
        raise ValueError(f"uniform_: the interval [a, b] = [{a}, {b}] is empty; pass a <= b")
    return _fill(t, _rng(generator).uniform(a, b, size=t.shape))


# The notes' scales: each scheme is one variance; normal and uniform draws share it.
VARIANCES: dict[str, tuple[Callable[[int, int], float], str]] = {
    "xavier": (lambda n_in, n_out: 1.0 / n_in,
               "The notes' Xavier (tanh): Var = 1/n_in. PyTorch's xavier_* is glorot_* here"),
    "he": (lambda n_in, n_out: 2.0 / n_in,
           "He (ReLU): Var = 2/n_in; keeps the scale of ReLU activations from layer to layer"),
    "glorot": (lambda n_in, n_out: 2.0 / (n_in + n_out),
               "Glorot: Var = 2/(n_in + n_out), the averaged variant (PyTorch's xavier_*)"),
}


def scaled_(t: Tensor, scheme: str, distribution: str = "normal", gain: float = 1.0,
            generator: Generator = None) -> Tensor:
    """Fill with zero mean and the variance of `scheme` (xavier, he, glorot) times gain^2.

    `distribution` "normal" draws N(0, Var); "uniform" draws U(-a, a) with a = sqrt(3 Var), the same variance.
    """
    if scheme not in VARIANCES:
        raise ValueError(f"init: unknown scheme {scheme!r}; use one of {', '.join(VARIANCES)}")
    n_in, n_out = fan_in_and_fan_out(t)
    std = gain * math.sqrt(VARIANCES[scheme][0](n_in, n_out))
    if distribution == "normal":
        return normal_(t, 0.0, std, generator)
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std  # Var(U(-a, a)) = a^2 / 3
        return uniform_(t, -bound, bound, generator)
    raise ValueError(f"init: distribution must be 'normal' or 'uniform', got {distribution!r}")


def _initializer(scheme: str, distribution: str) -> Callable[..., Tensor]:
    """`scaled_` with the scheme and distribution fixed: the public xavier_normal_, he_uniform_, ..."""

    def init(t: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
        return scaled_(t, scheme, distribution, gain, generator)

    init.__name__ = init.__qualname__ = f"{scheme}_{distribution}_"
    draw = "N(0, Var)" if distribution == "normal" else "U(-a, a), a = sqrt(3 Var)"
    init.__doc__ = f"{VARIANCES[scheme][1]}. Draws {draw}, the standard deviation times `gain`."
    return init


xavier_normal_ = _initializer("xavier", "normal")
xavier_uniform_ = _initializer("xavier", "uniform")
he_normal_ = _initializer("he", "normal")
he_uniform_ = _initializer("he", "uniform")
glorot_normal_ = _initializer("glorot", "normal")
glorot_uniform_ = _initializer("glorot", "uniform")
kaiming_normal_ = he_normal_
kaiming_uniform_ = he_uniform_

_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "xavier": xavier_normal_, "xavier_normal": xavier_normal_, "xavier_uniform": xavier_uniform_,
    "he": he_normal_, "he_normal": he_normal_, "he_uniform": he_uniform_,
    "kaiming": he_normal_, "kaiming_normal": he_normal_, "kaiming_uniform": he_uniform_,
    "glorot": glorot_normal_, "glorot_normal": glorot_normal_, "glorot_uniform": glorot_uniform_,
    "zeros": zeros_,
}


def get_initializer(init: str | Callable[..., Any]) -> Callable[..., Any]:
    """An initializer by name ("he", "xavier_uniform", "glorot", ... with or without "_"), or the function itself.

    A function is called as `init(weight, generator=generator)` and must fill the weight in place.
    """
    if callable(init):
        return init
    if isinstance(init, str):
        key = init.lower().rstrip("_")
        if key in _BY_NAME:
            return _BY_NAME[key]
    raise ValueError(f"init: unknown initializer {init!r}; use one of {', '.join(sorted(_BY_NAME))}, "
                     "or a function f(weight, generator=None) that fills the weight in place")
