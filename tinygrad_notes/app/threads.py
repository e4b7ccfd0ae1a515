"""BLAS (and OpenMP) threads of a CLI job, limited with threadpoolctl while the job runs.

The jobs multiply small matrices: extra BLAS threads only contend with each other
and with other processes. Measured on a busy 2-core machine, the demo's training
took 5-10 s with the BLAS default and 0.5-0.7 s with one thread. The limit is set
by the job itself (`--threads N`, default 1), not by environment variables of a
launcher script, and each search trial sets it again in its worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_THREADS = 1


@contextmanager
def limited_threads(n: int | None = None) -> Iterator[None]:
    """Run the block with at most `n` BLAS/OpenMP threads (None: DEFAULT_THREADS, or no limit without
    threadpoolctl, which a plain install of the core may lack); the previous limits come back afterwards."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if n is not None:
            raise SystemExit(f"--threads {n} needs threadpoolctl, which is not installed: "
                             "pip install threadpoolctl") from None
        yield
        return
    with threadpool_limits(limits=DEFAULT_THREADS if n is None else n):
        yield
