"""einsum: numpy's Einstein summation as one primitive whose gradient is an einsum through the same subscripts.

`einsum("ij,jk->ik", a, b)` is a @ b. The gradient of each operand is the einsum of the output's
gradient with the other operands, back to that operand's letters: for "ij,jk->ik", da = einsum("ik,jk->ij",
g, b). A letter only one operand has and the output lacks (summed away, "ij->i") comes back by
broadcasting; a letter repeated in one operand ("ii->" the trace) puts the gradient on the diagonal
(an einsum with the identity). Subscripts are normalized first: "..." becomes letters, an implicit
output ("ij,jk") becomes numpy's (the letters seen once, sorted).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from tinygrad_notes.batching import batch_einsum
from tinygrad_notes.errors import ShapeError, shape_of
from tinygrad_notes.primitives import BroadcastTo, Primitive
from tinygrad_notes.rules import on
from tinygrad_notes.tensor import Tensor

__all__ = ["einsum"]


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation over the operands' axes, as numpy's einsum; differentiable in every operand."""
    if not operands:
        raise ShapeError("einsum: needs at least one operand")
    shapes = [shape_of(o._data if isinstance(o, Tensor) else np.asarray(o)) for o in operands]
    return Einsum.apply(*operands, subscripts=normalize(subscripts, shapes))


def normalize(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """Explicit subscripts with letters only: "..." expanded, the output written out."""
    spec = subscripts.replace(" ", "")
    inputs_part, arrow, output = spec.partition("->")
    inputs = inputs_part.split(",")
    if len(inputs) != len(shapes):
        raise ShapeError(f"einsum: subscripts {subscripts!r} name {len(inputs)} operand(s), got {len(shapes)}")
    for part in inputs + ([output] if arrow else []):
        bad = set(part.replace("...", "")) - set(string.ascii_letters)
        if bad:
            raise ShapeError(f"einsum: subscripts {subscripts!r} may hold only letters, ',', '->' and '...'")
    used = set(spec)
    fresh = [c for c in string.ascii_letters if c not in used]
    ellipsis_dims = max((len(s) - len(term.replace("...", "")) for term, s in zip(inputs, shapes) if "..." in term),
                        default=0)
    dots = "".join(fresh[:ellipsis_dims])
    expanded = []
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            k = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", dots[ellipsis_dims - k:] if k else "")
        if len(term) != len(shape):
            raise ShapeError(f"einsum: subscripts {term!r} name {len(term)} axes of an operand of shape {shape}")
        expanded.append(term)
    _check_sizes(subscripts, expanded, shapes)
    if arrow:
        out = output.replace("...", dots)
    else:
        counts = {c: "".join(expanded).count(c) for c in set("".join(expanded))}
        out = dots + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in dots))
    return ",".join(expanded) + "->" + out


def _check_sizes(subscripts: str, terms: list[str], shapes: list[tuple[int, ...]]) -> None:
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        for letter, size in zip(term, shape):
            if sizes.setdefault(letter, size) != size:
                raise ShapeError(f"einsum: in {subscripts!r} an axis has sizes {sizes[letter]} and {size} in different "
                                 "operands (shapes " + ", ".join(map(str, shapes)) + "); they must be equal "
                                 "(broadcast_to first if one of them is 1)")


class Einsum(Primitive):
    __slots__ = ()
    op_name = "einsum"
    batched = classmethod(batch_einsum)

    def forward(ctx, *xs, subscripts):
        large = len(xs) > 2 or max(np.size(x) for x in xs) > 4096  # let numpy find a BLAS path
        return np.einsum(subscripts, *xs, optimize=large)

    def backward(ctx, g):  # d out/d x_i: einsum(g and the other operands -> x_i's letters), see the module docstring
        xs = ctx.operands()
        inputs, out = ctx.attrs["subscripts"].split("->")
        terms = inputs.split(",")
        return tuple(_operand_grad(g, xs, terms, out, i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


def _operand_grad(g: Any, xs: tuple, terms: list[str], out: str, i: int) -> Any:
    term = terms[i]
    shape = shape_of(xs[i]._data if isinstance(xs[i], Tensor) else xs[i])
    size = dict(zip(term, shape))
    letters = list(dict.fromkeys(term))  # unique, in order
    available = set(out).union(*(set(t) for j, t in enumerate(terms) if j != i))
    present = "".join(c for c in letters if c in available)
    others = [x for j, x in enumerate(xs) if j != i]
    spec = ",".join([out] + [t for j, t in enumerate(terms) if j != i]) + "->" + present
    grad = on(Einsum, g, *others, subscripts=spec)
    if len(present) < len(letters):  # letters summed away in this operand only: the gradient is constant along them
        grad = grad.reshape(tuple(size[c] if c in available else 1 for c in letters))
        grad = on(BroadcastTo, grad, shape=tuple(size[c] for c in letters))
    if len(letters) < len(term):  # a repeated letter: the gradient sits on its diagonal
        fresh = iter(c for c in string.ascii_letters if c not in set(term) | set(out))
        renamed, deltas, seen = [], [], set()
        for c in term:
            if c in seen:
                d = next(fresh)
                renamed.append(d)
                deltas.append((c + d, np.eye(size[c], dtype=np.result_type(g.dtype))))
            else:
                seen.add(c)
                renamed.append(c)
        spec = ",".join(["".join(letters)] + [s for s, _ in deltas]) + "->" + "".join(renamed)
        grad = on(Einsum, grad, *[e for _, e in deltas], subscripts=spec)
    return grad
