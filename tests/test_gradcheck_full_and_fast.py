"""Full means every (output, input) component; fast mode's probes catch what they promise and say what they miss.

The op is the one the issue found the holes with: a hand-written y = A @ x, A 100x100
standard normal, whose backward uses a copy of A with one entry changed. Its Jacobian
dy/dx is A itself, so "one wrong Jacobian entry" is exactly that entry.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_notes import Function, Tensor, gradcheck

rng = np.random.default_rng(0)
A = rng.standard_normal((100, 100))
X = rng.standard_normal(100)
POSITIONS = [tuple(int(i) for i in np.random.default_rng(1).integers(0, 100, 2)) for _ in range(50)]


def matvec(pos: tuple[int, int] | None = None, factor: float = 1.0, add: float = 0.0) -> type[Function]:
    """y = A @ x; backward uses A with entry `pos` scaled by `factor` and moved by `add`."""
    backward_a = A.copy()
    if pos is not None:
        backward_a[pos] = backward_a[pos] * factor + add

    class MatVec(Function):
        def forward(ctx, x):
            return A @ x

        def backward(ctx, g):
            return Tensor(backward_a).T @ g

    return MatVec


def check(op: type[Function], **options) -> object:
    return gradcheck(lambda x: op.apply(x), [X], **options)


def test_the_correct_matvec_passes_with_all_10000_components_compared() -> None:
    report = check(matvec())
    assert report.passed and report.entries[0].checked == 100 * 100
    assert report.decision == "10000 components agree" and report.reading == "great"


@pytest.mark.parametrize("seed", range(10))
def test_one_small_entry_off_by_1_percent_is_caught_and_named_whatever_the_seed(seed: int) -> None:
    """|A_ij| = 0.012 scaled by 1.01 in backward: an error of 1.2e-4 that a projected output let through in 39 of
    100 seeds, the tolerance then scaling with a whole column."""
    small = tuple(int(i) for i in np.unravel_index(np.argmin(np.abs(np.abs(A) - 0.012)), A.shape))
    report = check(matvec(small, factor=1.01), seed=seed)
    entry = report.entries[0]
    assert not report.passed and entry.failed == 1 and entry.decision == "bug (1 component)"
    worst = entry.worst[0]
    assert (worst.output_index, worst.index) == ((small[0],), (small[1],))
    assert worst.analytical == pytest.approx(1.01 * worst.numerical, rel=1e-6)
    assert abs(worst.numerical - A[small]) < 1e-8  # the numerical column is the true Jacobian entry


@pytest.mark.parametrize(("mutation", "options"), [("x1.01", {"factor": 1.01}), ("+1e-3", {"add": 1e-3})])
def test_sweep_one_wrong_entry_at_50_positions_is_always_caught_and_named(mutation: str, options: dict) -> None:
    missed, misnamed = [], []
    for pos in POSITIONS:
        entry = check(matvec(pos, **options)).entries[0]
        if entry.passed:
            missed.append(pos)
        elif entry.failed != 1 or (entry.worst[0].output_index, entry.worst[0].index) != ((pos[0],), (pos[1],)):
            misnamed.append(pos)
    assert missed == [] and misnamed == []


def _fast_catch_rate(seeds: range, **options) -> tuple[int, int]:
    caught = false_alarms = 0
    for seed in seeds:
        r = np.random.default_rng(10_000 + seed)
        pos = (int(r.integers(100)), int(r.integers(100)))
        caught += not check(matvec(pos, add=1e-3), fast=True, fallback=False, seed=seed, **options).passed
        false_alarms += not check(matvec(), fast=True, fallback=False, seed=seed, **options).passed
    return caught, false_alarms


def test_fast_mode_catches_an_error_of_1e_3_in_one_entry_in_at_least_99_percent_of_seeds() -> None:
    caught, false_alarms = _fast_catch_rate(range(200))
    assert caught >= 198 and false_alarms == 0  # measured: 1000 of 1000 seeds, 0 false alarms


def test_fast_mode_states_its_blind_spot_and_the_blind_spot_is_honest() -> None:
    report = check(matvec(), fast=True, seed=3)
    blind = report.entries[0].blind_spot
    assert 1e-6 < blind < 1e-3
    assert any(f"Blind spot: one wrong Jacobian entry off by less than {blind:.1e} (input 0) can pass unseen; the "
               "full check (fast=False) compares every entry" in note for note in report.notes)
    # Each entry moves every probe of its block by exactly its error (signs ±1 on both sides), so an error just
    # above the smallest tolerance among its block's probes is caught, wherever it lies (the same seed: the same
    # probes); the blind spot is the largest of those smallest tolerances.
    blocks = np.array_split(np.arange(100), 8)
    smallest = [min(p.tolerance for p in report.entries[0].probes if p.block == b) for b in range(8)]
    assert blind == max(smallest)
    for b, rows in enumerate(blocks):
        for row, col in [(rows[0], 3 * b), (rows[len(rows) // 2], 50 + b), (rows[-1], 99 - b)]:
            assert not check(matvec((row, col), add=1.05 * smallest[b]), fast=True, fallback=False, seed=3).passed
    # below the tolerances of its block's probes: unseen by them, as stated, and caught by the full check
    small = tuple(int(i) for i in np.unravel_index(np.argmin(np.abs(np.abs(A) - 0.012)), A.shape))
    block = next(b for b, rows in enumerate(np.array_split(np.arange(100), 8)) if small[0] in rows)
    below = 0.5 * min(p.tolerance for p in report.entries[0].probes if p.block == block)
    assert below > 1e-5
    hidden = matvec(small, add=below)
    assert check(hidden, fast=True, fallback=False, seed=3).passed
    full = check(hidden)
    assert not full.passed and full.entries[0].worst[0].index == (small[1],)


def test_a_failed_probe_falls_back_to_the_full_check_which_names_the_entry() -> None:
    pos = POSITIONS[5]
    report = check(matvec(pos, add=1e-2), fast=True, seed=0)
    entry = report.entries[0]
    assert not report.passed and entry.mode == "fast, then full"
    assert any(not p.passed for p in entry.probes)
    assert (entry.worst[0].output_index, entry.worst[0].index) == ((pos[0],), (pos[1],))
