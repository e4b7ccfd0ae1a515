"""viz's dominator computation (Lengauer-Tarjan) against the definition, on random graphs with and without cycles."""

from __future__ import annotations

import numpy as np
import pytest

from viz.view import dominators


def reachable(n: int, inputs: list[list[int]], roots: list[int], removed: int | None = None) -> set[int]:
    """Nodes reachable from the virtual root n without passing through `removed`."""
    succ = inputs + [roots]
    seen, stack = {n}, [n]
    while stack:
        v = stack.pop()
        for w in succ[v]:
            if w != removed and w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


def idom_by_definition(n: int, inputs: list[list[int]], roots: list[int]) -> list[int]:
    """d dominates v when v cannot be reached without d; the immediate one is the strict dominator that every
    other strict dominator of v dominates (the closest to v)."""
    reach = reachable(n, inputs, roots)
    dominated_by = {d: reach - reachable(n, inputs, roots, removed=d) for d in range(n)}  # nodes cut off by d
    idom = [-1] * (n + 1)
    idom[n] = n
    for v in reach - {n}:
        strict = [d for d in range(n) if d != v and v in dominated_by[d]]
        closest = [d for d in strict if all(d == e or d in dominated_by[e] for e in strict)]
        idom[v] = closest[0] if closest else n  # no strict dominator but the virtual root
    return idom


def postorder_reversed(n: int, inputs: list[list[int]], roots: list[int]) -> list[int]:
    """The reference order: a recursive depth-first search, children in their listed order."""
    succ = inputs + [roots]
    seen, out = set(), []

    def visit(v: int) -> None:
        seen.add(v)
        for w in succ[v]:
            if w not in seen:
                visit(w)
        out.append(v)

    visit(n)
    return out[::-1]


def random_graph(rng: np.random.Generator, n: int, acyclic: bool) -> tuple[list[list[int]], list[int]]:
    inputs: list[list[int]] = [[] for _ in range(n)]
    for v in range(n):
        for _ in range(rng.integers(0, 4)):
            w = int(rng.integers(0, n))
            if acyclic and w <= v:
                continue  # edges only towards larger numbers: a DAG
            inputs[v].append(w)  # repeats allowed, as in a picture's unit graph
    roots = sorted({int(r) for r in rng.integers(0, n, rng.integers(1, 3))})
    return inputs, roots


@pytest.mark.parametrize("acyclic", [True, False], ids=["dag", "cycles"])
def test_immediate_dominators_match_the_definition_on_random_graphs(acyclic):
    rng = np.random.default_rng(7 if acyclic else 8)
    for _ in range(300):
        n = int(rng.integers(1, 14))
        inputs, roots = random_graph(rng, n, acyclic)
        idom, order = dominators(n, inputs, roots)
        assert idom == idom_by_definition(n, inputs, roots), (n, inputs, roots)
        assert order == postorder_reversed(n, inputs, roots)


def test_a_long_fan_in_has_the_dominators_of_its_shape():
    """y = y + x[i], i = 1..k, drawn as units: add_i -> (y_{i-1}, getitem_i), getitem_i -> x, numbered from the
    output. Every add dominates the chain below it; x is reached through any getitem, so only the last add
    dominates it."""
    k = 2_000
    # units: 3 per step (add, its input y below, the getitem), then x
    add, below, get = (lambda i: 3 * i), (lambda i: 3 * i + 1), (lambda i: 3 * i + 2)
    x = 3 * k
    inputs: list[list[int]] = [[] for _ in range(x + 1)]
    for i in range(k):
        inputs[add(i)] = [below(i), get(i)]
        inputs[get(i)] = [x]
        if i + 1 < k:
            inputs[below(i)] = [add(i + 1)]
    idom, order = dominators(x + 1, inputs, [add(0)])
    assert idom[add(0)] == x + 1  # the virtual root
    assert all(idom[get(i)] == add(i) for i in range(k))
    assert all(idom[below(i)] == add(i) for i in range(k - 1))
    assert all(idom[add(i + 1)] == below(i) for i in range(k - 1))
    assert idom[x] == add(0)
    assert len(order) == x + 2
