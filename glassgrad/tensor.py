"""Tensor: an ndarray plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

Operators and methods call the op classes in ``glassgrad.ops``; this file holds no math. Outputs
of ops are built by ``_wrap`` (no validation: the op already produced a correct array); the
public constructors (``glassgrad.tensor`` ...) live in ``glassgrad.creation``.
"""

from __future__ import annotations

import builtins
import warnings
import weakref

import numpy as np

from . import _dtype
from ._tensor_methods import _bind as _bind_methods
from ._tensor_methods.compare import _Compare
from ._tensor_methods.indexing import _Indexing
from ._tensor_methods.inplace import _InPlace
from ._tensor_methods.pointwise import _Math
from ._tensor_methods.reductions import _Reductions
from ._tensor_methods.shape import _Shape
from .autograd.grad_mode import _mode

_bool = builtins.bool
_int = builtins.int
_float = builtins.float


class device:  # noqa: N801  (PyTorch's name)
    """Always the CPU: glassgrad computes with NumPy."""

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index=None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, idx = type.split(":", 1)
            index = _int(idx)
        if type != "cpu":
            raise RuntimeError(
                f"glassgrad runs on the CPU only; device '{type}' is not available "
                "(torch.cuda.is_available() is False here). Use device='cpu'."
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        try:
            return device(other).type == self.type
        except Exception:
            return False

    def __hash__(self):
        return hash(self.type)


_CPU = device("cpu")


def _wrap(data, requires_grad, grad_fn):
    """Build an op's output Tensor around ``data`` without validation (the hot path)."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._grad = None
    t._vc = None
    t._hooks = None
    t._retains_grad = False
    return t


_new = object.__new__

_NONLEAF_GRAD_MSG = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
_warned_float = [False]


def _counter(t):
    """The version counter list shared by a tensor and its views (made on first use)."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


class Tensor(_Reductions, _Shape, _Indexing, _InPlace, _Compare, _Math):
    """A multi-dimensional array that can record the operations applied to it.

    >>> import glassgrad as gg
    >>> w = gg.tensor(2.0, requires_grad=True)
    >>> y = w * 3
    >>> y
    tensor(6., grad_fn=<MulBackward0>)
    >>> y.backward()
    >>> w.grad
    tensor(3.)
    """

    __slots__ = (
        "_data",
        "_grad",
        "grad_fn",
        "requires_grad",
        "_vc",
        "_hooks",
        "_retains_grad",
        "_oidx",
        "_glass_name",
        "__weakref__",
    )

    # ndarray op Tensor must call Tensor's reflected operator, not NumPy's
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        # torch.Tensor(data) / torch.Tensor(2, 3): float32, like PyTorch's legacy constructor
        if len(args) == 1 and not isinstance(args[0], _int):
            data = np.array(_to_array(args[0]), dtype=np.float32)
        else:
            data = np.zeros(tuple(args), dtype=np.float32)
        self._data = data
        self.requires_grad = requires_grad
        self.grad_fn = None
        self._grad = None
        self._vc = None
        self._hooks = None
        self._retains_grad = False

    # -- basic properties ---------------------------------------------------------------------

    @property
    def grad(self):
        """dL/d(this tensor), filled in by ``backward()`` for leaves (and ``retain_grad()``)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD_MSG, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            data = self._data
            if value._data.shape != data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(data.shape)}'. Please ensure that the gradient and "
                    "the tensor are the same size"
                )
            if value._data.dtype != data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value._data.dtype.name}' to "
                    f"a tensor with dtype '{data.dtype.name}'. The gradient must match the "
                    "tensor's dtype."
                )
        self._grad = value

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's values, outside the graph (PyTorch's ``.data``)."""
        t = _wrap(self._data, False, None)
        t._vc = _counter(self)
        return t

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        nd = self._data.ndim
        n = max(nd, 1)
        if not -n <= dim < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
                f"{dim})"
            )
        return self._data.shape[dim]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def contiguous(self, memory_format=None) -> Tensor:
        if self._data.flags.c_contiguous:
            return self
        # a transposed/strided view: copy to row-major, so .view() works after it (as in torch)
        from .ops.elementwise import Clone

        return Clone.apply(self)

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc[0]

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self) -> int:
        return self._data.ctypes.data

    # -- conversions --------------------------------------------------------------------------

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype)
        return self._data

    def __float__(self) -> float:
        if self.requires_grad and not _warned_float[0]:
            _warned_float[0] = True  # PyTorch warns once per process
            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                "behavior.\nConsider using tensor.detach() first.",
                UserWarning,
                stacklevel=2,
            )
        return _float(self.item())

    def __int__(self) -> int:
        return _int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return _bool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if self.requires_grad and _mode.enabled:
            return iter(self.unbind(0))  # PyTorch iterates through unbind (UnbindBackward0)
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __format__(self, spec: str) -> str:
        # PyTorch: a 0-d tensor formats as its Python number, so f"{w:.3f}" works
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        # copy.deepcopy(model) is common (keeping the best model); pickling stays refused
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        t = _new(type(self))
        t._data = self._data.copy()
        t.requires_grad = self.requires_grad
        t.grad_fn = None
        t.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        t._vc = None
        t._hooks = None
        t._retains_grad = False
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol):
        raise TypeError(
            "glassgrad tensors are not pickled (loading a pickle can run code); use "
            "glassgrad.save(obj, path), which writes safetensors + JSON."
        )

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``; CPU only."""
        target = kwargs.get("dtype")
        for a in list(args) + [kwargs.get("device")]:
            if a is None:
                continue
            if isinstance(a, Tensor):
                target = a.dtype
            elif isinstance(a, (_dtype.dtype, np.dtype, type)) or (
                hasattr(a, "is_floating_point") and not isinstance(a, (str, device))
            ):
                target = a  # a dtype (np.dtype from _binary, Python float/int/bool as in torch)
            else:
                device(a)  # raises for anything but the CPU
        copy = kwargs.get("copy", False)
        if target is None:
            return self.clone() if copy else self
        npd = _dtype.to_numpy_dtype(target)
        if npd == self._data.dtype and not copy:
            return self
        from .ops.elementwise import Cast

        return Cast.apply(self, npd)

    def type(self, dtype=None):
        """``t.type()`` names the tensor type (``torch.FloatTensor``); ``t.type(dtype)`` casts,
        also from such a name."""
        names = _function._TYPE_NAMES
        if dtype is None:
            return f"torch.{names[self._data.dtype.name]}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            short = dtype.rsplit(".", 1)[-1][: -len("Tensor")]
            for np_name, name in names.items():
                if name == short:
                    return self.to(np.dtype(np_name))
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool_)

    def cpu(self) -> Tensor:
        return self

    # -- new tensors like this one (same dtype unless given) --------------------------------

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import ones

        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device,
                    requires_grad=requires_grad)

    def cuda(self, *args, **kwargs):
        device("cuda")

    # -- autograd -----------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        t = _wrap(self._data, False, None)
        t._vc = _counter(self)
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        self._retains_grad = True
        self.grad_fn._retain = weakref.ref(self)
        self.grad_fn._exact = None  # the engine then looks for _retain

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (PyTorch's semantics)."""
        if gradient is None and retain_graph is None and not create_graph and inputs is None \
                and self.grad_fn is not None and self._data.size == 1:
            # the common `loss.backward()`: skip the general argument handling
            _engine.backward_scalar(self)
            return
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it.

        >>> import glassgrad as gg
        >>> x = gg.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([20., 40.])
        """
        from .utils.hooks import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = _TensorHooks()
        if self.grad_fn is not None:
            # the engine finds a non-leaf's hooks through its node (as retain_grad does)
            self.grad_fn._retain = weakref.ref(self)
            self.grad_fn._exact = None  # the engine then looks for _retain
        handle = RemovableHandle(hooks.pre)
        hooks.pre[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after the gradient was accumulated into this leaf's ``.grad``."""
        from .utils.hooks import RemovableHandle

        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = _TensorHooks()
        handle = RemovableHandle(hooks.post)
        hooks.post[handle.id] = hook
        return handle

    def _run_hooks(self, g):
        """Run this tensor's gradient hooks in registration order; each may replace ``g``."""
        for hook in list(self._hooks.pre.values()):
            res = hook(g if isinstance(g, Tensor) else _wrap(g, False, None))
            if res is not None:
                g = res._data if (isinstance(res, Tensor) and not isinstance(g, Tensor)) else res
        return g

    # -- arithmetic (operators call op classes; dtype promotion follows PyTorch) ---------------

    # each operator goes straight to its op when both operands are Tensors of one dtype, or a
    # float Tensor and a Python float (the common cases: nothing to promote), else through
    # _binary's promotion rules

    def __add__(self, other):
        c = other.__class__
        if c is Tensor:
            if other._data.dtype is self._data.dtype:
                return _add2(self, other)
        elif c is _float and self._data.dtype.kind == "f":
            return _add2(self, other)
        return _binary(Add, self, other)

    __radd__ = __add__

    def __sub__(self, other):
        dt = self._data.dtype
        c = other.__class__
        if c is Tensor:
            if other._data.dtype is dt and dt.kind != "b":
                return _sub2(self, other)
        elif c is _float and dt.kind == "f":
            return _sub2(self, other)
        if dt.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        return _binary(Sub, self, other)

    def __rsub__(self, other):
        if self._data.dtype.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        if isinstance(other, (np.ndarray, list)):
            return _binary(Sub, _operand(other, self), self)
        return _binary(RSub, self, other)

    def __mul__(self, other):
        c = other.__class__
        if c is Tensor:
            if other._data.dtype is self._data.dtype:
                return _mul2(self, other)
        elif c is _float and self._data.dtype.kind == "f":
            return _mul2(self, other)
        return _binary(Mul, self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        dt = self._data.dtype
        c = other.__class__
        if dt.kind == "f" and (c is _float or (c is Tensor and other._data.dtype is dt)):
            return _div2(self, other)
        if dt.kind != "f" and (
            not isinstance(other, Tensor) or other._data.dtype.kind != "f"
        ) and not isinstance(other, _float):
            return _binary(Div, self.float(), other)  # true division of integers is float32
        return _binary(Div, self, other)

    def __rtruediv__(self, other):
        if isinstance(other, (np.ndarray, list)):
            return _binary(Div, _operand(other, self), self)
        x = self if self._data.dtype.kind == "f" else self.float()
        return _binary(RDiv, x, other)

    def __floordiv__(self, other):
        other = other._data if isinstance(other, Tensor) else other
        return _wrap(np.asarray(np.floor_divide(self._data, other)), False, None)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return _operand(other, self).remainder(self)

    def remainder(self, other):
        """``a % b`` with the sign of b (Python's rule), differentiable in both."""
        if type(other) is _int or type(other) is _float:
            return _binary(RemainderScalar, self, other)
        return _binary(Remainder, self, other)

    def fmod(self, other):
        """C's fmod: ``a - trunc(a / b) * b`` (the sign of a)."""
        if type(other) is _int or type(other) is _float:
            return _binary(FmodScalar, self, other)
        return _binary(Fmod, self, other)

    def floor_divide(self, other):
        return self // other

    def __pow__(self, other):
        if type(other) is _int or type(other) is _float:
            if self._data.dtype.kind == "f":
                return _pow2(self, other)  # a float tensor: nothing to promote
            return _binary(Pow, self, other)
        return _binary(PowTensor, self, other)

    def __rpow__(self, other):
        x = self if self._data.dtype.kind == "f" or isinstance(other, _int) else self.float()
        return RPow._apply1(x, other)

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            # an ndarray operand promotes, as NumPy's matmul does under PyTorch
            other = _operand(other, self)
        else:
            da, db = self._data.dtype, other._data.dtype
            if da is not db and da != db:
                raise _matmul_dtype_error(self._data, other._data)
        return matmul_op(self._data.ndim, other._data.ndim).apply(self, other)

    def __rmatmul__(self, other):
        other = _operand(other, self)
        return matmul_op(other._data.ndim, self._data.ndim).apply(other, self)

    def __neg__(self):
        return Neg._apply1(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return Abs._apply1(self)

    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        other = other._data if isinstance(other, Tensor) else other
        fn = np.floor if rounding_mode == "floor" else np.trunc
        return _wrap(np.asarray(fn(np.true_divide(self._data, other)).astype(
            np.result_type(self._data, other))), False, None)

    multiply = mul
    divide = div
    subtract = sub
    true_divide = __truediv__

    def pow(self, exponent):
        return self**exponent

    def neg(self):
        return Neg._apply1(self)

    negative = neg

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self._data.ndim != 2 or other._data.ndim != 2:
            raise RuntimeError("self must be a matrix" if self._data.ndim != 2
                               else "mat2 must be a matrix")
        return self @ other

    def bmm(self, other):
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if other._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if self._data.shape[0] != other._data.shape[0]:
            raise RuntimeError(
                f"bmm: batch sizes differ: {self._data.shape[0]} and {other._data.shape[0]}"
            )
        return Bmm.apply(self, other)

    def mv(self, vec):
        if self._data.ndim != 2 or vec._data.ndim != 1:
            raise RuntimeError(
                f"vector + matrix @ vector expected, got 1, {self._data.ndim}, {vec._data.ndim}"
            )
        return self @ vec

    def dot(self, other):
        if self._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self._data.ndim}D and {other._data.ndim}D tensors"
            )
        return self @ other

    def outer(self, vec2):
        """``self[:, None] * vec2[None, :]``: every product of an entry of each."""
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

class _TensorHooks:
    """A tensor's gradient hooks: ``pre`` run on its gradient, ``post`` after accumulation."""

    __slots__ = ("post", "pre")

    def __init__(self):
        self.pre = {}
        self.post = {}


class _NoGrad:
    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = False

    def __exit__(self, *exc):
        _mode.enabled = self.prev


class Size(tuple):
    """``torch.Size``: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"{_dtype._PREFIX[0]}.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        res = tuple.__getitem__(self, item)
        return Size(res) if isinstance(item, slice) else res

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to "
                f"{_dtype._PREFIX[0]}.Size"
            )
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))


class AccumulateGrad:
    """The node that accumulates into a leaf's ``.grad`` (shown in ``next_functions``)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _to_array(x):
    if isinstance(x, Tensor):
        return x._data
    return x


def _norm_dim(dim, ndim, op="dim"):
    """A dim in [-ndim, ndim) made non-negative, with PyTorch's error otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _shape_arg(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(_int(s) for s in shape)


def _operand(x, like):
    """A non-Tensor operand (array, list, NumPy scalar) as a Tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, (_bool, _int, _float)):
        dt = like._data.dtype if not (isinstance(x, _float) and like._data.dtype.kind != "f") \
            else np.float32
        return _wrap(np.asarray(x, dtype=dt), False, None)
    arr = np.asarray(x)
    if arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.float32)
    return _wrap(arr, False, None)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote_types(da, db):
    """PyTorch's ``promote_types``: within a category NumPy's rule, across categories the
    higher category's dtype (int64 with float16 is float16, where NumPy says float64)."""
    if da == db:
        return da
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ca == cb:
        return np.promote_types(da, db)
    return da if ca > cb else db


def _result_dtype(a, b):
    """PyTorch's type promotion for two arrays: a 0-dim operand only counts if it is of a higher
    category (bool < integer < float) than the dimensioned one."""
    da, db = a.dtype, b.dtype
    if (a.ndim == 0) == (b.ndim == 0):
        return _promote_types(da, db)
    dimmed, zero = (da, db) if b.ndim == 0 else (db, da)
    cd, cz = _CATEGORY[dimmed.kind], _CATEGORY[zero.kind]
    if cd == 2 or (cd == 1 and cz < 2):
        return dimmed
    return _promote_types(dimmed, zero)


_BOOL_SUB_MSG = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


_OVERLAP_MSG = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def _inplace_on_view(view, view_fn) -> None:
    """``view`` (made from a base tensor by ``view_fn``, sharing its memory) was changed in
    place: the base must record it too, or gradients through the base skip the change.

    As PyTorch does: the base's history becomes CopySlices(old base, new view values) and the
    view is read again from the new base. Repeats up the chain of views.
    """
    from .ops.inplace import AsView, ViewScatter, view_of

    while True:
        kind = type(view_fn)
        if kind is ViewScatter or kind is CopySlices or kind is IndexPut:
            return  # rebasing nodes: their first input is a snapshot, not a base
        base = view_fn.inputs[1] if kind is AsView else view_fn.inputs[0]
        if base is None or not np.may_share_memory(view._data, base._data):
            return  # not a view (or of a base that needs no gradient)
        b = base._data
        if not b.flags.c_contiguous or view._data.dtype != b.dtype:
            return  # a layout the stride arithmetic below does not cover
        offset = view._data.__array_interface__["data"][0] - b.__array_interface__["data"][0]
        region = (view._data.shape, view._data.strides, offset)
        mark = np.zeros(b.shape, dtype=b.dtype)
        view_of(mark, region)[...] = 1
        if np.count_nonzero(mark) != view._data.size:
            raise RuntimeError(_OVERLAP_MSG)
        keep = (mark == 0).astype(b.dtype)
        # snapshots as edges: later rebases of these live tensors must not reroute this node
        old_base = _wrap(b, base.requires_grad, base.grad_fn)
        new_view = _wrap(view._data, True, view.grad_fn)
        scatter = ViewScatter.apply(old_base, new_view, region, keep)
        base_fn = base.grad_fn
        base.grad_fn = scatter.grad_fn
        base.requires_grad = True
        if base._vc is not view._vc:  # views made by indexing already share the counter
            _counter(base)[0] += 1
        new_view = _wrap(view._data, True, view.grad_fn)
        view.grad_fn = AsView.apply(new_view, base, region).grad_fn
        if base_fn is None or not base_fn.inputs:
            return
        view, view_fn = base, base_fn


_CPP_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool",
}


def _matmul_dtype_error(a, b) -> RuntimeError:
    """PyTorch does not promote in matmul: mixed dtypes are an error (never a silent float64)."""
    names = _function._TYPE_NAMES
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{names[a.dtype.name]} and {names[b.dtype.name]}"
        )
    if a.ndim == 2 and b.ndim == 1:
        na, nb = names[a.dtype.name], names[b.dtype.name]
        return RuntimeError(
            f"addmv input tensors must have the same dtype, but got {nb}, {na}, and {nb}"
        )
    return RuntimeError(
        "expected m1 and m2 to have the same dtype, but got: "
        f"{_CPP_NAMES[a.dtype.name]} != {_CPP_NAMES[b.dtype.name]}"
    )


def _is_bool(x) -> bool:
    """A Python bool or a bool tensor (PyTorch refuses to subtract those)."""
    return x.__class__ is _bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def _bool_sub_error(a, b) -> RuntimeError:
    if a._data.dtype.kind == "b" and _is_bool(b):
        return RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    return RuntimeError(_BOOL_SUB_MSG)


def _binary(op, a, b):
    """Apply a binary op with PyTorch's promotion of operand dtypes."""
    tb = type(b)
    if tb is Tensor or isinstance(b, Tensor):
        if a._data.dtype is not b._data.dtype:
            rt = _result_dtype(a._data, b._data)
            if a._data.dtype != rt:
                a = a.to(_dtype.from_numpy_dtype(rt))
            if b._data.dtype != rt:
                b = b.to(_dtype.from_numpy_dtype(rt))
    elif tb is _float:
        if a._data.dtype.kind != "f":
            a = a.float()
    elif tb is _int or tb is _bool:
        try:
            return op._apply2(a, b)
        except OverflowError:
            # NumPy refuses e.g. uint8 + (-1); PyTorch wraps the scalar into the dtype
            if op is Pow:
                raise RuntimeError("Integers to negative integer powers are not allowed.") from None
            return op._apply2(a, np.asarray(b, dtype=np.int64).astype(a._data.dtype))
    elif isinstance(b, np.generic):
        # a NumPy number counts as a Python number; PyTorch reads np.bool_ as a float
        return _binary(op, a, _float(b) if b.dtype.kind == "b" else b.item())
    else:
        b = _operand(b, a)
        return _binary(op, a, b)
    return op._apply2(a, b)


def _floating(x):
    """Float ops on integer tensors compute in the default float dtype, as in PyTorch."""
    return x if x._data.dtype.kind == "f" else x.float()


def _binary_args(op, a, b, *extra):
    """A two-tensor op with extra arguments, after PyTorch's dtype promotion of a and b."""
    if a._data.dtype != b._data.dtype:
        rt = _dtype.from_numpy_dtype(_result_dtype(a._data, b._data))
        a, b = a.to(rt), b.to(rt)
    return op.apply(a, b, *extra)


from .autograd import function as _function  # noqa: E402

_function._bind(Tensor, _wrap)

from .ops.elementwise import (  # noqa: E402  (ops import this module's _wrap)
    Add, Div, Fmod, FmodScalar, Mul, Neg, Pow, PowTensor, RDiv, Remainder, RemainderScalar, RPow,
    RSub, Sub,
)
# the operators' fast paths call these bound methods, made once (Op._apply2 would bind a new
# one on every call)
_add2, _sub2, _mul2, _div2, _pow2 = (Add._apply2, Sub._apply2, Mul._apply2, Div._apply2,
                                     Pow._apply2)
from .ops.unary import Abs  # noqa: E402
from .ops.indexing import CopySlices, IndexPut  # noqa: E402
from .ops.linalg import Bmm, matmul_op  # noqa: E402
from . import autograd as _autograd  # noqa: E402
from .autograd import engine as _engine  # noqa: E402



_bind_methods(globals())
