"""Optimizer: the loop over parameter groups that every update rule shares, with checkpointable state.

A subclass states its defaults and writes one method, `update(w, g, state, group, tmp)`: the
numpy update of one parameter array `w` (written in place) from its gradient `g`, with `state`
its per-parameter dict (arrays preallocated on the first step) and `tmp` a scratch array of w's
shape that the optimizer reuses for every parameter, so a step allocates no new arrays.

A step is all or nothing: every gradient is checked (shape, and NaN or Inf) before any parameter
or state is written. A non-finite gradient raises `NonFiniteGradError` naming the parameter and its
step; with `skip_nonfinite=True` the step is skipped instead and counted in `skipped_steps`, which is
what a mixed-precision loss scaler does when a scaled gradient overflows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygrad_notes import ShapeError, Tensor, enable_grad, no_grad, replay_as_call

ParamsLike = Iterable[Tensor] | Iterable[tuple[str, Tensor]] | Iterable[dict[str, Any]]


class NonFiniteGradError(FloatingPointError):
    """A gradient holds NaN or Inf: the step was refused and nothing was written."""


class Optimizer:
    """Base of every optimizer: param groups with per-group options, per-parameter state, step and zero_grad.

    `params` is an iterable of Tensors (a list, or `model.parameters()`), of (name, Tensor) pairs
    (`model.named_parameters()`: errors then use the dotted names), or a list of param groups: dicts
    with a "params" entry and any options that differ from the optimizer's defaults, e.g.
    `[{"params": body}, {"params": head, "lr": 1e-2}]`.

    `skip_nonfinite=False` (the default) makes a step whose gradients hold NaN or Inf raise
    `NonFiniteGradError`; True skips such a step and counts it in `skipped_steps`. Either way nothing
    is written to any parameter or state.
    """

    state_arrays: tuple[str, ...] = ()  # names of the per-parameter arrays a subclass keeps (shape of the param)

    def __init__(self, params: ParamsLike, defaults: dict[str, Any], skip_nonfinite: bool = False) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._scratch: dict[tuple[np.dtype, int], np.ndarray] = {}
        self._names: dict[int, str] = {}  # id(param) -> the dotted name it was given with, if any
        if not isinstance(skip_nonfinite, bool):
            raise TypeError(f"{self._name}: skip_nonfinite must be True or False, got {skip_nonfinite!r}")
        self.skip_nonfinite = skip_nonfinite
        self.skipped_steps = 0  # steps skipped for a non-finite gradient (with skip_nonfinite=True)
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors (e.g. [W, b] or "
                            "model.parameters()), not a single Tensor; wrap it in a list")
        if hasattr(params, "parameters"):
            raise TypeError(f"{self._name}: got a {type(params).__name__}; pass model.parameters() "
                            "(or a list of param groups), not the model itself")
        items = list(params)
        if not items:
            raise ValueError(f"{self._name}: got an empty parameter list; nothing to optimize")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- groups ---------------------------------------------------------------------------
    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{self._name}: a param group must be a dict with a 'params' entry, got {group!r:.80}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):  # (name, param): named_parameters()
                self._names[id(p[1])] = p[0]
                params[i] = p[1]
        g_index = len(self.param_groups)
        seen = {id(p) for other in self.param_groups for p in other["params"]}
        for i, p in enumerate(params):
            where = f"parameter {i} of param group {g_index}"
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: {where} is a {type(p).__name__}, not a Tensor")
            if p.dtype.kind != "f":
                raise TypeError(f"{self._name}: {where} has dtype {p.dtype}; only float tensors can be optimized")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: {where} (shape {p.shape}) is not a leaf tensor (it was made by "
                                 "an op); optimize the leaves you created with requires_grad=True")
            if id(p) in seen:
                raise ValueError(f"{self._name}: {where} (shape {p.shape}) appears twice (or in two param "
                                 "groups); each parameter may be given once")
            seen.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{self._name}: unknown option(s) {sorted(unknown)} in param group {g_index}; "
                            f"the options are {sorted(self.defaults)}")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}, "params": params}
        self.check_options(full, f"param group {g_index}")
        self.param_groups.append(full)

    def check_options(self, group: dict[str, Any], where: str) -> None:
        """Raise a clear error for an option that is not a number or out of its range (subclasses extend it).

        lr is required; eps and weight_decay, where an optimizer has them, must be >= 0 too.
        """
        for name in ("lr", "eps", "weight_decay"):
            if name == "lr" or name in group:
                self.check_number(group.get(name), name, where, ">= 0", lambda v: v >= 0)

    def check_number(self, value: Any, name: str, where: str, rule: str, ok: Callable[[float], bool]) -> None:
        """Refuse an option that is not a real number, or breaks `rule` (e.g. "in [0, 1)", tested by `ok`)."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{self._name}: {name} must be a number {rule} in {where}, got {value!r} "
                            f"({type(value).__name__})")
        if not (math.isfinite(value) and ok(value)):
            raise ValueError(f"{self._name}: {name} must be a number {rule} in {where}, got {value!r}")

    # ---- the step -------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None (the default, cheapest) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:  # a create_graph gradient: cut it from its graph first
                        p.grad = p.grad.detach()
                    p.grad.inplace_data().fill(0)

    @replay_as_call  # a compiled step calls it whole on every replay: the learning rate and step count move
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; returns closure() when one is given.

        All or nothing: every gradient is checked first, so a wrong shape or a NaN/Inf leaves every
        parameter and state as it was (a non-finite gradient raises, or skips the step with
        skip_nonfinite=True).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = []
        nonfinite = []
        for g_index, group in enumerate(self.param_groups):
            for p_index, p in enumerate(group["params"]):
                grad = p.grad
                if grad is None:
                    continue  # unused in this loss (or frozen): nothing to do
                g = grad.data
                if g.shape != p.shape:
                    self._shape_error(g_index, p_index, p, g)
                if not _finite(g):
                    nonfinite.append((g_index, p_index, p, g))
                work.append((group, p, g))
        if nonfinite:
            if self.skip_nonfinite:
                self.skipped_steps += 1
                return loss
            raise self._nonfinite_error(nonfinite)
        with no_grad():
            for group, p, g in work:
                w = p.inplace_data()  # stamps the write: a stale graph holding p refuses backward
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self.init_state(w, group)
                state["step"] += 1
                self.update(w, g, state, group, self.scratch(w, 0))
        return loss

    def init_state(self, w: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The per-parameter state before the first step: a step count and zero arrays (V₀ = 0, S₀ = 0)."""
        state: dict[str, Any] = {"step": 0}
        for name in self.state_arrays:
            state[name] = np.zeros_like(w)
        return state

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any],
               tmp: np.ndarray) -> None:
        """Write the new value of one parameter into `w` (in place); subclasses define it."""
        raise NotImplementedError(f"{self._name} must define update(w, g, state, group, tmp)")

    def scratch(self, w: np.ndarray, slot: int) -> np.ndarray:
        """A scratch array shaped like `w`: a view of a buffer kept across steps, so a step allocates no array."""
        key = (w.dtype, slot)
        buf = self._scratch.get(key)
        if buf is None or buf.size < w.size:
            buf = self._scratch[key] = np.empty(max(w.size, 1), dtype=w.dtype)
        return buf[: w.size].reshape(w.shape)

    def param_label(self, g_index: int, p_index: int, p: Tensor) -> str:
        """How errors name a parameter: its dotted name (given with named_parameters()) or label, and position."""
        name = self._names.get(id(p)) or p.name
        where = f"parameter {p_index} in param group {g_index}"
        return f"{name!r} ({where})" if name else where

    def _nonfinite_error(self, bad: list[tuple[int, int, Tensor, np.ndarray]]) -> NonFiniteGradError:
        lines = []
        for g_index, p_index, p, g in bad:
            state = self.state.get(p)
            step = (state["step"] if state is not None else 0) + 1
            counts = ", ".join(f"{n} {what}" for what, n in (("NaN", int(np.isnan(g).sum())),
                                                            ("Inf", int(np.isinf(g).sum()))) if n)
            lines.append(f"  {self.param_label(g_index, p_index, p)}: {counts} of {g.size} gradient values, "
                         f"at its step {step}")
        return NonFiniteGradError(
            f"{self._name}.step: {len(bad)} gradient(s) hold NaN or Inf; nothing was updated:\n" + "\n".join(lines)
            + "\nFind the op that made them with `with tinygrad_notes.detect_anomaly():` around forward and "
            "backward; a lower learning rate or gradient clipping may help. To skip such steps instead (as a "
            f"mixed-precision loss scaler does), pass skip_nonfinite=True to {self._name}: they are counted in "
            "skipped_steps.")

    def _shape_error(self, g_index: int, p_index: int, p: Tensor, g: np.ndarray) -> None:
        raise ShapeError(
            f"{self._name}.step: the gradient of {self.param_label(g_index, p_index, p)} has shape "
            f"{g.shape}, but the parameter has shape {p.shape}; a gradient must have its parameter's shape "
            "(was .grad assigned by hand, or the parameter replaced after backward?)"
        )

    # ---- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot: {"state": {"<param index>": {...}}, "param_groups": [{options, "params": [indices]}]}.

        Leaves are numpy arrays (copies) and Python numbers, strings and lists, so `nn.save` stores it
        without pickle. Parameters are numbered in group order, as `load_state_dict` expects them.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s is not None:
                    state[str(index[id(p)])] = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by `state_dict` (possibly via nn.save/nn.load) to resume exactly."""
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', got {keys}")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the checkpoint has {len(saved_groups)} param group(s), this optimizer "
                             f"{len(self.param_groups)}; build the optimizer with the same groups")
        params: list[Tensor] = []
        new_options = []
        for g_index, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            n_saved = len(np.atleast_1d(np.asarray(saved["params"])))
            if n_saved != len(group["params"]):
                raise ValueError(f"{name}: param group {g_index} has {n_saved} parameter(s) in the checkpoint "
                                 f"and {len(group['params'])} here; the parameter lists must match")
            params.extend(group["params"])
            unknown = set(saved) - set(self.defaults) - {"params"}
            if unknown:
                raise ValueError(f"{name}: param group {g_index} of the checkpoint has option(s) {sorted(unknown)} "
                                 f"that {self._name} does not know; was it saved by another optimizer?")
            new_options.append({k: _like(v, self.defaults[k]) for k, v in saved.items() if k != "params"})
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entry in dict(state_dict["state"]).items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"{name}: the checkpoint has state for parameter {i}, but there are only "
                                 f"{len(params)} parameters")
            new_state[params[i]] = self._restore_entry(name, i, params[i], dict(entry))
        for g_index, (group, options) in enumerate(zip(self.param_groups, new_options)):
            self.check_options({**group, **options}, f"param group {g_index} of the checkpoint")
        for group, options in zip(self.param_groups, new_options):
            group.update(options)
        self.state = new_state

    def _restore_entry(self, name: str, i: int, p: Tensor, entry: dict[str, Any]) -> dict[str, Any]:
        unknown = set(entry) - set(self.state_arrays) - {"step"}
        if unknown:
            raise ValueError(f"{name}: the state of parameter {i} has entries {sorted(unknown)} that {self._name} "
                             f"does not keep (it keeps {['step', *self.state_arrays]})")
        restored: dict[str, Any] = {"step": int(entry.get("step", 0))}
        for key in self.state_arrays:
            if key not in entry:
                continue
            arr = np.asarray(entry[key])
            if arr.shape != p.shape:
                raise ShapeError(f"{name}: state {key!r} of parameter {i} has shape {arr.shape}, but the parameter "
                                 f"has shape {p.shape}; the checkpoint belongs to another model")
            restored[key] = np.array(arr, dtype=p.dtype, copy=True)
        return restored

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            shapes = ", ".join(str(p.shape) for p in group["params"])
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {options}; params {shapes}")
        return "\n".join(lines) + "\n)"


def _finite(g: np.ndarray) -> bool:
    """True when every entry of `g` is finite, checked in one pass that allocates nothing.

    g·g is finite exactly when every entry is finite, unless the squares overflow (|g| above 1e19 in
    float32): only then is each entry looked at. A BLAS dot is the fastest pass numpy has (about twice
    np.sum's speed on float32, measured on the 235k-parameter MLP of benchmarks/optim.py).
    """
    flat = g.ravel(order="K")
    return math.isfinite(np.dot(flat, flat)) or bool(np.isfinite(g).all())


def _plain(value: Any) -> Any:
    """An option as a value nn.save stores: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value


def _like(value: Any, default: Any) -> Any:
    """A loaded option back in the Python type of its default (.npz turns numbers into 0-d arrays)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()  # a 0-d array becomes a number, a 1-d one a list
    if isinstance(default, tuple):
        return tuple(float(v) for v in value)
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, float):
        return float(value)
    return value
