"""Fast mode: a few random projections w.J.u per input instead of every component, and what they can miss.

For each input, `probes` random directions u with entries ±1 (Rademacher), and the
outputs split into `blocks` blocks, each weighted by its own random signs w: one
backward per block gives w.J analytically, two evaluations f(θ ± εu) per probe give
J.u numerically, and every (probe, block) pair compares w.J.u both ways.

With ±1 on both sides, a single wrong Jacobian entry J_ji off by δ moves every probe
of its block by exactly ±δ: it is caught as soon as |δ| exceeds the smallest
tolerance among that block's probes. The largest of those over the blocks is the
fast check's blind spot, which the report states. Blocks keep it small for large
outputs: a probe's tolerance grows with the sum it projects, and a block sums fewer
outputs.

A failing probe is looked at again along its own u before it counts: with the
function's noise measured there, and Richardson's (4 d(ε) − d(2ε)) / 3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tinygrad_notes.gradcheck.judge import FAIL, OK, RICHARDSON_NOISE, decide, norms, relative_error
from tinygrad_notes.gradcheck.noise import LINE, allowance, floor_sigma, sigma_along_line
from tinygrad_notes.gradcheck.report import Entry, Probe

if TYPE_CHECKING:
    from tinygrad_notes.gradcheck.core import Check


def block_weights(outputs: int, blocks: int, rng: np.random.Generator) -> np.ndarray:
    """Rows w_b: random signs on block b of the outputs (contiguous blocks), 0 elsewhere; shape (blocks, outputs)."""
    count = max(1, min(outputs, blocks))
    sizes = [len(part) for part in np.array_split(np.arange(outputs), count)]
    w = np.zeros((count, outputs))
    w[np.repeat(np.arange(count), sizes), np.arange(outputs)] = rng.choice([-1.0, 1.0], outputs)
    return w


def fast_entry(check: Check, k: int, base: np.ndarray) -> Entry:
    """The probes of leaf k, their verdict, and the blind spot."""
    w, rows = check.fast_rows()
    g, eps, unit, tol, count = rows[k], check.eps, check.precision.unit, check.tol, check.s.probes
    u = check.rng.choice([-1.0, 1.0], (count,) + base.shape)
    points = np.concatenate([base + eps * u, base - eps * u])
    ys = check.ev.at(k, points, replayed=False)
    up, down = ys[:count], ys[count:]
    num = (up - down) @ w.T / (2 * eps)  # (probes, blocks)
    ana = (points[:count] - points[count:]).reshape(count, -1) @ g.T / (2 * eps)  # w.J.u over the steps as taken
    floor = floor_sigma(np.maximum(np.abs(up), np.abs(down)) @ np.abs(w).T, unit)
    status, bound = decide(num, ana, allowance(floor, eps), tol)
    check.noise_max = max(check.noise_max, float(np.max(allowance(floor, eps))))
    again = status == FAIL
    for p in np.flatnonzero(again.any(axis=1)):  # along this u: the function's own noise, and Richardson
        more, _ = check.ev.along(k, base, u[p], (2, -2, *LINE), replayed=False)
        noise = allowance(np.maximum(floor[p], np.abs(w) @ sigma_along_line(more[2:])), eps)
        check.noise_used = True
        check.noise_max = max(check.noise_max, float(np.max(noise)))
        status2, bound2 = decide(num[p], ana[p], noise, tol)
        richardson = (4 * num[p] - w @ (more[0] - more[1]) / (4 * eps)) / 3
        rescued = np.abs(richardson - ana[p]) <= tol.atol + tol.rtol * np.abs(richardson) + RICHARDSON_NOISE * noise
        status[p] = np.where(again[p], np.where((status2 == FAIL) & rescued, OK, status2), status[p])
        bound[p] = np.where(again[p], bound2, bound[p])
    probes = [Probe(float(ana[p, b]), float(num[p, b]), float(bound[p, b]), bool(status[p, b] == OK), block=b,
                    rechecked=bool(again[p, b])) for p in range(count) for b in range(len(w))]
    finite = np.isfinite(num) & np.isfinite(ana)
    nonfinite = int(np.sum(~finite))
    failed = int(np.sum(status != OK)) - nonfinite
    blind = float(np.max(np.min(bound, axis=0)))
    check.blind_spots[k] = blind
    return Entry(name="", shape=base.shape, passed=failed == 0 and nonfinite == 0,
                 rel_error=relative_error(num[finite], ana[finite]), mode="fast", checked=len(probes),
                 failed=failed, nonfinite=nonfinite, probes=probes, blind_spot=blind,
                 max_abs_diff=float(np.max(np.abs(num - ana)[finite], initial=0.0)),
                 norms=norms(num[finite], ana[finite]))


def fast_note(check: Check) -> str:
    """One line: what fast mode compared and what it can miss."""
    blocks = len(check.fast_rows()[0])
    spots = ", ".join(f"{check.blind_spots[k]:.1e} ({check.labels[k]})" for k in sorted(check.blind_spots))
    after = ("An input with a failed probe was then checked component by component." if check.s.fallback
             else "Run the full check (fast=False) to find the components.")
    return (f"fast check: {check.s.probes} random probes w.J.u per input (u and w of random signs, outputs in "
            f"{blocks} block{'s' if blocks > 1 else ''}; seed {check.s.seed}). Blind spot: one wrong Jacobian entry "
            f"off by less than {spots} can pass unseen; the full check (fast=False) compares every entry. {after}")

