"""The gradient checker: two-sided finite differences against backward, per input and per component.

Straight from the notes: move one component of θ by ±ε, take
(J(θ+ε e_i) - J(θ-ε e_i)) / 2ε, and compare with backward's gradient by the
relative error ||num - ana|| / (||num|| + ||ana||), in float64 with ε = 1e-7.
Read it as the notes do: about 1e-7 great, about 1e-5 look at the components,
1e-3 or more a bug.

That global figure dilutes a bug in one component among thousands, so every
component is also held to

    |num_i - ana_i| <= atol + rtol * |num_i| + noise_i

where noise_i = NOISE_FACTOR * (float64 epsilon) * S_i / ε is the rounding error
of the difference itself (S_i: the magnitude of the function values it was
taken from). None of these grows with the number of components. A component
that fails is looked at once more: if its one-sided differences disagree (a kink
within ε, such as ReLU at 0 or a tie in a max) and the analytical value lies
between them, it is reported as a "kink", not a bug.

An input passes when no component fails and its relative error is at most
`threshold` (or every difference is within atol + noise: the relative error of
two vectors that are zero up to rounding is itself noise).

For a function with a vector output, each output component is checked (a full
Jacobian) up to `max_outputs` components; larger outputs are projected on a
fixed random vector w with entries ±[0.5, 1.5] (so no output gets a weight near
0) and w·output is checked.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.autograd import grad
from tinygrad_notes.gradcheck_replay import GraphReplay
from tinygrad_notes.gradcheck_report import Component, Entry, GradcheckError, GradcheckReport, Probe
from tinygrad_notes.random import frozen_randomness
from tinygrad_notes.tensor import Tensor, get_default_dtype, set_default_dtype

__all__ = ["gradcheck", "assert_gradcheck", "gradgradcheck", "numerical_grad", "relative_error",
           "GradcheckReport", "GradcheckError"]

EPS = 1e-7  # the notes' ε
ATOL = 1e-8
RTOL = 1e-5
THRESHOLD = 1e-5  # pass/fail bound on an input's relative error (the notes: about 1e-5, look closer)
NOISE_FACTOR = 16.0  # rounding noise allowance, in units of float64 epsilon * |f| / ε
MAX_OUTPUTS = 32  # outputs up to this size get a full Jacobian check; larger ones a random projection
PROBES = 4  # random directions per input in fast mode
RECHECK = 32  # components flagged on a replayed graph that are re-evaluated by calling the function

_U = float(np.finfo(np.float64).eps)


def relative_error(numerical: Any, analytical: Any) -> float:
    """The notes' ||num - ana||_2 / (||num||_2 + ||ana||_2) over all components (0 when both are 0)."""
    num = _flat(numerical)
    ana = _flat(analytical)
    if num.shape != ana.shape:
        raise ValueError(f"relative_error: {num.size} numerical components against {ana.size} analytical ones")
    denominator = np.linalg.norm(num) + np.linalg.norm(ana)
    return 0.0 if denominator == 0 else float(np.linalg.norm(num - ana) / denominator)


def _flat(values: Any) -> np.ndarray:
    if isinstance(values, (list, tuple)) and values and not np.isscalar(values[0]):
        return np.concatenate([np.ravel(np.asarray(_array(v), dtype=np.float64)) for v in values])
    return np.ravel(np.asarray(_array(values), dtype=np.float64))


def _array(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def numerical_grad(fn: Callable[..., Tensor], inputs: Any, eps: float = EPS) -> list[np.ndarray]:
    """Two-sided differences (f(x+ε e_i) - f(x-ε e_i)) / 2ε of `fn` w.r.t. each float input, in float64.

    For a one-element output each result has its input's shape; otherwise it is
    the Jacobian, shaped output.shape + input.shape. The function is simply
    called twice per component (no replay), with randomness frozen.
    """
    args, checked, _ = _prepare(inputs, "numerical_grad")
    call = _caller(fn, args)
    with _float64_default(), frozen_randomness() as frozen, mode._GradMode(False):
        frozen.restart()
        out_shape = _output_of(call(), "numerical_grad").shape
        results = []
        for k in checked:
            x = args[k]._data
            jac = np.empty(out_shape + x.shape)
            flat_x = x.reshape(-1)
            flat_j = jac.reshape(out_shape + (-1,))
            for i in range(x.size):
                v = flat_x[i]
                flat_x[i] = v + eps
                frozen.restart()
                plus = np.array(_output_of(call(), "numerical_grad")._data, dtype=np.float64)
                flat_x[i] = v - eps
                frozen.restart()
                minus = np.array(_output_of(call(), "numerical_grad")._data, dtype=np.float64)
                flat_x[i] = v
                flat_j[..., i] = (plus - minus) / ((v + eps) - (v - eps))
            results.append(jac.reshape(x.shape) if int(np.prod(out_shape)) == 1 else jac)
    return results


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = EPS, atol: float = ATOL,
              rtol: float = RTOL, threshold: float = THRESHOLD, fast: bool = False, probes: int = PROBES,
              seed: int = 0, fallback: bool = True, allow_kinks: bool = True, max_outputs: int = MAX_OUTPUTS,
              names: Sequence[str] | None = None, worst: int = 5, replay: bool = True,
              raise_on_failure: bool = False) -> GradcheckReport:
    """Check `fn`'s gradient w.r.t. every float input by two-sided differences; returns a report.

    `inputs`: one tensor/array, a sequence of them (fn(*inputs)), or a dict (fn(**inputs)). Float
    numpy arrays and Tensors that require grad are checked (as float64 copies: the originals are
    never touched); Tensors that do not require grad, integer arrays and other values are passed
    unchanged. `fast=True` compares `probes` random projections v.J.u per input instead of every
    component, and with `fallback` checks every component of an input whose probe failed. `replay`
    lets the full check re-run the recorded graph instead of calling `fn` (validated against real
    calls first). See the module docstring for the tolerances.
    """
    args, checked, arg_names = _prepare(inputs, "gradcheck")
    call = _caller(fn, args)
    labels = _labels(names, checked, arg_names, args)
    leaves = [args[k] for k in checked]
    report = _check(call, leaves, labels, title=f"gradcheck of {_fn_name(fn)}", order=1, eps=eps, atol=atol,
                    rtol=rtol, threshold=threshold, fast=fast, probes=probes, seed=seed, fallback=fallback,
                    allow_kinks=allow_kinks, max_outputs=max_outputs, worst=worst, replay=replay)
    report.notes[:0] = _promotion_notes(inputs)
    if raise_on_failure:
        report.raise_if_failed()
    return report


def assert_gradcheck(fn: Callable[..., Tensor], inputs: Any, **options: Any) -> GradcheckReport:
    """`gradcheck` that raises `GradcheckError` (an AssertionError carrying the report's table) on failure."""
    return gradcheck(fn, inputs, **options).raise_if_failed()


def gradgradcheck(fn: Callable[..., Tensor], inputs: Any, grad_outputs: Any = None, *, seed: int = 0,
                  raise_on_failure: bool = False, **options: Any) -> GradcheckReport:
    """Check second derivatives: gradcheck of (inputs, v) -> v . d fn/d inputs, built with create_graph=True.

    The vector v (`grad_outputs`, random by default) is checked as an input too, so the
    rules that backward uses for the incoming gradient are differentiated as well.
    """
    args, checked, arg_names = _prepare(inputs, "gradgradcheck")
    call = _caller(fn, args)
    labels = _labels(options.pop("names", None), checked, arg_names, args)
    with _float64_default(), frozen_randomness():
        out = _output_of(call(), "gradgradcheck")
    if grad_outputs is None:
        v = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape) * np.random.default_rng(seed + 1).choice(
            [-1.0, 1.0], out.shape)
    else:
        v = np.array(_array(grad_outputs), dtype=np.float64)
        if v.shape != out.shape:
            raise ValueError(f"gradgradcheck: grad_outputs has shape {v.shape} but the output has shape {out.shape}")
    v_leaf = Tensor(v, requires_grad=True)
    leaves = [args[k] for k in checked]

    def first_derivatives() -> Tensor:
        with mode._GradMode(True):
            y = call()
            if not y.requires_grad:
                grads: tuple = (None,) * len(leaves)
            else:
                grads = grad(y, leaves, grad_outputs=v_leaf, create_graph=True, allow_unused=True)
            parts = [g.reshape(-1) if g is not None else Tensor(np.zeros(t.size)) for g, t in zip(grads, leaves)]
            from tinygrad_notes.combine import concatenate

            return concatenate(parts) if len(parts) > 1 else parts[0]

    report = _check(first_derivatives, [*leaves, v_leaf], [*labels, "grad_output"],
                    title=f"gradgradcheck of {_fn_name(fn)}", order=2, seed=seed, **options)
    report.notes[:0] = _promotion_notes(inputs)
    if raise_on_failure:
        report.raise_if_failed()
    return report


# ---- preparing the inputs -------------------------------------------------------------------------
def _prepare(inputs: Any, who: str) -> tuple[list[Any] | dict[str, Any], list[Any], list[str | None]]:
    """float64 leaf copies of the checked inputs; returns (args, keys of checked args, their names)."""
    if isinstance(inputs, Mapping):
        keys: list[Any] = list(inputs)
        values = [inputs[k] for k in keys]
    else:
        values = [inputs] if isinstance(inputs, (Tensor, np.ndarray)) else list(inputs)
        keys = list(range(len(values)))
    prepared: list[Any] = []
    checked: list[Any] = []
    promoted = []
    for key, v in zip(keys, values):
        arr = v._data if isinstance(v, Tensor) else v
        wants = isinstance(v, Tensor) and v.requires_grad or isinstance(v, np.ndarray) and v.dtype.kind == "f"
        if wants:
            if arr.dtype != np.float64:
                promoted.append((key, arr.dtype))
            leaf = Tensor(np.array(arr, dtype=np.float64), requires_grad=True)
            if isinstance(v, Tensor) and v.name:
                leaf.name = v.name
            prepared.append(leaf)
            checked.append(key)
        else:
            prepared.append(v)
    if not checked:
        raise ValueError(f"{who}: none of the inputs is differentiable; pass float numpy arrays or Tensors "
                         "created with requires_grad=True")
    if promoted:
        which = ", ".join(f"input {k!r} ({dt})" for k, dt in promoted)
        warnings.warn(f"{who}: {which} promoted to float64 for the check: with eps=1e-7 the differences of "
                      "float32 values are rounding noise (float32 resolves about 1e-7 relative), so the check "
                      "runs on float64 copies", stacklevel=3)
    args: Any = dict(zip(keys, prepared)) if isinstance(inputs, Mapping) else prepared
    names = [key if isinstance(key, str) else None for key in checked]
    return args, checked, names


def _promotion_notes(inputs: Any) -> list[str]:
    values = inputs.values() if isinstance(inputs, Mapping) else (
        [inputs] if isinstance(inputs, (Tensor, np.ndarray)) else inputs)
    low = {str(_array(v).dtype) for v in values if isinstance(v, (Tensor, np.ndarray))
           and _array(v).dtype.kind == "f" and _array(v).dtype != np.float64}
    if not low:
        return []
    return [f"{'/'.join(sorted(low))} inputs were promoted to float64: float32 differences at eps=1e-7 are noise"]


def _caller(fn: Callable[..., Tensor], args: Any) -> Callable[[], Tensor]:
    if isinstance(args, dict):
        return lambda: fn(**args)
    return lambda: fn(*args)


def _labels(names: Sequence[str] | None, checked: list[Any], arg_names: list[str | None], args: Any) -> list[str]:
    if names is not None:
        names = list(names)
        if len(names) != len(checked):
            raise ValueError(f"gradcheck: {len(names)} names for {len(checked)} checked inputs")
        return names
    out = []
    for key, name in zip(checked, arg_names):
        leaf = args[key]
        out.append(name or leaf.name or f"input {key}")
    return out


def _fn_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _output_of(out: Any, who: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: the function must return a Tensor, it returned {type(out).__name__}")
    return out


class _float64_default:
    """Python numbers and lists made into Tensors inside the checked function become float64."""

    def __enter__(self) -> None:
        self.prev = get_default_dtype()
        set_default_dtype(np.float64)

    def __exit__(self, *exc: object) -> None:
        set_default_dtype(self.prev)


# ---- the check ---------------------------------------------------------------------------------------
class _Evaluator:
    """Evaluates the function with one leaf moved: by calling it, or by replaying its graph once trusted."""

    def __init__(self, call: Callable[[], Tensor], leaves: list[Tensor], frozen: Any) -> None:
        self.call_fn = call
        self.leaves = leaves
        self.frozen = frozen
        self.replay: GraphReplay | None = None
        self.trusted: list[bool] = [False] * len(leaves)
        self.calls = 0
        self.replays = 0

    def call(self) -> np.ndarray:
        """A real call of the function at the leaves' current values."""
        self.calls += 1
        self.frozen.restart()
        with mode._GradMode(False):
            out = _output_of(self.call_fn(), "gradcheck")
        return out._data

    def outputs(self, k: int, work: np.ndarray, points: np.ndarray, replayed: bool) -> np.ndarray:
        """f at each of `points` (copies of leaf k, shape (P, *leaf.shape)): shape (P, output.size).

        By one batched replay of the graph when `replayed`, else by calling the function once per
        point with leaf k reading `work` (the caller holds `self.moving(k, work)`).
        """
        if replayed:
            self.replays += len(points)
            return self.replay.evaluate(k, points).reshape(len(points), -1)  # type: ignore[union-attr]
        rows = []
        for point in points:
            work[...] = point
            rows.append(np.array(self.call(), dtype=np.float64).reshape(-1))
        return np.stack(rows)

    def moving(self, k: int, work: np.ndarray) -> _Moving:
        return _Moving(self.leaves[k], work)


class _Moving:
    """While inside, leaf k reads the array `work` (which the check perturbs in place)."""

    def __init__(self, leaf: Tensor, work: np.ndarray) -> None:
        self.leaf, self.work = leaf, work

    def __enter__(self) -> None:
        self.orig = self.leaf._data
        self.leaf.data = self.work

    def __exit__(self, *exc: object) -> None:
        self.leaf.data = self.orig


def _check(call: Callable[[], Tensor], leaves: list[Tensor], labels: list[str], *, title: str, order: int,
           eps: float = EPS, atol: float = ATOL, rtol: float = RTOL, threshold: float = THRESHOLD,
           fast: bool = False, probes: int = PROBES, seed: int = 0, fallback: bool = True,
           allow_kinks: bool = True, max_outputs: int = MAX_OUTPUTS, worst: int = 5, replay: bool = True,
           offsets: Sequence[int] | None = None) -> GradcheckReport:
    """The check of `call()` (which reads `leaves`) w.r.t. each leaf; the engine of every public checker."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    settings = _Settings(eps, atol, rtol, threshold, allow_kinks, worst)
    notes: list[str] = []
    with _float64_default(), frozen_randomness() as frozen:
        ev = _Evaluator(call, leaves, frozen)
        with mode._GradMode(True):
            out = _output_of(call(), title)
        if out.dtype != np.float64:
            warnings.warn(f"{title}: the function returned {out.dtype}, so part of it runs in lower precision "
                          "and the finite differences are mostly rounding noise; keep the computation in float64",
                          stacklevel=3)
            notes.append(f"the function returned {out.dtype}: part of it ran below float64 precision")
        y0 = np.array(out._data, dtype=np.float64)
        weights, output_rows = _output_weights(y0, fast, max_outputs, rng)
        ana = _analytical(out, leaves, weights, notes)
        if replay and not fast and out.requires_grad:
            try:
                ev.replay = GraphReplay(out, leaves)
                if not _close(ev.replay.output(), y0, _scale(y0)):
                    ev.replay = None
                    notes.append("replaying the recorded graph did not reproduce the output: the function was "
                                 "called for every evaluation")
            except Exception as err:  # noqa: BLE001 - any failure just means: call the function instead
                ev.replay = None
                notes.append(f"the recorded graph could not be replayed ({type(err).__name__}: {err}); "
                             "the function was called for every evaluation")
        del out
        if frozen.draws:
            notes.append(f"randomness frozen: the {len(frozen.draws)} random draw(s) of the first evaluation "
                         "(dropout masks, ...) were replayed in every evaluation, so J is a fixed function of θ")
        entries = []
        noise = 0.0
        for k, leaf in enumerate(leaves):
            base = np.array(leaf._data, dtype=np.float64)
            if fast:
                entry, n = _fast_block(ev, k, base, ana[k], weights, settings, probes, rng)
                if not entry.passed and fallback:
                    full, n = _full_block(ev, k, base, ana[k], weights, output_rows, settings, rng)
                    full.probes, full.mode = entry.probes, "fast, then full"
                    entry = full
            else:
                if ev.replay is not None:
                    ev.trusted[k] = _validate_replay(ev, k, base, eps, rng)
                entry, n = _full_block(ev, k, base, ana[k], weights, output_rows, settings, rng)
            entry.name, entry.shape = labels[k], base.shape
            entry.offset = offsets[k] if offsets is not None else sum(e.size for e in entries)
            entries.append(entry)
            noise = max(noise, n)
    if ev.replay is not None:
        used = sum(ev.trusted)
        if used:
            notes.append(f"{ev.replays} evaluations replayed the recorded graph ({ev.replay.n_nodes} ops, only those "
                         "downstream of the moved input), after checking it against real calls for "
                         f"{used} of {len(leaves)} inputs")
        if used < len(leaves):
            notes.append(f"the function was called directly for {len(leaves) - used} input(s) whose replay did not "
                         "match a real call (values computed outside the graph from the inputs)")
    if fast:
        notes.append(f"fast check: {probes} random projections v.J.u per input (seed {seed}) instead of every "
                     "component" + ("; inputs with a failed probe were then checked component by component"
                                    if fallback else "; run the full check (fast=False) to find the components"))
    rel = _global_relative_error(entries)
    passed = all(e.passed for e in entries)
    report = GradcheckReport(entries=entries, rel_error=rel, passed=passed, order=order,
                             mode="fast" if fast else "full", eps=eps, atol=atol, rtol=rtol, threshold=threshold,
                             noise=noise, evaluations=ev.calls + ev.replays, calls=ev.calls, title=title,
                             notes=notes)
    report.seconds = time.perf_counter() - start
    return report


class _Settings:
    def __init__(self, eps: float, atol: float, rtol: float, threshold: float, allow_kinks: bool,
                 worst: int) -> None:
        self.eps, self.atol, self.rtol, self.threshold = eps, atol, rtol, threshold
        self.allow_kinks, self.worst = allow_kinks, worst


def _output_weights(y0: np.ndarray, fast: bool, max_outputs: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Rows w_j: the scalar functions w_j . output that are checked. Identity (a full Jacobian) or one random row."""
    m = y0.size
    if m == 1:
        return np.ones((1, 1)), False
    if not fast and m <= max_outputs:
        return np.eye(m), True
    w = rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m)
    return w.reshape(1, m), False


def _analytical(out: Tensor, leaves: list[Tensor], weights: np.ndarray, notes: list[str]) -> list[np.ndarray]:
    """Backward's gradient of each row w_j . output, per leaf: arrays of shape (rows, leaf.size)."""
    ana = [np.zeros((len(weights), leaf.size)) for leaf in leaves]
    if not out.requires_grad:
        notes.append("the output does not depend on any checked input through the graph: analytical gradient 0")
        return ana
    for j, w in enumerate(weights):
        grads = grad(out, leaves, grad_outputs=w.reshape(out.shape), retain_graph=True, allow_unused=True)
        for k, g in enumerate(grads):
            if g is not None:
                ana[k][j] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return ana


def _scale(y: np.ndarray) -> float:
    return float(np.max(np.abs(y))) if y.size else 0.0


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> bool:
    """Equal up to rounding: the replay computes the same ops on the same arrays."""
    a = np.asarray(a, dtype=np.float64)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= NOISE_FACTOR * _U * (scale + np.abs(b)) + 1e-300))


def _validate_replay(ev: _Evaluator, k: int, base: np.ndarray, eps: float, rng: np.random.Generator) -> bool:
    """Trust the replay for leaf k only if it matches real calls at θ ± ε u for two random sign vectors u."""
    u = rng.choice([-1.0, 1.0], (2,) + base.shape)
    points = np.concatenate([base + eps * u, base - eps * u])
    work = base.copy()
    with ev.moving(k, work):
        real = ev.outputs(k, work, points, replayed=False)
    replayed = ev.outputs(k, work, points, replayed=True)
    return _close(replayed, real, _scale(real))


BATCH_FLOATS = 1 << 18  # a replay moves this many floats per op at most: batches stay in cache


def _differences(ev: _Evaluator, k: int, work: np.ndarray, base: np.ndarray, indices: np.ndarray, eps: float,
                 weights: np.ndarray, replayed: bool) -> tuple[np.ndarray, ...]:
    """f(θ ± ε e_i) projected on the rows of `weights`: (f+, f-, their magnitudes |w|.|y|, exact steps)."""
    flat = base.reshape(-1)
    up, down = flat[indices] + eps, flat[indices] - eps
    n, r = len(indices), len(weights)
    abs_w = np.abs(weights)
    fp, fm, mag = np.empty((r, n)), np.empty((r, n)), np.empty((r, n))
    per_point = max(base.size, ev.replay.largest if replayed else 1)  # type: ignore[union-attr]
    chunk = max(1, BATCH_FLOATS // (2 * per_point)) if replayed else 1
    for start in range(0, n, chunk):
        idx = indices[start:start + chunk]
        c = len(idx)
        points = np.repeat(flat[None], 2 * c, axis=0)
        points[np.arange(c), idx] = up[start:start + c]
        points[c + np.arange(c), idx] = down[start:start + c]
        ys = ev.outputs(k, work, points.reshape((2 * c,) + base.shape), replayed)
        fp[:, start:start + c] = weights @ ys[:c].T
        fm[:, start:start + c] = weights @ ys[c:].T
        ay = np.abs(ys)
        mag[:, start:start + c] = np.maximum(abs_w @ ay[:c].T, abs_w @ ay[c:].T)
    work[...] = base
    return fp, fm, mag, up - down


def _full_block(ev: _Evaluator, k: int, base: np.ndarray, ana: np.ndarray, weights: np.ndarray,
                output_rows: bool, s: _Settings, rng: np.random.Generator) -> tuple[Entry, float]:
    """Every component of leaf k: two-sided differences, the per-component test, kinks, the entry."""
    indices = np.arange(base.size)
    work = base.copy()
    replayed = ev.replay is not None and ev.trusted[k]
    with ev.moving(k, work):
        fp, fm, mag, steps = _differences(ev, k, work, base, indices, s.eps, weights, replayed)
        f0 = weights @ (ev.replay.output() if replayed else ev.call()).reshape(-1)  # type: ignore[union-attr]
        num = (fp - fm) / steps
        status, tol = _judge(num, ana, fp, fm, f0, mag, steps, s)
        if replayed and np.any(status != 0):
            # Flagged on a replay: re-evaluate the worst flagged components by calling the function itself.
            flagged = np.flatnonzero(np.any(status != 0, axis=0))
            order = np.argsort(-np.max(np.abs(num - ana)[:, flagged] / tol[:, flagged], axis=0))
            again = flagged[order[:RECHECK]]
            rp, rm, rmag, _ = _differences(ev, k, work, base, again, s.eps, weights, replayed=False)
            f0_real = weights @ ev.call().reshape(-1)
            scale = float(np.max(rmag))
            if _close(rp, fp[:, again], scale) and _close(rm, fm[:, again], scale) and _close(f0_real, f0, scale):
                fp[:, again], fm[:, again] = rp, rm
            else:  # the replay is not the function here: evaluate every component for real
                ev.trusted[k] = False
                fp, fm, mag, steps = _differences(ev, k, work, base, indices, s.eps, weights, replayed=False)
                f0 = f0_real
            num = (fp - fm) / steps
            status, tol = _judge(num, ana, fp, fm, f0, mag, steps, s)
    return _entry(num, ana, status, tol, fp, fm, f0, steps, base.shape, output_rows, weights, s, mag)


def _noise(mag: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Rounding error of a two-sided difference taken from values of magnitude `mag` over a step `steps`.

    The output components of one function share their intermediates (and their rounding: log_softmax of
    logits near 25 makes outputs near 0 with errors of 25 ulps), so every row gets the largest magnitude.
    """
    return NOISE_FACTOR * _U * np.max(mag, axis=0, keepdims=True) / (steps / 2)


def _judge(num: np.ndarray, ana: np.ndarray, fp: np.ndarray, fm: np.ndarray, f0: np.ndarray, mag: np.ndarray,
           steps: np.ndarray, s: _Settings) -> tuple[np.ndarray, np.ndarray]:
    """Status per component (0 ok, 1 fail, 2 kink) and the tolerance each was held to."""
    noise = _noise(mag, steps)
    tol = s.atol + s.rtol * np.abs(num) + noise
    diff = np.abs(num - ana)
    status = (diff > tol).astype(np.int8)
    if status.any():
        f0c = f0.reshape(-1, 1)
        right = (fp - f0c) / (steps / 2)
        left = (f0c - fm) / (steps / 2)
        one_sided = 2 * (s.atol + s.rtol * np.maximum(np.abs(left), np.abs(right)) + 2 * noise)
        lo, hi = np.minimum(left, right) - tol, np.maximum(left, right) + tol
        kink = (status == 1) & (np.abs(right - left) > one_sided) & (ana >= lo) & (ana <= hi)
        status[kink] = 2
    return status, tol


def _entry(num: np.ndarray, ana: np.ndarray, status: np.ndarray, tol: np.ndarray, fp: np.ndarray, fm: np.ndarray,
           f0: np.ndarray, steps: np.ndarray, shape: tuple[int, ...], output_rows: bool, weights: np.ndarray,
           s: _Settings, mag: np.ndarray) -> tuple[Entry, float]:
    kinks = status == 2
    failed = (status == 1) | (kinks & (not s.allow_kinks))
    smooth = ~kinks if s.allow_kinks else np.ones_like(kinks)
    rel = relative_error(num[smooth], ana[smooth])
    diff = np.abs(num - ana)
    noise = np.broadcast_to(_noise(mag, steps), diff.shape)
    within_noise = bool(np.all(diff[smooth] <= s.atol + noise[smooth]))
    passed = not failed.any() and (rel <= s.threshold or within_noise)
    ratio = diff / tol
    flat_order = np.argsort(-ratio, axis=None)[: s.worst]
    names = {0: "ok", 1: "fail", 2: "kink"}
    worst = []
    for flat_index in flat_order:
        row, col = np.unravel_index(flat_index, ratio.shape)
        st = names[int(status[row, col])] if not (status[row, col] == 2 and not s.allow_kinks) else "kink (counted)"
        left = right = None
        if status[row, col] == 2:
            right = float((fp[row, col] - f0[row]) / (steps[col] / 2))
            left = float((f0[row] - fm[row, col]) / (steps[col] / 2))
        worst.append(Component(
            index=tuple(int(i) for i in np.unravel_index(col, shape)) if shape else (),
            analytical=float(ana[row, col]), numerical=float(num[row, col]), tolerance=float(tol[row, col]),
            status=st, output_index=(int(row),) if output_rows else None, left=left, right=right))
    entry = Entry(name="", shape=shape, passed=bool(passed), rel_error=rel, checked=int(num.size),
                  failed=int(failed.sum()), kinks=int(kinks.sum()), worst=worst,
                  max_abs_diff=float(diff.max()) if diff.size else 0.0, norms=_norms(num[smooth], ana[smooth]))
    return entry, float(noise.max()) if noise.size else 0.0


def _fast_block(ev: _Evaluator, k: int, base: np.ndarray, ana: np.ndarray, weights: np.ndarray, s: _Settings,
                probes: int, rng: np.random.Generator) -> tuple[Entry, float]:
    """`probes` random directions u (entries ±1) for leaf k: (f(θ+εu) - f(θ-εu)) / 2ε against g.u."""
    g = ana[0]
    work = base.copy()
    results, nums, anas = [], [], []
    noise_max = 0.0
    with ev.moving(k, work):
        for _ in range(probes):
            u = rng.choice([-1.0, 1.0], base.shape)
            work[...] = base + s.eps * u
            up = work.reshape(-1).copy()
            plus = ev.call().reshape(-1)
            work[...] = base - s.eps * u
            minus = ev.call().reshape(-1)
            work[...] = base
            num = float(weights[0] @ plus - weights[0] @ minus) / (2 * s.eps)
            a = float(g @ (up - (base.reshape(-1) - s.eps * u.reshape(-1)))) / (2 * s.eps)
            mag = max(float(np.abs(weights[0]) @ np.abs(plus)), float(np.abs(weights[0]) @ np.abs(minus)))
            noise = NOISE_FACTOR * _U * mag / s.eps
            noise_max = max(noise_max, noise)
            tol = s.atol + s.rtol * abs(num) + noise
            results.append(Probe(analytical=a, numerical=num, tolerance=tol, passed=abs(num - a) <= tol))
            nums.append(num)
            anas.append(a)
    rel = relative_error(nums, anas)
    passed = all(p.passed for p in results)
    entry = Entry(name="", shape=base.shape, passed=passed, rel_error=rel, mode="fast", checked=probes,
                  failed=sum(not p.passed for p in results), probes=results,
                  max_abs_diff=max(abs(p.difference) for p in results) if results else 0.0,
                  norms=_norms(np.array(nums), np.array(anas)))
    return entry, noise_max


def _norms(num: np.ndarray, ana: np.ndarray) -> tuple[float, float, float]:
    return float(np.linalg.norm(num)), float(np.linalg.norm(ana)), float(np.linalg.norm(num - ana))


def _global_relative_error(entries: list[Entry]) -> float:
    """The notes' figure over all of θ (every entry's components together), from the per-entry norms."""
    num = np.sqrt(sum(e.norms[0] ** 2 for e in entries))
    ana = np.sqrt(sum(e.norms[1] ** 2 for e in entries))
    diff = np.sqrt(sum(e.norms[2] ** 2 for e in entries))
    return 0.0 if num + ana == 0 else float(diff / (num + ana))
