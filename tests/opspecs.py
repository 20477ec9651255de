"""One spec per public op: the table that drives tests/test_ops.py.

Each spec names one op and how to exercise it:

- ``fn(m, *xs, **kw)``: the call, written once for both libraries; ``m`` is the module
  (``glassgrad`` or ``torch``) and ``xs`` are that library's tensors, so the same line tests
  glassgrad's top-level function or Tensor method against torch's.
- ``cases``: ``(shapes, kwargs)`` pairs: the input shapes (broadcastable pairs for binary ops)
  and keyword variants such as ``dim``/``keepdim``. NumPy arrays in ``kwargs`` (index tensors,
  masks) become the library's tensors.
- ``make``: how input values are drawn (a domain, or a special maker for ties and zeros).
- ``grad``: which inputs get gradients (empty: no gradient, e.g. argmax).
- ``atol``/``rtol`` per dtype, ``name``: whether torch's grad_fn name must match,
  ``gradcheck``: run float64 finite differences (``gradgrad``: of the backward too),
  ``ints``: also compare an int64 forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# -- how values are drawn ------------------------------------------------------------------------


def uniform(lo, hi):
    def make(rng, shape):
        return rng.uniform(lo, hi, size=shape)

    make.__name__ = f"uniform({lo}, {hi})"
    return make


def away_from_zero(lo=0.2, hi=2.0):
    """|x| in [lo, hi) with a random sign: no kink of abs/relu/sign/1/x within eps."""
    def make(rng, shape):
        return rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)

    return make


def distinct(rng, shape):
    """Values at least 0.05 apart (max/min/sort have no ties, so finite differences are
    clean)."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = (rng.permutation(n) - n / 2) * 0.1 + rng.uniform(-0.02, 0.02, size=n)
    return vals.reshape(shape)


def with_ties(rng, shape):
    """Small integers: many ties (checks PyTorch's tie rules; no gradcheck)."""
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def with_zeros(rng, shape):
    """Some exact zeros (prod's gradient must not divide by them)."""
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


def well_conditioned(rng, shape):
    """Square matrices (in the last two dims) near 2 * I: far from singular."""
    x = rng.uniform(-0.5, 0.5, size=shape)
    return x + 2 * np.eye(shape[-1])


normal = uniform(-2.0, 2.0)
positive = uniform(0.2, 3.0)


# -- the spec ------------------------------------------------------------------------------------


@dataclass
class OpSpec:
    name: str
    fn: Callable
    cases: list
    make: Callable | tuple = normal  # one maker for all inputs, or one per input
    grad: tuple | None = None  # input positions that get gradients; None: all of them
    atol32: float = 1e-5
    rtol32: float = 1e-4
    atol64: float = 1e-10
    rtol64: float = 1e-7
    name_check: bool = True
    gradcheck: bool = True
    gradgrad: bool = True  # also float64 gradgradcheck (create_graph through the backward)
    ints: bool = False  # also compare an int64 forward (values and dtype)
    kind: str = "other"  # "unary", "binary", "reduction" (used by the hypothesis tests)
    extra: Callable | None = None  # (rng, shapes) -> kwargs with arrays (indices, masks)
    notes: str = ""

    def makers(self, n):
        if isinstance(self.make, tuple):
            return self.make
        return (self.make,) * n

    def grad_positions(self, n):
        return tuple(range(n)) if self.grad is None else self.grad

    def ids(self):
        return [f"{self.name}-{_case_id(s, k)}" for s, k in self.cases]


def _case_id(shapes, kw):
    s = "x".join(str(list(sh)).replace(" ", "") for sh in shapes)
    if kw:
        s += "-" + ",".join(f"{k}={v}" for k, v in kw.items() if not isinstance(v, np.ndarray))
    return s


def case(*shapes, **kw):
    return (shapes, kw)


BINARY_SHAPES = [
    case((3, 4), (3, 4)),
    case((3, 4), (4,)),
    case((2, 1, 4), (3, 1)),
    case((), (3,)),
    case((5,), ()),
]
UNARY_SHAPES = [case((3, 4)), case(()), case((2, 3, 2))]
REDUCE_CASES = [
    case((3, 4)),
    case((3, 4), dim=1),
    case((3, 4), dim=-2, keepdim=True),
    case((2, 3, 4), dim=(0, 2)),
    case((2, 3, 4), dim=(-1, 1), keepdim=True),
    case((5,), dim=0),
    case((), dim=0),
]
DIM_CASES = [  # ops taking one int dim
    case((3, 4), dim=1),
    case((3, 4), dim=0, keepdim=True),
    case((2, 3, 4), dim=-1),
    case((2, 3, 4), dim=1, keepdim=True),
    case((5,), dim=0),
]

SPECS: list[OpSpec] = []


def spec(*args, **kwargs) -> OpSpec:
    s = OpSpec(*args, **kwargs)
    assert s.name not in {t.name for t in SPECS}, s.name
    SPECS.append(s)
    return s


# -- elementwise, one input ----------------------------------------------------------------------

spec("neg", lambda m, x: m.neg(x), UNARY_SHAPES, kind="unary", ints=True)
spec("neg_op", lambda m, x: -x, UNARY_SHAPES, kind="unary")
spec("abs", lambda m, x: m.abs(x), UNARY_SHAPES, away_from_zero(), kind="unary", ints=True)
spec("exp", lambda m, x: m.exp(x), UNARY_SHAPES, kind="unary")
spec("log", lambda m, x: m.log(x), UNARY_SHAPES, positive, kind="unary")
spec("sqrt", lambda m, x: m.sqrt(x), UNARY_SHAPES, positive, kind="unary")
spec("sin", lambda m, x: m.sin(x), UNARY_SHAPES, kind="unary")
spec("cos", lambda m, x: m.cos(x), UNARY_SHAPES, kind="unary")
spec("tanh", lambda m, x: m.tanh(x), UNARY_SHAPES, kind="unary")
spec("sigmoid", lambda m, x: m.sigmoid(x), UNARY_SHAPES, uniform(-6, 6), kind="unary")
spec("relu", lambda m, x: m.relu(x), UNARY_SHAPES, away_from_zero(), kind="unary")
spec("log1p", lambda m, x: m.log1p(x), UNARY_SHAPES, uniform(-0.5, 3.0), kind="unary")
spec("expm1", lambda m, x: m.expm1(x), UNARY_SHAPES, kind="unary")
spec("square", lambda m, x: m.square(x), UNARY_SHAPES, kind="unary", ints=True)
spec("reciprocal", lambda m, x: m.reciprocal(x), UNARY_SHAPES, away_from_zero(0.5),
     kind="unary")
spec("rsqrt", lambda m, x: m.rsqrt(x), UNARY_SHAPES, positive, kind="unary")
spec("sign", lambda m, x: m.sign(x), UNARY_SHAPES, away_from_zero(), kind="unary", ints=True)
spec("clamp", lambda m, x, **k: m.clamp(x, **k),
     [case((3, 4), min=-0.5, max=0.7), case((3, 4), min=0.1), case((5,), max=-0.2),
      case((3, 4), min=0.7, max=-0.5)],  # min > max: everything is max, no gradient
     kind="unary")
spec("clamp_tensor_bounds", lambda m, x, lo, hi: x.clamp(lo, hi),
     [case((3, 4), (4,), (3, 1))], (normal, uniform(-1.5, -0.5), uniform(0.5, 1.5)),
     name_check=False, notes="glassgrad composes maximum/minimum (torch: ClampBackward0)")
spec("pow_scalar", lambda m, x, p: x**p,
     [case((3, 4), p=2), case((3, 4), p=3), case((3, 4), p=0.5), case((3, 4), p=-1.5),
      case((5,), p=0), case((5,), p=1)], positive, kind="unary")
spec("rpow", lambda m, x, b: b**x, [case((3, 4), b=2.0), case((5,), b=0.5)], kind="unary")
spec("rsub", lambda m, x: 2.5 - x, UNARY_SHAPES, kind="unary")
spec("rdiv", lambda m, x: 2.0 / x, UNARY_SHAPES, away_from_zero(0.5), kind="unary",
     name_check=False, notes="torch records 2/x as reciprocal then mul")
spec("clone", lambda m, x: x.clone(), UNARY_SHAPES, kind="unary")
spec("relu_inplace", lambda m, x: (x * 1.0).relu_(), [case((3, 4))], away_from_zero(),
     notes="in-place on a non-leaf: recorded with the out-of-place node's name")
spec("exp_inplace", lambda m, x: (x * 1.0).exp_(), [case((3, 4))])
spec("sigmoid_inplace", lambda m, x: (x * 1.0).sigmoid_(), [case((3, 4))])
spec("clamp_min_inplace", lambda m, x: (x * 1.0).clamp_min_(0.3), [case((3, 4))],
     name_check=False, notes="torch shows ClampMinBackward0")
spec("tan", lambda m, x: m.tan(x), UNARY_SHAPES, uniform(-1.2, 1.2), kind="unary")
spec("asin", lambda m, x: m.asin(x), UNARY_SHAPES, uniform(-0.9, 0.9), kind="unary")
spec("acos", lambda m, x: m.acos(x), UNARY_SHAPES, uniform(-0.9, 0.9), kind="unary")
spec("atan", lambda m, x: m.atan(x), UNARY_SHAPES, kind="unary")
spec("sinh", lambda m, x: m.sinh(x), UNARY_SHAPES, kind="unary")
spec("cosh", lambda m, x: m.cosh(x), UNARY_SHAPES, kind="unary")
spec("log2", lambda m, x: m.log2(x), UNARY_SHAPES, positive, kind="unary")
spec("log10", lambda m, x: m.log10(x), UNARY_SHAPES, positive, kind="unary")
spec("floor", lambda m, x: m.floor(x), UNARY_SHAPES, uniform(-3.3, 3.3), kind="unary",
     ints=True, gradcheck=False, notes="flat steps: the gradient is 0 (finite differences "
     "would see a step only exactly at an integer)")
spec("ceil", lambda m, x: m.ceil(x), UNARY_SHAPES, uniform(-3.3, 3.3), kind="unary", ints=True)
spec("trunc", lambda m, x: m.trunc(x), UNARY_SHAPES, uniform(-3.3, 3.3), kind="unary",
     ints=True)
spec("round", lambda m, x, **k: m.round(x, **k),
     [case((3, 4)), case((3, 4), decimals=1), case((5,), decimals=-1)], uniform(-30, 30),
     ints=False)
spec("nan_to_num", lambda m, x: m.nan_to_num(x, nan=0.5), UNARY_SHAPES[:1], kind="unary")
spec("frac", lambda m, x: m.frac(x), UNARY_SHAPES, uniform(-3.3, 3.3), name_check=False,
     notes="torch has a FracBackward0 node; glassgrad composes x - trunc(x)")

# -- elementwise, two inputs (broadcasting) ------------------------------------------------------

spec("add", lambda m, a, b: m.add(a, b), BINARY_SHAPES, kind="binary", ints=True)
spec("add_op", lambda m, a, b: a + b, BINARY_SHAPES, kind="binary")
spec("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), BINARY_SHAPES[:2], kind="binary")
spec("sub", lambda m, a, b: m.sub(a, b), BINARY_SHAPES, kind="binary", ints=True)
spec("mul", lambda m, a, b: m.mul(a, b), BINARY_SHAPES, kind="binary", ints=True)
spec("mul_op", lambda m, a, b: a * b, BINARY_SHAPES, kind="binary")
spec("div", lambda m, a, b: m.div(a, b), BINARY_SHAPES, (normal, away_from_zero(0.5)),
     kind="binary")
spec("pow_tensor", lambda m, a, b: m.pow(a, b), BINARY_SHAPES, (positive, normal),
     kind="binary")
spec("maximum", lambda m, a, b: m.maximum(a, b), BINARY_SHAPES, kind="binary", ints=True)
spec("minimum", lambda m, a, b: m.minimum(a, b), BINARY_SHAPES, kind="binary", ints=True)
spec("maximum_ties", lambda m, a, b: m.maximum(a, b), [case((4, 5), (4, 5))], with_ties,
     gradcheck=False, notes="ties split the gradient evenly")
spec("minimum_ties", lambda m, a, b: m.minimum(a, b), [case((4, 5), (5,))], with_ties,
     gradcheck=False)
spec("atan2", lambda m, a, b: m.atan2(a, b), BINARY_SHAPES, (normal, away_from_zero(0.3)),
     kind="binary")
spec("remainder", lambda m, a, b: m.remainder(a, b), BINARY_SHAPES,
     (uniform(0.1, 0.9), uniform(1.1, 2.0)), kind="binary", ints=False,
     notes="values away from the jumps of floor(a / b)")
spec("remainder_op_scalar", lambda m, a: a % 1.5, [case((3, 4))], uniform(0.1, 1.4))
spec("remainder_negative", lambda m, a, b: a % b, [case((3, 4), (4,))],
     (uniform(-0.9, -0.1), uniform(1.1, 2.0)), notes="Python's sign rule (sign of b)")
spec("fmod", lambda m, a, b: m.fmod(a, b), BINARY_SHAPES[:3],
     (uniform(-0.9, -0.1), uniform(1.1, 2.0)), notes="C's sign rule (sign of a)")
spec("fmod_scalar", lambda m, a: m.fmod(a, 1.5), [case((3, 4))], uniform(0.1, 1.4))
spec("lerp", lambda m, a, b: m.lerp(a, b, 0.3), BINARY_SHAPES[:3])
spec("lerp_tensor_weight", lambda m, a, b, w: m.lerp(a, b, w), [case((3, 4), (3, 4), (4,))])
spec("max_binary", lambda m, a, b: m.max(a, b), BINARY_SHAPES[:3], kind="binary")
spec("where", lambda m, a, b, cond: m.where(cond, a, b), BINARY_SHAPES[:3],
     extra=lambda rng, shapes: {"cond": rng.random(np.broadcast_shapes(*shapes)) < 0.5})
spec("where_scalar", lambda m, a, cond: m.where(cond, a, 0.5), [case((3, 4))],
     extra=lambda rng, shapes: {"cond": rng.random(shapes[0]) < 0.5})

# -- matrix products -----------------------------------------------------------------------------

spec("matmul", lambda m, a, b: m.matmul(a, b),
     [case((2, 3), (3, 4)), case((3,), (3, 4)), case((2, 3), (3,)), case((3,), (3,)),
      case((2, 2, 3), (3, 4)), case((2, 2, 3), (2, 3, 4)), case((2, 1, 2, 3), (3, 3, 2))],
     name_check=False, notes="batched: torch shows UnsafeViewBackward0/SqueezeBackward4")
spec("mm", lambda m, a, b: m.mm(a, b), [case((2, 3), (3, 4))])
spec("matmul_op_mv", lambda m, a, b: a @ b, [case((2, 3), (3,)), case((4,), (4,))])
spec("bmm", lambda m, a, b: m.bmm(a, b), [case((2, 3, 4), (2, 4, 5))])
spec("mv", lambda m, a, v: m.mv(a, v), [case((3, 4), (4,))])
spec("dot", lambda m, a, b: m.dot(a, b), [case((4,), (4,))])
spec("outer", lambda m, a, b: m.outer(a, b), [case((3,), (4,))])
spec("einsum", lambda m, a, b, eq: m.einsum(eq, a, b),
     [case((2, 3), (3, 4), eq="ij,jk->ik"), case((2, 3), (2, 3), eq="ij,ij->i"),
      case((2, 3), (4,), eq="ij,k->jk"), case((2, 2, 3), (2, 3, 4), eq="bij,bjk->bik"),
      case((2, 3), (3, 4), eq="ij,jk"), case((5, 2, 3), (3,), eq="...j,j->...")],
     name_check=False, notes="an index only in one operand is summed away (its gradient is "
                             "broadcast back)")
spec("einsum_one_operand", lambda m, a, eq: m.einsum(eq, a),
     [case((3, 4), eq="ij->j"), case((3, 4), eq="ij->ji")], name_check=False)
spec("trace", lambda m, x: m.trace(x), [case((3, 3)), case((3, 5))])
spec("diag_vector", lambda m, x, **k: m.diag(x, **k), [case((3,)), case((3,), diagonal=1),
                                                      case((2,), diagonal=-2)])
spec("diag_matrix", lambda m, x, **k: m.diag(x, **k),
     [case((3, 3)), case((3, 5), diagonal=1), case((4, 3), diagonal=-1)], name_check=False,
     notes="torch shows DiagonalBackward0_copy")
spec("tril", lambda m, x, **k: m.tril(x, **k), [case((3, 4)), case((2, 4, 3), diagonal=-1)])
spec("triu", lambda m, x, **k: m.triu(x, **k), [case((3, 4)), case((2, 4, 3), diagonal=1)])
spec("addmm", lambda m, c, a, b, **k: m.addmm(c, a, b, **k),
     [case((3, 4), (3, 2), (2, 4)), case((4,), (3, 2), (2, 4), beta=0.5, alpha=2.0)])
spec("inverse", lambda m, a: m.inverse(a), [case((3, 3)), case((2, 4, 4))], well_conditioned)
spec("linalg_inv", lambda m, a: m.linalg.inv(a), [case((3, 3))], well_conditioned)
spec("det", lambda m, a: m.det(a), [case((3, 3)), case((2, 4, 4))], well_conditioned)
spec("linalg_det", lambda m, a: m.linalg.det(a), [case((2, 2))], well_conditioned)
spec("linalg_solve", lambda m, a, b: m.linalg.solve(a, b),
     [case((3, 3), (3,)), case((3, 3), (3, 2)), case((2, 3, 3), (2, 3))],
     (well_conditioned, normal))
spec("cross", lambda m, a, b, **k: m.cross(a, b, **k),
     [case((4, 3), (4, 3), dim=1), case((3, 5), (3, 5), dim=0),
                                       case((2, 1, 3), (1, 4, 3), dim=-1)])
spec("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), [case((4, 3), (4, 3))])
spec("cdist", lambda m, a, b, **k: m.cdist(a, b, **k),
     [case((3, 2), (4, 2)), case((2, 3, 4), (2, 5, 4), p=1.0)], name_check=False,
     gradgrad=False, notes="composed from sub and norm (torch: one CdistBackward0 node, "
     "which has no double backward, so second derivatives cannot be compared with torch)")
spec("unfold", lambda m, x, **k: x.unfold(**k),
     [case((7,), dimension=0, size=3, step=2), case((3, 5), dimension=1, size=2, step=1),
      case((4, 3), dimension=0, size=4, step=1)], name_check=False,
     notes="overlapping windows accumulate their gradients; composed (torch: UnfoldBackward0)")
spec("norm", lambda m, x, **k: m.norm(x, **k),
     [case((3, 4)), case((3, 4), dim=1), case((3, 4), p=1, dim=0, keepdim=True),
      case((2, 3, 4), p=3, dim=(0, 2)), case((3, 4), p=float("inf"), dim=1)], distinct)
spec("norm_method_fro", lambda m, x: x.norm(), [case((3, 4))])
spec("linalg_vector_norm", lambda m, x, **k: m.linalg.vector_norm(x, **k),
     [case((3, 4)), case((3, 4), ord=1, dim=1), case((3, 4), ord=float("-inf")),
      case((2, 3), ord=0.5, dim=-1)], distinct)
spec("linalg_norm", lambda m, x, **k: m.linalg.norm(x, **k),
     [case((3, 4)), case((5,)), case((3, 4), ord="fro"), case((3, 4), ord=2, dim=1)])

# -- reductions ----------------------------------------------------------------------------------


def _reduce(method):
    def fn(m, x, **kw):
        return getattr(m, method)(x, **kw)

    return fn


spec("sum", _reduce("sum"), REDUCE_CASES, kind="reduction", ints=True)
spec("sum_method", lambda m, x, **k: x.sum(**k), REDUCE_CASES[:3], kind="reduction")
spec("mean", _reduce("mean"), REDUCE_CASES, kind="reduction")
spec("max", lambda m, x: m.max(x), UNARY_SHAPES, distinct, kind="reduction", ints=True)
spec("min", lambda m, x: m.min(x), UNARY_SHAPES, distinct, kind="reduction", ints=True)
spec("max_ties", lambda m, x: x.max(), [case((4, 5))], with_ties, gradcheck=False,
     notes="max() over all: tied maxima share the gradient evenly")
spec("max_dim", lambda m, x, **k: m.max(x, **k), DIM_CASES, distinct, ints=True)
spec("min_dim", lambda m, x, **k: m.min(x, **k), DIM_CASES, distinct, ints=True)
spec("max_dim_ties", lambda m, x, **k: x.max(**k), [case((4, 5), dim=1), case((4, 5), dim=0)],
     with_ties, gradcheck=False, notes="max(dim) sends the gradient to the returned index")
spec("min_dim_ties", lambda m, x, **k: x.min(**k), [case((4, 5), dim=1)], with_ties,
     gradcheck=False)
spec("amax", lambda m, x, **k: m.amax(x, **k), REDUCE_CASES[1:5], distinct, kind="reduction")
spec("amin", lambda m, x, **k: m.amin(x, **k), REDUCE_CASES[1:5], distinct, kind="reduction")
spec("amax_ties", lambda m, x, **k: x.amax(**k), [case((4, 5), dim=1)], with_ties,
     gradcheck=False)
spec("argmax", lambda m, x, **k: m.argmax(x, **k),
     [case((3, 4)), case((3, 4), dim=1), case((2, 3, 4), dim=-1, keepdim=True)], with_ties,
     grad=(), ints=True)
spec("argmin", lambda m, x, **k: m.argmin(x, **k),
     [case((3, 4)), case((3, 4), dim=0), case((2, 3, 4), dim=1, keepdim=True)], with_ties,
     grad=(), ints=True)
spec("var", _reduce("var"),
     REDUCE_CASES[:5] + [case((3, 4), dim=1, correction=0), case((3, 4), unbiased=False),
                         case((2, 3, 4), dim=1, correction=2, keepdim=True)],
     kind="reduction")
spec("std", _reduce("std"),
     REDUCE_CASES[:5] + [case((3, 4), dim=0, correction=0), case((3, 4), unbiased=False)],
     kind="reduction")
spec("prod", lambda m, x, **k: m.prod(x, **k),
     [case((3, 4)), case((3, 4), dim=1), case((2, 3, 4), dim=-1, keepdim=True), case((5,), dim=0)],
     uniform(0.5, 1.5), kind="reduction", ints=True)
spec("prod_zeros", lambda m, x, **k: x.prod(**k), [case((4, 5), dim=1), case((6,)), case((4, 5))],
     with_zeros,
     notes="one zero: the others' product; two zeros: 0. Under create_graph the backward uses "
           "leave-one-out products, so higher derivatives are exact at zeros too")
spec("logsumexp", lambda m, x, **k: m.logsumexp(x, **k),
     [case((3, 4), dim=1), case((3, 4), dim=0, keepdim=True), case((2, 3, 4), dim=(0, 2)),
      case((5,), dim=0)], uniform(-3, 3), kind="reduction")
spec("logsumexp_large", lambda m, x, **k: m.logsumexp(x * 1000, **k), [case((3, 4), dim=1)],
     name_check=False, notes="stable: no overflow for large inputs")
spec("cumsum", lambda m, x, **k: m.cumsum(x, **k),
     [case((3, 4), dim=1), case((2, 3, 4), dim=0), case((5,), dim=-1)], ints=True)
spec("sort", lambda m, x, **k: m.sort(x, **k),
     [case((3, 4)), case((3, 4), dim=0, descending=True), case((5,), dim=0)], distinct,
     ints=False)
spec("argsort", lambda m, x, **k: m.argsort(x, **k), [case((3, 4)), case((2, 5), dim=0)],
     distinct, grad=())
spec("topk", lambda m, x, **k: m.topk(x, **k),
     [case((3, 5), k=2), case((3, 5), k=3, dim=0, largest=False), case((6,), k=6)], distinct)
spec("index_select", lambda m, x, dim, idx: m.index_select(x, dim, idx),
     [case((4, 3), dim=0), case((3, 4), dim=1)],
     extra=lambda rng, shapes: {"idx": np.array([2, 0, 2])},
     notes="repeated indices accumulate")
spec("nonzero", lambda m, x: m.nonzero(x), [case((3, 4)), case((5,))], with_ties, grad=(),
     ints=True)
spec("where_condition_only", lambda m, x: m.where(x > 0), [case((3, 4))], with_ties, grad=())
spec("median", lambda m, x: m.median(x), [case((3, 4)), case((5,)), case(())], distinct)
spec("median_ties", lambda m, x: x.median(), [case((4, 5))], with_ties, gradcheck=False,
     notes="tied medians share the gradient evenly")
spec("median_dim", lambda m, x, **k: m.median(x, **k), DIM_CASES, distinct)
spec("kthvalue", lambda m, x, k, **kw: m.kthvalue(x, k, **kw),
     [case((3, 5), k=2), case((3, 5), k=3, dim=0, keepdim=True), case((6,), k=6)], distinct)
spec("quantile", lambda m, x, **k: m.quantile(x, **k),
     [case((3, 5), q=0.3, dim=1), case((3, 5), q=0.5), case((3, 5), q=0.75, dim=0, keepdim=True),
      case((7,), q=0.1, interpolation="nearest"), case((7,), q=0.6, interpolation="midpoint")],
     distinct, name_check=False, notes="composed from sort and index_select")
spec("quantile_many",
     lambda m, x, **k: m.quantile(x, m.tensor([0.2, 0.5, 0.9], dtype=x.dtype), **k),
     [case((3, 5), dim=1), case((3, 5), dim=0, keepdim=True), case((2, 3))], distinct,
     name_check=False)
spec("aminmax", lambda m, x, **k: m.aminmax(x, **k), [case((3, 4)), case((3, 4), dim=1)],
     distinct, name_check=False)
spec("var_mean", lambda m, x, **k: m.var_mean(x, **k), [case((3, 4)), case((3, 4), dim=1)],
     name_check=False)
spec("std_mean", lambda m, x, **k: m.std_mean(x, **k), [case((3, 4), dim=0, keepdim=True)],
     name_check=False)
spec("movedim", lambda m, x, **k: m.movedim(x, **k),
     [case((2, 3, 4), source=0, destination=2), case((2, 3, 4), source=-1, destination=0)],
     name_check=False)
spec("cumprod", lambda m, x, **k: m.cumprod(x, **k),
     [case((3, 4), dim=1), case((2, 3, 4), dim=0), case((5,), dim=-1)], uniform(0.5, 1.5),
     ints=True)
spec("cumprod_zeros", lambda m, x, dim: x.cumprod(dim), [case((3, 5), dim=1)], with_zeros,
     gradgrad=False, notes="exact first derivatives where a zero stops y / x")
spec("sum_to_size", lambda m, x, size: x.sum_to_size(size),
     [case((3, 4), size=(1, 4)), case((2, 3, 4), size=(3, 1)), case((3, 4), size=(4,))])

# -- softmax family (ops in glassgrad/ops/nnops.py, owned by the nn engineer) ------------------

SOFTMAX_CASES = [case((3, 4), dim=1), case((3, 4), dim=0), case((2, 3, 4), dim=-1),
                 case((5,), dim=0)]
spec("softmax", lambda m, x, dim: m.softmax(x, dim), SOFTMAX_CASES)
spec("log_softmax", lambda m, x, dim: m.log_softmax(x, dim), SOFTMAX_CASES)
spec("softmax_method", lambda m, x, dim: x.softmax(dim), SOFTMAX_CASES[:1])
spec("nn_functional_softmax", lambda m, x, dim: m.nn.functional.softmax(x, dim=dim),
     SOFTMAX_CASES[2:3])
spec("nn_functional_log_softmax", lambda m, x, dim: m.nn.functional.log_softmax(x, dim=dim),
     SOFTMAX_CASES[2:3])
spec("log_softmax_large", lambda m, x, dim: m.log_softmax(x * 1000, dim), [case((3, 4), dim=1)],
     name_check=False, gradcheck=False, atol32=1e-3, notes="stable: no overflow")


# -- shape ---------------------------------------------------------------------------------------

spec("reshape", lambda m, x, shape: m.reshape(x, shape),
     [case((3, 4), shape=(4, 3)), case((3, 4), shape=(-1,)), case((2, 3, 4), shape=(6, -1)),
      case((), shape=(1, 1))])
spec("view", lambda m, x, shape: x.view(shape),
     [case((3, 4), shape=(2, 6)), case((2, 3, 4), shape=(-1, 4))])
spec("view_transposed_ok", lambda m, x: x.t().view(4, 3), [case((3, 4))],
     notes="a transposed tensor can be viewed without merging its dims")
spec("flatten", lambda m, x, **k: m.flatten(x, **k),
     [case((2, 3, 4)), case((2, 3, 4), start_dim=1), case((2, 3, 4), end_dim=-2)])
spec("permute", lambda m, x, dims: m.permute(x, dims),
     [case((2, 3, 4), dims=(2, 0, 1)), case((2, 3, 4), dims=(-1, 1, 0))])
spec("transpose", lambda m, x, d0, d1: m.transpose(x, d0, d1),
     [case((2, 3, 4), d0=0, d1=2), case((3, 4), d0=-1, d1=0)])
spec("T", lambda m, x: x.T, [case((3, 4))])
spec("mT", lambda m, x: x.mT, [case((2, 3, 4))], name_check=False)
spec("t", lambda m, x: m.t(x), [case((3, 4)), case((3,))])
spec("reshape_transposed", lambda m, x: x.t().reshape(12), [case((3, 4))],
     notes="no view possible: a copy (UnsafeViewBackward0)")
spec("squeeze", lambda m, x, **k: m.squeeze(x, **k),
     [case((1, 3, 1, 4)), case((1, 3, 1, 4), dim=2), case((1, 3, 1, 4), dim=1),
      case((1, 3, 1, 4), dim=(0, 2)), case((3, 4), dim=0)],
     notes="squeezing a dim whose size is not 1 is a no-op")
spec("unsqueeze", lambda m, x, dim: m.unsqueeze(x, dim),
     [case((3, 4), dim=0), case((3, 4), dim=-1), case((3, 4), dim=1), case((), dim=0)])
spec("expand", lambda m, x, size: x.expand(*size),
     [case((3, 1), size=(3, 4)), case((4,), size=(2, 3, 4)), case((3, 1), size=(2, -1, 5))])
spec("repeat", lambda m, x, reps: x.repeat(*reps),
     [case((2, 3), reps=(2, 1)), case((2, 3), reps=(1, 2, 3)), case((3,), reps=(2,))])
spec("flip", lambda m, x, dims: m.flip(x, dims),
     [case((3, 4), dims=(0,)), case((2, 3, 4), dims=(0, -1)), case((5,), dims=(0,))])
spec("tile", lambda m, x, dims: m.tile(x, dims),
     [case((2, 3), dims=(2, 1)), case((2, 3), dims=(2,)), case((3,), dims=(2, 2))])
spec("repeat_interleave", lambda m, x, **k: m.repeat_interleave(x, **k),
     [case((2, 3), repeats=2, dim=0), case((2, 3), repeats=2), case((2, 3), repeats=3, dim=1)],
     name_check=False, notes="torch shows ViewBackward0; glassgrad uses index_select")
spec("repeat_interleave_tensor", lambda m, x, reps: m.repeat_interleave(x, reps, dim=0),
     [case((3, 2))], name_check=False,
     extra=lambda rng, shapes: {"reps": np.array([2, 0, 1])})
spec("roll", lambda m, x, **k: m.roll(x, **k),
     [case((3, 4), shifts=1, dims=0), case((3, 4), shifts=(1, -2), dims=(0, 1)),
      case((3, 4), shifts=5), case((5,), shifts=-1, dims=0)])
spec("hstack", lambda m, a, b: m.hstack([a, b]), [case((2, 3), (2, 1)), case((3,), (2,))])
spec("vstack", lambda m, a, b: m.vstack([a, b]), [case((2, 3), (1, 3)), case((3,), (3,))])
spec("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b),
     [case((3, 1), (4,)), case((2, 3), (2, 3))], name_check=False)
spec("broadcast_to", lambda m, x, size: m.broadcast_to(x, size), [case((3, 1), size=(2, 3, 4))])
spec("meshgrid", lambda m, a, b, **k: m.meshgrid(a, b, **k),
     [case((3,), (4,), indexing="ij"), case((3,), (4,), indexing="xy")])
spec("masked_select", lambda m, x, mask: m.masked_select(x, mask), [case((3, 4)), case((4,))],
     extra=lambda rng, shapes: {"mask": rng.random(shapes[0][-1:]) < 0.6})
spec("scatter", lambda m, x, src, index: m.scatter(x, 1, index, src), [case((3, 4), (3, 2))],
     extra=lambda rng, shapes: {"index": np.array([[0, 3], [1, 2], [3, 0]])})
spec("scatter_value", lambda m, x, index: m.scatter(x, 0, index, value=1.5), [case((3, 4))],
     extra=lambda rng, shapes: {"index": np.array([[0, 2, 1, 0]])})
spec("scatter_add", lambda m, x, src, index: m.scatter_add(x, 0, index, src),
     [case((3, 4), (2, 4))],
     extra=lambda rng, shapes: {"index": np.array([[0, 2, 1, 0], [0, 0, 1, 2]])},
     notes="repeated indices accumulate")
spec("index_add", lambda m, x, src, index: m.index_add(x, 0, index, src, alpha=2.0),
     [case((3, 4), (3, 4))], extra=lambda rng, shapes: {"index": np.array([2, 0, 2])})
spec("scatter_inplace", lambda m, x, src, index: (x * 1.0).scatter_(1, index, src),
     [case((3, 4), (3, 1))], extra=lambda rng, shapes: {"index": np.array([[1], [0], [3]])})
spec("index_add_inplace", lambda m, x, src, index: (x * 1.0).index_add_(1, index, src),
     [case((3, 4), (3, 2))], extra=lambda rng, shapes: {"index": np.array([3, 3])})
spec("diff", lambda m, x, **k: m.diff(x, **k),
     [case((3, 5)), case((3, 5), dim=0), case((6,), n=2)], name_check=True)
spec("where_method", lambda m, a, b, cond: a.where(cond, b), [case((3, 4), (4,))],
     extra=lambda rng, shapes: {"cond": rng.random((3, 4)) < 0.5})
spec("type_as", lambda m, a, b: a.type_as(b.double()), [case((3,), (2,))], grad=(0,),
     name_check=True)
spec("unique", lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
     [case((3, 4))], with_ties, grad=(), ints=True)
spec("bincount", lambda m, idx: m.bincount(idx), [case()], grad=(),
     extra=lambda rng, shapes: {"idx": rng.integers(0, 5, size=8)})
spec("bincount_weights", lambda m, w, idx: m.bincount(idx, w, minlength=6), [case((6,))],
     grad=(), extra=lambda rng, shapes: {"idx": rng.integers(0, 4, size=shapes[0])})
spec("histc", lambda m, x: m.histc(x, bins=5, min=-1, max=1), [case((20,))], grad=())
spec("searchsorted", lambda m, s, v: m.searchsorted(s, v), [case((6,))], grad=(),
     make=lambda rng, shape: np.sort(rng.uniform(-2, 2, size=shape)),
     extra=lambda rng, shapes: {"v": rng.uniform(-3, 3, size=(4,))})
spec("bucketize", lambda m, v, b, **k: m.bucketize(v, b, **k), [case((5,), right=True), case((5,))],
     grad=(), extra=lambda rng, shapes: {"b": np.array([-1.0, 0.0, 0.5, 1.0])})
spec("cat", lambda m, a, b, dim: m.cat([a, b], dim),
     [case((2, 3), (4, 3), dim=0), case((2, 3), (2, 1), dim=1), case((2, 3, 4), (2, 3, 2), dim=-1)])
spec("cat3", lambda m, a, b, c: m.cat((a, b, c)), [case((2, 3), (1, 3), (3, 3))])
spec("stack", lambda m, a, b, dim: m.stack([a, b], dim),
     [case((2, 3), (2, 3), dim=0), case((2, 3), (2, 3), dim=2), case((4,), (4,), dim=-1)])
spec("split", lambda m, x, size, dim: m.split(x, size, dim),
     [case((5, 3), size=2, dim=0), case((3, 6), size=(1, 2, 3), dim=1), case((4,), size=4, dim=0)])
spec("chunk", lambda m, x, chunks, dim: m.chunk(x, chunks, dim),
     [case((5, 3), chunks=2, dim=0), case((3, 6), chunks=3, dim=-1), case((5,), chunks=4, dim=0)])
spec("unbind", lambda m, x, dim: m.unbind(x, dim), [case((3, 4), dim=0), case((2, 3, 2), dim=1)])
spec("narrow", lambda m, x, dim, start, length: m.narrow(x, dim, start, length),
     [case((4, 5), dim=1, start=1, length=3), case((4, 5), dim=0, start=-2, length=2)])
spec("select", lambda m, x, dim, index: m.select(x, dim, index),
     [case((4, 5), dim=1, index=2), case((2, 3, 4), dim=-1, index=-1)])
spec("gather", lambda m, x, dim, index: m.gather(x, dim, index),
     [case((3, 4), dim=1), case((3, 4), dim=0), case((2, 3, 4), dim=-1)],
     extra=lambda rng, shapes: {"index": _gather_index(rng, shapes[0])},
     notes="repeated indices accumulate")
spec("masked_fill", lambda m, x, mask: m.masked_fill(x, mask, -1.5),
     [case((3, 4)), case((2, 3, 4))],
     extra=lambda rng, shapes: {"mask": rng.random(shapes[0][1:]) < 0.5})
spec("masked_fill_tensor_value", lambda m, x, v, mask: x.masked_fill(mask, v),
     [case((3, 4), ())], extra=lambda rng, shapes: {"mask": rng.random(shapes[0]) < 0.5},
     notes="a 0-dim value tensor gets the sum of the masked gradient")


def _gather_index(rng, shape):
    # dim is not known here: an index of the input's own shape, valid along every dim
    return rng.integers(0, min(shape), size=shape)


# -- indexing ------------------------------------------------------------------------------------


def _index(key):
    def fn(m, x, **kw):
        return x[key(m, kw)] if callable(key) else x[key]

    return fn


spec("index_int", _index(1), [case((3, 4)), case((3,))])
spec("index_negative", _index(-1), [case((3, 4))])
spec("index_slice", _index(slice(1, None)), [case((3, 4)), case((5,))])
spec("index_step", _index((slice(None), slice(0, 4, 2))), [case((3, 5))])
spec("index_none", _index((None, 1)), [case((3, 4))])
spec("index_none_last", _index((0, None)), [case((3, 4))])
spec("index_ellipsis", _index((Ellipsis, 1)), [case((2, 3, 4))])
spec("index_ellipsis_none", _index((Ellipsis, None)), [case((2, 3))])
spec("index_full", _index(Ellipsis), [case((2, 3))])
spec("index_int_slice", _index((1, slice(1, 3))), [case((3, 4))])
spec("index_list_repeat", _index([0, 2, 0, 0]), [case((3, 4))],
     notes="repeated indices accumulate their gradients")
spec("index_tensor", lambda m, x, idx: x[idx], [case((4, 3)), case((4,))],
     extra=lambda rng, shapes: {"idx": np.array([[3, 0], [0, 1]])})
spec("index_tensor_0d", lambda m, x, idx: x[idx], [case((4, 3))],
     extra=lambda rng, shapes: {"idx": np.array(2)})
spec("index_mask", lambda m, x, mask: x[mask], [case((3, 4))],
     extra=lambda rng, shapes: {"mask": rng.random(shapes[0]) < 0.5})
spec("index_mask_rows", lambda m, x, mask: x[mask], [case((4, 3))],
     extra=lambda rng, shapes: {"mask": np.array([True, False, True, True])})
spec("index_mask_bool_0d", _index(True), [case((3,))], name_check=False)
spec("index_mixed", _index((slice(1, None), [0, 2, 2])), [case((3, 4))])
spec("index_two_arrays", _index(([0, 2, 1], [1, 1, 3])), [case((3, 4))])
spec("index_arrays_apart", _index(([0, 1], slice(None), [2, 0])), [case((2, 3, 4))],
     notes="advanced indices separated by a slice: their dim goes first (NumPy and torch)")
spec("index_none_array", _index((None, [1, 0])), [case((3, 4))])


def _setitem(key):
    def fn(m, x, v, **kw):
        y = x * 1.0  # a non-leaf copy (in-place on a leaf that requires grad is an error)
        y[key] = v
        return y

    return fn


spec("setitem_slice", _setitem((slice(1, None), 1)), [case((3, 4), (2,)), case((3, 4), ())],
     name_check=True, notes="CopySlices: gradient to both the destination and the value")
spec("setitem_row", _setitem(0), [case((3, 4), (4,)), case((3, 4), (1,))])
spec("setitem_index", _setitem([0, 2]), [case((3, 4), (2, 4)), case((3, 4), (4,))],
     notes="IndexPutBackward0")
spec("setitem_mask", lambda m, x, v, mask: _put(x, mask, v), [case((3, 4), ())],
     extra=lambda rng, shapes: {"mask": rng.random(shapes[0]) < 0.5})


def _put(x, mask, v):
    y = x * 1.0
    y[mask] = v
    return y


SPEC_BY_NAME = {s.name: s for s in SPECS}
