"""--threads: every CLI job (demo, search, gradcheck) runs with the BLAS threads it asks for, default 1, set by the
job itself with threadpoolctl whatever the environment says; each search trial sets the limit in its own worker."""

from __future__ import annotations

import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import optim
from tinygrad_notes.app import cli, demo, search_job


def blas_threads() -> set[int]:
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


@pytest.fixture
def many_threads():
    """More BLAS threads than any job asks for (whatever OPENBLAS_NUM_THREADS says), so a limit is visible."""
    with threadpool_limits(limits=3, user_api="blas"):
        assert blas_threads() == {3}
        yield
    assert blas_threads() != {3}  # (the fixture's own limit is undone too)


@pytest.mark.parametrize("argv, expected", [([], 1), (["--threads", "2"], 2)])
def test_demo_runs_with_the_threads_asked_for(monkeypatch, many_threads, tmp_path, argv, expected):
    seen = []

    def fake_run(config):
        seen.append(blas_threads())
        return {"gradcheck_at_init": {"passed": True}, "gradcheck_after_training": {"passed": True}}

    monkeypatch.setattr(demo, "run", fake_run)
    assert cli.main(["demo", "--out", str(tmp_path), "--no-progress", *argv]) == 0
    assert seen == [{expected}]
    assert blas_threads() == {3}  # the job's limit ends with the job


@pytest.mark.parametrize("argv, expected", [([], 1), (["--threads", "2"], 2)])
def test_search_runs_with_the_threads_asked_for_and_passes_them_to_the_trials(monkeypatch, many_threads, capsys,
                                                                              argv, expected):
    seen = []

    def fake_search(**kwargs):
        seen.append((blas_threads(), kwargs["threads"]))
        return optim.SearchResult([optim.Trial(0, 0, 1, {"lr": 0.1}, 0.25)])

    monkeypatch.setattr(search_job, "run_search", fake_search)
    assert cli.main(["search", "--jobs", "1", *argv]) == 0
    assert seen == [({expected}, int(argv[1]) if argv else None)]
    assert "best: dev error 25.00% with lr=0.1" in capsys.readouterr().out


@pytest.mark.parametrize("threads, expected", [(None, 1), (2, 2)])
def test_a_search_trial_limits_its_own_process(monkeypatch, many_threads, threads, expected):
    seen = []
    monkeypatch.setattr(search_job, "_train_and_score", lambda *args: seen.append(blas_threads()) or 0.5)
    assert search_job.trial({}, seed=0, threads=threads) == 0.5  # what a joblib or Dask worker runs
    assert seen == [{expected}]
    assert blas_threads() == {3}


@pytest.mark.parametrize("argv, expected", [([], 1), (["--threads", "2"], 2)])
def test_gradcheck_runs_with_the_threads_asked_for(monkeypatch, many_threads, capsys, argv, expected):
    seen = []

    def fake_check(op, orders, fast=False, seed=0):
        seen.append(blas_threads())
        return cli.OpResult(op.name)

    monkeypatch.setattr(cli, "check_op", fake_check)
    assert cli.main(["gradcheck", "--op", "Tensor.exp", *argv]) == 0
    assert seen == [{expected}]


@pytest.mark.parametrize("command", ["demo", "search", "gradcheck"])
def test_threads_option_is_documented_and_checked(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--threads N BLAS/OpenMP threads while the job runs (default: 1;" in help_text
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--threads", "0"])
    assert exit_info.value.code == 2
    assert "argument --threads: expected a positive whole number, got '0'" in capsys.readouterr().err


def test_without_threadpoolctl_an_explicit_limit_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import threadpoolctl now raises ImportError
    with pytest.raises(SystemExit, match=r"--threads 2 needs threadpoolctl, which is not installed: "
                                         r"pip install threadpoolctl"):
        cli.main(["gradcheck", "--op", "Tensor.exp", "--threads", "2"])
    assert cli.main(["gradcheck", "--op", "Tensor.exp", "--order", "1"]) == 0  # the default: run, no limit
