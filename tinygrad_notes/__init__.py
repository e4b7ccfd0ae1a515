"""tinygrad_notes: reverse-mode autodiff on numpy, with every gradient checkable.

`Tensor` records the ops applied to it; `backward()` or `grad()` walks the graph
back. Every op is a `Function` (forward on numpy, backward in Tensor ops), so a
user's hand-written op works exactly like the library's own; a `Primitive` is a
Function whose backward also runs on plain numpy arrays (the library's ops).
"""

# tensor first: it closes the Tensor <-> ops import cycle in one place (see tensor.py).
from tinygrad_notes.tensor import Tensor, get_default_dtype, set_default_dtype  # noqa: I001

from tinygrad_notes.autograd import grad
from tinygrad_notes.combine import concatenate, maximum, minimum, stack, where
from tinygrad_notes.creation import (
    arange,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from tinygrad_notes.primitives_einsum import einsum
from tinygrad_notes.errors import ShapeError
from tinygrad_notes.function import Function, op_name, source_of
from tinygrad_notes.gradcheck import (
    GradcheckError,
    GradcheckReport,
    assert_gradcheck,
    gradcheck,
    gradcheck_model,
    gradgradcheck,
    numerical_grad,
    relative_error,
)
from tinygrad_notes.graph import GraphFreedError, inputs_of, topological_order, walk
from tinygrad_notes.jit import CompiledFunction, CompileError, CompileWarning, compile, replay_as_call
from tinygrad_notes.mode import (
    default_dtype,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    name_scope,
    no_grad,
    record_sources,
)
from tinygrad_notes.primitives import Primitive

__all__ = [
    "Tensor", "Function", "Primitive", "op_name", "grad", "no_grad", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "name_scope", "set_default_dtype", "get_default_dtype", "default_dtype", "ShapeError",
    "GraphFreedError", "walk", "topological_order", "inputs_of", "record_sources", "source_of",
    "concatenate", "stack", "where", "maximum", "minimum",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "linspace", "eye", "randn", "rand",
    "einsum",
    "gradcheck", "assert_gradcheck", "gradgradcheck", "gradcheck_model", "numerical_grad", "relative_error",
    "GradcheckReport", "GradcheckError",
    "compile", "CompiledFunction", "CompileError", "CompileWarning", "replay_as_call",
]
__version__ = "0.1.0"
