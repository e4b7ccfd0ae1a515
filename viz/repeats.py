"""Repeated blocks, found so that a picture can fold each run into one `×N` box.

Two kinds of repetition, both in a chain (each block reads what the block
before it made):

- identical sibling modules: children of one module (or of the model) that run
  one after another with the same class, sizes and ops on the same shapes, e.g.
  ten `Linear(16→16), ReLU` pairs of a Sequential (a run of period 2);
- a repeated op pattern: the ops recorded in one scope, in the order they were
  made, repeating with some period, e.g. `h = tanh(h @ W + b)` in a loop.

Only runs of at least `MIN_REPEATS` blocks holding at least `MIN_NODES` graph
nodes fold: a run of two, a four-input neuron or a product of seven named
numbers is easier read drawn out.
Finding runs is linear in the number of ops for each period up to `MAX_PERIOD`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinygrad_notes import op_name
from viz.graph import CONSTANT, INTERMEDIATE, LEAF, OP, OUTPUT, PARAMETER, ComputationGraph
from viz.text import fmt_attr

MIN_REPEATS = 3  # blocks in a run before it folds
MIN_NODES = 30  # graph nodes a run must hold before it folds: a picture of a few dozen nodes reads well
MAX_PERIOD = 16  # the longest block, in ops (or sibling modules), that is looked for


@dataclass
class Repeat:
    """One run of identical blocks: what the `×N` box draws."""

    members: list[int]  # graph nodes inside the box
    scope: str | None  # the cluster the box is drawn in
    times: int
    pattern: str  # one block in words: "Linear(16→16) → ReLU", or "matmul → add → tanh"
    blocks: list[str] = field(default_factory=list)  # module names of the blocks (empty for an op run)
    shapes_in: list[tuple] = field(default_factory=list)
    shapes_out: list[tuple] = field(default_factory=list)

    @property
    def note(self) -> str:
        which = f" {self.blocks[0]} … {self.blocks[-1]}" if self.blocks else ""
        return (f"{self.times} identical blocks{which} ({self.pattern}) folded into one ×{self.times} box; "
                "fold=False draws them all")


class _Ops:
    """The graph's ops in the order they were made, with their inputs, outputs and consumers."""

    def __init__(self, graph: ComputationGraph) -> None:
        nodes = graph.nodes
        n = len(nodes)
        self.inputs: list[list[int]] = [[] for _ in range(n)]  # per op, its input nodes by position
        self.output = [-1] * n  # per op, its output tensor node
        self.producer = [-1] * n  # per tensor node, the op that made it
        self.consumers: list[list[int]] = [[] for _ in range(n)]  # per node, the ops that read it
        for src, dst, pos in sorted(graph.edges, key=lambda e: (e[1], e[2])):
            if pos < 0:
                self.output[src] = dst
                self.producer[dst] = src
            else:
                self.inputs[dst].append(src)
                self.consumers[src].append(dst)
        # describe() adds ops newest first, so the reverse is the order they were made in
        self.order = [i for i in range(n - 1, -1, -1) if nodes[i].kind == OP]
        self.position = {op: k for k, op in enumerate(self.order)}
        self.local = {op: self._local_signature(graph, op) for op in self.order}

    def _local_signature(self, graph: ComputationGraph, op: int) -> tuple:
        """What an op does, independent of where it sits: name, attributes, its inputs' and output's shapes,
        and the numbers it was passed. Where an input comes from (a weight, the block before, the data) is
        left to the wiring checks: the first block's input may be a leaf where the others read an op."""
        nodes = graph.nodes
        fn = nodes[op].fn
        attrs = tuple((k, fmt_attr(v)) for k, v in sorted((fn.attrs or {}).items()))
        ins = []
        for src in self.inputs[op]:
            node = nodes[src]
            if node.kind == CONSTANT and node.shape == () and node.value is not None:
                ins.append((node.dtype, repr(node.value)))
            else:
                ins.append((node.shape, node.dtype))
        out = nodes[self.output[op]]
        return (op_name(fn), attrs, tuple(ins), out.shape, out.dtype)


def find_runs(seq: list, accept: Callable[[int, int, int], int]) -> list[tuple[int, int, int]]:
    """Non-overlapping runs (start, period, repeats) of a block of `seq` repeated at least MIN_REPEATS times.

    Greedy from the left, the run covering the most items first. `accept(start, period, repeats)` checks
    a candidate further and returns how many of its leading blocks pass (a run is kept when that is at
    least MIN_REPEATS). `same[p][i]` counts how many items from i on equal the item p places later, so a
    candidate's length is read, not scanned.
    """
    n = len(seq)
    ids: dict = {}
    codes = np.array([ids.setdefault(s, len(ids)) for s in seq], dtype=np.int64)
    same: dict[int, list[int]] = {}
    for p in range(1, min(MAX_PERIOD, n // MIN_REPEATS) + 1):
        differs = np.flatnonzero(codes[:-p] != codes[p:])  # where the item p places later is another one
        next_diff = np.full(n + 1, n - p, dtype=np.int64)  # from i on, the first such place (or the end)
        next_diff[differs] = differs
        next_diff = np.minimum.accumulate(next_diff[::-1])[::-1]
        same[p] = (next_diff[:n] - np.arange(n)).clip(0).tolist()
    runs = []
    i = 0
    while i < n:
        best = (0, 0)
        for p, run in same.items():
            repeats = 1 + run[i] // p
            if repeats >= MIN_REPEATS and repeats * p > best[0] * best[1]:
                best = (repeats, p)
        repeats, p = best
        if not repeats:
            i += 1
            continue
        passed = accept(i, p, repeats)
        if passed >= MIN_REPEATS:
            runs.append((i, p, passed))
            i += p * passed
        else:
            i += p * max(1, passed)
    return runs


def find_repeats(graph: ComputationGraph, titles: dict[str, str] | None = None) -> list[Repeat]:
    """Every run worth folding: identical sibling modules first (outermost first), then op patterns per scope."""
    titles = titles or {}
    ops = _Ops(graph)
    taken: set[int] = set()  # graph nodes already in a run
    repeats = _module_runs(graph, ops, titles, taken)
    by_scope: dict[str | None, list[int]] = {}
    for op in ops.order:
        if op not in taken:
            by_scope.setdefault(graph.nodes[op].scope, []).append(op)
    for scope in sorted(by_scope, key=lambda s: (s is not None, s or "")):
        repeats.extend(_op_runs(graph, ops, scope, by_scope[scope], taken))
    return repeats


# ---- identical sibling modules --------------------------------------------------------------------
def _within(scope: str | None, parent: str) -> bool:
    return scope is not None and (scope == parent or scope.startswith(parent + "."))


def _child(scope: str, parent: str | None) -> str | None:
    """The child of `parent` that `scope` lies in (`parent` None: the model), or None if it lies outside."""
    if parent is None:
        return scope.split(".", 1)[0]
    if not scope.startswith(parent + "."):
        return None
    rest = scope[len(parent) + 1:]
    return f"{parent}.{rest.split('.', 1)[0]}"


def _module_runs(graph: ComputationGraph, ops: _Ops, titles: dict[str, str], taken: set[int]) -> list[Repeat]:
    nodes = graph.nodes
    # parent scope (None: the model) -> child scope -> the child's ops (its sub-modules' too), oldest first
    tree: dict[str | None, dict[str, list[int]]] = {}
    for op in ops.order:
        scope = nodes[op].scope
        if scope is None:
            continue
        prefixes = _prefixes(scope)
        for parent, child in zip([None, *prefixes[:-1]], prefixes):
            tree.setdefault(parent, {}).setdefault(child, []).append(op)
    repeats: list[Repeat] = []
    folded: list[str] = []  # scopes inside a run: their children are not searched again
    for parent in sorted(tree, key=lambda s: (-1, "") if s is None else (s.count("."), s)):
        children = tree[parent]
        if len(children) < MIN_REPEATS or (parent is not None and any(_within(parent, f) for f in folded)):
            continue
        names = sorted(children, key=lambda c: ops.position[children[c][0]])
        block_of = {op: k for k, c in enumerate(names) for op in children[c]}
        signatures = [_block_signature(graph, ops, c, children[c], titles) for c in names]

        def chained(start: int, period: int, repeats: int, names=names, children=children,
                    block_of=block_of) -> int:
            """How many leading blocks each read something the block before made."""
            for r in range(1, repeats):
                first = start + r * period
                reads_previous = any(
                    first - period <= block_of.get(ops.producer[src], -1) < first
                    for k in range(first, first + period) for op in children[names[k]] for src in ops.inputs[op])
                if not reads_previous:
                    return r
            return repeats

        for start, period, times in find_runs(signatures, chained):
            run = set(names[start:start + period * times])
            feeds = _chain_inputs(graph, ops, [op for c in names[start:start + period] for op in children[c]],
                                  [op for c in names[start + period:start + 2 * period] for op in children[c]])
            members = [i for i, n in enumerate(nodes) if n.kind != OUTPUT and n.scope is not None
                       and _child(n.scope, parent) in run and i not in feeds]
            if len(members) < MIN_NODES:
                continue
            for i in feeds:  # the chain's input is drawn beside the box, not in the first module's cluster
                nodes[i].scope = parent
            taken.update(members)
            folded.extend(run)
            block = names[start:start + period]
            pattern = " → ".join(titles.get(c, _last(c)) for c in block)
            blocks = [_last(c) for c in names[start:start + period * times]]
            repeats.append(_finish(graph, ops, Repeat(members, parent, times, pattern, blocks=blocks), feeds))
    return repeats


def _chain_inputs(graph: ComputationGraph, ops: _Ops, first: list[int], second: list[int]) -> set[int]:
    """The tensors the first block reads where the second reads an op's output: the chain's input (the data,
    or a leaf), which stays outside the box."""
    out = set()
    for a, b in zip(first, second):
        for src_a, src_b in zip(ops.inputs[a], ops.inputs[b]):
            if ops.producer[src_a] == -1 and ops.producer[src_b] != -1:
                out.add(src_a)
    return out


def _block_signature(graph: ComputationGraph, ops: _Ops, scope: str, block: list[int], titles: dict[str, str]) -> tuple:
    """What a sibling module did: its class and sizes, and each op with the sub-scope it ran in and where its
    inputs came from (an op of the block, by offset, or outside)."""
    nodes = graph.nodes
    offset = {op: k for k, op in enumerate(block)}
    steps = []
    for op in block:
        wiring = tuple(offset.get(ops.producer[src], -1) for src in ops.inputs[op])
        sub = nodes[op].scope[len(scope):]
        steps.append((ops.local[op], wiring, sub))
    return titles.get(scope), tuple(steps)


# ---- repeated op patterns -------------------------------------------------------------------------
def _op_runs(graph: ComputationGraph, ops: _Ops, scope: str | None, seq: list[int], taken: set[int]) -> list[Repeat]:
    nodes = graph.nodes
    where = {op: k for k, op in enumerate(seq)}
    signatures = [ops.local[op] for op in seq]

    def wiring(k: int, start: int, period: int) -> tuple:
        """Where the inputs of op k come from, relative to its block: ("i", offset) inside the block,
        ("p", offset) the block before, "o" anywhere else."""
        block_start = start + (k - start) // period * period
        out = []
        for src in ops.inputs[seq[k]]:
            j = where.get(ops.producer[src], -1)
            if block_start <= j < k:
                out.append(("i", j - block_start))
            elif block_start - period <= j < block_start and j >= start:
                out.append(("p", j - block_start + period))
            else:
                out.append("o")
        return tuple(out)

    def chained(start: int, period: int, repeats: int) -> int:
        """How many leading blocks are wired alike, each reading the block before (the first from outside)."""
        if repeats < 2:
            return repeats
        second = [wiring(k, start, period) for k in range(start + period, start + 2 * period)]
        if not any(w != "o" and w[0] == "p" for ws in second for w in ws):
            return 1
        first = [wiring(k, start, period) for k in range(start, start + period)]
        for a, b in zip(first, second):
            if any(x != y and not (x == "o" and y[0] == "p") for x, y in zip(a, b)):
                return 1
        for r in range(2, repeats):
            block = range(start + r * period, start + (r + 1) * period)
            if [wiring(k, start, period) for k in block] != second:
                return r
        return repeats

    repeats = []
    for start, period, times in find_runs(signatures, chained):
        run_ops = seq[start:start + period * times]
        inside = set(run_ops)
        members = list(run_ops)
        feeds = set()  # block 0's inputs that the later blocks take from the block before: the chain's input
        for k in range(start, start + period):
            for src, w in zip(ops.inputs[seq[k]], wiring(k + period, start, period)):
                if w != "o" and w[0] == "p":
                    feeds.add(src)
        for op in run_ops:
            out = ops.output[op]
            if nodes[out].kind == INTERMEDIATE:
                members.append(out)
            for src in ops.inputs[op]:
                kind = nodes[src].kind
                if (kind in (PARAMETER, LEAF, CONSTANT) and src not in feeds
                        and all(c in inside for c in ops.consumers[src])):
                    members.append(src)
        members = sorted(set(members) - taken)
        if len(members) < MIN_NODES:
            continue
        taken.update(members)
        pattern = " → ".join(op_name(nodes[op].fn) for op in seq[start:start + period])
        repeats.append(_finish(graph, ops, Repeat(members, scope, times, pattern), feeds))
    return repeats


# ---- shapes in and out ----------------------------------------------------------------------------
def _finish(graph: ComputationGraph, ops: _Ops, repeat: Repeat, feeds: set[int]) -> Repeat:
    """Fill in the shapes of what flows into the box (the chain's input, not the weights) and out of it."""
    nodes = graph.nodes
    inside = set(repeat.members)
    shapes_in, shapes_out = [], []
    for src, dst, pos in graph.edges:
        if pos < 0:
            continue
        if dst in inside and src not in inside and (src in feeds or nodes[src].kind not in (PARAMETER, LEAF)):
            shape = nodes[src].shape
            if shape not in shapes_in:
                shapes_in.append(shape)
        if src in inside and dst not in inside and nodes[src].kind != OP:
            shape = nodes[src].shape
            if shape not in shapes_out:
                shapes_out.append(shape)
    for i in graph.roots:
        producer = ops.producer[i]
        if producer in inside and nodes[i].shape not in shapes_out:
            shapes_out.append(nodes[i].shape)
    repeat.shapes_in, repeat.shapes_out = shapes_in, shapes_out
    return repeat


def _prefixes(scope: str) -> list[str]:
    parts = scope.split(".")
    return [".".join(parts[: k + 1]) for k in range(len(parts))]


def _last(scope: str) -> str:
    return scope.rpartition(".")[2]
