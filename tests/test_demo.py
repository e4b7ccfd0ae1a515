"""The main job end to end, the search command, and the CLI's answers to bad input."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import nn
from tinygrad_notes.app import cli
from tinygrad_notes.app import jobs as cli_jobs
from tinygrad_notes.app.demo import DemoConfig, run
from tinygrad_notes.app.search_job import run_search

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run(DemoConfig(out=str(out), progress=False)), out


def test_demo_reaches_97_percent_on_the_test_set(demo_report):
    report, _ = demo_report
    assert report["accuracy"]["test"] >= 0.97
    assert report["errors"]["train"] <= report["errors"]["dev"]  # variance, if any, not bias
    assert report["diagnosis"] in ("fine", "high variance")


def test_demo_trains_until_early_stopping(demo_report):
    report, _ = demo_report
    config = DemoConfig()
    assert report["stopped_early"] and report["epochs_run"] < config.max_epochs  # not the cap that ended it
    assert report["epochs_run"] == report["best_epoch"] + config.patience  # `patience` epochs without a better one
    dev = report["history"]["dev_cost"]
    assert min(dev[report["best_epoch"]:]) >= dev[report["best_epoch"] - 1]


def test_demo_gradient_checks_pass_before_and_after_training(demo_report):
    report, _ = demo_report
    for key in ("gradcheck_at_init", "gradcheck_after_training"):
        check = report[key]
        assert check["passed"] and check["rel_error"] < 1e-5
        assert set(check["parameters"]) == {"0.weight", "0.bias", "3.weight", "3.bias"}
        assert all(p["passed"] for p in check["parameters"].values())


def test_demo_writes_valid_files(demo_report):
    report, out = demo_report
    saved = json.loads((out / "report.json").read_text())
    assert saved["accuracy"] == report["accuracy"] and saved["epochs_run"] == len(saved["history"]["dev_cost"])
    svg = ET.parse(out / "graph.svg").getroot()
    assert svg.tag.endswith("svg") and "linear" in (out / "graph.svg").read_text()
    assert "0: Linear(64→128)" in (out / "graph.html").read_text()  # the interactive page, titled clusters
    for name in ("learning_curves.png", "grad_norms.png"):
        blob = (out / name).read_bytes()
        assert blob[:8] == PNG and len(blob) > 5_000
    checkpoint = nn.load(out / "checkpoint.npz")
    assert set(checkpoint) == {"model", "optimizer", "normalizer"}
    assert checkpoint["model"]["0.weight"].shape == (128, 64)
    assert len(report["grad_norms"]) == report["epochs_run"] and report["grad_norms"][0]["0.weight"] > 0


def test_demo_on_a_smaller_budget_still_learns(tmp_path):
    report = run(DemoConfig(out=str(tmp_path), progress=False, hidden=(64,), max_epochs=15, seed=2))
    assert report["epochs_run"] <= 15
    assert report["accuracy"]["test"] >= 0.93
    assert report["gradcheck_at_init"]["passed"] and report["gradcheck_after_training"]["passed"]


def test_search_is_reproducible_and_parallel_gives_the_same_table():
    one = run_search(n_trials=3, rounds=2, seed=5, n_jobs=1, epochs=2)
    two = run_search(n_trials=3, rounds=2, seed=5, n_jobs=2, epochs=2)
    assert one.to_rows() == two.to_rows()
    assert len(one.to_rows()) == 6
    scores = [r["score"] for r in one.to_rows()]
    assert scores == sorted(scores) and all(0 <= s <= 1 for s in scores)
    lrs = [t.params["lr"] for t in one.trials]
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs)


def test_demo_progress_bar_is_tqdm_auto_so_a_notebook_gets_a_widget():
    from tqdm.auto import tqdm as auto_tqdm

    from tinygrad_notes.app.demo import _progress

    bar = _progress(enabled=True)
    try:
        assert isinstance(bar, auto_tqdm)  # plain tqdm.tqdm is a base class of it, not an instance
    finally:
        bar.close()


def test_cli_bad_arguments_are_one_clear_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--hidden", "12,x"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --hidden: expected sizes like 128 or 256,128, got '12,x'" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        cli.main(["demo", "--dropout", "1.5"])
    assert "a probability in [0, 1)" in capsys.readouterr().err


def test_cli_missing_optional_dependency_says_how_to_install(monkeypatch, capsys):
    real = cli_jobs.importlib.util.find_spec
    monkeypatch.setattr(cli_jobs.importlib.util, "find_spec", lambda name: None if name == "tqdm" else real(name))
    assert cli.main(["demo", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "needs tqdm" in err
    # a command that works for this install (here: the source tree, editable or on sys.path), not a PyPI name
    assert f"-m pip install -e '{ROOT}[demo]'" in err
    assert "-m pip install tqdm" in err


def test_cli_search_prints_the_best_trials(capsys):
    assert cli.main(["search", "--trials", "2", "--rounds", "1", "--epochs", "1", "--jobs", "1", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "score" in out and "best: dev error" in out
    table_rows = [line for line in out.splitlines() if line.strip().startswith("0 ")]
    assert len(table_rows) == 2 and np.isfinite(float(table_rows[0].split()[3]))
