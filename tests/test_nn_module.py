"""nn.Module, Parameter, containers and Linear, checked against PyTorch."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import nn

torch = pytest.importorskip("torch")


def _t(x, dtype=None):
    """A torch tensor with glassgrad tensor x's values."""
    return torch.from_numpy(np.array(x._data if isinstance(x, gg.Tensor) else x, copy=True))


def _copy_weights(gmod, tmod):
    """Copy torch module's parameters and buffers into the glassgrad module."""
    tsd = tmod.state_dict()
    gsd = OrderedDict((k, gg.from_numpy(v.detach().numpy().copy())) for k, v in tsd.items())
    gmod.load_state_dict(gsd)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", gg.zeros(1))
        self.register_buffer("scratch", gg.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4)
        self.act = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# -- Parameter ------------------------------------------------------------------------------------

def test_parameter_basics():
    data = gg.ones(2)
    p = nn.Parameter(data)
    assert isinstance(p, gg.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert repr(p) == "Parameter containing:\n" + gg.Tensor.__repr__(p)
    # shares memory with the tensor it wraps
    data._data[0] = 5.0
    assert p._data[0] == 5.0
    assert not nn.Parameter(gg.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert not hasattr(p, "__dict__")
    with pytest.raises(TypeError):
        nn.Parameter(np.ones(2))
    # ops on parameters give plain tensors
    assert type(p * 2) is gg.Tensor


def test_parameter_deepcopy():
    p = nn.Parameter(gg.ones(3))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad
    assert q._data is not p._data and np.array_equal(q._data, p._data)


# -- registration and walks -----------------------------------------------------------------------

def test_registration_and_names_match_torch():
    g, t = Net(), TNet()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert list(g.state_dict()) == list(t.state_dict())
    assert len(list(g.parameters())) == 3
    assert len(list(g.parameters(recurse=False))) == 0
    assert [n for n, _ in g.named_parameters(prefix="m")] == \
        [n for n, _ in t.named_parameters(prefix="m")]


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    tlin = torch.nn.Linear(2, 2)
    tseq = torch.nn.Sequential(tlin, tlin)
    assert [n for n, _ in seq.named_parameters()] == [n for n, _ in tseq.named_parameters()]
    assert [n for n, _ in seq.named_modules()] == [n for n, _ in tseq.named_modules()]
    assert list(seq.state_dict()) == list(tseq.state_dict())


def test_setattr_errors_match_torch():
    g, t = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    with pytest.raises(TypeError) as tg:
        g.weight = gg.zeros(3, 2)
    with pytest.raises(TypeError) as tt:
        t.weight = torch.zeros(3, 2)
    assert str(tg.value) == str(tt.value)
    with pytest.raises(AttributeError) as eg:
        g.nope  # noqa: B018
    with pytest.raises(AttributeError) as et:
        t.nope  # noqa: B018
    assert str(eg.value) == str(et.value)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gg.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_reassign_and_delete():
    m = nn.Module()
    m.a = nn.Parameter(gg.ones(1))
    m.a = None  # allowed, registers None
    assert "a" in m._parameters and m.a is None
    m.b = nn.Linear(1, 1)
    m.b = nn.Parameter(gg.ones(1))  # a parameter replaces the module
    assert "b" not in m._modules and "b" in m._parameters
    del m.b
    assert "b" not in m._parameters
    m.register_buffer("buf", gg.zeros(2))
    m.buf = gg.ones(2)
    assert np.array_equal(m._buffers["buf"]._data, np.ones(2))
    with pytest.raises(TypeError):
        m.buf = 3
    m.c = nn.Buffer(gg.zeros(1), persistent=False)
    assert "c" in m._buffers and "c" not in m.state_dict()
    with pytest.raises(KeyError):
        m.register_buffer("a.b", gg.zeros(1))
    m.plain = 3
    assert m.plain == 3 and "plain" not in m._parameters


def test_train_eval_requires_grad_zero_grad_apply():
    m = Net()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training and not m.act.training
    m.train()
    assert m.fc2.training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m(gg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad._data == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "Net"]


def test_to_dtype_keeps_parameter_objects():
    m = Net()
    w = m.fc1.weight
    m.double()
    assert m.fc1.weight is w and w.dtype == gg.float64 and m.steps.dtype == gg.float64
    assert m(gg.randn(2, 3, dtype=gg.float64)).dtype == gg.float64
    m.to(gg.float32)
    assert w.dtype == gg.float32
    assert m.to("cpu") is m
    with pytest.raises(RuntimeError):
        m.to("cuda")


def test_repr_matches_torch():
    pairs = [
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False)),
         torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                             torch.nn.Linear(3, 1, bias=False))),
        (Net(), TNet()),
        (nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Tanh()]),
         torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.Tanh()])),
        (nn.ModuleDict({"a": nn.Sigmoid(), "b": nn.Identity()}),
         torch.nn.ModuleDict({"a": torch.nn.Sigmoid(), "b": torch.nn.Identity()})),
        (nn.Sequential(OrderedDict(inner=nn.Sequential(nn.ReLU(inplace=True)))),
         torch.nn.Sequential(OrderedDict(inner=torch.nn.Sequential(torch.nn.ReLU(True))))),
        (nn.ModuleList(), torch.nn.ModuleList()),
    ]
    for g, t in pairs:
        assert repr(g) == repr(t).replace("TNet(", "Net(")


# -- state_dict -----------------------------------------------------------------------------------

def test_state_dict_round_trip_and_sharing():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert "scratch" not in sd
    assert not sd["fc1.weight"].requires_grad
    # detached views share memory with the parameters
    assert sd["fc1.weight"]._data is a.fc1.weight._data
    res = b.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    for (n1, p1), (n2, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert n1 == n2 and np.array_equal(p1._data, p2._data) and p1._data is not p2._data
    kv = a.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is a.fc1.weight


def _load_errors(gmod, tmod, gsd, tsd, strict=True):
    with pytest.raises(RuntimeError) as eg:
        gmod.load_state_dict(gsd, strict=strict)
    with pytest.raises(RuntimeError) as et:
        tmod.load_state_dict(tsd, strict=strict)
    # glassgrad prints glassgrad.Size (torch.Size under `glassgrad run`)
    return (str(eg.value).replace("glassgrad.", "torch."),
            str(et.value).replace("TNet", "Net"))


def test_strict_load_errors_match_torch():
    g, t = Net(), TNet()
    gsd, tsd = dict(g.state_dict()), dict(t.state_dict())
    # missing + unexpected + size mismatch, strict
    for sd, mk in ((gsd, gg.zeros), (tsd, torch.zeros)):
        del sd["fc1.bias"]
        sd["extra"] = mk(1)
        sd["fc9.weight"] = mk(1)
        sd["fc2.weight"] = mk(5, 4)
    eg, et = _load_errors(g, t, gsd, tsd)
    assert eg == et
    assert "Missing key(s)" in eg and "Unexpected key(s)" in eg and "size mismatch" in eg
    # strict=False still reports the size mismatch
    eg, et = _load_errors(g, t, gsd, tsd, strict=False)
    assert eg == et
    # strict=False without mismatch returns the incompatible keys like torch
    gsd["fc2.weight"] = gg.zeros(2, 4)
    tsd["fc2.weight"] = torch.zeros(2, 4)
    rg, rt = g.load_state_dict(gsd, strict=False), t.load_state_dict(tsd, strict=False)
    assert rg.missing_keys == rt.missing_keys and rg.unexpected_keys == rt.unexpected_keys
    assert repr(rg) == repr(rt)
    # a non-tensor value
    g2, t2 = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    eg, et = _load_errors(g2, t2, {"weight": 1, "bias": gg.zeros(2)},
                          {"weight": 1, "bias": torch.zeros(2)})
    assert eg == et
    with pytest.raises(TypeError, match="dict-like"):
        g2.load_state_dict([1, 2])


def test_load_assign_and_numpy_values():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2), np.float32), "bias": np.zeros(2, np.float32)})
    assert m.weight is w and np.all(w._data == 1)
    m.load_state_dict({"weight": gg.full((2, 2), 3.0), "bias": gg.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_deepcopy_module():
    m = Net()
    m2 = copy.deepcopy(m)
    assert m2.fc1.weight is not m.fc1.weight
    assert np.array_equal(m2.fc1.weight._data, m.fc1.weight._data)
    m2.fc1.weight._data[...] = 0
    assert not np.all(m.fc1.weight._data == 0)


# -- containers -----------------------------------------------------------------------------------

def test_sequential_indexing_len_append():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and s[0] is layers[0] and s[-1] is layers[2]
    assert isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2 and s[1:][0] is layers[1]
    with pytest.raises(IndexError):
        s[3]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is layers[2]
    s.insert(1, nn.Tanh())
    assert isinstance(s[1], nn.Tanh)
    assert len(s + nn.Sequential(nn.ReLU())) == 5
    assert next(iter(s)) is layers[0]
    s2 = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(s2.state_dict()) == ["fc.weight", "fc.bias"]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Linear(1, 2))
    ml.extend([nn.ReLU()])
    assert len(ml) == 5 and len(list(ml.parameters())) == 8
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(4)]
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    assert isinstance(md.pop("c"), nn.Tanh) and len(md) == 2


# -- Linear ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype, tol, shape, bias):
    rng = np.random.default_rng(0)
    tl = torch.nn.Linear(3, 4, bias=bias).to(torch.float64 if dtype == np.float64 else
                                             torch.float32)
    gl = nn.Linear(3, 4, bias=bias).to(gg.float64 if dtype == np.float64 else gg.float32)
    _copy_weights(gl, tl)
    x = rng.standard_normal(shape).astype(dtype)
    gx = gg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = gl(gx), tl(tx)
    assert gy.dtype == (gg.float64 if dtype == np.float64 else gg.float32)
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=tol, atol=tol)
    up = rng.standard_normal(ty.shape).astype(dtype)
    gy.backward(gg.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(gx.grad._data, tx.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(gl.weight.grad._data, tl.weight.grad.numpy(), rtol=tol, atol=tol)
    if bias:
        np.testing.assert_allclose(gl.bias.grad._data, tl.bias.grad.numpy(), rtol=tol, atol=tol)
    if len(shape) == 2:
        assert gy.grad_fn.name() == ty.grad_fn.name()


def test_linear_errors_and_init():
    lin = nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and"):
        lin(gg.randn(4, 3))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        lin(gg.randn(4, 2, dtype=gg.float64))
    big = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w = big.weight._data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    # U(-b, b): variance b^2 / 3
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2 / 3
    assert np.abs(big.bias._data).max() <= bound
    gg.manual_seed(0)
    a = nn.Linear(3, 3).weight._data.copy()
    gg.manual_seed(0)
    assert np.array_equal(nn.Linear(3, 3).weight._data, a)


def test_parameter_list_and_dict_match_torch():
    g = nn.ParameterList([nn.Parameter(gg.randn(2, 3)), gg.randn(3, dtype=gg.float64)])
    t = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(2, 3)),
                                torch.randn(3, dtype=torch.float64)])
    assert repr(g).replace("glassgrad.", "torch.") == repr(t)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert isinstance(g[1], nn.Parameter) and len(g) == 2
    g.append(gg.ones(1))
    assert len(list(g.parameters())) == 3 and len(g[1:]) == 2
    gd = nn.ParameterDict({"a": nn.Parameter(gg.randn(2)), "b": gg.randn(2, 2)})
    td = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.randn(2)), "b": torch.randn(2, 2)})
    assert repr(gd) == repr(td)
    assert list(gd.state_dict()) == list(td.state_dict())
    assert isinstance(gd["b"], nn.Parameter) and "a" in gd and len(gd) == 2
    gd.pop("a")
    assert list(gd.keys()) == ["b"]
    with pytest.raises(RuntimeError, match="should not be called"):
        g()


def test_clip_grad_norm_and_value_match_torch():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2)]
    for norm_type in (2.0, 1.0, float("inf"), 3.0):
        for max_norm in (0.5, 1e3):
            grads = [rng.standard_normal(s) for s in shapes]
            gp = [nn.Parameter(gg.zeros(*s, dtype=gg.float64)) for s in shapes]
            tp = [torch.nn.Parameter(torch.zeros(*s, dtype=torch.float64)) for s in shapes]
            for p, a in zip(gp, grads):
                p.grad = gg.tensor(a)
            for p, a in zip(tp, grads):
                p.grad = torch.tensor(a)
            gn = nn.utils.clip_grad_norm_(gp, max_norm, norm_type)
            tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
            assert abs(float(gn) - float(tn)) < 1e-12
            for a, b in zip(gp, tp):
                np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(gp, 0.1)
    torch.nn.utils.clip_grad_value_(tp, 0.1)
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy())
    gp[0].grad._data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(gp, 1.0, error_if_nonfinite=True)
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(vec * 0 + 1, m.parameters())
    assert np.all(m.weight._data == 1) and np.all(m.bias._data == 1)


def test_extra_state_round_trip_like_torch():
    def make(base):
        class WithState(base.Module):
            def __init__(self):
                super().__init__()
                self.fc = base.Linear(2, 2)
                self.steps = 0

            def get_extra_state(self):
                return {"steps": self.steps}

            def set_extra_state(self, state):
                self.steps = state["steps"]

        return WithState

    g, t = make(nn)(), make(torch.nn)()
    g.steps = t.steps = 7
    assert list(g.state_dict()) == list(t.state_dict())
    g2 = make(nn)()
    g2.load_state_dict(g.state_dict())
    assert g2.steps == 7
    sd = g.state_dict()
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key.*"_extra_state"'):
        g2.load_state_dict(sd)
    with pytest.raises(RuntimeError, match='Unexpected key.*"_extra_state"'):
        nn.Linear(2, 2).load_state_dict({"weight": gg.zeros(2, 2), "bias": gg.zeros(2),
                                         "_extra_state": 1})


def test_lazy_linear_becomes_linear():
    g, t = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(g) == repr(t)
    assert isinstance(g.weight, nn.UninitializedParameter) and repr(g.weight) == repr(t.weight)
    w = g.weight
    y = g(gg.randn(2, 4))
    t(torch.randn(2, 4))
    assert type(g) is nn.Linear and repr(g) == repr(t)
    assert g.weight is w and type(w) is nn.Parameter and y.shape == (2, 3)
    assert g.weight.shape == t.weight.shape and g.bias.shape == t.bias.shape
    assert np.abs(g.weight._data).max() <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))
    d = nn.LazyLinear(2, bias=False).double()
    d(gg.randn(3, 5, dtype=gg.float64))
    assert d.weight.dtype == gg.float64 and d.bias is None
