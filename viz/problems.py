"""What is wrong in a graph, per node: values or gradients that are not finite, gradient norms, and the entries
of a gradient-checker report (matched by name) with the ops that consume a failed parameter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from viz.graph import CONSTANT, OP, ComputationGraph


def nonfinite(arr: Any) -> tuple[int, int]:
    """(number of NaN, number of ±Inf) in a float array; (0, 0) for anything else."""
    a = np.asarray(arr)
    if a.dtype.kind not in "fc" or a.size == 0:
        return 0, 0
    if np.isfinite(a).all():
        return 0, 0
    nan = int(np.isnan(a).sum())
    return nan, int(a.size - nan - np.isfinite(a).sum())


def norm(arr: Any) -> float:
    """||arr||_2 in float64, so a float32 gradient of 1e20 does not overflow to Inf."""
    a = np.asarray(arr)
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64)))) if a.size else 0.0


def report_entries(report: Any) -> list[Any]:
    """The entries of a gradient-check report (`report.entries`), or the entries themselves given as a list."""
    if report is None:
        return []
    entries = getattr(report, "entries", report)
    if not isinstance(entries, Iterable):
        raise TypeError(f"draw_graph: report must be a gradient-check report with .entries (each with .name, "
                        f".passed, .rel_error); got {type(report).__name__}")
    entries = list(entries)
    for e in entries:
        if not all(hasattr(e, a) for a in ("name", "passed", "rel_error")):
            raise TypeError(f"draw_graph: each report entry needs .name, .passed and .rel_error; got {e!r:.80}")
    return entries


class Problems:
    """Facts about the nodes of one graph that the picture highlights."""

    def __init__(self, graph: ComputationGraph, report: Any = None) -> None:
        self.graph = graph
        self.bad_data: dict[int, tuple[int, int]] = {}  # node -> (NaN count, Inf count) of its values
        self.bad_grad: dict[int, tuple[int, int]] = {}
        self.grad_norm: dict[int, float] = {}
        self.check: dict[int, Any] = {}  # node -> its gradient-check entry
        self.failed_input: set[int] = set()  # ops that consume a parameter whose check failed
        self.nan_origin: set[int] = set()  # ops whose output is not finite though their inputs are
        self.unmatched: list[str] = []  # report entries with no node of that name in the graph
        self._scan()
        self._overlay(report_entries(report))

    def _scan(self) -> None:
        nodes = self.graph.nodes
        for i, node in enumerate(nodes):
            if node.kind == OP or node.kind == CONSTANT and node.tensor is None:
                continue  # a constant passed as a number is judged by the op that reads it (_find_origins)
            if node.value is not None:
                bad = nonfinite(node.value)
                if bad != (0, 0):
                    self.bad_data[i] = bad
            if node.grad is not None:
                self.grad_norm[i] = norm(node.grad)
                bad = nonfinite(node.grad)
                if bad != (0, 0):
                    self.bad_grad[i] = bad
        if self.bad_data:
            self._find_origins()

    def _find_origins(self) -> None:
        """The ops whose output is not finite although none of their inputs (tensors or constants) is."""
        nodes = self.graph.nodes

        def bad(i: int) -> bool:
            return i in self.bad_data or (nodes[i].value is not None and nonfinite(nodes[i].value) != (0, 0))

        inputs: dict[int, list[int]] = {}
        output: dict[int, int] = {}
        for src, dst, pos in self.graph.edges:
            if pos < 0:
                output[src] = dst
            else:
                inputs.setdefault(dst, []).append(src)
        for op, out in output.items():
            if out in self.bad_data and not any(bad(i) for i in inputs.get(op, ())):
                self.nan_origin.add(op)

    def _overlay(self, entries: list[Any]) -> None:
        if not entries:
            return
        by_name: dict[str, list[int]] = {}
        for i, node in enumerate(self.graph.nodes):
            if node.name is not None and node.kind != OP:
                by_name.setdefault(node.name, []).append(i)
        failed = set()
        for e in entries:
            found = by_name.get(str(e.name))
            if not found:
                self.unmatched.append(str(e.name))
                continue
            for i in found:
                self.check[i] = e
                if not e.passed:
                    failed.add(i)
        for src, dst, pos in self.graph.edges:
            if pos >= 0 and src in failed:
                self.failed_input.add(dst)

    def is_bad(self, i: int) -> bool:
        """Non-finite values or gradient, a failed check, or an op fed by a failed parameter."""
        if i in self.bad_data or i in self.bad_grad or i in self.failed_input or i in self.nan_origin:
            return True
        entry = self.check.get(i)
        return entry is not None and not entry.passed
