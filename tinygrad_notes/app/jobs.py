"""The `demo` and `search` subcommands: argument parsing and friendly failures around demo.py and search_job.py."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
from typing import Any

from tinygrad_notes.app.threads import DEFAULT_THREADS
from tinygrad_notes.distribution import install_command

NEEDS = {  # module -> what to install; the demo's extra carries them all
    "matplotlib": "matplotlib", "tqdm": "tqdm", "sklearn": "scikit-learn", "graphviz": "graphviz",
}


def add_threads(p: argparse.ArgumentParser) -> None:
    """The --threads option every job has: BLAS threads while it runs (threadpoolctl), default 1."""
    p.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                   help=f"BLAS/OpenMP threads while the job runs (default: {DEFAULT_THREADS}; these small matrices "
                        "only slow down with more on a busy machine); set with threadpoolctl")


def add_demo(commands: Any) -> None:
    from tinygrad_notes.app.demo import DemoConfig

    d = DemoConfig()
    p = commands.add_parser(
        "demo", help="the course notes end to end on handwritten digits (the main job)",
        description="Split the digits into train/dev/test, normalize with the training statistics, build an MLP "
                    "with He initialization, gradient-check it, train it with mini-batch Adam, learning-rate decay, "
                    "L2, dropout and early stopping, check it again, diagnose bias and variance, and write the "
                    "graph, the learning curves, the gradient norms, a checkpoint and report.json to --out.")
    p.add_argument("--out", default=d.out, help=f"output folder (default: {d.out})")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the split, the initialization and dropout")
    p.add_argument("--hidden", type=_sizes, default=d.hidden, help="hidden layer sizes, e.g. 128 or 256,128")
    p.add_argument("--dropout", type=_fraction, default=d.dropout, help="dropout probability p (keep 1 - p)")
    p.add_argument("--lambd", type=_non_negative, default=d.lambd, help="L2 strength λ in λ/(2m) Σ‖W‖²")
    p.add_argument("--lr", type=_positive, default=d.lr, help="Adam's learning rate α₀")
    p.add_argument("--decay-rate", type=_non_negative, default=d.decay_rate, help="α = α₀ / (1 + rate · epoch)")
    p.add_argument("--batch-size", type=_positive_int, default=d.batch_size, help="mini-batch size")
    p.add_argument("--epochs", type=_positive_int, default=d.max_epochs, help="most epochs to train")
    p.add_argument("--patience", type=_positive_int, default=d.patience, help="early stopping's patience (epochs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--compile", action="store_true",
                   help="train with a compiled step (tinygrad_notes.compile): traced once, checked against eager, "
                        "then replayed as straight-line numpy; the same numbers, less time per epoch")
    add_threads(p)
    p.set_defaults(run=_run_demo, needs=("nn", "optim", "viz"))


def add_search(commands: Any) -> None:
    p = commands.add_parser(
        "search", help="random hyperparameter search on the demo's task, coarse to fine, in parallel",
        description="Random search (not a grid) with each hyperparameter on its right scale, in the notes' order "
                    "of importance: α = 10^r first, then hidden units and mini-batch size, then layers and "
                    "learning-rate decay, then λ and keep probability (Adam's β₁ stays at 0.9, as the notes "
                    "advise); then a second round zoomed into the region of the best trials. Trials run in "
                    "parallel with joblib and are seeded.")
    p.add_argument("--trials", type=_positive_int, default=12, help="trials per round (default: 12)")
    p.add_argument("--rounds", type=_positive_int, default=2, help="coarse-to-fine rounds (default: 2)")
    p.add_argument("--epochs", type=_positive_int, default=15, help="epochs per trial (default: 15)")
    p.add_argument("--jobs", type=int, default=-1,
                   help="parallel trials; -1 uses every core (default); with --backend dask and no --scheduler, "
                        "the local cluster's workers")
    p.add_argument("--backend", choices=("loky", "dask"), default="loky",
                   help="where trials run: loky worker processes on this machine (joblib's default), or Dask "
                        "(the cluster extra: pip install dask distributed)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --backend dask: the scheduler of a running cluster, e.g. tcp://host:8786 (its workers "
                        "must have tinygrad-notes installed); without it a local cluster is started")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (same seed, same table)")
    p.add_argument("--top", type=_positive_int, default=10, help="trials to print (default: 10)")
    add_threads(p)
    p.set_defaults(run=_run_search, needs=("nn", "optim"))


def _run_demo(args: argparse.Namespace) -> int:
    missing = _missing(["matplotlib", "sklearn", "graphviz", "threadpoolctl"] + ([] if args.no_progress else ["tqdm"]))
    if missing:
        return _explain_missing("demo", missing)
    from tinygrad_notes.app.demo import DemoConfig, run

    config = DemoConfig(out=args.out, seed=args.seed, hidden=args.hidden, dropout=args.dropout, lambd=args.lambd,
                        lr=args.lr, decay_rate=args.decay_rate, batch_size=args.batch_size, max_epochs=args.epochs,
                        patience=args.patience, progress=not args.no_progress, compile=args.compile)
    report = run(config)
    return 0 if report["gradcheck_at_init"]["passed"] and report["gradcheck_after_training"]["passed"] else 1


def _run_search(args: argparse.Namespace) -> int:
    if args.backend == "dask" and args.jobs == 1:
        print("tinygrad-notes search: --backend dask with --jobs 1 would run every trial here; give --jobs -1 (the "
              "cluster decides) or the number of local workers", file=sys.stderr)
        return 2
    if args.scheduler and args.backend != "dask":
        print("tinygrad-notes search: --scheduler is the address of a Dask scheduler; add --backend dask",
              file=sys.stderr)
        return 2
    missing = _missing(["sklearn", "threadpoolctl"] + (["joblib"] if args.jobs != 1 else []))
    if missing:
        return _explain_missing("search", missing, extra="demo,search")
    if args.backend == "dask":
        missing = _missing(["dask", "distributed"])
        if missing:
            return _explain_missing("search --backend dask", missing, extra="demo,search,cluster")
    from tinygrad_notes.app.search_job import run_search

    where = f"jobs {args.jobs}" if args.backend == "loky" else f"dask at {args.scheduler or 'a local cluster'}"
    print(f"coarse-to-fine search: {args.rounds} round(s) of {args.trials} trials, {args.epochs} epochs each, "
          f"seed {args.seed}, {where}; score = dev error (lower is better)", flush=True)
    backend: Any = contextlib.nullcontext()
    if args.backend == "dask":
        from tinygrad_notes.app.cluster import dask_backend

        backend = dask_backend(args.scheduler, n_workers=args.jobs if args.jobs > 0 else None)
    with backend:
        result = run_search(n_trials=args.trials, rounds=args.rounds, seed=args.seed, n_jobs=args.jobs,
                            epochs=args.epochs, threads=args.threads)  # each trial limits its own worker too
    print(_table(result.to_rows()[: args.top]))
    best = result.best
    print(f"\nbest: dev error {best.score:.2%} with " + ", ".join(f"{k}={_fmt(v)}" for k, v in best.params.items()))
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    columns = list(rows[0])
    cells = [[_fmt(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _missing(modules: list[str]) -> list[str]:
    return [NEEDS.get(m, m) for m in modules if importlib.util.find_spec(m) is None]


def _explain_missing(command: str, missing: list[str], extra: str = "demo") -> int:
    print(f"tinygrad-notes {command} needs {', '.join(missing)}, which is not installed. Install it with:\n"
          f"    {install_command(extra)}\n"
          f"or just the missing packages: {sys.executable} -m pip install {' '.join(missing)}\n"
          "(from a clone, `bash go.sh demo` sets everything up).", file=sys.stderr)
    return 2


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.replace(" ", "").split(",") if s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 128 or 256,128, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive whole numbers, got {text!r}")
    return sizes


def _number(text: str, ok: Any, what: str, kind: type = float) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _fraction(text: str) -> float:
    return _number(text, lambda v: 0 <= v < 1, "a probability in [0, 1)")


def _positive(text: str) -> float:
    return _number(text, lambda v: v > 0, "a positive number")


def _non_negative(text: str) -> float:
    return _number(text, lambda v: v >= 0, "a number >= 0")


def _positive_int(text: str) -> int:
    return _number(text, lambda v: v > 0, "a positive whole number", int)
