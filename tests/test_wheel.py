"""What users install is what we test: the wheel, in a fresh virtual environment, run from outside the repo.

An editable install reads the source tree, so it hides packaging mistakes (a fixed
package list once left `viz/plots` out of the wheel). These tests build the wheel
from a copy of the tree, install it with the `demo` extra into a new virtual
environment, and run the command line and the four packages from a folder that
is not the repo. They take about a minute, most of it pip installing numpy,
scikit-learn and matplotlib (from pip's cache after the first time).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tinygrad_notes", "nn", "optim", "viz")
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", "out",
                                     ".pytest_cache", ".ruff_cache", ".hypothesis")


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the source tree (no stale build/ folder can leak into it)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_SHIPPED)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w",
          str(work / "dist"), str(tree)], cwd=work)
    (built,) = (work / "dist").glob("tinygrad_notes-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh virtual environment with the wheel and its demo extra; returns (its bin folder, a folder outside)."""
    work = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(work / "venv")], cwd=work)
    bin_dir = work / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          f"{wheel}[demo]"], cwd=work, timeout=900)
    outside = work / "elsewhere"
    outside.mkdir()
    return bin_dir, outside


def test_the_wheel_ships_every_module_of_the_four_packages(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.suffix in (".py", ".typed", ".js", ".css") and "__pycache__" not in path.parts:
                assert path.relative_to(ROOT).as_posix() in shipped, f"{path.relative_to(ROOT)} is not in {wheel.name}"
    metadata = next(name for name in shipped if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Classifier: Programming Language :: Python :: 3" in text
    assert "Author: The tinygrad_notes developers" in text
    assert "Provides-Extra: demo" in text
    assert f"Version: {_version()}" in text


def test_the_installed_packages_import_from_the_environment_not_the_repo(installed: tuple[Path, Path]) -> None:
    bin_dir, outside = installed
    code = ("import json, tinygrad_notes, nn, optim, viz, viz.plots; "
            "print(json.dumps({m.__name__: m.__file__ for m in (tinygrad_notes, nn, optim, viz, viz.plots)}))")
    files = json.loads(_run([str(bin_dir / "python"), "-c", code], cwd=outside).stdout)
    for name, file in files.items():
        assert "site-packages" in file and not file.startswith(str(ROOT)), f"{name} came from {file}"


def test_the_console_script_reports_its_version(installed: tuple[Path, Path]) -> None:
    bin_dir, outside = installed
    out = _run([str(bin_dir / "tinygrad-notes"), "--version"], cwd=outside).stdout
    assert out.strip() == f"tinygrad-notes {_version()}"


def test_the_installed_gradcheck_command_checks_every_op(installed: tuple[Path, Path]) -> None:
    bin_dir, outside = installed
    out = _run([str(bin_dir / "tinygrad-notes"), "gradcheck"], cwd=outside).stdout
    summary = next(line for line in out.splitlines() if "ops passed" in line)
    passed, total = summary.split()[0].split("/")
    assert passed == total and int(total) >= 90  # the engine's entries and nn's
    assert any(line.startswith("nn.Linear") for line in out.splitlines())


def test_the_installed_demo_runs_and_writes_its_files(installed: tuple[Path, Path]) -> None:
    bin_dir, outside = installed
    _run([str(bin_dir / "tinygrad-notes"), "demo", "--epochs", "3", "--no-progress", "--out", "demo"], cwd=outside)
    out = outside / "demo"
    report = json.loads((out / "report.json").read_text())
    assert report["epochs_run"] == 3
    assert report["accuracy"]["test"] > 0.8  # three epochs already learn most digits
    for name in ("graph.svg", "graph.html", "learning_curves.png", "grad_norms.png", "checkpoint.npz"):
        assert (out / name).stat().st_size > 1000, name


def _version() -> str:
    import tinygrad_notes

    return tinygrad_notes.__version__
