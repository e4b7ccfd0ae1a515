"""Op registry entries for the activations of nn/activation_functions.py, as functions and as layers.

Smooth ones (gelu, silu, mish, softsign, logsigmoid, softmin) are checked on ordinary values; the ones
with kinks stay away from them in ordinary samples and sit on them in samples marked `at_kink`: hardtanh
and relu6 at their bounds, hardsigmoid and hardswish at -3 and 3, elu with alpha != 1 at 0 (where the
slope jumps from alpha to 1), so the checker must recognize each as a kink rather than pass by luck.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn import activations as A
from nn import functional as F
from nn.module import Module
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

Rng = np.random.Generator


def _away(rng: Rng, shape: tuple, points: tuple[float, ...], lo: float = -4.0, hi: float = 4.0) -> np.ndarray:
    """Uniform in [lo, hi], at least 0.15 from each of `points` (the kinks)."""
    x = rng.uniform(lo, hi, shape)
    for p in points:
        near = np.abs(x - p) < 0.15
        x = np.where(near, x + np.where(x >= p, 0.3, -0.3), x)
    return x


def _samples(points: tuple[float, ...] = (), kwargs_list: tuple[dict, ...] = ({},), kinks: tuple[float, ...] = (),
             kink_kwargs: dict | None = None, lo: float = -4.0, hi: float = 4.0) -> Callable[[Rng], Iterator[Sample]]:
    def samples(rng: Rng) -> Iterator[Sample]:
        for i, shape in enumerate([(3, 4), (), (2, 3, 2)]):
            kwargs = kwargs_list[i % len(kwargs_list)]
            yield Sample((_away(rng, shape, points, lo, hi),), dict(kwargs), f"shape {shape} {kwargs or ''}".strip())
        if kinks:
            kw = dict(kink_kwargs or kwargs_list[0])
            yield Sample((np.array(kinks, dtype=float),), kw, f"at the kinks {kinks}", at_kink=True)
    return samples


def _softmin_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((rng.standard_normal((3, 4)),), {}, "rows")
    yield Sample((rng.standard_normal((3, 4)),), {"axis": 0}, "columns")
    yield Sample((rng.standard_normal((2, 3, 2)) * 10,), {"axis": 1}, "large values, middle axis")


ACTIVATIONS: list[tuple[str, Any, type[Module], Callable[[Rng], Iterator[Sample]], str]] = [
    ("gelu", F.gelu, A.GELU, _samples(kwargs_list=({"approximate": "none"}, {"approximate": "tanh"})),
     "d/dx x Phi(x) = Phi(x) + x phi(x) (exact); the tanh form's chain rule"),
    ("elu", F.elu, A.ELU, _samples((0.0,), ({"alpha": 1.0}, {"alpha": 0.5}), (0.0,), {"alpha": 0.5}),
     "1 for x > 0, alpha e^x otherwise"),
    ("selu", F.selu, A.SELU, _samples((0.0,), kinks=(0.0,)), "scale for x > 0, scale alpha e^x otherwise"),
    ("celu", F.celu, A.CELU, _samples((0.0,), ({"alpha": 1.0}, {"alpha": 2.0})),
     "1 for x > 0, e^(x / alpha) otherwise"),
    ("silu", F.silu, A.SiLU, _samples(), "s(x) (1 + x (1 - s(x))), s the sigmoid"),
    ("mish", F.mish, A.Mish, _samples(), "tanh(sp(x)) + x s(x) (1 - tanh(sp(x))^2), sp the softplus"),
    ("relu6", F.relu6, A.ReLU6, _samples((0.0, 6.0), lo=-3.0, hi=9.0, kinks=(0.0, 6.0)),
     "1 for 0 < x < 6, else 0 (0 at the bounds)"),
    ("hardtanh", F.hardtanh, A.Hardtanh, _samples((-1.0, 1.0, -0.5, 2.0), ({}, {"min_val": -0.5, "max_val": 2.0}),
                                                   (-1.0, 1.0)), "1 for min_val < x < max_val, else 0"),
    ("hardsigmoid", F.hardsigmoid, A.Hardsigmoid, _samples((-3.0, 3.0), lo=-5.0, hi=5.0, kinks=(-3.0, 3.0)),
     "1/6 for -3 < x < 3, else 0"),
    ("hardswish", F.hardswish, A.Hardswish, _samples((-3.0, 3.0), lo=-5.0, hi=5.0, kinks=(-3.0, 3.0)),
     "x / 3 + 1/2 for -3 < x < 3, 0 below, 1 above"),
    ("softsign", F.softsign, A.Softsign, _samples(), "1 / (1 + |x|)^2"),
    ("logsigmoid", F.logsigmoid, A.LogSigmoid, _samples(lo=-30.0, hi=30.0), "1 - s(x) = s(-x)"),
    ("softmin", F.softmin, A.Softmin, _softmin_samples, "that of softmax(-x)"),
]


def _layer(make: type[Module]) -> Callable[..., Any]:
    def fn(x: Any, **kwargs: Any) -> Any:
        return make(**kwargs)(x)
    return fn


_F = "nn.functional."
ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    *(OpInfo(_F + name, fn, samples, formula=formula, covers=(_F + "swish",) if name == "silu" else ())
      for name, fn, _, samples, formula in ACTIVATIONS),
    *(OpInfo(f"nn.{layer.__name__}", _layer(layer), samples, formula=formula)
      for _, _, layer, samples, formula in ACTIVATIONS),
]
NON_DIFFERENTIABLE: dict[str, str] = {}
