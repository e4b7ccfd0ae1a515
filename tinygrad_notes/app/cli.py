"""The `tinygrad-notes` command (also `python -m tinygrad_notes`): demo, gradcheck and search.

`tinygrad-notes gradcheck` checks every op of the registry at first and second
order and prints a table (op, samples, worst relative error per order, verdict);
it exits with 1 if any op fails, and with 3 (never silently) when `nn`, `optim`
or `viz` is another distribution's package of that name. Subcommands are added with one `_add_*` function
each, so later jobs (`demo`, `search`) sit beside it.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_notes import __version__
from tinygrad_notes.app.jobs import add_demo, add_search, add_threads
from tinygrad_notes.app.threads import limited_threads
from tinygrad_notes.distribution import ForeignPackageError, import_ours

MAX_DETAILS = 5  # failing samples whose full report is printed after the table


FOREIGN_PACKAGE_EXIT = 3  # nn, optim or viz is another distribution's package: see tinygrad_notes/distribution.py


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(prog="tinygrad-notes", description="tinygrad_notes from the command line")
    parser.add_argument("--version", action="version", version=f"tinygrad-notes {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.required = True
    add_demo(commands)
    _add_gradcheck(commands)
    add_search(commands)
    args = parser.parse_args(argv)
    try:
        for package in args.needs:  # loud, never silent, when a package of that name is someone else's
            import_ours(package)
        with limited_threads(getattr(args, "threads", None)):  # every job: the BLAS threads --threads asks for
            return int(args.run(args))
    except ForeignPackageError as err:
        print(f"tinygrad-notes {args.command}: {err}", file=sys.stderr)
        return FOREIGN_PACKAGE_EXIT


# ---- gradcheck -----------------------------------------------------------------------------------
def _add_gradcheck(commands: Any) -> None:
    p = commands.add_parser("gradcheck", help="check the gradient of every registered op",
                            description="Check every op of the registry (the engine's, and nn's when it is "
                                        "installed) by two-sided finite differences, at first and second order.")
    p.add_argument("--op", action="append", metavar="NAME",
                   help="check only this op (a registry name such as Tensor.exp, or one it covers); repeatable")
    p.add_argument("--fast", action="store_true", help="random projections v.J.u instead of every component")
    p.add_argument("--order", type=int, choices=(1, 2), help="only first (1) or only second (2) order")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and of the random projections")
    p.add_argument("--list", action="store_true",
                   help="list every op: differentiable or not, and the formula of its derivative (docs/ops.md)")
    add_threads(p)
    p.set_defaults(run=_run_gradcheck, needs=("nn",))  # nn provides registry entries


@dataclass
class OpResult:
    """One op's outcome over its samples: worst relative error and failures per order."""

    name: str
    samples: int = 0
    worst: dict[int, float] = field(default_factory=dict)
    failures: list[tuple[int, str, Any]] = field(default_factory=list)  # (order, sample note, report or error)
    kinks: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def check_op(op: Any, orders: Sequence[int], fast: bool = False, seed: int = 0) -> OpResult:
    """Run gradcheck (order 1) and gradgradcheck (order 2, when the op has one) on every sample of `op`."""
    from tinygrad_notes.gradcheck import gradcheck, gradgradcheck

    result = OpResult(op.name)
    for sample in op.samples(np.random.default_rng(seed)):
        result.samples += 1

        def fn(*tensors: Any, _kwargs: dict = sample.kwargs) -> Any:
            return op.fn(*tensors, **_kwargs)

        for order in orders:
            if order == 2 and not op.second_order:
                continue
            checker = gradcheck if order == 1 else gradgradcheck
            try:
                report = checker(fn, list(sample.inputs), fast=fast, seed=seed)
            except Exception as err:  # noqa: BLE001 - an op that crashes is reported as a failure
                result.failures.append((order, sample.note, f"{type(err).__name__}: {err}"))
                result.worst[order] = float("inf")
                continue
            result.worst[order] = max(result.worst.get(order, 0.0), report.rel_error)
            result.kinks += report.kinks
            if not report.passed:
                result.failures.append((order, sample.note, report))
    return result


def _select(ops: list, names: Sequence[str] | None) -> list:
    if not names:
        return ops
    chosen = []
    for name in names:
        found = [op for op in ops if name == op.name or name in op.covers]
        if not found:
            found = [op for op in ops if name in (op.name.split(".")[-1], *[c.split(".")[-1] for c in op.covers])]
        if not found:
            names_known = [n for op in ops for n in (op.name, *op.covers)]
            close = difflib.get_close_matches(name, names_known, n=4, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise SystemExit(f"tinygrad-notes gradcheck: no registered op called {name!r}; {hint}"
                             "`tinygrad-notes gradcheck --list` shows them all")
        chosen += [op for op in found if op not in chosen]
    return chosen


def _run_gradcheck(args: argparse.Namespace) -> int:
    from tinygrad_notes.gradcheck.registry import all_ops

    ops = all_ops()
    if args.list:
        from tinygrad_notes.gradcheck.optable import text

        print(text())
        return 0
    ops = _select(ops, args.op)
    orders = [args.order] if args.order else [1, 2]
    start = time.perf_counter()
    header = f"{'op':34s} {'samples':>7s}  {'order 1':>9s}  {'order 2':>9s}  verdict"
    print(f"gradient check of {len(ops)} ops, {'fast' if args.fast else 'full'} mode, seed {args.seed}")
    print(header)
    print("-" * len(header))
    results = []
    for op in ops:
        r = check_op(op, orders, fast=args.fast, seed=args.seed)
        results.append(r)
        cells = [_rel(r.worst.get(o)) if o in orders and (o == 1 or op.second_order) else "-" for o in (1, 2)]
        verdict = "ok" + (f" ({r.kinks} kinks)" if r.kinks else "") if r.passed else f"FAILED ({len(r.failures)})"
        print(f"{op.name:34s} {r.samples:7d}  {cells[0]:>9s}  {cells[1]:>9s}  {verdict}", flush=True)
    failed = [r for r in results if not r.passed]
    seconds = time.perf_counter() - start
    print("-" * len(header))
    samples = sum(r.samples for r in results)
    print(f"{len(results) - len(failed)}/{len(results)} ops passed ({samples} samples, "
          f"order{'s' if len(orders) > 1 else ''} {' and '.join(map(str, orders))}) in {seconds:.1f} s")
    shown = [(r.name, *failure) for r in failed for failure in r.failures]
    for name, order, note, detail in shown[:MAX_DETAILS]:
        print(f"\n{name}, order {order}, sample '{note}':")
        print(detail)
    if len(shown) > MAX_DETAILS:
        print(f"\n... and {len(shown) - MAX_DETAILS} more failing samples (use --op NAME to see one op's)")
    return 1 if failed else 0


def _rel(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"
