"""``Function``: one class per op, with its forward and its local gradient side by side.

A Function *instance* is the graph node (PyTorch's ``ctx``): it holds the op's input tensors
(the graph's edges) and what ``forward`` saved for ``backward``. Built-in ops and user ops subclass
the same class; built-in ops set ``_raw = True`` so that ``forward`` receives NumPy arrays (no
wrapping on the hot path), user ops receive Tensors as in PyTorch.

Backward formulas are plain arithmetic on what ``saved_tensors`` returns: NumPy arrays normally,
Tensors when ``create_graph=True`` asks for a differentiable backward. Functions that are not
operators are reached through ``ctx.ns`` (NumPy or glassgrad), so one formula serves both.
"""

from __future__ import annotations

import inspect
import itertools
import re
import types

import numpy as np

from ..ops._erf import erf as _erf
from .grad_mode import _mode


class _Freed:
    """Marks saved values released by a backward without ``retain_graph``."""

    __slots__ = ()


_FREED = _Freed()
_EMPTY = ()


class _State:
    """Engine-wide switches, read once per op or node.

    ``higher``: a ``create_graph=True`` backward is running, so ``saved_tensors`` hands out Tensors.
    ``forward_hooks`` / ``backward_hooks``: recorders installed by ``glassgrad.glass`` (empty
    when nothing is traced: one falsy check per op).
    """

    # an instance with slots, not class attributes: Python 3.11 specializes an instance's slot
    # reads, while every read of a class attribute takes the generic lookup (once per op here)
    __slots__ = ("anomaly", "backward_hooks", "forward_hooks", "higher")

    def __init__(self):
        self.higher = False
        self.forward_hooks = []
        self.backward_hooks = []
        self.anomaly = False


state = _State()


# bound by glassgrad.tensor once the Tensor class exists (tensor.py imports this module first)
Tensor = None
_wrap = None
_new = object.__new__
# each node's ``_seq``: its creation order (PyTorch's sequence_nr). A node is always made after
# the nodes that produced its inputs, so running nodes in decreasing ``_seq`` is a topological
# order; an input whose node has a larger ``_seq`` than its consumer was rebased by a later
# in-place op, and the consumer saw the history before it
_next_seq = itertools.count(1).__next__
_ndarray = np.ndarray
_float = float
_int = int
_add_reduce = np.add.reduce
_asarray = np.asarray
_empty = np.empty
_add_accumulate = np.add.accumulate


def sum_all(x):
    """``np.add.reduce(x, None)``, the same bits, faster on tiny float vectors.

    Below 8 elements NumPy's float sum adds them one after another, starting from 0.0 (its
    pairwise summation starts at 8); ``np.add.accumulate`` makes the same additions in half the
    time, since a reduction's setup costs NumPy about 0.8 us (measured, NumPy 2.4). Its last
    value is the reduction's, but for a zero's sign: a -0.0 total becomes 0.0 (0.0 + -0.0).
    """
    if x.ndim == 1 and 0 < len(x) < 8 and x.dtype.char in "fd":
        total = _add_accumulate(x)[-1]
        return total + 0.0 if not total else total  # (a test of zero is cheaper than the add)
    return _add_reduce(x, None)


# Function methods that each built-in op class gets its own copy of (Function.__init_subclass__)
_PER_CLASS = ("apply", "_apply1", "_apply2")


def _own_copy(fn):
    """``fn`` with its own copy of its bytecode, and so of CPython's per-site attribute caches."""
    own = types.FunctionType(fn.__code__.replace(), fn.__globals__, fn.__name__, fn.__defaults__,
                             fn.__closure__)
    own.__kwdefaults__ = fn.__kwdefaults__
    own.__doc__ = fn.__doc__
    own.__qualname__ = fn.__qualname__
    return own


def _bind(tensor_cls, wrap) -> None:
    global Tensor, _wrap
    Tensor = tensor_cls
    _wrap = wrap


def _version(t) -> int:
    vc = t._vc
    return 0 if vc is None else vc[0]


class Function:
    """Base class of every op. Subclass it and write static ``forward`` and ``backward``.

    Example (a user op, as in PyTorch)::

        class Square(glassgrad.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g
    """

    # ``_g``: the gradient waiting for this node during ``loss.backward()`` (engine._drain); a
    # list of one slot per output for a node with several (made with the node).
    # ``_exact``: backward returns each input's gradient in that input's shape and dtype, so the
    # engine's fast path need not sum or cast it back: unary built-in ops (unless forward says
    # otherwise), and built-in two-operand ops on arrays of one shape and dtype or with a number.
    # None: a hook or retain_grad() on the output waits for its gradient (then ``_retain``, set
    # only then, is a weak reference to the output); the engine conforms gradients there too.
    # ``_out``: (position, version counter) of the node's own output among what forward saved,
    # else None; set only where forward saved something. Each attribute a node does not need is
    # left unset: a store per op on a site that sees every op class is not cheap.
    __slots__ = (
        "inputs", "_saved", "_checks", "_out", "_retain", "_seq", "_g", "_exact",
        "__weakref__",
    )

    _raw = False  # built-in ops: forward/backward run on ndarrays
    # built-in ops whose first argument is their only tensor (the rest: dim, shape, ...), so
    # apply takes a path without the argument loop; backward returns just that one gradient
    _unary = False
    _nout = 1
    node_name = ""  # built-in ops: PyTorch's grad_fn name, e.g. "MulBackward0"
    # optional, per saved value: the input whose gradient is the only one that uses it (None:
    # any). A value that no needed gradient uses is not version-checked, so, as in PyTorch,
    # ``y = x * 2; x.add_(1)`` does not break ``y.backward()`` (Mul: a is only for grad_b)
    _saved_needed_by = None

    # -- what forward and backward call ------------------------------------------------------

    def save_for_backward(self, *items) -> None:
        self._saved = items

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_FREED_MSG)
        if saved is None:
            return _EMPTY
        if state.higher:
            return self._unpack_as_tensors()
        # what forward saved, as it saved it (arrays), once no input it came from has been
        # changed in place since (``_checks``: (position, input Tensor, its version then))
        for i, t, v in self._checks:
            vc = t._vc
            if vc is not None and vc[0] != v and self._uses_saved(i):
                raise RuntimeError(_modified_msg(t, self, v))
        out = self._out
        if out is not None and out[1][0] != 0:  # its own output, changed in place since
            raise RuntimeError(_modified_msg(None, self, 0, out[1][0]))
        return saved

    def _out_index(self) -> int:
        """Where in what forward saved its own output is (-1: not saved). ``_out``, (position,
        the output's version counter), is set only where forward saved something."""
        out = getattr(self, "_out", None)
        return -1 if out is None else out[0]

    def _uses_saved(self, i) -> bool:
        """Whether a gradient this node computes uses saved value ``i`` (``_saved_needed_by``).
        One that none uses may change in place freely: as in PyTorch, ``y = x * 2; x.add_(1)``
        does not break ``y.backward()``."""
        needed_by = self._saved_needed_by
        return needed_by is None or needed_by[i] is None or self.inputs[needed_by[i]] is not None

    @property
    def saved_values(self):
        return self.saved_tensors

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(t is not None for t in self.inputs)

    # the namespace backward formulas call functions through: NumPy-like (``array_ns``), or
    # glassgrad's (``tensor_ns``) while a ``create_graph=True`` backward runs (set_higher)
    ns = None  # bound to array_ns at the end of this module

    @property
    def next_functions(self) -> tuple:
        from ..tensor import AccumulateGrad
        from .engine import _history_before

        res = []
        for t in self.inputs or ():
            if t is None:
                res.append((None, 0))
            elif t.grad_fn is not None:
                # the node this input came from when we were recorded (not a later in-place op)
                res.append((_history_before(t.grad_fn, self._seq, t), 0))
            else:
                res.append((AccumulateGrad(t), 0))
        return tuple(res)

    def name(self) -> str:
        return self._name()

    def _rebased_from(self, t):
        """This node made in-place changes to ``t``: its input holding ``t`` before them (built-in
        in-place ops take that snapshot as their first input)."""
        return self.inputs[0]

    @classmethod
    def _name(cls) -> str:
        return cls.node_name if cls._raw else f"{cls.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self._name()} object at {hex(id(self))}>"

    def _unpack_as_tensors(self):
        """Saved values as Tensors for a differentiable backward (``create_graph=True``)."""
        out = list(self._saved)
        inputs = set()
        for i, t, v in self._checks:
            if t._vc is not None and t._vc[0] != v and self._uses_saved(i):
                raise RuntimeError(_modified_msg(t, self, v))
            out[i] = t  # an input: its Tensor, so that the new graph stays connected to it
            inputs.add(i)
        for i, item in enumerate(out):
            if i in inputs:
                continue
            if i == self._out_index():
                # the op's own output, re-wrapped so that its gradient flows back through us
                out[i] = _wrap(item, True, self)
            elif isinstance(item, np.ndarray):
                out[i] = _wrap(item, False, None)
        return out

    def _saved_inputs(self) -> list:
        """(position in what forward saved, input Tensor) for each saved input (the glass box
        reads their values and names)."""
        saved = self._saved
        if saved is None or saved is _FREED:
            return []
        return [(i, t) for i, t, _ in self._checks]

    # -- applying an op ------------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._raw:
            # each built-in op class runs its own copy of the apply paths' bytecode: CPython
            # 3.11 caches an attribute lookup per bytecode site for one class, and a site shared
            # by every op class (ctx.inputs = ..., ctx._seq = ...) would miss each time
            for name in _PER_CLASS:
                setattr(cls, name, classmethod(_own_copy(Function.__dict__[name].__func__)))

    @classmethod
    def apply(cls, *args, **kwargs):
        if not cls._raw:
            from .custom import apply_custom

            return apply_custom(cls, args, kwargs)
        ctx = _new(cls)
        ctx._saved = None
        if cls._unary:
            if kwargs:  # _apply1 takes parameters by position: bind these to forward's names
                bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)
                bound.apply_defaults()
                return cls._apply1(*bound.args[1:])
            return cls._apply1(*args)
        if len(args) == 2 and not kwargs:
            return cls._apply2(args[0], args[1])
        raw = []
        inputs = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                if a.requires_grad:
                    record = True
                    inputs.append(a)
                else:
                    inputs.append(None)
            else:
                raw.append(a)
                inputs.append(None)
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, IndexError, TypeError) as e:
            raise _op_error(cls, raw, e) from None
        if type(out) is not _ndarray:
            out = _as_array_out(ctx, out)
        result = _new(Tensor)  # _wrap, inlined
        result._data = out
        result._grad = None
        result._vc = None
        result._hooks = None
        result._retains_grad = False
        if record and _mode.enabled:
            ctx.inputs = inputs
            ctx._seq = _next_seq()
            ctx._g = None
            ctx._exact = False
            result.requires_grad = True
            result.grad_fn = ctx
            saved = ctx._saved
            if saved is not None:
                _resolve_saved(ctx, saved, raw, args, out, result)
        else:
            result.requires_grad = False
            result.grad_fn = None
        # glass hooks: begin
        if state.forward_hooks:
            for hook in state.forward_hooks:
                hook(ctx, args, kwargs, result)
        # glass hooks: end
        return result

    @classmethod
    def _apply1(cls, x, *params):
        """``apply`` for an op with one tensor input, the rest plain parameters (dim, shape, ...):
        no argument loop, and the output Tensor built in place."""
        ctx = _new(cls)
        ctx._saved = None
        # its backward returns x's gradient in x's shape and dtype (see ``_exact``); an op whose
        # forward sets this False leaves summing or casting g back to the engine
        ctx._exact = True
        rx = x._data
        try:
            out = cls.forward(ctx, rx, *params) if params else cls.forward(ctx, rx)
        except (ValueError, IndexError, TypeError) as e:
            raise _op_error(cls, [rx], e) from None
        if type(out) is not _ndarray:
            out = _as_array_out(ctx, out)
        result = _new(Tensor)  # _wrap, inlined
        result._data = out
        result._grad = None
        result._vc = None
        result._hooks = None
        result._retains_grad = False
        if x.requires_grad and _mode.enabled:
            ctx.inputs = (x,)
            ctx._seq = _next_seq()
            ctx._g = None
            result.requires_grad = True
            result.grad_fn = ctx
            saved = ctx._saved
            if saved is not None:
                _resolve_saved(ctx, saved, (rx,), (x,), out, result)
        else:
            result.requires_grad = False
            result.grad_fn = None
        # glass hooks: begin
        if state.forward_hooks:
            for hook in state.forward_hooks:
                hook(ctx, (x, *params), {}, result)
        # glass hooks: end
        return result

    @classmethod
    def _apply2(cls, a, b):
        """``apply`` for two operands (every arithmetic operator): its general loop, unrolled,
        with the output Tensor built in place (``_wrap``'s slot assignments)."""
        ctx = _new(cls)
        ctx._saved = None
        if isinstance(a, Tensor):
            ra = a._data
            ga = a.requires_grad
        else:
            ra = a
            ga = False
        if isinstance(b, Tensor):
            rb = b._data
            gb = b.requires_grad
        else:
            rb = b
            gb = False
            if (b.__class__ is _float or b.__class__ is _int) and ra.__class__ is _ndarray \
                    and not ra.ndim and ra.dtype.kind == "f":
                # a 0-d float array and a Python number (lr * w.grad): NumPy computes this
                # about 7x faster on the array's NumPy scalar, with the same result and dtype
                # (integers stay arrays: NumPy's scalars warn where its arrays wrap silently)
                ra = ra[()]
        try:
            out = cls.forward(ctx, ra, rb)
        except (ValueError, IndexError, TypeError) as e:
            raise _op_error(cls, [ra, rb], e) from None
        if type(out) is not _ndarray:
            out = _as_array_out(ctx, out)
        result = _new(Tensor)
        result._data = out
        result._grad = None
        result._vc = None
        result._hooks = None
        result._retains_grad = False
        if (ga or gb) and _mode.enabled:
            ctx.inputs = (a if ga else None, b if gb else None)
            ctx._seq = _next_seq()
            ctx._g = None
            # (see ``_exact``) an op on two arrays of one shape and dtype
            ctx._exact = ra.__class__ is not _ndarray or rb.__class__ is not _ndarray or (
                ra.shape == rb.shape and ra.dtype is rb.dtype)
            result.requires_grad = True
            result.grad_fn = ctx
            saved = ctx._saved
            if saved is not None:
                if len(saved) == 2 and saved[0] is ra and saved[1] is rb:
                    # forward saved its two operands (Mul, Div, Pow, ...): note the Tensors
                    # among them with their versions (_resolve_saved2's result, unrolled)
                    ctx._out = None
                    if b is rb:  # a number
                        vc = a._vc
                        ctx._checks = ((0, a, 0 if vc is None else vc[0]),)
                    elif a is ra:
                        vc = b._vc
                        ctx._checks = ((1, b, 0 if vc is None else vc[0]),)
                    else:
                        vc = a._vc
                        vb = b._vc
                        ctx._checks = ((0, a, 0 if vc is None else vc[0]),
                                       (1, b, 0 if vb is None else vb[0]))
                else:
                    _resolve_saved2(ctx, saved, ra, rb, a, b, out, result)
        else:
            result.requires_grad = False
            result.grad_fn = None
        # glass hooks: begin
        if state.forward_hooks:
            for hook in state.forward_hooks:
                hook(ctx, (a, b), {}, result)
        # glass hooks: end
        return result

    # subclasses define these
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom Function.")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional (PyTorch 2 style): save for backward here instead of in ``forward``."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )


def _as_array_out(ctx, out):
    """A NumPy scalar result (0-d ops) as an array; if forward saved the scalar as its output,
    save the array instead, so a higher-order pass still sees it as this node's output."""
    arr = _asarray(out)
    saved = ctx._saved
    if saved is not None:
        for s in saved:
            if s is out:
                ctx._saved = tuple(arr if s is out else s for s in saved)
                break
    return arr


def _resolve_saved(ctx, saved, raw, args, out, result):
    """Note, for each array forward saved, where it came from.

    An input's array is checked against later in-place changes through its Tensor's version
    counter (and becomes that Tensor in a higher-order pass, so the new graph stays connected);
    the op's own output gets a version counter of its own (saving its Tensor would make a
    reference cycle). The saved arrays themselves stay as forward saved them.
    """
    ctx._out = None
    checks = []
    for i, s in enumerate(saved):
        j = 0
        for r in raw:
            if s is r and args[j] is not s:  # a Tensor input (a plain scalar stays itself)
                a = args[j]
                checks.append((i, a, _version(a)))
                break
            j += 1
        else:
            if s is out:
                result._vc = vc = [0]
                ctx._out = (i, vc)
    ctx._checks = checks


def _resolve_saved2(ctx, saved, ra, rb, a, b, out, result):
    """``_resolve_saved`` for a two-operand op, without the loop over the operands."""
    ctx._out = None
    checks = []
    for i, s in enumerate(saved):
        if s is ra and a is not ra:
            checks.append((i, a, _version(a)))
        elif s is rb and b is not rb:
            checks.append((i, b, _version(b)))
        elif s is out:
            result._vc = vc = [0]
            ctx._out = (i, vc)
    ctx._checks = checks


def op_name(cls) -> str:
    """``MulBackward0`` -> ``mul``: the name errors use."""
    name = cls.node_name or cls.__name__
    return name.split("Backward")[0].lower()


def _op_error(cls, raw, err) -> Exception:
    """A NumPy error inside an op, re-raised naming the op and the shapes involved."""
    name = op_name(cls)
    shapes = [tuple(r.shape) for r in raw if isinstance(r, np.ndarray)]
    msg = str(err)
    if "broadcast" in msg and len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        detail = ""
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
                dim = max(len(a), len(b)) - i
                detail = (f": the size of tensor a ({a[-i]}) must match the size of tensor b "
                          f"({b[-i]}) at non-singleton dimension {dim}")
                break
        return RuntimeError(f"{name}: cannot broadcast shape {a} with {b}{detail}")
    if name in ("mm", "matmul") and len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        ka = a[-1] if a else None
        kb = b[-2] if len(b) >= 2 else (b[0] if b else None)
        if not a or not b:
            return RuntimeError(
                f"matmul: both arguments need at least 1 dimension, but got shapes {a} and {b}"
            )
        return RuntimeError(
            f"matmul: shapes {a} and {b} cannot be multiplied ({ka} != {kb}); the last dim of "
            "the first must equal the second-to-last dim of the second (transpose one of them?)"
        )
    kind = RuntimeError if isinstance(err, ValueError) else type(err)
    return kind(f"{name}: {msg} (input shapes {shapes})")


_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


_TYPE_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
}


def _modified_msg(t, node, expected, now=None) -> str:
    """PyTorch's error for a saved tensor changed in place before backward used it.

    ``t``: the saved input Tensor, or None for the node's own saved output.
    """
    from .._dtype import _PREFIX

    if t is not None:
        arr = t._data
        now = _version(t)
        maker = t.grad_fn  # the tensor's history now (an in-place op rebased it)
    else:
        arr = node._saved[node._out_index()]
        maker = node  # an output saved by its own node names that node
    type_name = _TYPE_NAMES.get(arr.dtype.name, arr.dtype.name)
    what = f"[{_PREFIX[0]}.{type_name}Tensor {list(arr.shape)}]"
    if maker is not None:
        out_nr = 0
        if t is not None and maker._nout != 1:
            out_nr = t._oidx
        name = maker.name()
        # PyTorch's hand-written nodes print their C++ name
        name = "torch::autograd::CopySlices" if name == "CopySlices" else re.sub(
            r"Backward[0-9]*$", "", name)
        what += f", which is output {out_nr} of {name},"
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} is at version {now}; expected version {expected} instead. Hint: the "
        f"backward of {node.name()} needs the value it had in the forward pass; do the in-place "
        "change on a copy (`.clone()`), or after backward()."
    )


class _ArrayNS:
    """The functions backward formulas use, on NumPy arrays (the fast path)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    abs = staticmethod(np.abs)
    tanh = staticmethod(np.tanh)

    @staticmethod
    def sigmoid(x):
        """1 / (1 + exp(-x)) without overflow (exp of -|x| only)."""
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    erf = staticmethod(_erf)  # vectorised NumPy, float64-exact (Cody's method, ops/_erf.py)

    @staticmethod
    def reshape(x, shape):
        # the method, not np.reshape: that is two Python-level wrapper frames per call
        return x.reshape(shape)

    @staticmethod
    def expand(x, shape):
        # a filled array rather than np.broadcast_to: two C calls instead of Python-level
        # stride tricks, and the result is writable like any other gradient
        out = _empty(shape, x.dtype)
        out[...] = x
        return out

    @staticmethod
    def sum(x, dim=None, keepdim=False):
        if x.dtype.kind == "f":
            # np.sum's C core without its Python-level wrapper (floats: the same result)
            return _add_reduce(x, dim, None, None, keepdim)
        return np.sum(x, axis=dim, keepdims=keepdim)  # ints and bools sum as int64

    @staticmethod
    def prod(x, dim=None, keepdim=False):
        return np.prod(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def flip(x, dims):
        return np.flip(x, dims)

    @staticmethod
    def cumsum(x, dim):
        return np.cumsum(x, axis=dim)

    floor = staticmethod(np.floor)
    trunc = staticmethod(np.trunc)
    sinh = staticmethod(np.sinh)
    cosh = staticmethod(np.cosh)

    @staticmethod
    def roll(x, shifts, dims):
        return np.roll(x, shifts, dims)

    @staticmethod
    def einsum(subscripts, *operands):
        return np.einsum(subscripts, *operands)

    inverse = staticmethod(np.linalg.inv)

    @staticmethod
    def cross(a, b, dim=-1):
        return np.cross(a, b, axis=dim)

    @staticmethod
    def permute(x, dims):
        return np.transpose(x, dims)

    @staticmethod
    def swapaxes(x, a, b):
        return np.swapaxes(x, a, b)

    @staticmethod
    def unsqueeze(x, dim):
        return np.expand_dims(x, dim)

    @staticmethod
    def zeros(shape, like):
        return np.zeros(shape, dtype=like.dtype)

    @staticmethod
    def index_add(shape, index, g):
        """zeros(shape) with g added at index (repeated indices accumulate)."""
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, index, g)
        return out

    @staticmethod
    def index_put(shape, index, g):
        """zeros(shape) with g written at index (indices known to be unique)."""
        out = np.zeros(shape, dtype=g.dtype)
        out[index] = g
        return out

    @staticmethod
    def gather(x, index):
        """x[index] (the inverse of index_add)."""
        return x[index]

    @staticmethod
    def cat(parts, dim):
        return np.concatenate(parts, axis=dim)

    matmul = staticmethod(np.matmul)  # the ufunc itself: no wrapper frame per call

    @staticmethod
    def astype(x, like):
        return x.astype(like.dtype, copy=False)

    @staticmethod
    def mask(cond, like):
        """A 0/1 array of like's dtype (a constant in higher-order passes)."""
        return cond.astype(like.dtype)


array_ns = _ArrayNS
Function.ns = array_ns


def set_higher(flag: bool) -> bool:
    """Start (or end) a differentiable backward: ``saved_tensors`` hands out Tensors and
    ``ctx.ns`` is glassgrad's namespace while it runs. Returns the previous setting."""
    prev = state.higher
    state.higher = flag
    if flag:
        from ..ops import tensor_ns

        Function.ns = tensor_ns
    else:
        Function.ns = array_ns
    return prev


from .custom import once_differentiable  # noqa: F401  (torch.autograd.function.once_differentiable)
