"""The derivative an op's backward rule uses, in words: the formula comment written beside the rule.

Every primitive's backward carries its formula in a short comment on its `def`
line (`def backward(ctx, g):  # d tanh x/dx = 1 - tanh(x)^2`, or in words:
`# sum over the repeated axes`); that comment is the one record of it, so
pictures and the step-by-step page read it from the rule's source rather than
from a second table that could drift.
"""

from __future__ import annotations

import functools
import inspect


@functools.lru_cache(maxsize=512)
def formula_of(cls: type) -> str | None:
    """The comment beside `cls.backward` (on its def line, else its first comment line), or None."""
    backward = getattr(cls, "backward", None)
    try:
        source = inspect.getsource(backward)
    except (OSError, TypeError):  # no source (a class made at run time, a frozen app)
        return None
    for line in source.splitlines():
        code, hash_, comment = line.partition("#")
        if hash_ and comment.strip() and code.count('"') % 2 == 0 and code.count("'") % 2 == 0:
            return comment.strip()
    return None
