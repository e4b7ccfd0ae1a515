"""Module: registration, dotted names, scopes of recorded ops, modes, dtype, state_dict, repr, Sequential."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from tinygrad_notes import ShapeError, Tensor, name_scope


class Block(nn.Module):
    """A child with its own child, so names go two levels deep."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(3, 4, generator=np.random.default_rng(0)), nn.Tanh())
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x) * self.scale


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Block()
        self.head = nn.Linear(4, 2, generator=np.random.default_rng(1))
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.head(self.encoder(x))) * 2.0


def _ops_by_scope(out: Tensor) -> dict[str | None, set[str]]:
    """Walk the graph from `out`: scope -> names of the ops recorded under it."""
    from tinygrad_notes.function import op_name

    found: dict[str | None, set[str]] = {}
    stack, seen = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found.setdefault(node.scope, set()).add(op_name(node))
        stack.extend(i.grad_fn for i in node.inputs if isinstance(i, Tensor))
    return found


def test_named_parameters_use_dotted_pytorch_names() -> None:
    names = [n for n, _ in Model().named_parameters()]
    assert names == ["encoder.scale", "encoder.layers.0.weight", "encoder.layers.0.bias", "head.weight", "head.bias",
                     "norm.weight", "norm.bias"]
    assert [n for n, _ in Model().named_buffers()] == ["norm.running_mean", "norm.running_var",
                                                        "norm.num_batches_tracked"]


def test_modules_children_and_named_modules() -> None:
    model = Model()
    assert [n for n, _ in model.named_modules()] == ["", "encoder", "encoder.layers", "encoder.layers.0",
                                                     "encoder.layers.1", "head", "norm"]
    assert [n for n, _ in model.named_children()] == ["encoder", "head", "norm"]
    assert list(model.children())[1] is model.head
    assert len(list(model.modules())) == 7


def test_each_op_carries_the_dotted_name_of_the_module_that_recorded_it() -> None:
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    scopes = _ops_by_scope(Model()(x))
    assert scopes[None] == {"mul"}  # the root model's own op has no scope
    assert scopes["encoder"] == {"mul"}  # Block's `* self.scale`
    assert scopes["encoder.layers.0"] == {"linear"}
    assert scopes["encoder.layers.1"] == {"tanh"}
    assert scopes["head"] == {"linear"}
    assert "sqrt" in scopes["norm"] and "div" in scopes["norm"]
    assert set(scopes) == {None, "encoder", "encoder.layers.0", "encoder.layers.1", "head", "norm"}


def test_an_outer_name_scope_prefixes_every_module_name() -> None:
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    with name_scope("model"):
        out = Model().eval()(x)
    assert set(_ops_by_scope(out)) == {"model", "model.encoder", "model.encoder.layers.0", "model.encoder.layers.1",
                                       "model.head", "model.norm"}


def test_a_module_shared_by_two_parents_records_under_its_calling_parents_name() -> None:
    shared = nn.Linear(2, 2)

    class Wrap(nn.Module):
        def __init__(self, attr: str) -> None:
            super().__init__()
            setattr(self, attr, shared)
            self.attr = attr

        def forward(self, x: Tensor) -> Tensor:
            return getattr(self, self.attr)(x)

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = Wrap("proj"), Wrap("lin")

        def forward(self, x: Tensor) -> Tensor:
            return self.b(self.a(x))

    model = Two()
    out = model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert set(_ops_by_scope(out)) == {"a.proj", "b.lin"}
    assert [n for n, _ in model.named_parameters()] == ["a.proj.weight", "a.proj.bias"]  # shared: listed once


def test_a_grandchild_called_directly_gets_its_full_path_and_a_moved_module_its_new_name() -> None:
    class Skip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 2), nn.ReLU())

        def forward(self, x: Tensor) -> Tensor:
            return self.body[0](x)  # bypasses body's forward

    model = Skip()
    x = Tensor(np.ones((1, 2), dtype=np.float32))
    assert set(_ops_by_scope(model(x))) == {"body.0"}
    layer = model.body[0]
    model.body = nn.Identity()
    model.first = layer
    model.forward = lambda x: model.first(x)
    assert set(_ops_by_scope(model(x))) == {"first"}


def test_parameters_register_only_as_parameters() -> None:
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"Linear.weight is a parameter: assign nn.Parameter"):
        lin.weight = Tensor(np.zeros((3, 2), dtype=np.float32))
    lin.bias = None  # removing is allowed
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert lin(Tensor(np.ones((1, 2), dtype=np.float32))).shape == (1, 3)
    del lin.weight
    assert list(lin.parameters()) == []


def test_forgetting_super_init_is_explained() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.zeros(2, dtype=np.float32))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Broken()


def test_parameter_is_a_float_tensor_that_requires_grad() -> None:
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float32
    assert type(p * 2) is Tensor  # ops give plain tensors
    with pytest.raises(TypeError, match="floating point"):
        nn.Parameter(np.arange(3))


def test_train_eval_reach_every_submodule() -> None:
    model = Model()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert model.encoder.layers[1].training


def test_zero_grad_clears_or_zeroes_every_gradient() -> None:
    model = Model()
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_double_converts_parameters_and_float_buffers_in_place() -> None:
    model = Model()
    weight = model.head.weight
    before = weight.data.copy()
    assert model.double() is model
    assert model.head.weight is weight and weight.dtype == np.float64
    np.testing.assert_array_equal(weight.data, before)
    assert model.norm.running_var.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64  # integers stay integers
    assert model(Tensor(np.ones((2, 3)))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(TypeError, match="floating point"):
        model.to(np.int32)


def test_state_dict_round_trip_gives_bit_identical_outputs() -> None:
    x = Tensor(np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32))
    source = Model()
    source(x)  # one training step moves the running statistics away from their initial values
    source.eval()
    state = source.state_dict()
    assert set(state) == {"encoder.scale", "encoder.layers.0.weight", "encoder.layers.0.bias", "head.weight",
                          "head.bias", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var",
                          "norm.num_batches_tracked"}
    assert state["norm.num_batches_tracked"] == 1
    target = Model()
    target.head.weight.inplace_data()[...] = 0
    target.load_state_dict(state)
    target.eval()
    np.testing.assert_array_equal(target(x).data, source(x).data)
    assert target(x).data.tobytes() == source(x).data.tobytes()


def test_state_dict_is_a_snapshot() -> None:
    lin = nn.Linear(2, 2)
    state = lin.state_dict()
    lin.weight.inplace_data()[...] += 1
    assert not np.array_equal(state["weight"], lin.weight.data)


def test_load_state_dict_lists_every_problem_and_loads_nothing() -> None:
    model = Model()
    before = model.head.weight.data.copy()
    state = model.state_dict()
    del state["head.bias"], state["norm.running_var"]
    state["extra.weight"] = np.zeros(2, dtype=np.float32)
    state["head.weight"] = np.zeros((2, 4), dtype=np.float32) + 5  # right: would be loaded if all were well
    state["encoder.scale"] = np.zeros(5, dtype=np.float32)
    state["norm.weight"] = np.zeros(2, dtype=np.float64)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for expected in ("missing key 'head.bias'", "missing key 'norm.running_var'", "unexpected key 'extra.weight'",
                     "encoder.scale: shape (5,) in the state, (4,) in the model",
                     "norm.weight: dtype float64 in the state, float32 in the model", "5 problem(s)"):
        assert expected in message
    np.testing.assert_array_equal(model.head.weight.data, before)


def test_load_state_dict_non_strict_skips_missing_and_unexpected_but_not_mismatches() -> None:
    lin = nn.Linear(2, 3)
    result = lin.load_state_dict({"weight": np.ones((3, 2), dtype=np.float32), "other": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(lin.weight.data, np.ones((3, 2)))
    with pytest.raises(nn.StateDictError, match=r"weight: shape \(2, 3\)"):
        lin.load_state_dict({"weight": np.ones((2, 3), dtype=np.float32)}, strict=False)


def test_load_state_dict_keeps_parameter_objects() -> None:
    lin = nn.Linear(2, 2)
    weight = lin.weight
    lin.load_state_dict({"weight": Tensor(np.full((2, 2), 3.0, dtype=np.float32)), "bias": np.zeros(2, np.float32)})
    assert lin.weight is weight and (weight.data == 3).all()


def test_non_persistent_buffers_stay_out_of_the_state_dict() -> None:
    m = nn.Module()
    m.register_buffer("kept", np.zeros(2))
    m.register_buffer("scratch", np.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    with pytest.raises(ValueError, match="must not require grad"):
        m.register_buffer("bad", Tensor(np.zeros(2), requires_grad=True))


def test_repr_is_nested_like_pytorchs() -> None:
    assert repr(Model()) == (
        "Model(\n"
        "  (encoder): Block(\n"
        "    (layers): Sequential(\n"
        "      (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "      (1): Tanh()\n"
        "    )\n"
        "  )\n"
        "  (head): Linear(in_features=4, out_features=2, bias=True)\n"
        "  (norm): BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        ")"
    )


def test_sequential_indexing_length_iteration_and_slices() -> None:
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and seq[1] is list(seq)[1]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_array_equal(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    seq.append(nn.Softmax())
    assert len(seq) == 4 and np.allclose(seq(x).data.sum(axis=1), 1)
    with pytest.raises(IndexError, match="out of range for 4 modules"):
        seq[4]
    with pytest.raises(TypeError, match="not an nn.Module"):
        nn.Sequential(nn.ReLU(), np.tanh)


def test_sequential_from_a_dict_keeps_the_names() -> None:
    seq = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.ReLU()})
    assert [n for n, _ in seq.named_parameters()] == ["hidden.weight", "hidden.bias"]
    with pytest.raises(KeyError, match="not a valid module name"):
        nn.Sequential({"a.b": nn.ReLU()})


def test_identity_and_flatten() -> None:
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


def test_functional_call_swaps_tensors_in_and_back_out() -> None:
    seq = nn.Sequential(nn.Linear(2, 2, bias=False))
    original = seq[0].weight
    w = Tensor(np.eye(2), requires_grad=True)
    x = Tensor(np.array([[1.0, 2.0]]))
    out = nn.functional_call(seq, {"0.weight": w}, x)
    np.testing.assert_array_equal(out.data, x.data)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1.0, 2.0], [1.0, 2.0]])
    assert seq[0].weight is original and original.grad is None
    with pytest.raises(KeyError, match="no parameter or buffer '0.bias'"):
        nn.functional_call(seq, {"0.bias": w}, x)


def test_a_deep_copy_is_independent_and_records_its_own_scopes() -> None:
    import copy

    model = Model()
    x = Tensor(np.ones((3, 3), dtype=np.float32))
    model(x)
    clone = copy.deepcopy(model)
    assert clone.head.weight is not model.head.weight and isinstance(clone.head.weight, nn.Parameter)
    clone.head.weight.inplace_data()[...] = 0
    assert model.head.weight.data.any()
    assert set(_ops_by_scope(clone(x))) == {None, "encoder", "encoder.layers.0", "encoder.layers.1", "head", "norm"}


def test_a_fresh_model_survives_pickling_for_worker_processes() -> None:
    """joblib ships arguments to workers by pickling; the module's weak-reference name cache must not block it."""
    import pickle

    from tinygrad_notes import no_grad

    model = Model().eval()
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    with no_grad():  # a call fills every child's name cache (no graph is recorded to hold the parameters)
        expected = model(x).data
    assert model.head._names
    clone = pickle.loads(pickle.dumps(model))
    with no_grad():
        np.testing.assert_array_equal(clone(x).data, expected)


def test_apply_and_requires_grad() -> None:
    model = Model()
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Model" and "Linear" in seen
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ---- errors inside a layer name the layer ------------------------------------------------------------------
def test_a_layer_fed_the_wrong_feature_size_names_itself_by_its_dotted_name():
    model = nn.Sequential({"body": nn.Sequential(nn.Linear(4, 6), nn.ReLU()), "head": nn.Linear(8, 3)})
    with pytest.raises(ShapeError, match=r"^head \(Linear\(in_features=8, out_features=3, bias=True\)\): linear: "
                                         r"input of shape \(2, 6\) does not fit a weight of shape \(3, 8\)"):
        model(Tensor(np.ones((2, 4), np.float32)))
    with pytest.raises(ShapeError, match=r"^body\.0 \(Linear\(in_features=4, .*\)\): linear: input of shape \(2, 5\)"):
        model(Tensor(np.ones((2, 5), np.float32)))
    with pytest.raises(ShapeError, match=r"^Linear\(in_features=6, out_features=3, bias=True\): linear: input of "
                                         r"shape \(2, 8\)"):
        nn.Linear(6, 3)(Tensor(np.ones((2, 8), np.float32)))  # a layer called on its own has no name


def test_a_users_own_error_class_from_a_layer_is_passed_on_unchanged():
    class Mine(ValueError):
        pass

    class Picky(nn.Module):
        def forward(self, x):
            raise Mine("no thanks")

    model = nn.Sequential(Picky())
    with pytest.raises(Mine, match="^no thanks$"):
        model(Tensor(np.ones(2)))
