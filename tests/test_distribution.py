"""A package called nn, optim or viz from another distribution is refused loudly; the registry has no import order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_notes.distribution import ForeignPackageError, import_ours, install_command
from tinygrad_notes.gradcheck import registry

ROOT = Path(__file__).resolve().parents[1]


def _run(code_or_args: list[str], tmp_path: Path, stub: bool) -> subprocess.CompletedProcess:
    paths = [str(tmp_path / "stub")] if stub else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(ROOT)])}
    return subprocess.run([sys.executable, *code_or_args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def foreign_nn(tmp_path: Path) -> Path:
    """A stub `nn` package (another distribution's) placed before ours on sys.path."""
    package = tmp_path / "stub" / "nn"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Some other project\'s neural-network package."""\nVERSION = "9.9"\n')
    return package


def test_the_gradcheck_command_exits_non_zero_naming_the_foreign_package(tmp_path: Path, foreign_nn: Path) -> None:
    done = _run(["-m", "tinygrad_notes", "gradcheck"], tmp_path, stub=True)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "found another package called 'nn'" in done.stderr
    assert str(foreign_nn / "__init__.py") in done.stderr  # the file it came from
    assert "fresh virtual environment" in done.stderr  # the fix
    assert "ops passed" not in done.stdout  # nothing was checked with half the registry


def test_the_same_command_passes_without_the_stub(tmp_path: Path) -> None:
    done = _run(["-m", "tinygrad_notes", "gradcheck", "--op", "nn.Linear", "--order", "1"], tmp_path, stub=False)
    assert done.returncode == 0, done.stderr
    assert "1/1 ops passed" in done.stdout


def test_the_demo_and_search_refuse_a_foreign_package_before_running(tmp_path: Path, foreign_nn: Path) -> None:
    for command in (["demo", "--epochs", "1", "--out", str(tmp_path / "out")], ["search", "--trials", "1"]):
        done = _run(["-m", "tinygrad_notes", *command], tmp_path, stub=True)
        assert done.returncode == 3, done.stderr
        assert "another package called 'nn'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_registry_refuses_a_foreign_nn_instead_of_skipping_its_entries(tmp_path: Path, foreign_nn: Path) -> None:
    code = "from tinygrad_notes.gradcheck import registry; print(len(registry.all_ops()))"
    done = _run(["-c", code], tmp_path, stub=True)
    assert done.returncode != 0
    assert "ForeignPackageError" in done.stderr and "another package called 'nn'" in done.stderr


def test_our_own_packages_pass_the_check() -> None:
    for name in ("nn", "optim", "viz"):
        assert import_ours(name).__distribution__ == "tinygrad-notes"
    with pytest.raises(ValueError, match="not one of this distribution's packages"):
        import_ours("numpy")


def test_a_package_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "viz", None)  # what Python does for a package that cannot be imported
    with pytest.raises(ForeignPackageError, match="needs its own package 'viz', but `import viz` failed"):
        import_ours("viz")


def test_the_registry_is_the_same_loaded_alone_or_after_nn(tmp_path: Path) -> None:
    """No entries arrive by import side effects: a fresh interpreter that never imported nn sees them all."""
    code = ("import sys; from tinygrad_notes.gradcheck import registry; n = len(registry.all_ops()); "
            "print(n, 'nn' in sys.modules and sys.modules['nn'].__distribution__)")
    done = _run(["-c", code], tmp_path, stub=False)
    assert done.returncode == 0, done.stderr
    count, _ = done.stdout.split()
    assert int(count) == len(registry.all_ops())
    assert any(op.name.startswith("nn.") for op in registry.all_ops())


def test_install_command_names_this_source_tree() -> None:
    command = install_command("demo")
    assert command.startswith(f"{sys.executable} -m pip install")
    assert f"{ROOT}[demo]" in command
