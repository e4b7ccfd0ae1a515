"""Promises a Function makes that finite differences cannot see, checked op by op on the recorded graph.

- forward leaves its inputs as they are: it runs again on read-only copies of them,
  so any write raises (a softmax that subtracts the max in place passes a numerical
  check, computed at the moved point, while its real gradient is wrong);
- backward does not write into its incoming gradient (it is read-only, and the same
  array may reach other nodes) and gives identical results when run twice on the
  same one (a backward that adds noise, or depends on a counter, passes a numerical
  check).

`inspect_graph` also reports which ops compute below float64 on values that depend
on the checked inputs (precision.py decides what that means for the check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_notes.batching import run_forward
from tinygrad_notes.function import op_name
from tinygrad_notes.graph import inputs_of, topological_order
from tinygrad_notes.mode import no_grad
from tinygrad_notes.tensor import Tensor


@dataclass(frozen=True)
class Violation:
    """A broken promise, naming the op."""

    op: str
    message: str
    blocking: bool = False  # the numbers of the check would mean nothing (they were computed at a moved point)


@dataclass
class GraphFacts:
    """What `inspect_graph` found: broken promises, and the float dtypes of values that depend on the inputs."""

    violations: list[Violation] = field(default_factory=list)
    dtypes: dict[str, Any] = field(default_factory=dict)  # op name -> its output dtype, for outputs below float64


def inspect_graph(output: Tensor, leaves: list[Tensor], rng: np.random.Generator,
                  changed_leaves: frozenset[int] = frozenset()) -> GraphFacts:
    """Run every op's forward on read-only copies of its inputs, and its backward twice on one read-only gradient.

    `changed_leaves`: ids of the leaves the recording call changed (some op wrote into them).
    """
    facts = GraphFacts()
    leaf_ids = {id(leaf) for leaf in leaves}
    depends: set[int] = set()
    recomputed: dict[int, np.ndarray] = {}  # each op's output, computed again from its inputs
    for node in topological_order([output], "gradcheck"):
        ins = inputs_of(node)
        if any(i.tensor is not None and id(i.tensor) in leaf_ids or i.node is not None and id(i.node) in depends
               for i in ins):
            depends.add(id(node))
        arrays = [_array(i) for i in ins]
        changed = [i.tensor is not None and id(i.tensor) in changed_leaves or i.node is not None
                   and id(i.node) in recomputed and not _same(recomputed[id(i.node)], a) for i, a in zip(ins, arrays)]
        y = _forward(node, arrays, changed, facts)
        if y is None:
            continue
        recomputed[id(node)] = y
        if id(node) in depends and y.dtype.kind == "f" and y.dtype.itemsize < 8:
            facts.dtypes.setdefault(op_name(node), y.dtype)
        _backward_twice(node, y, rng, facts)
    return facts


def _same(a: np.ndarray, b: Any) -> bool:
    return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _array(inp: Any) -> Any:
    """An input's value: the tensor's array for a tensor, else the constant as passed."""
    return inp.tensor.numpy() if inp.tensor is not None else inp.value


def _read_only_copy(v: Any) -> Any:
    if not isinstance(v, np.ndarray):
        return v
    copy = np.array(v)
    copy.flags.writeable = False
    return copy


def _is_write_error(err: Exception) -> bool:
    return isinstance(err, ValueError) and "read-only" in str(err)


def _forward(node: Any, arrays: list, changed: list[bool], facts: GraphFacts) -> np.ndarray | None:
    """The op's output from read-only copies of its inputs; a write into one is a violation naming it.

    A forward that raises on read-only inputs may only want writable buffers (some compiled code does):
    it counts as writing when, run on writable copies, it changes one, or when an input it refuses read-only
    was `changed` after it was computed (an in-place op that is idempotent by now, like subtracting a max
    that has become 0).
    """
    cls, attrs = type(node), dict(node.attrs or {})
    try:
        return run_forward(cls, [_read_only_copy(a) for a in arrays], attrs)
    except Exception as err:  # noqa: BLE001 - a forward that cannot run again here is simply not probed
        if not _is_write_error(err):
            return None
    copies = [np.array(a) if isinstance(a, np.ndarray) else a for a in arrays]
    try:
        y = run_forward(cls, copies, attrs)
    except Exception:  # noqa: BLE001
        return None
    written = [i for i, (a, c) in enumerate(zip(arrays, copies))
               if isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True)]
    written += [i for i, a in enumerate(arrays) if changed[i] and i not in written and isinstance(a, np.ndarray)
                and _raises_on_read_only(cls, arrays, i, attrs)]
    if not written:
        return y  # it wanted writable buffers, but leaves its inputs as they are
    i = written[0]
    facts.violations.append(Violation(
        op_name(node), f"forward of {op_name(node)} writes into its input {i} (shape {np.shape(arrays[i])}): a "
        "forward must leave its inputs as they are (other ops and its backward read them), so the check and your "
        "training would run at a moved point; compute on a copy (x = x - m, not x -= m)", blocking=True))
    return None


def _raises_on_read_only(cls: type, arrays: list, i: int, attrs: dict) -> bool:
    """Whether the forward fails to write when only input i is read-only."""
    try:
        run_forward(cls, [_read_only_copy(a) if j == i else np.array(a) if isinstance(a, np.ndarray) else a
                          for j, a in enumerate(arrays)], attrs)
    except Exception as err:  # noqa: BLE001
        return _is_write_error(err)
    return False


def _backward_twice(node: Any, y: np.ndarray, rng: np.random.Generator, facts: GraphFacts) -> None:
    """Backward on one read-only incoming gradient, twice: it must not write into it and must agree with itself."""
    g = rng.standard_normal(y.shape).astype(y.dtype, copy=False) if y.dtype.kind == "f" else None
    if g is None:
        return
    g = _read_only_copy(np.asarray(g))
    try:
        first, second = _run_backward(node, g), _run_backward(node, g)
    except Exception as err:  # noqa: BLE001 - a backward that fails here fails in the real backward too, loudly
        if _is_write_error(err):
            facts.violations.append(Violation(
                op_name(node), f"backward of {op_name(node)} writes into its incoming gradient (shape {g.shape}): "
                "the gradient it receives is read-only (the same array may reach other nodes, or be the caller's); "
                "compute a new one (g = g * 2, not g *= 2)", blocking=True))
        return
    for i, (a, b) in enumerate(zip(first, second)):
        if a is None and b is None:
            continue
        if a is None or b is None or a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            gap = _gap(a, b)
            facts.violations.append(Violation(
                op_name(node), f"backward of {op_name(node)} is not repeatable: run twice on the same incoming "
                f"gradient, its gradient for input {i} differs by up to {gap:.1e}; a backward must depend only on "
                "its inputs and the incoming gradient (no random numbers, counters or state it changes)"))
            return


def _run_backward(node: Any, g: np.ndarray) -> list[np.ndarray | None]:
    """The node's backward as the engine runs it without create_graph: numpy for primitives, a Tensor otherwise."""
    cls = type(node)
    with no_grad():
        result = cls.backward(node, g if cls.raw_grads else Tensor(g))
    if not isinstance(result, (tuple, list)):
        result = (result,)
    return [None if r is None else np.array(r.numpy() if isinstance(r, Tensor) else r, dtype=np.float64)
            for r in result]


def _gap(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None or a.shape != b.shape:
        return float("inf")
    with np.errstate(invalid="ignore"):
        return float(np.nanmax(np.abs(a - b))) if a.size else 0.0
