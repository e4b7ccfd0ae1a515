"""What a picture shows: the graph's nodes grouped into visible units, collapsed until they fit `max_nodes`.

First, unless `fold=False`, each run of repeated blocks (repeats.py: identical
sibling modules, a repeated op pattern in a chain) becomes one `×N` unit.
Graphviz's layout time explodes with size (minutes for 5,000 nodes), so a big
graph is then collapsed rather than drawn whole, in this order, each step only if the
previous one did not fit:

1. modules: every node recorded under a `name_scope` becomes part of one node per
   module, at the finest depth of the dotted names that fits (`layers.0`, then `layers`);
2. folding chains: the nodes every path from the output must cross (dominators:
   each layer's output in a deep net, each block's output in a residual net) form
   chains; the middle of the longest chain, with everything hanging off it
   (weights, constants, skip branches), becomes one "folded" node, keeping as many
   steps visible at each end as the budget allows;
3. cutting: only the units nearest the output are kept; a note node stands for the rest
   (a wide fan-in, such as a sum of hundreds of terms, is no chain to fold).

Every step that happens is described in `View.notes`, which the picture shows.
"""

from __future__ import annotations

from collections import Counter

from viz.graph import CONSTANT, INTERMEDIATE, LEAF, OP, OUTPUT, PARAMETER, ComputationGraph, common_scope
from viz.repeats import Repeat, find_repeats

MODULE, FOLD, NOTE, REPEAT = "module", "fold", "note", "repeat"
MAX_FOLD_PASSES = 8
MIN_FOLD = 10  # a fold replaces at least this many units (or a quarter of the excess, if more)


class Unit:
    """One visible node: a single graph node, a collapsed module, a folded stretch, or the note."""

    __slots__ = ("kind", "members", "scope", "title", "modules", "repeat")

    def __init__(self, kind: str, members: list[int], scope: str | None, title: str | None = None,
                 repeat: Repeat | None = None) -> None:
        self.kind = kind  # a graph node kind for a single node, else MODULE / FOLD / NOTE / REPEAT
        self.members = members  # graph node indices drawn by this unit
        self.scope = scope  # the cluster it is drawn in
        self.title = title  # a module's dotted name
        self.modules: list[str] = []  # names of collapsed modules a fold swallowed
        self.repeat = repeat  # what a REPEAT unit folded

    @property
    def single(self) -> bool:
        return self.kind not in (MODULE, FOLD, NOTE, REPEAT)


class View:
    """Units, edges between them, and what was collapsed (in words)."""

    def __init__(self, graph: ComputationGraph, units: list[Unit], unit_of: list[int], notes: list[str]) -> None:
        self.graph = graph
        self.units = units
        self.unit_of = unit_of
        self.notes = notes
        self.edges = self._edges()

    def _edges(self) -> list[tuple[int, int, int]]:
        """Graph edges between units: kept one by one (with positions) between single nodes, else merged."""
        out: list[tuple[int, int, int]] = []
        merged: set[tuple[int, int]] = set()
        units, unit_of = self.units, self.unit_of
        for src, dst, pos in self.graph.edges:
            a, b = unit_of[src], unit_of[dst]
            if a == b:
                continue
            if units[a].single and units[b].single:
                out.append((a, b, pos))
            elif (a, b) not in merged:
                merged.add((a, b))
                out.append((a, b, -1))
        return out


def build_view(graph: ComputationGraph, collapse: bool | int = False, max_nodes: int | None = 200,
               fold: bool = True, titles: dict[str, str] | None = None) -> View:
    """Group the graph's nodes into units: repeated blocks folded (unless fold=False), modules collapsed as
    asked, then as needed to fit `max_nodes`. `titles` names modules for the repeats' labels."""
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 5):
        raise ValueError(f"draw_graph: max_nodes must be an int of at least 5, or None to draw everything; "
                         f"got {max_nodes!r}")
    if isinstance(collapse, int) and not isinstance(collapse, bool) and collapse < 1:
        raise ValueError(f"draw_graph: collapse must be True, False or a depth >= 1 of dotted module names; "
                         f"got {collapse!r}")
    notes: list[str] = []
    depth = None if collapse is False else (0 if collapse is True else collapse)
    repeats = find_repeats(graph, titles) if fold else []
    units, unit_of = module_units(graph, depth, repeats)
    total = len(graph.nodes)
    budget = None if max_nodes is None else max_nodes - 1  # one place kept for the note
    if budget is not None and len(units) > max_nodes:
        if depth is None and any(n.scope is not None for n in graph.nodes):
            units, unit_of, depth = _collapse_to_fit(graph, budget, repeats)
            n_modules = sum(1 for u in units if u.kind == MODULE)
            notes.append(f"{n_modules} module(s) collapsed to one node each (dotted names cut at depth {depth})")
        for _ in range(MAX_FOLD_PASSES):
            if len(units) <= budget:
                break
            units, unit_of, n = fold_spine(units, unit_of, graph, len(units) - budget, budget)
            if n == 0:
                break
        hidden = 0
        if len(units) > budget:
            units, unit_of, hidden = cut(units, unit_of, graph, budget)
        folds = [u for u in units if u.kind == FOLD]
        if folds:
            folded = sum(len(u.members) for u in folds)
            notes.append(f"{folded:,} nodes in the middle of {'a long chain' if len(folds) == 1 else 'long chains'} "
                         f"folded into {'one' if len(folds) == 1 else len(folds)}")
        if hidden:
            notes.append(f"{hidden:,} nodes farthest from the output left out (the note stands for them)")
        if notes:
            notes.append(f"max_nodes={max_nodes} of {total:,}: pass max_nodes=None to draw them all "
                         "(Graphviz needs minutes to lay out thousands of nodes)")
    notes[:0] = [unit.repeat.note for unit in units if unit.repeat is not None]
    if notes and not any(u.kind == NOTE for u in units):
        units.append(Unit(NOTE, [], None))
    return View(graph, units, unit_of, notes)


# ---- 1. modules ---------------------------------------------------------------------------------
def _absorbable(graph: ComputationGraph, i: int) -> bool:
    """Drawn inside a collapsed module: its ops, their results, its weights (parameters, and leaves that
    require grad used only inside it) and the constants passed to its ops."""
    node = graph.nodes[i]
    kind = node.kind
    if kind in (OP, INTERMEDIATE, PARAMETER, LEAF):
        return True
    return kind == CONSTANT and node.scope is not None


def _cut_scope(scope: str, depth: int) -> str:
    return scope if depth == 0 else ".".join(scope.split(".")[:depth])


def _parent(scope: str) -> str | None:
    head, dot, _ = scope.rpartition(".")
    return head if dot else None


def module_units(graph: ComputationGraph, depth: int | None,
                 repeats: list[Repeat] = ()) -> tuple[list[Unit], list[int]]:
    """One unit per graph node, except that with `depth` (0: the full dotted name) every node recorded
    inside a module becomes part of that module's single unit, and each run of `repeats` is one unit
    (unless it lies inside a collapsed module, which then holds it)."""
    units: list[Unit] = []
    unit_of = [0] * len(graph.nodes)
    groups: dict[str, int] = {}
    in_repeat: dict[int, int] = {}
    for repeat in repeats:
        if depth is not None and depth > 0 and repeat.scope is not None and repeat.scope.count(".") + 1 >= depth:
            continue  # the collapsed module that holds the run draws it
        u = len(units)
        units.append(Unit(REPEAT, [], repeat.scope, repeat=repeat))
        for i in repeat.members:
            in_repeat[i] = u
    for i, node in enumerate(graph.nodes):
        u = in_repeat.get(i)
        if u is not None:
            units[u].members.append(i)
            unit_of[i] = u
            continue
        scope = node.scope
        if depth is not None and scope is not None and node.kind != OUTPUT and _absorbable(graph, i):
            name = _cut_scope(scope, depth)
            u = groups.get(name)
            if u is None:
                u = groups[name] = len(units)
                units.append(Unit(MODULE, [], _parent(name), title=name))
            units[u].members.append(i)
            unit_of[i] = u
        else:
            unit_of[i] = len(units)
            units.append(Unit(node.kind, [i], scope))
    return units, unit_of


def _collapse_to_fit(graph: ComputationGraph, budget: int,
                     repeats: list[Repeat] = ()) -> tuple[list[Unit], list[int], int]:
    """The finest module collapse that fits the budget (or the coarsest there is): units and the depth used."""
    depths = [s.count(".") + 1 for s in {n.scope for n in graph.nodes if n.scope is not None}]
    for depth in range(max(depths), 0, -1):
        units, unit_of = module_units(graph, depth, repeats)
        if len(units) <= budget:
            break
    return units, unit_of, depth


# ---- 2. folding along the spine -------------------------------------------------------------------
def _unit_inputs(units: list[Unit], unit_of: list[int], graph: ComputationGraph) -> tuple[list[list], list[int]]:
    """For each unit, the units that feed it (repeats are harmless), and the units that hold the roots."""
    inputs: list[list[int]] = [[] for _ in units]
    for src, dst, _ in graph.edges:
        a, b = unit_of[src], unit_of[dst]
        if a != b:
            inputs[b].append(a)
    roots = []
    for r in graph.roots:
        if unit_of[r] not in roots:
            roots.append(unit_of[r])
    return inputs, roots


def dominators(n: int, inputs: list[list[int]], roots: list[int]) -> tuple[list[int], list[int]]:
    """Immediate dominators, walking from the outputs towards the inputs (Lengauer and Tarjan).

    Node n is a virtual root above `roots`. Returns (idom, order): idom[v] is the
    closest node that every path from the outputs to v crosses (-1 if unreachable),
    order the reachable nodes in reverse postorder. Iterative throughout and near-linear,
    O(m log n) for m edges with path compression: 0.5 s for the 400,000 nodes of a
    100,000-input fan-in. (Cooper-Harvey-Kennedy's simpler iteration was quadratic on
    such a fan-in, y = y + x[i]: each read of x walked the dominator chain back up.)
    Flat lists of ints rather than a list per node: millions of small containers would
    make Python's garbage collector sweep the whole graph again and again.
    """
    root = n
    succ = inputs + [roots]
    # 1. depth-first search from the root: preorder numbers, tree parents (as numbers), postorder
    pre = [-1] * (n + 1)  # preorder number of each node (-1: not reached)
    vertex = [root]  # the node with each preorder number
    parent = [0]  # the tree parent of each number, as a number
    order: list[int] = []
    pre[root] = 0
    nodes, positions = [root], [0]  # the search's stack: a node, and how many of its children were looked at
    while nodes:
        v = nodes[-1]
        children = succ[v]
        k, m = positions[-1], len(children)
        while k < m and pre[children[k]] != -1:
            k += 1
        if k < m:
            positions[-1] = k + 1
            w = children[k]
            pre[w] = len(vertex)
            vertex.append(w)
            parent.append(pre[v])
            nodes.append(w)
            positions.append(0)
        else:
            nodes.pop()
            positions.pop()
            order.append(v)
    order.reverse()
    count = len(vertex)
    # 2. predecessors by number, in one flat list: those of w are flat[start[w]:start[w + 1]]
    start = [0] * (count + 1)
    for v in vertex:
        for w in succ[v]:
            start[pre[w] + 1] += 1
    for i in range(count):
        start[i + 1] += start[i]
    fill = start[:]
    flat = [0] * start[count]
    for i, v in enumerate(vertex):
        for w in succ[v]:
            j = pre[w]
            flat[fill[j]] = i
            fill[j] += 1
    # 3. semidominators in reverse preorder, then immediate dominators
    semi = list(range(count))
    label = list(range(count))
    ancestor = [-1] * count  # the forest linked as the numbers are processed
    idom_number = [0] * count
    bucket_head = [-1] * count  # bucket[s]: the numbers whose semidominator is s, as linked lists
    bucket_next = [-1] * count
    path: list[int] = []

    def evaluate(v: int) -> int:
        """The number with the smallest semidominator on v's path up the forest (compressing the path)."""
        a = ancestor[v]
        if a == -1:
            return v
        if ancestor[a] != -1:
            x = v
            while ancestor[ancestor[x]] != -1:
                path.append(x)
                x = ancestor[x]
            while path:  # nearest the forest's root first: its ancestor is compressed already
                x = path.pop()
                a = ancestor[x]
                if semi[label[a]] < semi[label[x]]:
                    label[x] = label[a]
                ancestor[x] = ancestor[a]
        return label[v]

    for w in range(count - 1, 0, -1):
        s = semi[w]
        for j in range(start[w], start[w + 1]):
            u = flat[j]
            if ancestor[u] != -1:  # (a number not linked yet is its own answer: skip the call)
                u = evaluate(u)
            if semi[u] < s:
                s = semi[u]
        semi[w] = s
        bucket_next[w] = bucket_head[s]
        bucket_head[s] = w
        p = parent[w]
        ancestor[w] = p
        v = bucket_head[p]
        while v != -1:
            u = evaluate(v)
            idom_number[v] = u if semi[u] < semi[v] else p
            v = bucket_next[v]
        bucket_head[p] = -1
    for w in range(1, count):
        if idom_number[w] != semi[w]:
            idom_number[w] = idom_number[idom_number[w]]
    idom = [-1] * (n + 1)
    idom[root] = root
    for w in range(1, count):
        idom[vertex[w]] = vertex[idom_number[w]]
    return idom, order


def fold_spine(units: list[Unit], unit_of: list[int], graph: ComputationGraph,
               excess: int, budget: int) -> tuple[list[Unit], list[int], int]:
    """Fold the middle of the longest chain of small steps into one unit, removing about `excess` units.

    The dominator tree is cut into heavy paths (from each node, on to its biggest
    subtree); a step of a path holds its node and the small subtrees hanging off it
    (a layer's weight, a residual branch). The longest run of steps that each hold
    at most `max(8, budget // 8)` units is a chain: its middle is folded, keeping
    as many steps at each end as the budget allows. A wide fan-in (a sum of 150
    terms) is not a chain; cutting handles it.
    Returns the new units, the new unit_of and how many units were folded (0 when nothing could be).
    """
    n = len(units)
    inputs, roots = _unit_inputs(units, unit_of, graph)
    idom, order = dominators(n, inputs, roots)
    children: list[list[int]] = [[] for _ in range(n + 1)]
    for v in order[1:]:
        children[idom[v]].append(v)
    size = [1] * (n + 1)
    for v in reversed(order[1:]):
        size[idom[v]] += size[v]
    heavy = [max(c, key=size.__getitem__) if c else -1 for c in children]
    limit = max(8, budget // 8)
    best_path: list[int] = []
    best_run = (0, 0)
    best_gain = max(MIN_FOLD, excess // 4) - 1  # a fold must be worth a node: no folding of 5-node twigs
    for head in order[1:]:
        if idom[head] != n and heavy[idom[head]] == head:
            continue  # not the start of a heavy path
        path = [head]
        while heavy[path[-1]] != -1:
            path.append(heavy[path[-1]])
        start = 0
        for j in range(len(path) + 1):
            small = j < len(path) and size[path[j]] - (size[heavy[path[j]]] if heavy[path[j]] != -1 else 0) <= limit
            if small:
                continue
            if j - start >= 3:
                gain = size[path[start + 1]] - size[path[j - 1]]
                if gain > best_gain:
                    best_path, best_run, best_gain = path, (start, j), gain
            start = j + 1
    if not best_path:
        return units, unit_of, 0
    p, q = best_run

    def folded(k: int) -> int:  # units folded when k steps of the run stay visible at each end
        return size[best_path[p + k]] - size[best_path[q - k]]

    # Keep as much as the budget allows: the largest k that still folds `excess` units (folded(k) shrinks as k
    # grows), or k = 1 when even the longest fold is not enough and another pass must follow.
    k_best, lo, hi = 1, 1, (q - p - 1) // 2
    while lo <= hi:
        k = (lo + hi) // 2
        if folded(k) - 1 >= excess:
            k_best, lo = k, k + 1
        else:
            hi = k - 1
    top, bottom = best_path[p + k_best], best_path[q - k_best]
    inside = []
    stack = [top]
    while stack:
        v = stack.pop()
        if v == bottom:
            continue
        inside.append(v)
        stack.extend(children[v])
    return (*_merge(units, unit_of, inside), len(inside))


def _merge(units: list[Unit], unit_of: list[int], inside: list[int]) -> tuple[list[Unit], list[int]]:
    """Replace the units `inside` by one fold unit."""
    fold_set = set(inside)
    scope = units[inside[0]].scope
    fold = Unit(FOLD, [], scope)
    remap = [0] * len(units)
    new_units: list[Unit] = []
    for u, unit in enumerate(units):
        if u in fold_set:
            fold.members.extend(unit.members)
            fold.scope = common_scope(fold.scope, unit.scope)
            if unit.kind == MODULE:
                fold.modules.append(unit.title or "")
            fold.modules.extend(unit.modules)
            remap[u] = -1
        else:
            remap[u] = len(new_units)
            new_units.append(unit)
    fold_index = len(new_units)
    new_units.append(fold)
    new_unit_of = [fold_index if remap[u] == -1 else remap[u] for u in unit_of]
    return new_units, new_unit_of


# ---- 3. cutting -----------------------------------------------------------------------------------
def cut(units: list[Unit], unit_of: list[int], graph: ComputationGraph,
        budget: int) -> tuple[list[Unit], list[int], int]:
    """Keep the `budget` units nearest the output (breadth first towards the inputs); a note unit stands for
    the rest. Returns the new units, unit_of and how many graph nodes were left out."""
    inputs, roots = _unit_inputs(units, unit_of, graph)
    keep: list[int] = []
    seen = set(roots)
    queue = list(roots)
    head = 0
    while head < len(queue) and len(keep) < budget:
        v = queue[head]
        head += 1
        keep.append(v)
        for w in inputs[v]:
            if w not in seen:
                seen.add(w)
                queue.append(w)
    kept = set(keep)
    remap = {}
    new_units = []
    for u in sorted(kept):
        remap[u] = len(new_units)
        new_units.append(units[u])
    note = len(new_units)
    new_units.append(Unit(NOTE, [], None))
    hidden = 0
    new_unit_of = []
    for u in unit_of:
        if u in remap:
            new_unit_of.append(remap[u])
        else:
            new_unit_of.append(note)
            hidden += 1
    return new_units, new_unit_of, hidden


def op_counts(graph: ComputationGraph, members: list[int]) -> Counter:
    """How many of each op a group holds ("matmul": 3, ...)."""
    from tinygrad_notes import op_name

    return Counter(op_name(graph.nodes[i].fn) for i in members if graph.nodes[i].kind == OP)
