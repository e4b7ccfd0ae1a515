"""The search on a Dask cluster (the `cluster` extra, which go.sh's test job installs): two worker processes give
exactly the table of one process, through the library and through `tinygrad-notes search --backend dask`."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="the cluster extra (dask, distributed) is not installed")

from distributed import Client, LocalCluster  # noqa: E402

from tinygrad_notes.app import cli  # noqa: E402
from tinygrad_notes.app.cluster import dask_backend  # noqa: E402
from tinygrad_notes.app.search_job import run_search  # noqa: E402

SMALL = {"n_trials": 3, "rounds": 2, "seed": 5, "epochs": 2}


def _data_seeds_loaded() -> list[int]:
    """Runs on a worker: which data splits its trials loaded (empty if it ran none)."""
    from tinygrad_notes.app import search_job

    return sorted(search_job._data_cache)


def test_a_search_on_a_two_worker_local_cluster_gives_the_table_of_one_process():
    serial = run_search(n_jobs=1, **SMALL)
    with dask_backend(n_workers=2) as client:  # a LocalCluster of two worker processes, started and stopped here
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert {w["nthreads"] for w in workers.values()} == {1}
        on_cluster = run_search(n_jobs=-1, **SMALL)
        loaded = client.run(_data_seeds_loaded)  # {worker address: data seeds its trials loaded}
    assert on_cluster.to_rows() == serial.to_rows()  # same trials, same seeds, same scores, same order
    assert len(on_cluster.to_rows()) == 6
    assert [0] in loaded.values()  # the trials ran in the workers, not in this process


@pytest.fixture(scope="module")
def running_cluster():
    """A cluster someone else started: the CLI only gets its scheduler's address."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def _table(out: str) -> list[str]:
    return out.splitlines()[1:]  # the first line says where the trials ran


def test_cli_search_on_a_running_scheduler_prints_the_table_of_one_process(running_cluster, capsys):
    argv = ["search", "--trials", "2", "--rounds", "1", "--epochs", "1", "--seed", "3"]
    assert cli.main([*argv, "--jobs", "1"]) == 0
    serial = capsys.readouterr().out
    assert cli.main([*argv, "--backend", "dask", "--scheduler", running_cluster.scheduler_address]) == 0
    on_cluster = capsys.readouterr().out
    assert f"dask at {running_cluster.scheduler_address}" in on_cluster.splitlines()[0]
    assert _table(on_cluster) == _table(serial)
    assert "best: dev error" in serial
    with Client(running_cluster) as client:
        assert [0] in client.run(_data_seeds_loaded).values()


def test_cli_search_backend_arguments_are_checked(capsys):
    assert cli.main(["search", "--backend", "dask", "--jobs", "1"]) == 2
    assert "--backend dask with --jobs 1 would run every trial here" in capsys.readouterr().err
    assert cli.main(["search", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--scheduler is the address of a Dask scheduler; add --backend dask" in capsys.readouterr().err
