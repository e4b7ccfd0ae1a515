"""The gradient checker: two-sided differences against backward, per input, per parameter and per component.

Layered on the engine only: `api` (gradcheck, gradgradcheck, numerical_grad),
`core` (one check, from the first call to the report), `judge` (the
per-component decision: tolerance, kinks, Richardson), `noise` (what rounding
allows, floor and measured), `fast` (random probes and their blind spot),
`contracts` (promises differences cannot see), `precision` (float64, and
float32 inside), `evaluate` (f at moved points, by calls or replay), `replay`
(re-running a recorded graph on batches of perturbed inputs), `report` (tables
for the terminal and Jupyter), `model` (a model's parameters as one θ), and
`registry` (every differentiable public op with its sample inputs).
"""

from tinygrad_notes.gradcheck.api import (
    GradcheckError,
    GradcheckReport,
    assert_gradcheck,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    relative_error,
)
from tinygrad_notes.gradcheck.model import gradcheck_model

__all__ = ["gradcheck", "assert_gradcheck", "gradgradcheck", "gradcheck_model", "numerical_grad",
           "relative_error", "GradcheckReport", "GradcheckError"]
