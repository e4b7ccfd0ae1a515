"""`compile(fn)`: trace a step once, check the program against eager once, then replay it.

Per signature of the arguments (signature.py), a compiled function goes through:

1. trace: the first call runs `fn` for real with a tracer (tracer.py) and builds
   a program (build.py, emit.py);
2. verify: the next call runs the program and the eager step from the same state
   and compares everything they leave behind, bit for bit (verify.py); a program
   that differs is never used (`CompileError`);
3. replay: later calls run the program only. A parameter whose array was
   replaced (`p.data = ...`) sends the call back to 1.

`verify=True` does step 2 on every call. A trace that meets something it cannot
replay (a value read into Python, an op it refuses) warns and runs that signature
eagerly from then on; `strict=True` raises instead. At most `max_signatures`
programs are kept (least recently used dropped first): each holds buffers for
every value of the step.
"""

from __future__ import annotations

import functools
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from tinygrad_notes import mode
from tinygrad_notes.jit.build import Plan, live_steps
from tinygrad_notes.jit.emit import STALE, emit
from tinygrad_notes.jit.floats import NotFloats, float_program
from tinygrad_notes.jit.record import Lost
from tinygrad_notes.jit.signature import rebuild, signature, structure
from tinygrad_notes.jit.traced import Traced, plain
from tinygrad_notes.jit.tracer import CompileError, Tracer, clear_grad, read_grad, set_grad
from tinygrad_notes.jit.verify import Snapshot, value_differences
from tinygrad_notes.jit.where import describe
from tinygrad_notes.program import Ref, refs_in
from tinygrad_notes.tensor import Tensor, _make

F = TypeVar("F", bound=Callable[..., Any])
MAX_SIGNATURES = 8


class CompileWarning(UserWarning):
    """compile could not replay a function for some signature and runs it eagerly (the warning says why)."""


class Entry:
    """One signature's program and what verifying it needs."""

    def __init__(self, tracer: Tracer, templates: list[Any], shape: Any, keep: list[Any], seconds: float,
                 name: str, floats: bool = False) -> None:
        values = tracer.values
        steps = live_steps(tracer.steps, values, set(refs_in(templates)))
        # values that outlive the program: its outputs, and the gradients it leaves in .grad
        pinned = set(refs_in(templates)) | {s for step in steps if step.fn is set_grad for s in refs_in(step.args)}
        self.plan = Plan(steps, values, pinned)
        used = set(refs_in([(s.args, s.kwargs) for s in steps])) | {w for s in steps for w in s.writes}
        used |= {tracer.state_behind(s) for s in used if values[s].kind == "const"} - {None}
        state = [s for s in sorted(used) if values[s].kind == "state"]
        guards = [(values[s].owner, values[s].obj) for s in state if values[s].owner is not None]
        self.source, self.program, self.constants = emit(steps, values, self.plan, tracer.inputs, templates, guards,
                                                         name)
        self.numpy_program = self.program
        self.floats: str | None = None  # why a floats=True program is not used, or None
        if floats:
            try:
                self.source, self.program = float_program(steps, values, self.plan, tracer.inputs, templates, guards,
                                                          name)
            except NotFloats as why:
                self.floats = str(why)
        self.shape = shape
        self.keep = keep
        self.seconds = seconds
        self.n_steps = len(steps)
        self.state = "verify"
        self.inputs = tracer.inputs
        self.arrays = [(_label(values[s].owner, values[s].obj), values[s].obj) for s in state]
        self.written_inputs = sorted({w for s in steps for w in s.writes if values[w].kind == "input"})
        self.grad_leaves = []  # templates of the tensors whose .grad the program sets
        for step in steps:
            if step.fn in (set_grad, clear_grad, read_grad) and all(a is not step.args[0] for a in self.grad_leaves):
                self.grad_leaves.append(step.args[0])
        self.generators = list(tracer.generators)
        self.owners = list(tracer.owners)
        self.trace = [(s.name(), s.where) for s in steps]

    def snapshot(self, flat: list[Any]) -> Snapshot:
        """Copies of the state this program can change, for the call whose program inputs are `flat`."""
        by_slot = dict(zip(self.inputs, flat))
        arrays = list(self.arrays) + [("an input array", np.asarray(by_slot[s])) for s in self.written_inputs]
        leaves = []
        for template in self.grad_leaves:
            leaf = by_slot[template.slot] if type(template) is Ref else template
            leaves.append((_label(leaf, None), leaf))
        return Snapshot(arrays, leaves, self.generators, self.owners)


def _label(tensor: Any, arr: Any) -> str:
    if isinstance(tensor, Tensor) and tensor.name:
        return repr(tensor.name)
    shape = tensor.shape if isinstance(tensor, Tensor) else np.shape(arr)
    return f"the tensor of shape {shape}"


def _inputs(leaves: list[Any]) -> list[Any]:
    """What a program takes for a call: each tensor and its array, each array."""
    flat = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            flat += [leaf, leaf._data]
        else:
            flat.append(leaf)
    return flat


def _detached(value: Any) -> Tensor:
    return _make(value, False, None)


class CompiledFunction:
    """A function compiled by `compile`: call it like the function (see the module docstring)."""

    def __init__(self, fn: Callable[..., Any], verify: bool = False, strict: bool = False,
                 max_signatures: int = MAX_SIGNATURES, floats: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        if max_signatures < 1:
            raise ValueError(f"compile: max_signatures must be at least 1, got {max_signatures}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.verify = verify
        self.strict = strict
        self.max_signatures = max_signatures
        self.floats = floats
        self._cache: OrderedDict[tuple, Entry | str] = OrderedDict()
        self._lock = threading.RLock()  # one call at a time: a program's buffers are shared by its replays
        self.stats = {"traces": 0, "verifications": 0, "replays": 0, "eager": 0, "trace_seconds": 0.0}

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", None) or type(self.fn).__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        modes = mode.current.get()
        if modes.tracer is not None or modes.anomaly:  # inside another trace: part of it; anomaly mode: eager
            return self.fn(*args, **kwargs)
        leaves, key, keep = signature(args, kwargs, modes)
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return self._first_call(key, args, kwargs, leaves, keep)
            self._cache.move_to_end(key)
            if entry == "eager":
                self.stats["eager"] += 1
                return self.fn(*args, **kwargs)
            assert isinstance(entry, Entry)
            if entry.state == "verify" or self.verify:
                return self._verified_call(key, entry, args, kwargs, leaves, keep)
            result = self._replay(entry, leaves)
            if result is STALE:  # a parameter's array was replaced: trace again
                del self._cache[key]
                return self._first_call(key, args, kwargs, leaves, keep)
            self.stats["replays"] += 1
            return result

    # ---- the three kinds of call ------------------------------------------------------------------------------
    def _first_call(self, key: tuple, args: tuple, kwargs: dict, leaves: list[Any], keep: list[Any]) -> Any:
        result, entry = self._trace(args, kwargs, leaves, keep)
        self._cache[key] = entry
        while len(self._cache) > self.max_signatures:
            self._cache.popitem(last=False)
        return result

    def _trace(self, args: tuple, kwargs: dict, leaves: list[Any], keep: list[Any],
               build: bool = True) -> tuple[Any, Any]:
        """Run the function for real with a tracer: its result, and its program (or "eager", with a warning).

        `build=False` (the eager run of a check): instead of a program, the trace's list of steps, to say where
        two traces part if the check fails.
        """
        tracer = Tracer(self.name, self.strict)
        started = time.perf_counter()
        tracer.begin(leaves)
        try:
            with mode.tracing(tracer):
                result = self.fn(*args, **kwargs)
                tracer.finish_grads()
                outputs: list[Any] = []
                shape = structure(result, outputs)
                templates = self._output_templates(tracer, outputs)
        finally:
            problem = tracer.problem
            tracer.close()
        self.stats["traces"] += 1
        if problem is not None:
            warnings.warn(f"compile({self.name}): {problem}. This call ran eagerly, and calls with the same "
                          "argument shapes will too (see docs/compile.md; strict=True makes this an error).",
                          CompileWarning, stacklevel=4)
            return _plain_result(result), "eager"
        if not build:
            steps = [(s.name(), s.where) for s in live_steps(tracer.steps, tracer.values, set(refs_in(templates)))]
            generators = list(tracer.generators)
            tracer.release()
            return rebuild(shape, [plain(_data(o)) for o in outputs], _detached), (steps, generators)
        entry = Entry(tracer, templates, shape, keep, time.perf_counter() - started, self.name, self.floats)
        tracer.release()
        if entry.floats is not None:
            warnings.warn(f"compile({self.name}, floats=True): the program is not all float64 scalars "
                          f"({entry.floats}); it runs as numpy calls instead", CompileWarning, stacklevel=4)
        self.stats["trace_seconds"] += time.perf_counter() - started
        return rebuild(shape, [plain(_data(o)) for o in outputs], _detached), entry

    def _output_templates(self, tracer: Tracer, outputs: list[Any]) -> list[Any]:
        templates = []
        for out in outputs:
            if isinstance(out, Tensor) and out._ctx is not None and out._ctx.inputs is not None:
                tracer.stop(f"the function returns a tensor of shape {out.shape} that still has a graph to "
                            "backward through; a replay makes no graph. Call backward inside the compiled function, "
                            "or return a detached tensor (t.detach()) or compute it under no_grad()", None)
            if tracer.stopped:
                return []
            try:
                templates.append(tracer.template(_data(out)))
            except Lost as lost:
                tracer.stop(f"the trace lost track of an output: {lost}", None)
                return []
        return templates

    def _replay(self, entry: Entry, leaves: list[Any]) -> Any:
        flat = _inputs(leaves)
        try:
            outs = entry.program(*flat)
        except ArithmeticError:  # Python floats raise where numpy gives inf or nan: numpy's program, same effects
            if entry.program is entry.numpy_program:
                raise
            outs = entry.numpy_program(*flat)
        if outs is STALE:
            return STALE
        return rebuild(entry.shape, outs, _detached)

    def _verified_call(self, key: tuple, entry: Entry, args: tuple, kwargs: dict, leaves: list[Any],
                       keep: list[Any]) -> Any:
        """Run the program and the eager step from the same state; compare; keep the eager step's state."""
        flat = _inputs(leaves)
        before = entry.snapshot(flat)
        program_result = self._replay(entry, leaves)
        if program_result is STALE:
            del self._cache[key]
            return self._first_call(key, args, kwargs, leaves, keep)
        after_program = entry.snapshot(flat)
        before.restore()
        eager_result, again = self._trace(args, kwargs, leaves, keep, build=False)
        self.stats["verifications"] += 1
        if again == "eager":  # this call's trace met something it cannot replay (it warned): eager from now on
            self._cache[key] = "eager"
            return eager_result
        after_eager = entry.snapshot(flat)
        found = after_program.differences(after_eager) + value_differences(
            _leaves_of(program_result), _leaves_of(eager_result))
        if found:
            self._cache[key] = "eager"
            raise CompileError(self._mismatch(found, entry, again))
        entry.state = "trusted"
        return eager_result

    def _mismatch(self, found: list[str], entry: Entry, again: Any) -> str:
        lines = [f"compile({self.name}): the compiled program and the eager step disagree on the same call "
                 "(the call ran eagerly and its results are the eager ones; this signature stays eager):"]
        lines += [f"  - {why}" for why in found[:8]]
        if len(found) > 8:
            lines.append(f"  - ... and {len(found) - 8} more")
        if isinstance(again, tuple):
            again, generators = again
            if any(all(g is not h for h in entry.generators) for g in generators):
                lines.append("The step makes a new random generator on each call (np.random.default_rng(...) inside "
                             "it); the program draws from the one it was traced with. Make the generator once, "
                             "outside the step.")
            for i, (a, b) in enumerate(zip(entry.trace, again)):
                if a[0] != b[0]:
                    lines.append(f"The two traces part at step {i}: {a[0]} at {describe(a[1])}\n"
                                 f"  this call instead: {b[0]} at {describe(b[1])}")
                    break
            else:
                if len(entry.trace) != len(again):
                    lines.append(f"The two traces have {len(entry.trace)} and {len(again)} steps.")
        lines.append("Usual causes: a value computed with numpy outside tensor ops from something that changes "
                     "(it is frozen at its traced value), Python state that changed between calls (a global, "
                     "module.train()/eval()), or a branch on data. See docs/compile.md.")
        return "\n".join(lines)

    # ---- looking inside -----------------------------------------------------------------------------------------
    def programs(self) -> list[Entry]:
        """The programs kept, least recently used first."""
        return [e for e in self._cache.values() if isinstance(e, Entry)]

    def source(self) -> str:
        """The generated Python of the most recently used program (what a replay runs)."""
        entries = self.programs()
        if not entries:
            raise RuntimeError(f"compile({self.name}): no program yet (call the function first)")
        return entries[-1].source

    def __repr__(self) -> str:
        return f"<compiled {self.name}: {len(self.programs())} program(s), {self.stats}>"


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _leaves_of(result: Any) -> list[Any]:
    leaves: list[Any] = []
    structure(result, leaves)
    return leaves


def _plain_result(result: Any) -> Any:
    """An eager result with no traced arrays left in it (a stopped trace's); its tensors keep their graphs."""
    leaves: list[Any] = []
    shape = structure(result, leaves)
    for leaf in leaves:
        if isinstance(leaf, Tensor) and isinstance(leaf._data, Traced):
            leaf._data = leaf._data.view(np.ndarray)
    if not any(isinstance(x, Traced) for x in leaves):
        return result
    return rebuild(shape, [x.view(np.ndarray) if isinstance(x, Traced) else x for x in leaves], lambda t: t)


def compile(fn: F | None = None, *, verify: bool = False, strict: bool = False,  # noqa: A001 - the name users expect
            max_signatures: int = MAX_SIGNATURES, floats: bool = False) -> Any:
    """Compile a step (forward, backward, optimizer update) into straight-line numpy; usable as a decorator.

    The first call with given argument shapes traces `fn`, the next one checks the program against eager,
    later ones replay it. `verify=True` checks every call; `strict=True` raises CompileError where a trace
    cannot be replayed instead of warning and running eagerly; at most `max_signatures` programs are kept;
    `floats=True` runs a graph of float64 scalars as Python arithmetic on floats. See docs/compile.md.
    """
    if fn is None:
        return lambda f: CompiledFunction(f, verify=verify, strict=strict, max_signatures=max_signatures,
                                          floats=floats)
    return CompiledFunction(fn, verify=verify, strict=strict, max_signatures=max_signatures, floats=floats)


def replay_as_call(method: F) -> F:
    """Mark a method that a compiled step calls whole on every replay, rather than tracing its numpy calls.

    For code whose Python state moves between calls (an optimizer's step count and learning rate): the replay
    calls the method again, reading that state afresh. Its object should offer state_dict() and
    load_state_dict(), so a verification can save and restore what it changes.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = mode.current.get().tracer
        if tracer is None:
            return method(self, *args, **kwargs)
        return tracer.call_whole(method, self, args, kwargs)

    return wrapper  # type: ignore[return-value]
