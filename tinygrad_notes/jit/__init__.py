"""Compiled steps: trace a training step once, replay it as straight-line numpy over preallocated buffers.

`compile(step)` records what the step does (the forward, the backward, an
optimizer's update, random draws) as a program of numpy calls, checks it against
an eager run once, and from then on replays it without making Tensors or graph
nodes. See docs/compile.md.
"""

from tinygrad_notes.jit.api import CompiledFunction, CompileWarning, compile, replay_as_call
from tinygrad_notes.jit.tracer import CompileError

__all__ = ["compile", "CompiledFunction", "CompileError", "CompileWarning", "replay_as_call"]
