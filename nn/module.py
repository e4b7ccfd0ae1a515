"""`Module`: the base of every layer; registers parameters, buffers and submodules by attribute assignment.

Names are PyTorch's: a child registered as `layers` whose child `0` owns `weight`
gives `layers.0.weight`. While a module runs, the ops it records carry its dotted
name as `node.scope` (through `tinygrad_notes.name_scope`), so a graph picture
can group nodes by module.

How a module learns its dotted name: it does not store one. Scopes nest while
calls nest, so a module only needs its name *inside the module that called it*:
a child registered as `encoder` runs under `name_scope("encoder")`, its own child
`0` under `name_scope("0")` inside that, giving `encoder.0`. The outermost module
called (no module running) adds no scope, so the root model's own ops have
`node.scope is None`, and `with name_scope("model"): model(x)` prefixes them all.
This keeps the name right when a subtree is moved to another parent, and makes a
module shared by two parents record its ops under the name its *calling* parent
gave it (`a.proj` when `a` calls it, `b.lin` when `b` does). A module registered
twice under one parent uses its first name, the one `named_modules` reports. A
module called by a running module that is not its parent (a grandchild called
directly, say) gets its dotted path below the caller, or no name of its own if
the caller does not contain it.
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from nn.parameter import Parameter
from tinygrad_notes import ShapeError, Tensor, name_scope
from tinygrad_notes.mode import current_scope

# The module whose forward is running now in this thread: the caller of any module called next. Per thread (a
# context variable, like the engine's modes), so a model running in another thread never becomes the caller.
_running: contextvars.ContextVar[Module | None] = contextvars.ContextVar("nn_running_module", default=None)


class StateDictError(RuntimeError):
    """`load_state_dict` found keys, shapes or dtypes that do not fit the model (the message lists them all)."""


class LoadResult(NamedTuple):
    """What `load_state_dict(strict=False)` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models: assign Parameters and Modules as attributes, define `forward`.

    ```
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 16)
            self.out = nn.Linear(16, 1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())
    ```
    Parameters, buffers and children are kept both in ordered registries (for
    `named_parameters`, `state_dict`, ...) and as plain instance attributes, so
    reading `self.weight` in `forward` is an ordinary attribute lookup.
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent"] = set()
        d["_modules"] = {}
        d["_names"] = {}  # cache: id(parent) -> (weakref to parent, the name it registered this module under)
        d["training"] = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward`, its ops recorded under this module's name inside the calling module."""
        caller = _running.get()
        if caller is None:
            name = ""
        else:
            entry = self._names.get(id(caller))
            name = entry[1] if entry is not None and entry[0]() is caller else _name_below(caller, self)
        token = _running.set(self)
        try:
            if name:
                with name_scope(name):
                    try:
                        return self.forward(*args, **kwargs)
                    except (TypeError, ValueError) as err:
                        named = _in_module(self, current_scope(), err)
                        if named is None:
                            raise
                        raise named from None
            try:
                return self.forward(*args, **kwargs)
            except (TypeError, ValueError) as err:
                named = _in_module(self, None, err)
                if named is None:
                    raise
                raise named from None
        finally:
            _running.reset(token)

    # ---- registration ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if params is None:
            if isinstance(value, (Tensor, Module)):
                raise AttributeError(
                    f"{type(self).__name__}: cannot register {name!r} before Module.__init__ ran; "
                    "call super().__init__() first in your __init__"
                )
            object.__setattr__(self, name, value)
            return
        if isinstance(value, Parameter):
            self._unregister(name)
            params[name] = value
        elif isinstance(value, Module):
            self._unregister(name)
            self._modules[name] = value
        elif name in params:
            if isinstance(value, Tensor):
                raise TypeError(
                    f"{type(self).__name__}.{name} is a parameter: assign nn.Parameter(tensor) to replace it "
                    "(or None to remove it); to run the module with other tensors use nn.functional_call"
                )
            del params[name]
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            self._buffers[name] = value
        elif name in self._modules:
            self._unregister(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        if name in ("_parameters", "_buffers", "_modules", "_names", "_non_persistent", "training"):
            raise AttributeError(
                f"{type(self).__name__} has no {name!r}: its __init__ must call super().__init__() first"
            )
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        """For copy.deepcopy and joblib: the name cache holds weak references, so it is left out (and rebuilt)."""
        state = self.__dict__.copy()
        state["_names"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _unregister(self, name: str) -> None:
        """Remove `name` from every registry (an attribute changes kind, or is deleted)."""
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)
        child = self._modules.pop(name, None)
        if child is not None:
            child._names.pop(id(self), None)  # its name here may have changed: look it up again on next call

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` as `name` (same as `self.name = param`); None leaves the attribute None."""
        _check_name(self, name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, got {type(param).__name__}")
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a state tensor that is not learned (batch norm's running mean); kept in `state_dict`
        unless `persistent=False`, converted by `to(dtype)` when floating point."""
        _check_name(self, name)
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"register_buffer: {type(self).__name__} already has an attribute {name!r}")
        self._unregister(name)
        value = tensor if tensor is None or isinstance(tensor, Tensor) else Tensor(tensor)
        if value is not None and value.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} must not require grad; register a Parameter instead")
        self._buffers[name] = value
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, value)

    # ---- traversal ------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("" or `prefix`) and every submodule, each once, preorder."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # an explicit stack: no recursion limit on deep nesting
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        """The direct children."""
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once (a shared one under its first name)."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once, in registration order."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) for every buffer, each once."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer, each once."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        owners = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for owner_name, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{owner_name}.{name}" if owner_name else name), value

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn(module)` on every submodule and this one (children first, like PyTorch); returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ---- modes and gradients ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout drops, batch norm uses batch statistics) for this module and its submodules."""
        for module in self.modules():
            module.__dict__["training"] = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout is the identity, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad`: to None (the default, cheapest) or to a zero array."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor(np.zeros_like(p.grad.numpy()))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` on every parameter (False freezes the module); returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # ---- dtype -------------------------------------------------------------------------------
    def to(self, dtype: Any) -> Module:
        """Convert every floating-point parameter, gradient and buffer to `dtype`, in place; returns self.

        The Parameter objects stay the same (an optimizer holding them keeps working);
        integer buffers (batch norm's `num_batches_tracked`) are left alone.
        """
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: parameters must be floating point, got dtype {dt}")
        for p in self.parameters():
            if p.dtype != dt:
                p.data = p.numpy().astype(dt)
            if p.grad is not None and p.grad.dtype != dt:
                p.grad = Tensor(p.grad.numpy().astype(dt))
        for b in self.buffers():
            if b.dtype.kind == "f" and b.dtype != dt:
                b.data = b.numpy().astype(dt)
        return self

    def double(self) -> Module:
        """`to(np.float64)`: what gradient checking wants."""
        return self.to(np.float64)

    def float(self) -> Module:
        """`to(np.float32)`: what training wants."""
        return self.to(np.float32)

    # ---- state -------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, Tensor]:
        """name -> tensor for every parameter and persistent buffer, module by module (own, then children)."""
        out: dict[str, Tensor] = {}
        seen: set[int] = set()
        for owner_name, owner in self.named_modules():
            members = list(owner._parameters.items()) + [
                (n, b) for n, b in owner._buffers.items() if n not in owner._non_persistent
            ]
            for name, value in members:
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                out[f"{owner_name}.{name}" if owner_name else name] = value
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """A snapshot of every parameter and persistent buffer: dotted name -> numpy array (a copy).

        Copies, unlike PyTorch's shared tensors, so later training does not change a
        saved snapshot; it is exactly what `nn.save(model, path)` stores.
        """
        return {name: np.array(t.numpy(), copy=True) for name, t in self._state_tensors().items()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy `state` (name -> array or Tensor) into the parameters and buffers, in place.

        Every problem is collected before anything is written: with `strict=True` a
        missing or unexpected key is an error; a wrong shape or dtype always is. The
        error lists every offending key, so the model is never left half-loaded.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of name -> array, got {type(state).__name__}")
        own = self._state_tensors()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        arrays: dict[str, np.ndarray] = {}
        problems = []
        for key, tensor in own.items():
            if key not in state:
                continue
            value = state[key]
            array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != tensor.shape:
                problems.append(f"  {key}: shape {array.shape} in the state, {tensor.shape} in the model")
            elif array.dtype != tensor.dtype:
                problems.append(f"  {key}: dtype {array.dtype} in the state, {tensor.dtype} in the model "
                                "(convert the model first, e.g. model.to(dtype))")
            else:
                arrays[key] = array
        if strict:
            problems = [f"  missing key {k!r}" for k in missing] + [f"  unexpected key {k!r}" for k in unexpected] \
                + problems
        if problems:
            raise StateDictError(
                f"load_state_dict: the state does not fit {type(self).__name__} ({len(problems)} problem(s); "
                "nothing was loaded):\n" + "\n".join(problems)
            )
        for key, array in arrays.items():
            own[key].inplace_data()[...] = array
        return LoadResult(missing, unexpected)

    # ---- repr --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings, shown inside its repr's parentheses (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, child in self._modules.items():
            lines.append(f"({name}): " + repr(child).replace("\n", "\n  "))
        head = type(self).__name__ + "("
        if not self._modules and len(lines) <= 1:
            return head + "".join(lines) + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _in_module(module: Module, path: str | None, err: Exception) -> Exception | None:
    """`err` from `module`'s forward, its message prefixed with the module's dotted name and repr (once: the
    innermost module that saw it names itself, outer ones pass it on), the original traceback kept.

    Only the plain kinds (ShapeError, TypeError, ValueError) are reworded; any other class (a user's own
    error, numpy's) is passed on as it is (None), so `except` clauses that catch it still do."""
    if getattr(err, "module_path", False) is not False or type(err) not in (ShapeError, TypeError, ValueError):
        return None
    text = repr(module)
    label = text if len(text) <= 80 and "\n" not in text else type(module).__name__
    named = type(err)(f"{path} ({label}): {err}" if path else f"{label}: {err}")
    named.module_path = path  # type: ignore[attr-defined]
    return named.with_traceback(err.__traceback__)


def _check_name(module: Module, name: str) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{type(module).__name__}: {name!r} is not a valid member name (a non-empty str without '.')")


def _name_below(caller: Module, module: Module) -> str:
    """`module`'s dotted name inside `caller` ("" when the caller does not contain it); direct names are cached."""
    for name, child in caller._modules.items():
        if child is module:
            module._names[id(caller)] = (weakref.ref(caller), name)
            return name
    for name, sub in caller.named_modules():
        if sub is module:
            return name
    return ""


def functional_call(module: Module, tensors: Mapping[str, Tensor], *args: Any, **kwargs: Any) -> Any:
    """Call `module(*args, **kwargs)` with some parameters or buffers replaced by `tensors` (dotted name -> Tensor).

    The module's own tensors are put back afterwards. This is how a gradient check
    differentiates a layer with respect to tensors it did not create (the op
    registry's layer entries use it).
    """
    owners = dict(module.named_modules())
    swaps = []
    for key, tensor in tensors.items():
        path, _, attr = key.rpartition(".")
        owner = owners.get(path)
        registry = None
        if owner is not None:
            registry = owner._parameters if attr in owner._parameters else owner._buffers
        if owner is None or attr not in registry:
            known = ", ".join(module._state_tensors()) or "(none)"
            raise KeyError(f"functional_call: {type(module).__name__} has no parameter or buffer {key!r}; "
                           f"known: {known}")
        if not isinstance(tensor, Tensor):
            raise TypeError(f"functional_call: {key!r} must be a Tensor, got {type(tensor).__name__}")
        swaps.append((owner, registry, attr, registry[attr], tensor))
    try:
        for owner, registry, attr, _, tensor in swaps:
            registry[attr] = tensor
            owner.__dict__[attr] = tensor
        return module(*args, **kwargs)
    finally:
        for owner, registry, attr, old, _ in reversed(swaps):
            registry[attr] = old
            owner.__dict__[attr] = old

