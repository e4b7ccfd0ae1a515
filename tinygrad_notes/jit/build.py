"""From a trace to a program: drop what nothing needs, decide where each value lives, write the code.

Where a value lives:

- `buffer`: an array allocated once, in the layout the traced call had, that its
  ufunc writes with `out=` on every replay (no memory is taken from or given back
  to the system while the step runs);
- `fixed`: an object the program holds as it is: a parameter's own array (read
  and written through), a constant, a view of either or of a buffer (made once);
- `local`: a name bound anew on every replay: inputs, numbers (0-d results,
  which numpy gives as scalars), and the results of calls that allocate.

Steps whose values neither the outputs, nor the parameters' updates, nor a
gradient or draw the step leaves behind depend on are dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_notes.jit.record import Value
from tinygrad_notes.program import Step, refs_in

_COPY_METHODS = ("copy", "astype")


def is_ufunc_call(step: Step) -> bool:
    """A ufunc, or its reduce/accumulate: calls that take out= and give the traced layout in it."""
    fn = step.fn
    if isinstance(fn, np.ufunc):
        return True
    owner = getattr(fn, "__self__", None)
    return isinstance(owner, np.ufunc) and getattr(fn, "__name__", "") in ("reduce", "accumulate")


def live_steps(steps: list[Step], values: list[Value], needed: set[int]) -> list[Step]:
    """The steps the outputs and the step's effects depend on, in order."""
    kept = []
    for step in reversed(steps):
        visible = any(values[w].kind in ("state", "input") for w in step.writes)
        if step.effect or visible or any(o in needed for o in step.outs) or any(w in needed for w in step.writes):
            kept.append(step)
            needed.update(refs_in(step.args))
            needed.update(refs_in(step.kwargs))
            needed.update(step.writes)
    kept.reverse()
    return kept


def last_uses(steps: list[Step], pinned: set[int]) -> dict[int, int]:
    """For each slot, the index of the last step that uses it, or uses a view of it (len(steps): never free)."""
    last: dict[int, int] = {}
    for i, step in enumerate(steps):
        for slot in (*refs_in(step.args), *refs_in(step.kwargs), *step.writes, *step.outs):
            last[slot] = i
    for slot in pinned:
        last[slot] = len(steps)
    for i in range(len(steps) - 1, -1, -1):  # a view keeps the memory it looks at: its uses are its bases' too
        step = steps[i]
        if step.view:
            end = max(last.get(out, i) for out in step.outs)
            for base in refs_in((step.args, step.kwargs)):
                last[base] = max(last.get(base, i), end)
    return last


class Plan:
    """Where each slot of a program lives, and the objects that are fixed for good.

    Buffers are handed out like registers: a buffer whose value has no later use goes back to a pool, and the
    next value of the same shape, dtype and layout takes the most recently freed one, still warm in the cache
    (as numpy's allocator would hand back the memory it just freed).
    """

    def __init__(self, steps: list[Step], values: list[Value], pinned: set[int]) -> None:
        self.storage: dict[int, str] = {}  # slot -> "buffer", "fixed" or "local"
        self.objects: dict[int, Any] = {}  # slot -> its object, for buffer and fixed slots
        self.folded: set[int] = set()  # ids of view steps made once, at build
        self.n_buffers = 0
        for slot, value in enumerate(values):
            if value.kind in ("state", "const"):
                self.storage[slot], self.objects[slot] = "fixed", value.obj
            elif value.kind == "input":
                self.storage[slot] = "local"
        last = last_uses(steps, pinned)
        ending: dict[int, list[int]] = {}
        for slot, i in last.items():
            ending.setdefault(i, []).append(slot)
        pool: dict[tuple, list[np.ndarray]] = {}
        for i, step in enumerate(steps):
            self._place(step, values, pool)
            for slot in ending.get(i, ()):
                if self.storage.get(slot) == "buffer":
                    buf = self.objects[slot]
                    pool.setdefault(_key(buf), []).append(buf)

    def _place(self, step: Step, values: list[Value], pool: dict[tuple, list[np.ndarray]]) -> None:
        if len(step.outs) != 1 or step.unpack:
            for slot in step.outs:
                self.storage[slot] = "local"
            return
        (slot,) = step.outs
        value = values[slot]
        bufferable = (is_ufunc_call(step) and "out" not in step.kwargs) or (
            step.method in _COPY_METHODS and not step.kwargs and (step.method == "copy" or len(step.args) == 2))
        if bufferable and value.order is not None and not (value.scalar and not value.written):
            self.storage[slot] = "buffer"
            free = pool.get((value.shape, value.dtype.str, value.order))
            if free:
                self.objects[slot] = free.pop()
            else:
                self.objects[slot] = np.empty(value.shape, dtype=value.dtype, order=value.order)
                self.n_buffers += 1
        elif step.view and all(self.storage.get(s) in ("fixed", "buffer") for s in refs_in((step.args, step.kwargs))):
            self.storage[slot] = "fixed"  # a view of arrays that never change identity: made once, here
            self.objects[slot] = step.call(_Lookup(self.objects))
            self.folded.add(id(step))
        else:
            self.storage[slot] = "local"


def _key(buf: np.ndarray) -> tuple:
    return buf.shape, buf.dtype.str, "C" if buf.flags.c_contiguous else "F"


class _Lookup:
    """values[slot] for the fixed objects of a plan (what folding a view needs)."""

    def __init__(self, objects: dict[int, Any]) -> None:
        self.objects = objects

    def __getitem__(self, slot: int) -> Any:
        return self.objects[slot]

