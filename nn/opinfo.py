"""Op registry entries for nn: every public function of nn.functional, every layer, the penalties.

A layer's entry builds the layer and runs it with *its parameters taken from the
sample's inputs* (through `nn.functional_call`), so the check covers dW and db,
not only dx. Samples stay away from kinks (ReLU and |w| at 0) and inside each
op's domain (probabilities in (0, 1)).

Dropout is made deterministic per sample rather than frozen: the entry's `fn`
builds a fresh `np.random.default_rng(seed)` from the sample's `seed` on every
call, so every evaluation the checker makes draws the same mask (what
`frozen_randomness()` does for a whole model). Wrapping the call in
`frozen_randomness()` inside `fn` would not do: each call would open a new
recording and draw a new mask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nn import functional as F
from nn.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from nn.batchnorm import BatchNorm1d
from nn.containers import Sequential
from nn.dropout import Dropout
from nn.layers import Flatten, Identity, Linear
from nn.loss_modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from nn.module import Module, functional_call
from nn.regularization import l1_penalty, l2_penalty
from tinygrad_notes import Tensor
from tinygrad_notes.gradcheck.registry import OpInfo, Sample

Rng = np.random.Generator
REDUCTIONS = ("mean", "sum", "none")


# ---- sample makers ---------------------------------------------------------------------------
def _normal(rng: Rng, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _away_from_zero(rng: Rng, *shape: int) -> np.ndarray:
    """Values with |x| in [0.2, 2]: clear of the kink at 0 (relu, leaky_relu, abs)."""
    return np.asarray(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape))  # 0-d stays an array


def _probabilities(rng: Rng, *shape: int) -> np.ndarray:
    return rng.uniform(0.1, 0.9, size=shape)


def _prob_rows(rng: Rng, n: int, c: int) -> np.ndarray:
    e = np.exp(rng.standard_normal((n, c)))
    return e / e.sum(axis=1, keepdims=True)


def _elementwise(make: Callable[..., np.ndarray]) -> Callable[[Rng], Iterator[Sample]]:
    def samples(rng: Rng) -> Iterator[Sample]:
        yield Sample((make(rng, 3, 4),), note="matrix (3, 4)")
        yield Sample((make(rng),), note="0-d scalar")
        yield Sample((make(rng, 2, 3, 2),), note="3-d")
    return samples


def _softplus_samples(rng: Rng) -> Iterator[Sample]:
    yield from _elementwise(_normal)(rng)
    yield Sample((np.array([-40.0, -5.0, 0.0, 5.0, 40.0]),), note="0 and large |z| (linear above threshold 20)")
    yield Sample((_normal(rng, 3, 4),), {"beta": 2.0, "threshold": 3.0}, note="beta 2, threshold 3")


def _along_axis(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 3, 4),), {"axis": -1}, note="rows, axis=-1")
    yield Sample((_normal(rng, 3, 4),), {"axis": 0}, note="columns, axis=0")
    yield Sample((_normal(rng, 2, 3, 2),), {"axis": 1}, note="3-d, middle axis")
    yield Sample((_normal(rng, 5) * 20,), {"axis": 0}, note="vector with large logits")


def _leaky_samples(rng: Rng) -> Iterator[Sample]:
    for slope in (0.01, 0.2):
        yield Sample((_away_from_zero(rng, 3, 4),), {"negative_slope": slope}, note=f"negative_slope={slope}")


def _linear_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 4, 3), _normal(rng, 2, 3), _normal(rng, 2)), note="batch (4, 3), W (2, 3), b (2,)")
    yield Sample((_normal(rng, 3), _normal(rng, 2, 3), _normal(rng, 2)), note="one example (3,)")
    yield Sample((_normal(rng, 2, 4, 3), _normal(rng, 2, 3), _normal(rng, 2)), note="batched 3-d input")
    yield Sample((_normal(rng, 4, 3), _normal(rng, 2, 3)), note="no bias")


def _dropout_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 4, 5),), {"p": 0.5, "seed": 1}, note="p=0.5, mask fixed by seed")
    yield Sample((_normal(rng, 3, 2, 2),), {"p": 0.2, "seed": 2}, note="p=0.2, 3-d")
    yield Sample((_normal(rng, 4, 5),), {"p": 0.5, "seed": 3, "training": False}, note="eval: identity")


def _batch_norm_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 5, 3), _normal(rng, 3), _normal(rng, 3)), {"training": True},
                 note="training, (N, C) = (5, 3), gamma and beta")
    yield Sample((_normal(rng, 4, 3, 2), _normal(rng, 3), _normal(rng, 3)), {"training": True},
                 note="training, (N, C, L) = (4, 3, 2)")
    yield Sample((_normal(rng, 2, 3) * 3 + 1,), {"training": True}, note="training, batch of 2, no affine")
    yield Sample((_normal(rng, 1, 3), _normal(rng, 3), _normal(rng, 3)),
                 {"training": False, "running_mean": _normal(rng, 3), "running_var": rng.uniform(0.5, 2, 3)},
                 note="eval with running statistics, batch of 1")


def _mse_samples(rng: Rng) -> Iterator[Sample]:
    for reduction in REDUCTIONS:
        yield Sample((_normal(rng, 4, 3), _normal(rng, 4, 3)), {"reduction": reduction}, note=f"reduction={reduction}")


def _class_target_samples(log_probs: bool) -> Callable[[Rng], Iterator[Sample]]:
    def samples(rng: Rng) -> Iterator[Sample]:
        def inputs(*shape: int) -> np.ndarray:
            z = _normal(rng, *shape)
            return z - np.log(np.exp(z).sum(axis=-1, keepdims=True)) if log_probs else z
        for reduction in REDUCTIONS:
            yield Sample((inputs(4, 3),), {"target": rng.integers(0, 3, 4), "reduction": reduction},
                         note=f"class indices, reduction={reduction}")
        yield Sample((inputs(5),), {"target": np.array(2)}, note="one example (classes,), scalar target")
        if not log_probs:
            yield Sample((_normal(rng, 4, 3) * 30,), {"target": rng.integers(0, 3, 4)}, note="large logits")
        weight = rng.uniform(0.5, 2.0, 3)
        yield Sample((inputs(5, 3),), {"target": np.array([0, 2, 1, 2, 2]), "weight": weight},
                     note="class weights: the mean divides by the targets' summed weights")
        yield Sample((inputs(4, 3),), {"target": np.array([1, -100, 0, 2]), "reduction": "sum"},
                     note="ignore_index -100 (the default) drops one example")
        yield Sample((inputs(4, 3),), {"target": np.array([1, 2, 0, 2]), "ignore_index": 2, "weight": weight},
                     note="ignore_index 2 with class weights")
        spatial = _normal(rng, 2, 3, 2, 2)  # (N, C, d1, d2): the class axis second, as in PyTorch
        if log_probs:
            spatial = spatial - np.log(np.exp(spatial).sum(axis=1, keepdims=True))
        yield Sample((spatial,), {"target": rng.integers(0, 3, (2, 2, 2))}, note="(N, C, d1, d2) input")
        if not log_probs:
            yield Sample((inputs(4, 3),), {"target": rng.integers(0, 3, 4), "label_smoothing": 0.1},
                         note="label_smoothing 0.1")
            yield Sample((spatial,), {"target": np.array([[[0, 1], [2, -100]], [[1, 1], [0, 2]]]), "weight": weight,
                                      "label_smoothing": 0.2, "reduction": "mean"},
                         note="(N, C, d1, d2) with weights, an ignored entry and label smoothing")
    return samples


def _cross_entropy_samples(rng: Rng) -> Iterator[Sample]:
    yield from _class_target_samples(log_probs=False)(rng)
    for reduction in ("mean", "none"):
        yield Sample((_normal(rng, 4, 3), _prob_rows(rng, 4, 3)), {"reduction": reduction},
                     note=f"probability targets (differentiated too), reduction={reduction}")
    yield Sample((_normal(rng, 4, 3), _prob_rows(rng, 4, 3)), {"weight": rng.uniform(0.5, 2.0, 3),
                                                               "label_smoothing": 0.1},
                 note="probability targets with class weights and label smoothing")


def _bce_samples(rng: Rng) -> Iterator[Sample]:
    for reduction in REDUCTIONS:
        yield Sample((_probabilities(rng, 4, 2), rng.uniform(0, 1, (4, 2))), {"reduction": reduction},
                     note=f"p in (0.1, 0.9), soft targets, reduction={reduction}")
    yield Sample((_probabilities(rng, 4, 2), rng.uniform(0, 1, (4, 2))), {"weight": rng.uniform(0.5, 2.0, (4, 1))},
                 note="a weight per example, broadcast")


def _bce_logits_samples(rng: Rng) -> Iterator[Sample]:
    for reduction in REDUCTIONS:
        yield Sample((_normal(rng, 4, 2) * 3, rng.uniform(0, 1, (4, 2))), {"reduction": reduction},
                     note=f"reduction={reduction}")
    z = np.array([-40.0, -12.0, 0.0, 0.0, 12.0, 40.0])
    yield Sample((z, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])), note="z = 0 and large |z|: gradient s(z) - y")
    yield Sample((_normal(rng, 4, 3) * 3, rng.uniform(0, 1, (4, 3))),
                 {"pos_weight": rng.uniform(0.5, 3.0, 3), "weight": rng.uniform(0.5, 2.0, (4, 3))},
                 note="pos_weight per class and a weight per element")


def _penalty_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_away_from_zero(rng, 3, 2), _away_from_zero(rng, 2, 3)), {"lambd": 0.7, "m": 5},
                 note="two weight matrices")
    yield Sample((_away_from_zero(rng, 2, 2, 2),), {"lambd": 0.1, "m": 1}, note="one 3-d weight")


# ---- layer wrappers: build the layer, run it with the sample's tensors as its parameters -----
def _run_with(layer: Module, names: tuple[str, ...], params: tuple[Tensor, ...], x: Tensor) -> Tensor:
    return functional_call(layer, dict(zip(names, params)), x)


def _linear_layer(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    layer = Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    names = ("weight", "bias") if bias is not None else ("weight",)
    return _run_with(layer, names, (weight,) if bias is None else (weight, bias), x)


def _dropout_fn(x: Tensor, p: float, seed: int, training: bool = True) -> Tensor:
    return F.dropout(x, p, training, generator=np.random.default_rng(seed))


def _dropout_layer(x: Tensor, p: float, seed: int, training: bool = True) -> Tensor:
    layer = Dropout(p, generator=np.random.default_rng(seed))
    return layer.train(training)(x)


def _batch_norm_fn(x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None, training: bool = True,
                   running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None) -> Tensor:
    rm = Tensor(np.array(running_mean)) if running_mean is not None else Tensor(np.zeros(x.shape[1]))
    rv = Tensor(np.array(running_var)) if running_var is not None else Tensor(np.ones(x.shape[1]))
    return F.batch_norm(x, rm, rv, weight, bias, training=training)


def _batch_norm_layer(x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None, training: bool = True,
                      running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None) -> Tensor:
    layer = BatchNorm1d(x.shape[1], affine=weight is not None, dtype=np.float64)
    if running_mean is not None:
        layer.load_state_dict({"running_mean": running_mean, "running_var": running_var}, strict=False)
    layer.train(training)
    if weight is None:
        return layer(x)
    return _run_with(layer, ("weight", "bias"), (weight, bias), x)


def _sequential_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 4, 3), _normal(rng, 5, 3), _normal(rng, 5), _normal(rng, 2, 5), _normal(rng, 2)),
                 note="Linear(3, 5) -> Tanh -> Linear(5, 2)")


def _sequential_fn(x: Tensor, w0: Tensor, b0: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
    model = Sequential(Linear(3, 5), Tanh(), Linear(5, 2))
    return functional_call(model, {"0.weight": w0, "0.bias": b0, "2.weight": w2, "2.bias": b2}, x)


def _module_fn(make: Callable[..., Module]) -> Callable[..., Tensor]:
    """fn(*tensors, **kwargs) = make(**kwargs)(*tensors): a parameter-free layer or a loss module."""
    def fn(*tensors: Tensor, **kwargs: Any) -> Tensor:
        return make(**kwargs)(*tensors)
    return fn


def _loss_module_fn(make: Callable[..., Module]) -> Callable[..., Tensor]:
    def fn(input: Tensor, target: Any, reduction: str = "mean", **options: Any) -> Tensor:
        return make(reduction=reduction, **options)(input, target)
    return fn


def _flatten_samples(rng: Rng) -> Iterator[Sample]:
    yield Sample((_normal(rng, 2, 3, 2),), note="(N, 3, 2) -> (N, 6)")
    yield Sample((_normal(rng, 2, 3, 2),), {"start_axis": 0}, note="everything into one axis")


# ---- the entries -----------------------------------------------------------------------------
_F = "nn.functional."
ENTRIES: list[OpInfo] = [  # read by the registry: this module is one of its PROVIDERS
    OpInfo(_F + "relu", F.relu, _elementwise(_away_from_zero), notes="kink at 0 avoided"),
    OpInfo(_F + "leaky_relu", F.leaky_relu, _leaky_samples),
    OpInfo(_F + "tanh", F.tanh, _elementwise(_normal)),
    OpInfo(_F + "sigmoid", F.sigmoid, _elementwise(_normal)),
    OpInfo(_F + "softplus", F.softplus, _softplus_samples, notes="a fused Function: checked at 0 and large |z|"),
    OpInfo(_F + "softmax", F.softmax, _along_axis),
    OpInfo(_F + "log_softmax", F.log_softmax, _along_axis),
    OpInfo(_F + "linear", F.linear, _linear_samples),
    OpInfo(_F + "dropout", _dropout_fn, _dropout_samples, notes="mask fixed per sample by its seed"),
    OpInfo(_F + "batch_norm", _batch_norm_fn, _batch_norm_samples),
    OpInfo(_F + "mse_loss", F.mse_loss, _mse_samples),
    OpInfo(_F + "cross_entropy", F.cross_entropy, _cross_entropy_samples),
    OpInfo(_F + "nll_loss", F.nll_loss, _class_target_samples(log_probs=True)),
    OpInfo(_F + "binary_cross_entropy", F.binary_cross_entropy, _bce_samples),
    OpInfo(_F + "binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, _bce_logits_samples),
    OpInfo("nn.Linear", _linear_layer, _linear_samples, notes="differentiates x, weight and bias"),
    OpInfo("nn.ReLU", _module_fn(ReLU), _elementwise(_away_from_zero)),
    OpInfo("nn.LeakyReLU", _module_fn(LeakyReLU), _leaky_samples),
    OpInfo("nn.Tanh", _module_fn(Tanh), _elementwise(_normal)),
    OpInfo("nn.Softplus", _module_fn(Softplus), _softplus_samples),
    OpInfo("nn.Sigmoid", _module_fn(Sigmoid), _elementwise(_normal)),
    OpInfo("nn.Softmax", _module_fn(Softmax), _along_axis),
    OpInfo("nn.LogSoftmax", _module_fn(LogSoftmax), _along_axis),
    OpInfo("nn.Dropout", _dropout_layer, _dropout_samples, notes="mask fixed per sample by its seed"),
    OpInfo("nn.BatchNorm1d", _batch_norm_layer, _batch_norm_samples, notes="training mode uses batch statistics"),
    OpInfo("nn.Identity", _module_fn(Identity), _elementwise(_normal)),
    OpInfo("nn.Flatten", _module_fn(Flatten), _flatten_samples),
    OpInfo("nn.Sequential", _sequential_fn, _sequential_samples, notes="differentiates x and all four parameters"),
    OpInfo("nn.MSELoss", _loss_module_fn(MSELoss), _mse_samples),
    OpInfo("nn.CrossEntropyLoss", _loss_module_fn(CrossEntropyLoss), _cross_entropy_samples),
    OpInfo("nn.NLLLoss", _loss_module_fn(NLLLoss), _class_target_samples(log_probs=True)),
    OpInfo("nn.BCELoss", _loss_module_fn(BCELoss), _bce_samples),
    OpInfo("nn.BCEWithLogitsLoss", _loss_module_fn(BCEWithLogitsLoss), _bce_logits_samples),
    OpInfo("nn.l2_penalty", lambda *ws, lambd, m: l2_penalty(list(ws), lambd, m), _penalty_samples),
    OpInfo("nn.l1_penalty", lambda *ws, lambd, m: l1_penalty(list(ws), lambd, m), _penalty_samples,
           notes="|w| kink at 0 avoided"),
]
NON_DIFFERENTIABLE: dict[str, str] = {}  # every public op of nn has a gradient
