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


class Tensor:
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

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (PyTorch's semantics)."""
        if gradient is None and retain_graph is None and not create_graph and inputs is None \
                and self.grad_fn is not None and self._data.size == 1:
            # the common `loss.backward()`: skip the general argument handling
            _engine.run_backward((self,), (_ones_like_scalar(self._data),))
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

    # -- in-place ops -------------------------------------------------------------------------

    def _check_inplace(self):
        if self.grad_fn is None and self.requires_grad and _mode.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )

    def _inplace(self, op, other, *extra) -> Tensor:
        """Apply ``op`` and write the result into this tensor's memory.

        Outside the graph this is one NumPy call. When the result must be recorded, the op runs
        out of place on a snapshot of the old value and this tensor takes over the new node, as
        PyTorch rebases an in-place op's history.
        """
        self._check_inplace()
        if not self._data.flags.writeable:
            raise RuntimeError(_OVERLAP_MSG)  # an expand()ed view: elements share memory
        other_rg = isinstance(other, Tensor) and other.requires_grad
        if _mode.enabled and (self.requires_grad or other_rg):
            old = _wrap(self._data.copy(), self.requires_grad, self.grad_fn)
            if self.grad_fn is not None and self.grad_fn._nout != 1:
                old._oidx = self._oidx  # which output of a multi-output node it was
            # nodes recorded so far keep routing this tensor's gradient to its old history
            # (the engine follows ``_ep``); only later consumers see the in-place node
            _function.state.epoch += 1
            res = op.apply(old, other, *extra)
            out = res._data
            if out.shape != self._data.shape:
                raise RuntimeError(
                    f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                    f"shape {list(out.shape)}"
                )
            if out.dtype != self._data.dtype:
                _check_cast(self._data, other)
            # the node saved the snapshot and its own fresh output, never this tensor's memory,
            # so later in-place changes to this tensor cannot corrupt its backward
            np.copyto(self._data, out, casting="unsafe")
            view_fn = self.grad_fn
            self.grad_fn = res.grad_fn
            self.requires_grad = True
            _counter(self)[0] += 1
            if view_fn is not None and view_fn.inputs:
                _inplace_on_view(self, view_fn)
            return self
        with _NoGrad():
            res = op.apply(self, other, *extra)
        out = res._data
        if out.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(out.shape)}"
            )
        if out.dtype != self._data.dtype:
            _check_cast(self._data, other)
        np.copyto(self._data, out, casting="unsafe")
        _counter(self)[0] += 1
        return self

    def _inplace_ufunc(self, op, ufunc, other) -> Tensor:
        """``self op= other``: one NumPy call when nothing is recorded, else ``_inplace``."""
        if isinstance(other, Tensor):
            if _mode.enabled and (self.requires_grad or other.requires_grad):
                return self._inplace(op, other)
            o = other._data
        else:
            if _mode.enabled and self.requires_grad:
                return self._inplace(op, other)
            o = other
        data = self._data
        try:
            ufunc(data, o, out=data)
        except (TypeError, ValueError):
            return self._inplace(op, other)  # PyTorch's error wording for dtype/shape faults
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1
        return self

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(Add, np.add, other)

    def sub_(self, other, alpha=1):
        if self._data.dtype.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        if alpha != 1:
            other = other * alpha
        return self._inplace_ufunc(Sub, np.subtract, other)

    def mul_(self, other):
        return self._inplace_ufunc(Mul, np.multiply, other)

    def div_(self, other):
        if self._data.dtype.kind != "f":
            return self._inplace(Div, other)  # true division: an integer tensor can't hold it
        return self._inplace_ufunc(Div, np.true_divide, other)

    def pow_(self, other):
        from .ops.elementwise import Pow, PowTensor

        return self._inplace(Pow if type(other) in (_int, _float) else PowTensor, other)

    def clamp_(self, min=None, max=None):  # noqa: A002
        from .ops.elementwise import Clamp

        self._check_inplace()
        return self._inplace(Clamp, min, max)

    clip_ = clamp_

    def zero_(self) -> Tensor:
        self._check_inplace()
        if _mode.enabled and self.requires_grad:
            from .ops.inplace import Zero

            return self._inplace(Zero, None)
        self._data[...] = 0
        _counter(self)[0] += 1
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace()
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions."
                )
            if _mode.enabled and (self.requires_grad or value.requires_grad):
                from .ops.inplace import FillTensor

                return self._inplace(FillTensor, value)
            value = value._data
        elif _mode.enabled and self.requires_grad:
            from .ops.inplace import Fill

            return self._inplace(Fill, value)
        self._data[...] = value
        _counter(self)[0] += 1
        return self

    # -- in-place random fills (glassgrad's NumPy generator: other numbers than PyTorch's) ----

    def _fill_random(self, draw, generator) -> Tensor:
        from .random import _rng

        self._check_inplace()
        self._data[...] = draw(_rng(generator), self._data.shape)
        _counter(self)[0] += 1
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn uniformly from [a, b)."""
        return self._fill_random(lambda rng, shape: rng.uniform(a, b, shape), generator)

    def normal_(self, mean=0.0, std=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn from N(mean, std**2)."""
        return self._fill_random(lambda rng, shape: rng.normal(mean, std, shape), generator)

    def bernoulli_(self, p=0.5, generator=None) -> Tensor:
        """Fill with 1 (probability p) or 0."""
        p = p._data if isinstance(p, Tensor) else p
        return self._fill_random(lambda rng, shape: rng.random(shape) < p, generator)

    def exponential_(self, lambd=1.0, generator=None) -> Tensor:
        """Fill with numbers drawn from Exp(lambd)."""
        return self._fill_random(lambda rng, shape: rng.exponential(1.0 / lambd, shape),
                                 generator)

    def random_(self, from_=0, to=None, generator=None) -> Tensor:
        """Fill with integers from [from_, to) (``random_(n)``: [0, n))."""
        if to is None:
            from_, to = 0, from_
        return self._fill_random(lambda rng, shape: rng.integers(from_, to, shape), generator)

    def copy_(self, src, non_blocking=False) -> Tensor:
        self._check_inplace()
        if _mode.enabled and (self.requires_grad or (isinstance(src, Tensor) and
                                                     src.requires_grad)):
            from .ops.elementwise import CopyFrom

            return self._inplace(CopyFrom, src)
        src_data = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self._data, np.broadcast_to(src_data, self._data.shape), casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_: the size of src {list(np.shape(src_data))} must be broadcastable to "
                f"self {list(self._data.shape)}"
            ) from None
        _counter(self)[0] += 1
        return self

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    # -- arithmetic (operators call op classes; dtype promotion follows PyTorch) ---------------

    def __add__(self, other):
        return _binary(Add, self, other)

    __radd__ = __add__

    def __sub__(self, other):
        if self._data.dtype.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        return _binary(Sub, self, other)

    def __rsub__(self, other):
        if self._data.dtype.kind == "b" or _is_bool(other):
            raise _bool_sub_error(self, other)
        if isinstance(other, (np.ndarray, list)):
            return _binary(Sub, _operand(other, self), self)
        return _binary(RSub, self, other)

    def __mul__(self, other):
        return _binary(Mul, self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if self._data.dtype.kind != "f" and (
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
            return _binary(Pow, self, other)
        return _binary(PowTensor, self, other)

    def __rpow__(self, other):
        x = self if self._data.dtype.kind == "f" or isinstance(other, _int) else self.float()
        return RPow.apply(x, other)

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
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return Abs.apply(self)

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
        return Neg.apply(self)

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

    def _check_square(self, name):
        shape = self._data.shape
        if len(shape) < 2:
            raise RuntimeError(
                f"{name}: The input tensor A must have at least 2 dimensions."
            )
        if shape[-1] != shape[-2]:
            raise RuntimeError(
                f"{name}: A must be batches of square matrices, but they are {shape[-2]} by "
                f"{shape[-1]} matrices"
            )
        if self._data.dtype.kind != "f":
            raise RuntimeError(
                f"{name}: Expected a floating point or complex tensor as input. Got "
                f"{self.dtype.name.capitalize()}"
            )

    def inverse(self):
        """The matrix inverse (of each matrix in a batch)."""
        self._check_square("linalg.inv")
        return Inverse.apply(self)

    def det(self):
        """The determinant (of each matrix in a batch)."""
        self._check_square("linalg.det")
        return Det.apply(self)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        if mat1._data.ndim != 2 or mat2._data.ndim != 2:
            raise RuntimeError("mat1 must be a matrix, got " f"{mat1._data.ndim}-D tensor"
                               if mat1._data.ndim != 2 else
                               f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
        return Addmm.apply(self, mat1, mat2, beta, alpha)

    def cross(self, other, dim=None):
        if dim is None:
            # PyTorch's (deprecated) default: the first dim of size 3
            dim = next((i for i, n in enumerate(self._data.shape) if n == 3), -1)
        d = _norm_dim(dim, self._data.ndim)
        if self._data.shape[d] != 3:
            raise RuntimeError(
                f"linalg.cross: inputs dimension {d} must have length 3. Got "
                f"{self._data.shape[d]} and {other._data.shape[d]}"
            )
        return _binary_args(Cross, self, other, d)

    def unfold(self, dimension, size, step):
        """Windows of ``size`` every ``step`` along ``dimension`` (a new last dim per window)."""
        d = _norm_dim(dimension, self._data.ndim)
        n = self._data.shape[d] if self._data.ndim else 1
        if size > n:
            raise RuntimeError(
                f"maximum size for tensor at dimension {d} is {n} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        starts = np.arange(0, n - size + 1, step)
        index = starts[:, None] + np.arange(size)  # (windows, size)
        x = self if self._data.ndim else self.reshape(1)
        win = Index.apply(x, (slice(None),) * d + (index,))  # (..., windows, size, ...)
        nd = win._data.ndim
        order = tuple(i for i in range(nd) if i != d + 1) + (d + 1,)
        return win.permute(order) if order != tuple(range(nd)) else win

    def trace(self):
        if self._data.ndim != 2:
            raise RuntimeError(
                f"trace: expected a matrix, but got tensor with dim {self._data.ndim}"
            )
        return Trace.apply(self)

    def diag(self, diagonal=0):
        """A vector's diagonal matrix, or a matrix's diagonal as a vector (offset ``diagonal``)."""
        nd = self._data.ndim
        k = _int(diagonal)
        if nd == 1:
            n = self._data.shape[0]
            rows = np.arange(n) + max(-k, 0)
            key = (rows, rows + k)
            return DiagEmbed.apply(self, n + abs(k), key)
        if nd == 2:
            h, w = self._data.shape
            start_r, start_c = max(-k, 0), max(k, 0)
            n = max(min(h - start_r, w - start_c), 0)
            rows = np.arange(n) + start_r
            return Diagonal.apply(self, (rows, rows - start_r + start_c))
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{nd}D")

    def tril(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return Tril.apply(self, _int(diagonal))

    def triu(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return Triu.apply(self, _int(diagonal))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default; ``"fro"`` is p = 2)."""
        if p == "fro" or p is None:
            p = 2
        if isinstance(p, str):
            raise NotImplementedError(f"norm: p='{p}' (a matrix norm) is not supported; use "
                                      "p='fro' or a number")
        x = self if self._data.dtype.kind == "f" else self.float()
        if dtype is not None:
            x = x.to(dtype)
        return VectorNorm.apply(x, float(p), dim, keepdim)

    def exp(self):
        return Exp.apply(_floating(self))

    def log(self):
        return Log.apply(_floating(self))

    def sqrt(self):
        return Sqrt.apply(_floating(self))

    def sin(self):
        return Sin.apply(_floating(self))

    def cos(self):
        return Cos.apply(_floating(self))

    def tanh(self):
        return Tanh.apply(_floating(self))

    def sigmoid(self):
        return Sigmoid.apply(_floating(self))

    def erf(self):
        """The error function (GELU's building block)."""
        from .ops.nnops import Erf

        return Erf.apply(_floating(self))

    def softmax(self, dim, dtype=None):
        """exp(x) / sum(exp(x)) over ``dim`` (stable: the max is subtracted first)."""
        from .nn.functional import softmax

        return softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        """x - log(sum(exp(x))) over ``dim`` (stable for large logits)."""
        from .nn.functional import log_softmax

        return log_softmax(self, dim, dtype=dtype)

    def relu(self):
        return Relu.apply(self)

    def abs(self):
        return Abs.apply(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min if isinstance(min, Tensor) else _operand(min, self))
            if max is not None:
                out = out.minimum(max if isinstance(max, Tensor) else _operand(max, self))
            return out
        if self._data.dtype.kind != "f" and (type(min) is _float or type(max) is _float):
            return Clamp.apply(self.float(), min, max)  # int clamped by a float: float32
        return Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _binary(Maximum, self, other)

    def minimum(self, other):
        return _binary(Minimum, self, other)

    def clone(self, memory_format=None):
        return Clone.apply(self)

    def log1p(self):
        return Log1p.apply(_floating(self))

    def log2(self):
        return Log2.apply(_floating(self))

    def log10(self):
        return Log10.apply(_floating(self))

    def tan(self):
        return Tan.apply(_floating(self))

    def asin(self):
        return Asin.apply(_floating(self))

    def acos(self):
        return Acos.apply(_floating(self))

    def atan(self):
        return Atan.apply(_floating(self))

    arcsin = asin
    arccos = acos
    arctan = atan

    def sinh(self):
        return Sinh.apply(_floating(self))

    def cosh(self):
        return Cosh.apply(_floating(self))

    def atan2(self, other):
        x = _floating(self)
        return _binary(Atan2, x, other if isinstance(other, Tensor) else _operand(other, x))

    arctan2 = atan2

    def floor(self):
        return Floor.apply(self) if self._data.dtype.kind == "f" else self.clone()

    def ceil(self):
        return Ceil.apply(self) if self._data.dtype.kind == "f" else self.clone()

    def trunc(self):
        return Trunc.apply(self) if self._data.dtype.kind == "f" else self.clone()

    fix = trunc

    def round(self, decimals=0):
        if self._data.dtype.kind != "f":
            return self.clone()
        if decimals:
            return RoundDecimals.apply(self, decimals)
        return Round.apply(self, 0)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (the dtype's extremes by
        default)."""
        if self._data.dtype.kind != "f":
            return self.clone()
        return NanToNum.apply(self, nan, posinf, neginf)

    def frac(self):
        return self - self.trunc()

    def lerp(self, end, weight):
        """``self + weight * (end - self)``: a straight line from self (w=0) to end (w=1)."""
        if isinstance(weight, Tensor):
            return LerpTensor.apply(self, end, weight)
        return Lerp.apply(self, end, weight)

    def expm1(self):
        return Expm1.apply(_floating(self))

    def reciprocal(self):
        return Reciprocal.apply(_floating(self))

    def rsqrt(self):
        return Rsqrt.apply(_floating(self))

    def square(self):
        return _binary(Pow, self, 2)

    def sign(self):
        if self._data.dtype.kind == "b":
            return Clone.apply(self)
        return Sign.apply(self)

    # -- reductions ---------------------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, dtype=None, axis=None):
        if axis is not None:
            dim = axis
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return (Sum if dim is None else SumDim).apply(self, dim, keepdim, npd)

    def mean(self, dim=None, keepdim=False, dtype=None, axis=None):
        if axis is not None:
            dim = axis
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return (Mean if dim is None else MeanDim).apply(self, dim, keepdim, npd)

    def sum_to_size(self, *size):
        """Sum dims away until the shape is ``size`` (the inverse of broadcasting to self)."""
        size = _shape_arg(size)
        shape = self._data.shape
        lead = len(shape) - len(size)
        if lead < 0 or any(n != 1 and n != shape[lead + i] for i, n in enumerate(size)):
            raise RuntimeError(
                f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}."
            )
        size = tuple(size)
        if size == shape:
            return self
        # like PyTorch: sum with keepdim (SumBackward1), then view away the leading dims
        padded = (1,) * lead + size
        out = SumToSize.apply(self, padded) if padded != shape else self
        return Reshape.apply(out, size) if lead else out

    def max(self, dim=None, keepdim=False):
        """``max()``: the largest value; ``max(dim)``: (values, indices); ``max(other)``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return Max.apply(self)
        return _with_indices(MaxDim, self, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        """``min()``: the smallest value; ``min(dim)``: (values, indices); ``min(other)``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return Min.apply(self)
        return _with_indices(MinDim, self, dim, keepdim, "min")

    def amax(self, dim=(), keepdim=False):
        return Amax.apply(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return Amin.apply(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _wrap(arg_extreme(self._data, dim, keepdim, "argmax"), False, None)

    def argmin(self, dim=None, keepdim=False):
        return _wrap(arg_extreme(self._data, dim, keepdim, "argmin"), False, None)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_std(Var, self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_std(Std, self, dim, unbiased, keepdim, correction)

    def prod(self, dim=None, keepdim=False, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        if dim is None:
            return Prod.apply(self, None, False, npd)
        if not isinstance(dim, (_int, np.integer)):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        return ProdDim.apply(self, dim, keepdim, npd)

    def logsumexp(self, dim, keepdim=False):
        return LogSumExp.apply(_floating(self), dim, keepdim)

    def median(self, dim=None, keepdim=False):
        """``median()``: the middle value (lower of two); ``median(dim)``: (values, indices)."""
        if dim is None:
            return Median.apply(self)
        return self._select_sorted(MedianDim, dim, keepdim, None, "median")

    def kthvalue(self, k, dim=-1, keepdim=False):
        """(values, indices) of the ``k``-th smallest element along ``dim`` (k counts from 1)."""
        return self._select_sorted(KthValue, dim, keepdim, k, "kthvalue")

    def _select_sorted(self, op, dim, keepdim, k, name):
        from . import return_types

        data = self._data
        x = self if data.ndim else self.reshape(1)
        d = _norm_dim(dim, data.ndim)
        n = x._data.shape[d]
        if n == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        pos = (n - 1) // 2 if k is None else k - 1
        if not 0 <= pos < n:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        order = _argsort(x._data, d, False)
        idx = np.take(order, [pos], axis=d)  # keepdim indices, NaN sorted last
        values = op.apply(x, d, keepdim or not data.ndim, idx)
        indices = idx if keepdim else np.squeeze(idx, d)
        if not data.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return getattr(return_types, name)(values, _wrap(indices, False, None))

    def aminmax(self, *, dim=None, keepdim=False):
        from . import return_types

        return return_types.aminmax(self.amin(() if dim is None else dim, keepdim),
                                    self.amax(() if dim is None else dim, keepdim))

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-quantile(s) along ``dim`` (of all elements by default), interpolating
        between the sorted values around position ``q * (n - 1)``."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _norm_dim(dim, self._data.ndim)
        if isinstance(q, Tensor) and q._data.dtype != self._data.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        qs = q._data if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
        if ((qs < 0) | (qs > 1)).any():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        n = x._data.shape[d]
        pos = qs.reshape(-1).astype(np.float64) * (n - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = np.round(pos).astype(np.int64)
        elif interpolation not in ("linear", "midpoint"):
            raise ValueError(f"quantile() interpolation must be one of linear, lower, higher, "
                             f"midpoint or nearest. Got {interpolation}")
        frac = 0.5 if interpolation == "midpoint" else pos - lo
        srt = x.sort(d).values
        below = srt.index_select(d, lo)
        above = srt.index_select(d, hi)
        shape = [1] * below.dim()
        shape[d] = -1
        w = _wrap(np.asarray(frac, dtype=x._data.dtype).reshape(shape) if np.ndim(frac) else
                  np.asarray(frac, dtype=x._data.dtype), False, None)
        out = below + (above - below) * w  # (..., len(q), ...) along d
        # PyTorch's layout: the q dim first (for a 1-D q), the reduced dim kept as 1 or dropped
        if keepdim:
            if dim is None:
                lead = (-1,) if qs.ndim else ()
                return out.reshape(lead + (1,) * self._data.ndim)
            return out.movedim(d, 0).unsqueeze(d + 1) if qs.ndim else out
        return out.movedim(d, 0) if qs.ndim else out.squeeze(d)

    def movedim(self, source, destination):
        nd = self._data.ndim
        src = _norm_dim(source, nd)
        dst = _norm_dim(destination, nd)
        order = [i for i in range(nd) if i != src]
        order.insert(dst, src)
        return self.permute(order) if order != list(range(nd)) else self

    moveaxis = movedim

    def cumsum(self, dim, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return Cumsum.apply(self, dim, npd)

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; ties keep their order."""
        from . import return_types

        data = self._data
        d = _norm_dim(dim, data.ndim)
        if data.ndim == 0:
            return return_types.sort(self.clone(), _wrap(np.zeros((), np.int64), False, None))
        idx = _argsort(data, d, descending)
        return return_types.sort(SortValues.apply(self, d, idx), _wrap(idx, False, None))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        """(values, indices) of the ``k`` largest (``largest=False``: smallest) along ``dim``."""
        from . import return_types

        data = self._data
        d = _norm_dim(dim, data.ndim)
        size = data.shape[d] if data.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError("selected index k out of range")
        x = self if data.ndim else self.reshape(1)
        idx = np.take(_argsort(x._data, d, largest), np.arange(k), axis=d)
        values = TopkValues.apply(x, d, idx)
        if not data.ndim:
            return return_types.topk(values.reshape(()), _wrap(idx.reshape(()), False, None))
        return return_types.topk(values, _wrap(idx, False, None))

    def index_select(self, dim, index):
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if idx.ndim > 1:
            raise RuntimeError("index_select(): Index is supposed to be a vector")
        idx = idx.reshape(-1)
        size = self._data.shape[d] if self._data.ndim else 1
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)][0])
            raise IndexError(f"index out of range in self: index {bad} for dimension {d} with "
                             f"size {size}")
        x = self if self._data.ndim else self.reshape(1)
        out = IndexSelect.apply(x, (slice(None),) * d + (idx,))
        return out if self._data.ndim else out.reshape(())

    def nonzero(self, as_tuple=False):
        found = np.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(_wrap(i.astype(np.int64), False, None) for i in found)
        return _wrap(np.stack(found, axis=1).astype(np.int64), False, None)

    def cumprod(self, dim, dtype=None):
        npd = None if dtype is None else _dtype.to_numpy_dtype(dtype)
        return Cumprod.apply(self, dim, npd)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct values, sorted (with where each element went, and how many of each)."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not supported by glassgrad")
        vals, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True)
        out = [_wrap(vals, False, None)]
        if return_inverse:
            out.append(_wrap(inverse.reshape(self._data.shape).astype(np.int64), False, None))
        if return_counts:
            out.append(_wrap(counts.astype(np.int64), False, None))
        return out[0] if len(out) == 1 else tuple(out)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """Differences of neighbours along ``dim``: ``x[i + 1] - x[i]`` (``n`` times)."""
        from .functional import cat

        x = self
        d = _norm_dim(dim, self._data.ndim)
        if prepend is not None or append is not None:
            parts = [t for t in (prepend, x, append) if t is not None]
            x = cat([t if isinstance(t, Tensor) else _operand(t, self) for t in parts], d)
        for _ in range(n):
            size = x._data.shape[d]
            if size == 0:
                break
            x = x.narrow(d, 1, size - 1) - x.narrow(d, 0, size - 1)
        return x

    def where(self, condition, other):
        """``self`` where ``condition`` else ``other`` (``torch.where(condition, self, other)``)."""
        from .functional import where

        return where(condition, self, other)

    def type_as(self, other):
        return self.to(other.dtype)

    # -- shape --------------------------------------------------------------------------------

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if not self._data.flags.c_contiguous and not _viewable(self._data, shape):
            return UnsafeView.apply(self, shape)  # a copy, as PyTorch's reshape makes here
        return Reshape.apply(self, shape)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, _int, Size)):
            return self.to(shape[0])  # view(dtype)
        shape = _shape_arg(shape)
        if not self._data.flags.c_contiguous and not _viewable(self._data, shape):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return Reshape.apply(self, shape)

    def view_as(self, other):
        return Reshape.apply(self, other._data.shape)

    def reshape_as(self, other):
        return Reshape.apply(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self._data.shape
        nd = len(shape)
        if nd == 0:
            return Reshape.apply(self, (1,))
        s = _norm_dim(start_dim, nd)
        e = _norm_dim(end_dim, nd)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return Reshape.apply(self, shape[:s] + (n,) + shape[e + 1:])

    def squeeze(self, dim=None):
        shape = self._data.shape
        if dim is None:
            new = tuple(d for d in shape if d != 1)
            return Squeeze.apply(self, new)
        multi = isinstance(dim, (tuple, list))
        dims = dim if multi else (dim,)
        dims = {_norm_dim(d, len(shape)) for d in dims}
        # a dim whose size is not 1 is left alone (PyTorch: no error)
        new = tuple(d for i, d in enumerate(shape) if not (i in dims and d == 1))
        return (SqueezeDims if multi else SqueezeDim).apply(self, new)

    def unsqueeze(self, dim):
        return Unsqueeze.apply(self, _norm_dim(dim, self._data.ndim + 1))

    def permute(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {nd} is "
                f"not equal to len(dims) = {len(dims)}"
            )
        return Permute.apply(self, tuple(_norm_dim(d, nd) for d in dims))

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        if nd == 0:
            return self
        return Transpose.apply(self, _norm_dim(dim0, nd), _norm_dim(dim1, nd))

    swapaxes = transpose

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return TransposeT.apply(self)

    @property
    def T(self):  # noqa: N802
        nd = self._data.ndim
        if nd != 2:
            import warnings

            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
        return Permute.apply(self, tuple(range(nd - 1, -1, -1)))

    @property
    def mT(self):  # noqa: N802
        return self.transpose(-2, -1)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        cur = self._data.shape
        lead = len(shape) - len(cur)
        if lead < 0:
            raise RuntimeError(
                f"expand({_dtype._PREFIX[0]}.FloatTensor{{{list(cur)}}}, size={list(shape)}): the "
                f"number of sizes provided ({len(shape)}) must be greater or equal to the number "
                f"of dimensions in the tensor ({len(cur)})"
            )
        for i in range(lead):
            if shape[i] < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i]}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
        full = tuple(cur[i - lead] if s == -1 else s for i, s in enumerate(shape))
        return Expand.apply(self, full)

    def expand_as(self, other):
        return self.expand(other._data.shape)

    # -- indexing -----------------------------------------------------------------------------

    def __getitem__(self, key):
        """Basic indexing gives a view (its gradient is written back); integer arrays and
        boolean masks give a copy (its gradient is accumulated: repeated indices add up)."""
        if type(key) is _int:  # the common case first: x[i]
            n = self._data.shape[0] if self._data.ndim else 0
            if not -n <= key < n:
                if self._data.ndim == 0:
                    raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in "
                                     "Python or `tensor.item<T>()` in C++ to convert a 0-dim "
                                     "tensor to a number")
                raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
            # (i, ...): NumPy gives a 0-d view, not a copied scalar, when i picks one element
            out = Select.apply(self, (key, Ellipsis))
        else:
            key, advanced = normalize_key(key, self._data.shape)
            if advanced:
                if any(type(k) is _int for k in key):
                    return _index_ints_first(self, key)
                return Index.apply(self, key)
            out = basic_index_op(key).apply(self, key)
        out._vc = _counter(self)  # a view: in-place changes show in both and count for both
        return out

    def __setitem__(self, key, value) -> None:
        """``x[key] = value`` in place (PyTorch's ``index_put_`` / ``CopySlices``)."""
        if self.grad_fn is None and self.requires_grad and _mode.enabled:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        key, advanced = normalize_key(key, self._data.shape)
        v_rg = isinstance(value, Tensor) and value.requires_grad
        if isinstance(value, Tensor):
            if value._data.dtype != self._data.dtype:
                value = value.to(_dtype.from_numpy_dtype(self._data.dtype))
            v_data = value._data
        else:
            v_data = np.asarray(value)
        target_shape = np.empty(self._data.shape, dtype=np.bool_)[key].shape
        v_shape = v_data.shape
        while len(v_shape) > len(target_shape) and v_shape[0] == 1:
            v_shape = v_shape[1:]  # leading 1s of the value are dropped, as in PyTorch
        if not _broadcastable(v_shape, target_shape) or \
                np.broadcast_shapes(v_shape, target_shape) != target_shape:
            if advanced:
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(v_data.shape)} cannot be "
                    f"broadcast to indexing result of shape {list(target_shape)}"
                )
            _expand_error(v_shape, target_shape)
        if v_shape != v_data.shape:
            v_data = v_data.reshape(v_shape)
            if isinstance(value, Tensor):
                value = value.reshape(v_shape)
        if _mode.enabled and (self.requires_grad or v_rg):
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            if not isinstance(value, Tensor):
                value = _wrap(v_data.astype(self._data.dtype, copy=False), False, None)
            _function.state.epoch += 1  # a rebase: earlier consumers keep the old history
            res = (IndexPut if advanced else CopySlices).apply(old, value, key)
            # the node keeps no reference to this tensor's memory, so writing into it is safe
            np.copyto(self._data, res._data)
            view_fn = self.grad_fn
            self.grad_fn = res.grad_fn
            self.requires_grad = True
            _counter(self)[0] += 1
            if view_fn is not None and view_fn.inputs:
                _inplace_on_view(self, view_fn)  # x[i][j] = v: x records it too
            return
        else:
            self._data[key] = v_data
        _counter(self)[0] += 1

    def select(self, dim, index):
        nd = self._data.ndim
        d = _norm_dim(dim, nd, "select()")
        size = self._data.shape[d]
        if not -size <= index < size:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size "
                f"{list(self._data.shape)} at dimension {dim}"
            )
        out = Select.apply(self, (slice(None),) * d + (_int(index),))
        out._vc = _counter(self)
        return out

    def narrow(self, dim, start, length):
        d = _norm_dim(dim, self._data.ndim)
        size = self._data.shape[d]
        if start < 0:
            start += size
        if not 0 <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})"
            )
        if start + length > size:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size})."
            )
        out = Slice.apply(self, (slice(None),) * d + (slice(start, start + length),))
        out._vc = _counter(self)
        return out

    def split(self, split_size, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the sizes in a
        list."""
        d = _norm_dim(dim, self._data.ndim)
        size = self._data.shape[d]
        if isinstance(split_size, (list, tuple)):
            sizes = [_int(n) for n in split_size]
            if builtins.sum(sizes) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                    f"tensor's size at dimension {dim}), but got split_sizes={sizes}"
                )
        else:
            n = _int(split_size)
            if n <= 0 and size:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {size}")
            sizes = [n] * (size // n) + ([size % n] if size % n else []) if n else [0]
        op = SplitWithSizesPiece if isinstance(split_size, (list, tuple)) else SplitPiece
        lead = (slice(None),) * d
        pieces = []
        start = 0
        for n in sizes:
            piece = op.apply(self, lead + (slice(start, start + n),))
            piece._vc = _counter(self)
            pieces.append(piece)
            start += n
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " f"{chunks}")
        size = self._data.shape[_norm_dim(dim, self._data.ndim)]
        return self.split(max(-(-size // chunks), 1) if size else 1, dim)

    def unbind(self, dim=0):
        d = _norm_dim(dim, self._data.ndim)
        lead = (slice(None),) * d
        pieces = []
        for i in range(self._data.shape[d]):
            piece = UnbindPiece.apply(self, lead + (i,))
            piece._vc = _counter(self)
            pieces.append(piece)
        return tuple(pieces)

    def repeat(self, *sizes):
        reps = _shape_arg(sizes)
        if len(reps) < self._data.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        return Repeat.apply(self, reps)

    def tile(self, *dims):
        reps = _shape_arg(dims)
        reps = (1,) * (self._data.ndim - len(reps)) + reps  # fewer reps than dims: pad with 1s
        return self.repeat(*reps)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (``dim=None``: of the flattened tensor) repeated ``repeats`` times."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _norm_dim(dim, self._data.ndim)
        n = x._data.shape[d]
        reps = repeats._data if isinstance(repeats, Tensor) else repeats
        index = np.repeat(np.arange(n), reps)
        return x.index_select(d, index)

    def roll(self, shifts, dims=None):
        if isinstance(shifts, (list, tuple)):
            shifts = tuple(_int(s) for s in shifts)
        else:
            shifts = _int(shifts)
        if dims is not None:
            dims = tuple(_norm_dim(d, self._data.ndim) for d in
                         (dims if isinstance(dims, (list, tuple)) else (dims,)))
            if not isinstance(shifts, tuple):
                shifts = (shifts,) * 1
            if len(shifts) != len(dims):
                raise RuntimeError(
                    f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
                )
        return Roll.apply(self, shifts, dims)

    def broadcast_to(self, size):
        return self.expand(size)

    def masked_select(self, mask):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(
                "masked_select: expected BoolTensor for mask"
            )
        shape = np.broadcast_shapes(m.shape, self._data.shape)
        x = self if self._data.shape == shape else self.expand(shape)
        m = np.broadcast_to(m, shape)
        return MaskedSelect.apply(x, np.nonzero(m))

    def _scatter_key(self, dim, index, name):
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype != np.int64:
            raise RuntimeError(f"{name}(): Expected dtype int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as self tensor"
            )
        size = self._data.shape[d]
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)].flat[0])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
        grids[d] = idx
        return tuple(grids), idx.shape

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """``out[index[i][j]][j] = src[i][j]`` for dim 0 (likewise for other dims)."""
        if reduce is not None:
            raise NotImplementedError("scatter(reduce=...) is not supported; use scatter_add")
        if src is None:
            src = value
        key, ishape = self._scatter_key(dim, index, "scatter")
        if isinstance(src, Tensor):
            cut = tuple(slice(n) for n in ishape)
            src = src if src._data.shape == ishape else src[cut]
            if src._data.dtype != self._data.dtype:
                src = src.to(self.dtype)
            return Scatter.apply(self, src, key)
        return ScatterValue.apply(self, src, key)

    def scatter_add(self, dim, index, src):
        """``out[index[i][j]][j] += src[i][j]`` for dim 0: repeated indices add up."""
        key, ishape = self._scatter_key(dim, index, "scatter_add")
        cut = tuple(slice(n) for n in ishape)
        src = src if src._data.shape == ishape else src[cut]
        return ScatterAdd.apply(self, src, key)

    def index_add(self, dim, index, source, *, alpha=1):
        """``out[..., index[i], ...] += alpha * source[..., i, ...]`` along ``dim``."""
        d = _norm_dim(dim, self._data.ndim)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if alpha != 1:
            source = source * alpha
        return IndexAdd.apply(self, source, (slice(None),) * d + (idx,))

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._inplace_from(lambda t: t.scatter(dim, index, src, value, reduce=reduce),
                                  src)

    def scatter_add_(self, dim, index, src):
        return self._inplace_from(lambda t: t.scatter_add(dim, index, src), src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace_from(lambda t: t.index_add(dim, index, source, alpha=alpha), source)

    # in-place versions of one-input math: recorded as the out-of-place op (torch's node names)
    def relu_(self):
        return self._inplace_from(Tensor.relu, None)

    def exp_(self):
        return self._inplace_from(Tensor.exp, None)

    def log_(self):
        return self._inplace_from(Tensor.log, None)

    def sqrt_(self):
        return self._inplace_from(Tensor.sqrt, None)

    def sigmoid_(self):
        return self._inplace_from(Tensor.sigmoid, None)

    def tanh_(self):
        return self._inplace_from(Tensor.tanh, None)

    def abs_(self):
        return self._inplace_from(Tensor.abs, None)

    def neg_(self):
        return self._inplace_from(Tensor.neg, None)

    def sin_(self):
        return self._inplace_from(Tensor.sin, None)

    def cos_(self):
        return self._inplace_from(Tensor.cos, None)

    def square_(self):
        return self._inplace_from(Tensor.square, None)

    def reciprocal_(self):
        return self._inplace_from(Tensor.reciprocal, None)

    def floor_(self):
        return self._inplace_from(Tensor.floor, None)

    def ceil_(self):
        return self._inplace_from(Tensor.ceil, None)

    def round_(self, decimals=0):
        return self._inplace_from(lambda t: t.round(decimals), None)

    def trunc_(self):
        return self._inplace_from(Tensor.trunc, None)

    def clamp_min(self, min):  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        return self.clamp(max=max)

    def clamp_min_(self, min):  # noqa: A002
        return self.clamp_(min=min)

    def clamp_max_(self, max):  # noqa: A002
        return self.clamp_(max=max)

    def _inplace_from(self, op, other):
        """Run the out-of-place ``op`` and write its result into this tensor (recorded like
        masked_fill_: a stand-in carries the old history)."""
        self._check_inplace()
        o_rg = isinstance(other, Tensor) and other.requires_grad
        if _mode.enabled and (self.requires_grad or o_rg):
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            return self._take(op(old))
        with _NoGrad():
            res = op(self)
        np.copyto(self._data, res._data)
        _counter(self)[0] += 1
        return self

    def flip(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        return Flip.apply(self, tuple(_norm_dim(d, nd) for d in dims))

    def gather(self, dim, index):
        nd = self._data.ndim
        d = _norm_dim(dim, nd)
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype != np.int64:
            raise RuntimeError("gather(): Expected dtype int64 for index")
        if idx.ndim != max(nd, 1) and not (nd == 0 and idx.ndim <= 1):
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input tensor"
            )
        x = self if nd else self.reshape(1)
        for i, n in enumerate(idx.shape):
            if i != d and n > x._data.shape[i]:
                raise RuntimeError(
                    f"Size does not match at dimension {i} expected index {list(idx.shape)} to "
                    f"be smaller than self {list(self._data.shape)} apart from dimension {d}"
                )
        size = x._data.shape[d]
        if idx.size and ((idx >= size) | (idx < -size)).any():
            bad = _int(idx[(idx >= size) | (idx < -size)].flat[0])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        out = Gather.apply(x, d, idx)
        return out if nd else out.reshape(idx.shape)

    def masked_fill(self, mask, value):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(
                f"masked_fill_ only supports boolean masks, but got mask with dtype "
                f"{_dtype.from_numpy_dtype(m.dtype).name}"
            )
        try:
            np.broadcast_shapes(m.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({list(self._data.shape)}) must match the size of tensor "
                f"b ({list(m.shape)})"
            ) from None
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise RuntimeError(
                    "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                    f"with {value._data.ndim} dimension(s)."
                )
            return MaskedFillTensor.apply(self, m, value)
        return MaskedFill.apply(self, m, value)

    def masked_fill_(self, mask, value):
        self._check_inplace()
        v_rg = isinstance(value, Tensor) and value.requires_grad
        if _mode.enabled and (self.requires_grad or v_rg):
            # record on a stand-in that carries the old history, then take over the new node
            old = _wrap(self._data, self.requires_grad, self.grad_fn)
            return self._take(old.masked_fill(mask, value))
        with _NoGrad():
            res = self.masked_fill(mask, value)
        np.copyto(self._data, res._data)
        _counter(self)[0] += 1
        return self

    def _take(self, res):
        """Become ``res`` in place (an in-place op recorded as its out-of-place version)."""
        np.copyto(self._data, res._data)
        self.grad_fn = res.grad_fn
        self.requires_grad = True
        _counter(self)[0] += 1
        return self

    # -- comparisons (no gradient) ------------------------------------------------------------

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def __and__(self, other):
        return _compare(np.logical_and if self._data.dtype.kind == "b" else np.bitwise_and,
                        self, other)

    def __or__(self, other):
        return _compare(np.logical_or if self._data.dtype.kind == "b" else np.bitwise_or,
                        self, other)

    def __xor__(self, other):
        return _compare(np.logical_xor if self._data.dtype.kind == "b" else np.bitwise_xor,
                        self, other)

    def __invert__(self):
        if self._data.dtype.kind == "b":
            return _wrap(np.logical_not(self._data), False, None)
        return _wrap(np.invert(self._data), False, None)

    def logical_not(self):
        return _wrap(np.logical_not(self._data), False, None)

    def logical_and(self, other):
        return _compare(np.logical_and, self, other)

    def logical_or(self, other):
        return _compare(np.logical_or, self, other)

    def logical_xor(self, other):
        return _compare(np.logical_xor, self, other)

    def isnan(self):
        return _wrap(np.isnan(self._data), False, None)

    def isinf(self):
        return _wrap(np.isinf(self._data), False, None)

    def isfinite(self):
        return _wrap(np.isfinite(self._data), False, None)

    def all(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim) if self._data.ndim else None
        return _wrap(np.asarray(np.all(self._data, axis=axis, keepdims=keepdim)), False, None)

    def any(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim) if self._data.ndim else None
        return _wrap(np.asarray(np.any(self._data, axis=axis, keepdims=keepdim)), False, None)

    def count_nonzero(self, dim=None):
        return _wrap(np.asarray(np.count_nonzero(self._data, axis=dim), dtype=np.int64), False,
                     None)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        other = other._data if isinstance(other, Tensor) else other
        return _wrap(np.isclose(self._data, other, rtol=rtol, atol=atol, equal_nan=equal_nan),
                     False, None)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _bool(self.isclose(other, rtol, atol, equal_nan)._data.all())

    def equal(self, other) -> bool:
        """True if both have the same shape and the same values."""
        return self._data.shape == other._data.shape and _bool((self._data == other._data).all())


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
        _function.state.epoch += 1
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


def _check_cast(data, other) -> None:
    """``data op= other`` may not move down a category (float -> int, int -> bool), torch's error.

    The result type is PyTorch's (a Python float is float32), not the NumPy result's.
    """
    target = data.dtype
    if isinstance(other, Tensor):
        result = _result_dtype(data, other._data)
    elif isinstance(other, _bool) or other is None:
        result = target
    elif isinstance(other, _int):
        result = target if target.kind != "b" else np.dtype(np.int64)
    elif isinstance(other, _float):
        result = target if target.kind == "f" else np.dtype(np.float32)
    else:
        result = np.result_type(data, other)
    if _CATEGORY[result.kind] > _CATEGORY[target.kind]:
        names = _function._TYPE_NAMES
        raise RuntimeError(
            f"result type {names[result.name]} can't be cast to the desired output type "
            f"{names[target.name]}"
        )


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
            return op.apply(a, b)
        except OverflowError:
            # NumPy refuses e.g. uint8 + (-1); PyTorch wraps the scalar into the dtype
            if op is Pow:
                raise RuntimeError("Integers to negative integer powers are not allowed.") from None
            return op.apply(a, np.asarray(b, dtype=np.int64).astype(a._data.dtype))
    elif isinstance(b, np.generic):
        # a NumPy number counts as a Python number; PyTorch reads np.bool_ as a float
        return _binary(op, a, _float(b) if b.dtype.kind == "b" else b.item())
    else:
        b = _operand(b, a)
        return _binary(op, a, b)
    return op.apply(a, b)


def _compare(fn, a, b):
    other = b._data if isinstance(b, Tensor) else b
    if isinstance(other, (list, tuple)):
        other = np.asarray(other)
    try:
        return _wrap(np.asarray(fn(a._data, other)), False, None)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(a._data.shape)}) must match the size of tensor b "
            f"({list(np.shape(other))})"
        ) from None


def _floating(x):
    """Float ops on integer tensors compute in the default float dtype, as in PyTorch."""
    return x if x._data.dtype.kind == "f" else x.float()


def _index_ints_first(x, key):
    """``x[key]`` with integers and integer arrays: PyTorch selects the integers first (a view),
    then indexes the rest, so an integer never joins the arrays' broadcast as NumPy's does.
    The two steps are two nodes, as in PyTorch (SelectBackward0, then IndexBackward0)."""
    basic = tuple(slice(None) if isinstance(k, np.ndarray) else k for k in key)
    rest = []
    for k in key:
        if type(k) is _int:
            continue  # that dim is gone after the select
        rest.append(k if isinstance(k, np.ndarray) or k is Ellipsis else slice(None))
    if Ellipsis not in basic:
        basic = basic + (Ellipsis,)
    view = basic_index_op(basic).apply(x, basic)
    view._vc = _counter(x)
    return Index.apply(view, tuple(rest))


def _argsort(data, axis, descending):
    """Stable argsort along ``axis`` as int64; NaN counts as the largest value (PyTorch)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64)
    if data.dtype.kind == "b":
        data = data.astype(np.int8)
    if data.dtype.kind == "f":
        # primary key: NaN first; secondary: larger first (lexsort is stable, last key primary)
        return np.lexsort((-data, ~np.isnan(data)), axis=axis).astype(np.int64)
    return np.argsort(-data.astype(np.int64) if data.dtype.kind == "u" else -data, axis=axis,
                      kind="stable").astype(np.int64)


def _binary_args(op, a, b, *extra):
    """A two-tensor op with extra arguments, after PyTorch's dtype promotion of a and b."""
    if a._data.dtype != b._data.dtype:
        rt = _dtype.from_numpy_dtype(_result_dtype(a._data, b._data))
        a, b = a.to(rt), b.to(rt)
    return op.apply(a, b, *extra)


def _with_indices(op, x, dim, keepdim, name):
    """max(dim) / min(dim): (values, indices); the op picks the values at the indices."""
    from . import return_types

    axis = _norm_dim(dim, x._data.ndim)
    data = x._data
    if data.ndim == 0:
        values = op.apply(x.reshape(1), 0, False, np.zeros(1, dtype=np.int64))
        return getattr(return_types, name)(values, _wrap(np.zeros((), np.int64), False, None))
    idx = arg_extreme(data, axis, True, "arg" + name)
    values = op.apply(x, axis, keepdim, idx)
    indices = idx if keepdim else np.squeeze(idx, axis)
    return getattr(return_types, name)(values, _wrap(indices, False, None))


def _var_std(op, x, dim, unbiased, keepdim, correction):
    """var/std argument handling: ``var(False)`` (old positional unbiased), ``correction``."""
    if isinstance(dim, _bool):
        unbiased, dim = dim, None
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise RuntimeError("var/std: pass either unbiased or correction, not both")
    return op.apply(x, dim, correction, keepdim)


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _expand_error(shape, target):
    """PyTorch's error for broadcasting ``shape`` to ``target`` (expand, copy_, x[i] = v)."""
    lead = len(target) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    for i, n in enumerate(shape):
        if n != 1 and n != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}"
            )


def _viewable(data, shape) -> bool:
    """Whether a non-contiguous array can take ``shape`` without a copy (PyTorch's view rule)."""
    from .ops.shape import infer_shape

    shape = infer_shape(shape, data.size)
    try:
        np.reshape(data, shape, copy=False)
    except ValueError:
        return False
    except TypeError:  # NumPy < 2.1 has no copy=: setting .shape raises if it would copy
        view = data.view()
        try:
            view.shape = shape
        except AttributeError:
            return False
    return True

from .autograd import function as _function  # noqa: E402

_function._bind(Tensor, _wrap)

from .ops.elementwise import (  # noqa: E402  (ops import this module's _wrap)
    Add, Atan2, Clamp, Clone, Div, Fmod, FmodScalar, Lerp, LerpTensor, Maximum, Minimum, Mul, Neg,
    Pow, PowTensor, RDiv, Remainder, RemainderScalar, RPow, RSub, Sub,
)
from .ops.unary import (  # noqa: E402
    Abs, Acos, Asin, Atan, Ceil, Cos, Cosh, Exp, Expm1, Floor, Log, Log10, Log1p, Log2, NanToNum,
    Reciprocal,
    Relu, Round, RoundDecimals, Rsqrt, Sigmoid, Sign, Sin, Sinh, Sqrt, Tan, Tanh, Trunc,
)
from .ops.indexing import (  # noqa: E402
    CopySlices, DiagEmbed, Diagonal, Gather, Index, IndexAdd, IndexPut, IndexSelect, MaskedSelect,
    Scatter, ScatterAdd, ScatterValue, SortValues, TopkValues, MaskedFill, MaskedFillTensor, Select, Slice, SplitPiece,
    SplitWithSizesPiece, UnbindPiece,
    basic_index_op, normalize_key,
)
from .ops.linalg import (  # noqa: E402
    Addmm, Bmm, Cross, Det, Inverse, Trace, Tril, Triu, VectorNorm, matmul_op,
)
from .ops.reduce import (  # noqa: E402
    Amax, Amin, Cumprod, Cumsum, KthValue, LogSumExp, Median, MedianDim, Max, MaxDim, Mean, MeanDim, Min, MinDim, Prod, ProdDim, Std, Sum,
    SumDim, SumToSize, Var, arg_extreme,
)
from .ops.shape import (  # noqa: E402
    Expand, Flip, Permute, Repeat, Reshape, Roll, TransposeT, UnsafeView, Squeeze, SqueezeDim, SqueezeDims, Transpose,
    Unsqueeze,
)
from . import autograd as _autograd  # noqa: E402
from .autograd import engine as _engine  # noqa: E402

_ONES = {}


def _ones_like_scalar(data):
    """A read-only 1 of data's shape and dtype, cached (the seed of every loss.backward())."""
    key = (data.shape, data.dtype)
    one = _ONES.get(key)
    if one is None:
        one = np.ones(data.shape, data.dtype)
        one.flags.writeable = False
        _ONES[key] = one
    return one
