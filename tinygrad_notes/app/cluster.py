"""Search trials on a Dask cluster: joblib's "dask" backend over an existing scheduler or a local cluster.

`optim.random_search` runs its trials through joblib, so a cluster only has to be
made joblib's backend for the duration of the search. The trials are seeded before
anything runs, so the table is the same as with n_jobs=1 (tests/test_search_cluster.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any


@contextmanager
def dask_backend(scheduler: str | None = None, n_workers: int | None = None, processes: bool = True) -> Iterator[Any]:
    """joblib work inside the block runs on Dask: on the cluster whose scheduler is at `scheduler`
    (tcp://host:8786), or on a LocalCluster of `n_workers` single-threaded workers (default: one per core,
    worker processes unless `processes=False`) started here and shut down afterwards. Yields the Client."""
    try:
        import joblib
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError(f"the dask backend needs dask and distributed ({err.name} is missing): "
                          "pip install dask distributed (the project's `cluster` extra)") from err
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                                                       processes=processes, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        with joblib.parallel_backend("dask", client=client):
            yield client
