"""Shape ops: they move, copy or select elements; their gradients move them back.

Each docstring's first lines are the math. ``g`` is dL/dy.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


def infer_shape(shape, numel: int) -> tuple:
    """``shape`` with its one ``-1`` filled in, or PyTorch's error if it cannot hold ``numel``."""
    shape = tuple(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    """y = x viewed with a new shape
    grad_x = g reshaped to x's shape
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        new = infer_shape(shape, x.size)
        ctx.shape = x.shape
        return np.reshape(x, new)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.reshape(g, ctx.shape), None


class Squeeze(Function):
    """y = x without its size-1 dims
    grad_x = g reshaped to x's shape
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, new_shape):
        ctx.shape = x.shape
        return np.reshape(x, new_shape)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.reshape(g, ctx.shape), None


class SqueezeDim(Squeeze):
    """y = x without the size-1 dim ``dim`` (a no-op if that dim's size is not 1)
    grad_x = g reshaped to x's shape
    """

    __slots__ = ()
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    """y = x without those of ``dims`` that have size 1
    grad_x = g reshaped to x's shape
    """

    __slots__ = ()
    node_name = "SqueezeBackward2"


class Unsqueeze(Function):
    """y = x with a new size-1 dim at ``dim``
    grad_x = g with that dim removed
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.shape = x.shape
        return np.expand_dims(x, dim)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.reshape(g, ctx.shape), None


class Expand(Function):
    """y = x broadcast to a larger shape (a view)
    grad_x = g summed back to x's shape (done by the engine)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        lead = len(shape) - x.ndim
        for i in reversed(range(x.ndim)):  # PyTorch reports the last mismatching dim
            n = x.shape[i]
            if n != 1 and n != shape[lead + i]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[lead + i]}) must match the existing "
                    f"size ({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                    f"{list(shape)}.  Tensor sizes: {list(x.shape)}"
                )
        ctx._exact = False  # backward's g goes back to x's shape in the engine (_sum_to)
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Permute(Function):
    """y = x with its dims reordered
    grad_x = g with the inverse order
    """

    __slots__ = ("dims",)
    _raw = True
    _unary = True
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.permute(g, tuple(int(d) for d in np.argsort(ctx.dims))), None


class Transpose(Function):
    """y = x with dims d0 and d1 swapped
    grad_x = g with them swapped back
    """

    __slots__ = ("d0", "d1")
    _raw = True
    _unary = True
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.d0 = d0
        ctx.d1 = d1
        return np.swapaxes(x, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.swapaxes(g, ctx.d0, ctx.d1), None, None


class Cat(Function):
    """y = [x_1; x_2; ...] joined along dim
    grad_x_k = the slice of g that x_k filled
    """

    __slots__ = ("dim", "sizes")
    _raw = True
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = tuple(x.shape[dim] for x in xs)
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = [None]
        lead = (slice(None),) * ctx.dim
        start = 0
        for t, n in zip(ctx.inputs[1:], ctx.sizes):
            if t is not None:
                grads.append(g[lead + (slice(start, start + n),)])
            else:
                grads.append(None)
            start += n
        return tuple(grads)


class Stack(Function):
    """y[..., k, ...] = x_k   (the x_k stacked along a new dim)
    grad_x_k = g[..., k, ...]
    """

    __slots__ = ("dim",)
    _raw = True
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return (None,) + tuple(
            g[lead + (k,)] if t is not None else None for k, t in enumerate(ctx.inputs[1:])
        )


class Repeat(Function):
    """y = x tiled reps[d] times along each dim d   (``x.repeat(*reps)``, NumPy's tile)
    grad_x = g cut into the tiles, summed over the tiles
    """

    __slots__ = ("reps", "shape")
    _raw = True
    _unary = True
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        ctx.reps = reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.shape)) + tuple(ctx.shape)
        # (r0*s0, r1*s1, ...) -> (r0, s0, r1, s1, ...): sum the r axes away
        split = []
        for r, s in zip(reps, padded):
            split.extend((r, s))
        grad = ns.sum(ns.reshape(g, tuple(split)), tuple(range(0, 2 * len(reps), 2)))
        return ns.reshape(grad, ctx.shape), None


class Flip(Function):
    """y = x reversed along dims
    grad_x = g reversed along the same dims
    """

    __slots__ = ("dims",)
    _raw = True
    _unary = True
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims)

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.flip(g, ctx.dims), None


class Roll(Function):
    """y = x shifted by ``shifts`` along ``dims``, wrapping around (flattened if no dims)
    grad_x = g shifted back
    """

    __slots__ = ("dims", "shape", "shifts")
    _raw = True
    _unary = True
    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts = shifts
        ctx.dims = dims
        ctx.shape = x.shape
        if dims is None:
            return np.roll(x.reshape(-1), shifts).reshape(x.shape)
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        if ctx.dims is None:
            flat = ns.roll(ns.reshape(g, (-1,)), back, 0)
            return ns.reshape(flat, ctx.shape), None, None
        return ns.roll(g, back, ctx.dims), None, None


class UnsafeView(Reshape):
    """y = x copied into a new shape   (``reshape`` of a tensor whose strides allow no view)
    grad_x = g reshaped to x's shape
    """

    __slots__ = ()
    node_name = "UnsafeViewBackward0"


class TransposeT(Function):
    """y = x with its two dims swapped   (``x.t()``: matrices; vectors stay as they are)
    grad_x = g swapped back
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.T

    @staticmethod
    def backward(ctx, g):
        return ctx.ns.permute(g, tuple(range(g.ndim - 1, -1, -1)))
