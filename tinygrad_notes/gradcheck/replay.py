"""Re-run a recorded graph on plain arrays, many perturbed copies at once: the full check's fast evaluator.

A full gradient check of a model with n parameters evaluates its cost 2n times.
Calling the user's function each time pays the Tensor machinery on every op and
recomputes the layers below the parameter being moved, which do not change. The
graph recorded for the analytical gradient already lists every op with its
inputs and attributes, so `GraphReplay` runs the ops' own `forward`s again on
numpy arrays, only for the nodes downstream of the input that moved (moving `W3`
re-runs the last layer and the loss, not the whole network), and for a batch of
B perturbed copies of that input at once: every value downstream carries a
leading batch axis, and each primitive names in its class the rule saying how
its forward handles it (`batched`, see tinygrad_notes/batching.py). An op
without a rule (a user's Function) is run once per copy.

A replay is the function *as recorded*: anything the function computed outside
the graph from the inputs' values (`x.item()`, a mask from `x.data > 0`, a
`.detach()`) stays frozen at its recorded value. That is exactly the kind of bug
a gradient check must catch, so the checker only trusts a replay after comparing
it with real calls of the function, and re-checks the components it flags with
real calls (see evaluate.py and core.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_notes.batching import one_by_one
from tinygrad_notes.graph import recorded_inputs, topological_order
from tinygrad_notes.program import Step, op_step, refs_in, run
from tinygrad_notes.tensor import Tensor


class GraphReplay:
    """The graph that produced `output` from the leaves `leaves`, ready to be re-run with one leaf changed."""

    def __init__(self, output: Tensor, leaves: Sequence[Tensor]) -> None:
        values: list[Any] = [np.array(leaf.numpy()) for leaf in leaves]  # slot k = leaf k (our own copy)
        slot_of_leaf = {id(leaf): k for k, leaf in enumerate(leaves)}
        slot_of_node: dict[int, int] = {}
        steps: list[Step] = []  # one per op: its forward on the values it reads (the shared program of steps)
        depends: list[set[int]] = []  # per step: the leaves it depends on
        dep_of_slot: dict[int, set[int]] = {k: {k} for k in range(len(leaves))}
        for node in topological_order([output], "gradcheck"):
            ins: list[int] = []
            deps: set[int] = set()
            for inp in recorded_inputs(node):
                made_by = inp.grad_fn if isinstance(inp, Tensor) else None
                if made_by is not None:
                    slot = slot_of_node[id(made_by)]
                elif isinstance(inp, Tensor) and id(inp) in slot_of_leaf:
                    slot = slot_of_leaf[id(inp)]
                else:  # a constant: a tensor that needs no gradient, an array, a number
                    slot = len(values)
                    values.append(inp.numpy() if isinstance(inp, Tensor) else inp)
                ins.append(slot)
                deps |= dep_of_slot.get(slot, set())
            out = len(values)
            values.append(None)
            slot_of_node[id(node)] = out
            dep_of_slot[out] = deps
            steps.append(op_step(type(node), ins, dict(node.attrs or {}), out))
            depends.append(deps)
        if output.grad_fn is not None:
            self.out_slot = slot_of_node[id(output.grad_fn)]
        elif id(output) in slot_of_leaf:
            self.out_slot = slot_of_leaf[id(output)]
        else:
            self.out_slot = len(values)
            values.append(output.numpy())
        self.n_nodes = len(steps)
        # Base pass: every node's value at the recorded point, reused by the nodes a change does not reach.
        self.base = run(steps, values)
        self.plans = [[s for s, d in zip(steps, depends) if k in d] for k in range(len(leaves))]
        self.largest = max([np.size(v) for v in values if isinstance(v, np.ndarray)] + [1])

    def output(self) -> np.ndarray:
        """The output at the recorded point, as the replay computes it."""
        return self.base[self.out_slot]

    def evaluate(self, leaf: int, batch: np.ndarray) -> np.ndarray:
        """Outputs for `batch` (B copies of leaf `leaf`, shape (B, *leaf.shape)): shape (B, *output.shape).

        Only the nodes that depend on the leaf are re-run; the others keep their recorded values.
        """
        size = len(batch)
        values = list(self.base)
        values[leaf] = batch
        batched = {leaf}
        for step in self.plans[leaf]:
            cls, ins, attrs, (out,) = step.op, refs_in(step.args), step.kwargs, step.outs
            args = [values[i] for i in ins]
            flags = [i in batched for i in ins]
            result = cls.batched(args, flags, attrs, size) if cls.batched is not None else None
            if result is None:
                result = one_by_one(cls, args, flags, attrs, size)
            values[out] = result
            batched.add(out)
        if self.out_slot not in batched:  # the output does not depend on this leaf
            return np.broadcast_to(self.base[self.out_slot], (size,) + np.shape(self.base[self.out_slot]))
        return values[self.out_slot]

    def nodes_rerun(self, leaf: int) -> int:
        """How many ops a change of leaf `leaf` re-runs (the rest is reused)."""
        return len(self.plans[leaf])
