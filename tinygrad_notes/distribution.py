"""This distribution's four import packages, and a loud check that `nn`, `optim` and `viz` are really ours.

The top-level names `nn`, `optim` and `viz` are fixed by the project's layout, and
other distributions on PyPI use the same names. When one of them is installed
over ours, `import nn` silently gives the other package; every entry point that
needs ours calls `import_ours(name)`, which checks the marker attribute each of
our packages carries and otherwise raises `ForeignPackageError` naming the
package, the file it came from, and the fix.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import shlex
import sys
import urllib.parse
from pathlib import Path
from types import ModuleType

DISTRIBUTION = "tinygrad-notes"
SIBLINGS = ("nn", "optim", "viz")  # shipped beside tinygrad_notes by the same wheel
MARKER = "__distribution__"  # each of our packages sets it to DISTRIBUTION


class ForeignPackageError(ImportError):
    """`nn`, `optim` or `viz` is missing, broken, or another distribution's package of the same name."""


def import_ours(name: str) -> ModuleType:
    """Import the top-level package `name` and make sure it is tinygrad-notes' own; raise a clear error if not."""
    if name not in SIBLINGS:
        raise ValueError(f"import_ours: {name!r} is not one of this distribution's packages {SIBLINGS}")
    try:
        module = importlib.import_module(name)
    except ImportError as err:
        raise ForeignPackageError(
            f"tinygrad-notes needs its own package '{name}', but `import {name}` failed: {err}. "
            f"Reinstall tinygrad-notes in a fresh virtual environment ({_FIX})."
        ) from err
    if getattr(module, MARKER, None) != DISTRIBUTION:
        where = getattr(module, "__file__", None) or ", ".join(getattr(module, "__path__", [])) or "an unknown place"
        owners = [d for d in _distributions_of(name) if d.replace("_", "-").lower() != DISTRIBUTION]
        by = f" (installed by {', '.join(owners)})" if owners else ""
        raise ForeignPackageError(
            f"`import {name}` found another package called '{name}' at {where}{by}, not tinygrad-notes' own. "
            f"Both install a top-level package named '{name}', and the other one wins here. Use a fresh virtual "
            f"environment for tinygrad-notes ({_FIX}), or uninstall the other distribution."
        )
    return module


_FIX = "python -m venv .venv && .venv/bin/pip install tinygrad-notes, from a clone: .venv/bin/pip install '.[demo]'"


def _distributions_of(name: str) -> list[str]:
    """Installed distributions that provide the top-level package `name` (from their metadata)."""
    try:
        return list(importlib.metadata.packages_distributions().get(name, []))
    except Exception:  # noqa: BLE001 - broken metadata of some other distribution must not hide our message
        return []


def install_command(extra: str) -> str:
    """A pip command that installs this distribution's `extra` the way it was installed here.

    `pip install 'tinygrad-notes[demo]'` only works for a package published on an index;
    a clone or a wheel needs its own path, which pip records at install time (PEP 610's
    direct_url.json). Run from a source tree without installing, the tree itself is named.
    """
    pip = f"{shlex.quote(sys.executable)} -m pip install"
    origin = _installed_from()
    if origin is None:
        tree = Path(__file__).resolve().parents[1]
        if (tree / "pyproject.toml").is_file():
            return f"{pip} -e {shlex.quote(f'{tree}[{extra}]')}"
        return f"{pip} {shlex.quote(f'{DISTRIBUTION}[{extra}]')}"
    target, editable = origin
    return f"{pip} {'-e ' if editable else ''}{shlex.quote(f'{target}[{extra}]')}"


def _installed_from() -> tuple[str, bool] | None:
    """(what pip was given: a folder, a wheel or the project name; editable?), or None if this code is not installed."""
    here = Path(__file__).resolve().parents[1]  # the folder that holds the tinygrad_notes package
    for dist in importlib.metadata.distributions(name=DISTRIBUTION):
        info = json.loads(dist.read_text("direct_url.json") or "{}")
        url = info.get("url", "")
        source = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)) if url.startswith("file:") else None
        if info.get("dir_info", {}).get("editable"):
            if source is not None and source.resolve() == here:
                return str(source), True
        elif dist.read_text("RECORD") is not None and Path(str(dist.locate_file(""))).resolve() == here:
            return (str(source), False) if source is not None else (DISTRIBUTION, False)
    return None  # not installed (a source tree on sys.path; its egg-info has no RECORD)
