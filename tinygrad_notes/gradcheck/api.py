"""The gradient checker: two-sided finite differences against backward, for every (output, input) component.

Straight from the notes: move one component of θ by ±ε, take
(J(θ+ε e_i) - J(θ-ε e_i)) / 2ε, and compare with backward's gradient by the
relative error ||num - ana|| / (||num|| + ||ana||), in float64 with ε = 1e-7,
read with the notes' words: ≤ 1e-7 great, ≤ 1e-5 fine but look at the
components, ≥ 1e-3 likely a bug, in between check the components.

That global figure dilutes a bug in one component among thousands, so the
decision is per component: every (output, input) pair of the Jacobian (rows from
one backward per output, columns from the differences per input component) is
held to

    |num - ana| <= atol + rtol |num| + noise

where noise is what the values' rounding allows in a difference (noise.py): a
floor from their size, and where that is exceeded, the function's own noise,
measured. None of these grows with the number of components. Components whose
one-sided slopes jump are kinks (judge.py), reported with both slopes; components
that still fail are re-checked with Richardson's extrapolation before they are
called bugs. The ops of the graph are held to the promises differences cannot see
(contracts.py), a random function is refused with the notes' advice, and a
function computing in float32 inside gets a check its precision allows, said so.

An input passes when no component fails and its relative error is at most
`threshold` (or every difference is within atol + noise: the relative error of
two vectors that are zero up to rounding is itself noise).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_notes.autograd import grad
from tinygrad_notes.combine import concatenate
from tinygrad_notes.gradcheck.core import ATOL, BLOCKS, EPS, PROBES, RTOL, THRESHOLD, Settings, run_check
from tinygrad_notes.gradcheck.evaluate import output_of
from tinygrad_notes.gradcheck.judge import relative_error
from tinygrad_notes.gradcheck.precision import float64_copies, float64_inside
from tinygrad_notes.gradcheck.report import GradcheckError, GradcheckReport
from tinygrad_notes.leafswap import reading
from tinygrad_notes.mode import enable_grad, no_grad
from tinygrad_notes.random import frozen_randomness
from tinygrad_notes.tensor import Tensor

__all__ = ["gradcheck", "assert_gradcheck", "gradgradcheck", "numerical_grad", "relative_error",
           "GradcheckReport", "GradcheckError"]


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = EPS, atol: float = ATOL,
              rtol: float = RTOL, threshold: float = THRESHOLD, fast: bool = False, probes: int = PROBES,
              blocks: int = BLOCKS, seed: int = 0, fallback: bool = True, allow_kinks: bool = True,
              names: Sequence[str] | None = None, worst: int = 5, replay: bool = True,
              raise_on_failure: bool = False) -> GradcheckReport:
    """Check `fn`'s gradient with respect to every float input by two-sided differences; returns a report.

    `inputs`: one tensor or array, a sequence of them (called as fn(*inputs)), or a dict (fn(**inputs)).
    Float numpy arrays (and numpy float scalars) and Tensors that require grad are checked, as float64
    copies (the originals are never touched; float32 ones are promoted with a warning). Tensors that do
    not require grad, integer arrays, Python numbers and other values are passed as they are.

    eps, atol, rtol, threshold: the step and the tolerances (module docstring). `fast=True` compares
    `probes` random projections w.J.u per input, the outputs split in `blocks` blocks, instead of every
    component (`seed` fixes them; the report states what they can miss); with `fallback` an input whose
    probe fails is then checked component by component. `allow_kinks=False` counts kinks as failures.
    `names` labels the checked inputs (default: the dict keys, the tensors' `.name`, or "input i").
    `worst` is how many components a failing input lists. `replay=False` calls `fn` for every evaluation
    instead of replaying its recorded graph (a replay is trusted only after it matched real calls, see
    evaluate.py). `raise_on_failure=True` raises `GradcheckError` with the report's table.
    """
    prepared = _Prepared(inputs, "gradcheck")
    settings = Settings(eps=eps, atol=atol, rtol=rtol, threshold=threshold, fast=fast, probes=probes, blocks=blocks,
                        seed=seed, fallback=fallback, allow_kinks=allow_kinks, worst=worst, replay=replay)
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
    with float64_inside(), frozen_randomness():
        shape = output_of(call(), "gradgradcheck").shape
    if grad_outputs is None:
        rng = np.random.default_rng(options.get("seed", 0))
        v = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    else:
        v = np.array(grad_outputs.numpy() if isinstance(grad_outputs, Tensor) else grad_outputs, dtype=np.float64)
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
        return np.array(output_of(call(), "numerical_grad").numpy(), dtype=np.float64)

    results = []
    with float64_inside(), frozen_randomness() as frozen, no_grad():
        out_shape = value().shape
        for leaf in prepared.leaves:
            work = np.array(leaf.numpy())
            x = work.reshape(-1)  # a view: moving x moves what the leaf reads
            jac = np.empty(out_shape + (x.size,))
            with reading(leaf, work):
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
    """The checked inputs as float64 leaf copies (precision.float64_copies), the other arguments as they are."""

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
        checked = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad
                   or isinstance(v, (np.ndarray, np.floating)) and v.dtype.kind == "f"]
        if not checked:
            raise ValueError(f"{self.who}: none of the inputs is differentiable; pass float numpy arrays or Tensors "
                             "created with requires_grad=True")
        arrays, self.notes = float64_copies(
            [(f"input {keys[i]!r}", values[i].numpy() if isinstance(values[i], Tensor) else values[i])
             for i in checked], who, stacklevel=4)
        args = list(values)
        self.keys, self.leaves = [], []
        for i, array in zip(checked, arrays):
            leaf = Tensor(array, requires_grad=True)
            leaf.name = values[i].name if isinstance(values[i], Tensor) else None
            args[i] = leaf
            self.keys.append(keys[i])
            self.leaves.append(leaf)
        self.args: Any = dict(zip(keys, args)) if isinstance(inputs, Mapping) else args

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
