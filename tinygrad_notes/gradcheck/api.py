"""The gradient checker: two-sided finite differences against backward, per input and per component.

Straight from the notes: move one component of θ by ±ε, take
(J(θ+ε e_i) - J(θ-ε e_i)) / 2ε, and compare with backward's gradient by the
relative error ||num - ana|| / (||num|| + ||ana||), in float64 with ε = 1e-7.
Read it as the notes do: about 1e-7 great, about 1e-5 look at the components,
1e-3 or more a bug.

That global figure dilutes a bug in one component among thousands, so every
component is also held to

    |num_i - ana_i| <= atol + rtol * |num_i| + noise_i

where noise_i = NOISE_FACTOR * (float64 epsilon) * S_i / ε is the rounding
error of the difference itself (S_i: the magnitude of the function values it
was taken from). None of these grows with the number of components. A component
that fails is looked at once more: if its one-sided differences disagree (a kink
within ε, such as ReLU at 0 or a tie in a max) and the analytical value lies
between them, it is reported as a "kink", not a bug, and (by default) not
counted as a failure.

An input passes when no component fails and its relative error is at most
`threshold` (or every difference is within atol + noise: the relative error of
two vectors that are zero up to rounding is itself noise).

For a function with a vector output, each output component is checked (a full
Jacobian) up to `max_outputs` components; a larger output is projected on a
fixed random vector w with entries ±[0.5, 1.5] (no output gets a weight near 0)
and w·output is checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_notes.autograd import grad
from tinygrad_notes.combine import concatenate
from tinygrad_notes.gradcheck.core import (
    ATOL,
    EPS,
    MAX_OUTPUTS,
    PROBES,
    RTOL,
    THRESHOLD,
    Settings,
    float64_default,
    output_of,
    relative_error,
    run_check,
)
from tinygrad_notes.gradcheck.report import GradcheckError, GradcheckReport
from tinygrad_notes.mode import enable_grad, no_grad
from tinygrad_notes.random import frozen_randomness
from tinygrad_notes.tensor import Tensor

__all__ = ["gradcheck", "assert_gradcheck", "gradgradcheck", "numerical_grad", "relative_error",
           "GradcheckReport", "GradcheckError"]


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = EPS, atol: float = ATOL,
              rtol: float = RTOL, threshold: float = THRESHOLD, fast: bool = False, probes: int = PROBES,
              seed: int = 0, fallback: bool = True, allow_kinks: bool = True, max_outputs: int = MAX_OUTPUTS,
              names: Sequence[str] | None = None, worst: int = 5, replay: bool = True,
              raise_on_failure: bool = False) -> GradcheckReport:
    """Check `fn`'s gradient with respect to every float input by two-sided differences; returns a report.

    `inputs`: one tensor or array, a sequence of them (called as fn(*inputs)), or a dict (fn(**inputs)).
    Float numpy arrays (and numpy float scalars) and Tensors that require grad are checked, as float64
    copies (the originals are never touched; float32 ones are promoted with a warning). Tensors that do
    not require grad, integer arrays, Python numbers and other values are passed as they are.

    eps, atol, rtol, threshold: the step and the tolerances (module docstring). `fast=True` compares
    `probes` random projections v.J.u per input instead of every component (`seed` fixes them); with
    `fallback` an input whose probe fails is then checked component by component. `allow_kinks=False`
    counts kinks as failures. `names` labels the checked inputs (default: the dict keys, the tensors'
    `.name`, or "input i"). `replay=False` calls `fn` for every evaluation instead of replaying its
    recorded graph (the replay is validated against real calls first, see gradcheck_replay.py).
    `raise_on_failure=True` raises `GradcheckError` with the report's table.
    """
    prepared = _Prepared(inputs, "gradcheck")
    settings = Settings(eps=eps, atol=atol, rtol=rtol, threshold=threshold, fast=fast, probes=probes, seed=seed,
                        fallback=fallback, allow_kinks=allow_kinks, max_outputs=max_outputs, worst=worst,
                        replay=replay)
    report = run_check(prepared.call(fn), prepared.leaves, prepared.labels(names), settings,
                       title=f"gradcheck of {_fn_name(fn)}", order=1)
    report.notes[:0] = prepared.notes
    return report.raise_if_failed() if raise_on_failure else report


def assert_gradcheck(fn: Callable[..., Tensor], inputs: Any, **options: Any) -> GradcheckReport:
    """`gradcheck` that raises `GradcheckError` (an AssertionError carrying the report's table) on failure."""
    return gradcheck(fn, inputs, **options).raise_if_failed()


def gradgradcheck(fn: Callable[..., Tensor], inputs: Any, grad_outputs: Any = None, *,
                  names: Sequence[str] | None = None, raise_on_failure: bool = False,
                  **options: Any) -> GradcheckReport:
    """Check second derivatives: gradcheck of (inputs, v) -> v . d fn/d inputs, built with create_graph=True.

    The vector v (`grad_outputs`, by default random with entries ±[0.5, 1.5] from `seed`) is
    checked as an input too, named "grad_output", so the rules backward applies to the incoming
    gradient are differentiated as well. Options are gradcheck's.
    """
    prepared = _Prepared(inputs, "gradgradcheck")
    call, leaves = prepared.call(fn), prepared.leaves
    with float64_default(), frozen_randomness():
        shape = output_of(call(), "gradgradcheck").shape
    if grad_outputs is None:
        rng = np.random.default_rng(options.get("seed", 0))
        v = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    else:
        v = np.array(grad_outputs._data if isinstance(grad_outputs, Tensor) else grad_outputs, dtype=np.float64)
        if v.shape != shape:
            raise ValueError(f"gradgradcheck: grad_outputs has shape {v.shape} but the output has shape {shape}")
    v_leaf = Tensor(v, requires_grad=True)

    def first_derivatives() -> Tensor:
        with enable_grad():
            y = call()
            grads = grad(y, leaves, grad_outputs=v_leaf, create_graph=True, allow_unused=True) \
                if y.requires_grad else (None,) * len(leaves)
            parts = [g.reshape(-1) if g is not None else Tensor(np.zeros(t.size)) for g, t in zip(grads, leaves)]
            return concatenate(parts) if len(parts) > 1 else parts[0]

    report = run_check(first_derivatives, [*leaves, v_leaf], [*prepared.labels(names), "grad_output"],
                       Settings(**options), title=f"gradgradcheck of {_fn_name(fn)}", order=2)
    report.notes[:0] = prepared.notes
    return report.raise_if_failed() if raise_on_failure else report


def numerical_grad(fn: Callable[..., Tensor], inputs: Any, eps: float = EPS) -> list[np.ndarray]:
    """Two-sided differences (f(x+ε e_i) - f(x-ε e_i)) / 2ε of `fn` w.r.t. each float input, in float64.

    For a one-element output each result has its input's shape; otherwise it is the Jacobian,
    shaped output.shape + input.shape. The function is simply called twice per component (no
    replay), with randomness frozen.
    """
    prepared = _Prepared(inputs, "numerical_grad")
    call = prepared.call(fn)

    def value() -> np.ndarray:
        frozen.restart()
        return np.array(output_of(call(), "numerical_grad")._data, dtype=np.float64)

    results = []
    with float64_default(), frozen_randomness() as frozen, no_grad():
        out_shape = value().shape
        for leaf in prepared.leaves:
            x = leaf._data.reshape(-1)  # the leaf is our own copy: move its components in place
            jac = np.empty(out_shape + (x.size,))
            for i in range(x.size):
                v = x[i]
                x[i] = v + eps
                plus = value()
                x[i] = v - eps
                minus = value()
                x[i] = v
                jac[..., i] = (plus - minus) / ((v + eps) - (v - eps))
            scalar = int(np.prod(out_shape)) == 1
            results.append(jac.reshape(leaf.shape if scalar else out_shape + leaf.shape))
    return results


class _Prepared:
    """The checked inputs as float64 leaf copies, the other arguments as they are, and how to call fn."""

    def __init__(self, inputs: Any, who: str) -> None:
        self.who = who
        if isinstance(inputs, Mapping):
            keys: list[Any] = list(inputs)
            values = [inputs[k] for k in keys]
        elif isinstance(inputs, (Tensor, np.ndarray, np.generic)):
            values, keys = [inputs], [0]
        elif isinstance(inputs, (list, tuple)):
            values, keys = list(inputs), list(range(len(inputs)))
        else:
            raise TypeError(f"{who}: inputs must be a list or tuple of arrays (or Tensors), one array, or a dict of "
                            f"them; got {inputs!r:.60} ({type(inputs).__name__}): write [np.array({inputs!r:.20})] "
                            "for a single number")
        args, self.keys, self.leaves, promoted = [], [], [], []
        for key, v in zip(keys, values):
            array = v._data if isinstance(v, Tensor) else v
            if isinstance(v, Tensor) and v.requires_grad or isinstance(v, (np.ndarray, np.floating)) \
                    and v.dtype.kind == "f":
                if array.dtype != np.float64:
                    promoted.append(f"input {key!r} ({array.dtype})")
                leaf = Tensor(np.array(array, dtype=np.float64), requires_grad=True)
                leaf.name = v.name if isinstance(v, Tensor) else None
                args.append(leaf)
                self.keys.append(key)
                self.leaves.append(leaf)
            else:
                args.append(v)
        if not self.leaves:
            raise ValueError(f"{self.who}: none of the inputs is differentiable; pass float numpy arrays or Tensors "
                             "created with requires_grad=True")
        self.args: Any = dict(zip(keys, args)) if isinstance(inputs, Mapping) else args
        self.notes = []
        if promoted:
            warnings.warn(f"{self.who}: {', '.join(promoted)} promoted to float64 for the check: with eps=1e-7 the "
                          "differences of float32 values are rounding noise (float32 resolves about 1e-7 "
                          "relative), so the check runs on float64 copies", stacklevel=4)
            self.notes.append(f"{', '.join(promoted)} promoted to float64: float32 differences at eps=1e-7 are noise")

    def call(self, fn: Callable[..., Tensor]) -> Callable[[], Tensor]:
        args = self.args
        return (lambda: fn(**args)) if isinstance(args, dict) else (lambda: fn(*args))

    def labels(self, names: Sequence[str] | None) -> list[str]:
        if names is None:
            return [key if isinstance(key, str) else leaf.name or f"input {key}"
                    for key, leaf in zip(self.keys, self.leaves)]
        names = list(names)
        if len(names) != len(self.leaves):
            raise ValueError(f"{self.who}: {len(names)} names for {len(self.leaves)} checked inputs")
        return names


def _fn_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__
