"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class MatMul(Function):
    """y = a @ b   (1-D, 2-D and batched, NumPy/PyTorch matmul rules)
    grad_a = g @ b^T,  grad_b = a^T @ g   (vectors treated as 1-row / 1-column matrices)
    """

    __slots__ = ()
    _raw = True
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ns = ctx.ns
        inputs = ctx.inputs
        a_nd, b_nd = a.ndim, b.ndim
        if a_nd == 1 and b_nd == 1:
            # a dot product: y = sum_i a_i b_i, g is 0-d
            return (g * b if inputs[0] is not None else None,
                    g * a if inputs[1] is not None else None)
        # promote vectors to matrices so one rule covers every case, then undo
        if a_nd == 1:
            a = ns.unsqueeze(a, 0)  # (k,) -> (1, k)
        if b_nd == 1:
            b = ns.unsqueeze(b, -1)  # (k,) -> (k, 1)
        # give g back the dims the vector cases dropped from the output
        if a_nd == 1 and b_nd == 1:
            g = ns.reshape(g, (1, 1))
        elif a_nd == 1:
            g = ns.unsqueeze(g, -2)
        elif b_nd == 1:
            g = ns.unsqueeze(g, -1)
        grad_a = grad_b = None
        if inputs[0] is not None:
            grad_a = ns.matmul(g, ns.swapaxes(b, -1, -2))
            if a_nd == 1:
                grad_a = ns.reshape(grad_a, grad_a.shape[:-2] + grad_a.shape[-1:])
        if inputs[1] is not None:
            grad_b = ns.matmul(ns.swapaxes(a, -1, -2), g)
            if b_nd == 1:
                grad_b = ns.reshape(grad_b, grad_b.shape[:-1])
        return grad_a, grad_b


class Mv(MatMul):
    """y = A @ v   (a matrix times a vector)
    grad_A = outer(g, v),  grad_v = A^T @ g
    """

    __slots__ = ()
    node_name = "MvBackward0"


class Dot(MatMul):
    """y = a @ b = sum_i a_i * b_i   (two vectors)
    grad_a = g * b,  grad_b = g * a
    """

    __slots__ = ()
    node_name = "DotBackward0"


def matmul_op(a_ndim: int, b_ndim: int):
    """The class whose node name PyTorch shows for ``a @ b`` of these ranks."""
    if b_ndim == 1:
        if a_ndim == 1:
            return Dot
        if a_ndim == 2:
            return Mv
    return MatMul


class Bmm(MatMul):
    """y[n] = a[n] @ b[n]   (batches of matrices, both 3-D)
    grad_a = g @ b^T,  grad_b = a^T @ g   (per batch)
    """

    __slots__ = ()
    node_name = "BmmBackward0"


class Einsum(Function):
    """y = einsum(subscripts, x_1, ..., x_n)   (sums of products over the named indices)
    grad_x_k = einsum(out, the other operands -> x_k's indices)(g, ...)   (broadcast where an
    index of x_k appears nowhere else)
    """

    __slots__ = ("out", "shapes", "subs")
    _raw = True
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, subscripts, *xs):
        ins, out = _parse_einsum(subscripts, [x.ndim for x in xs])
        ctx.subs = ins
        ctx.out = out
        ctx.shapes = [x.shape for x in xs]
        ctx.save_for_backward(*xs)
        return np.asarray(np.einsum(f"{','.join(ins)}->{out}", *xs))

    @staticmethod
    def backward(ctx, g):
        xs = ctx.saved_tensors
        ns = ctx.ns
        grads = [None]
        for k, sub in enumerate(ctx.subs):
            if ctx.inputs[k + 1] is None:
                grads.append(None)
                continue
            if len(set(sub)) != len(sub):
                raise NotImplementedError(
                    f"einsum backward: operand {k} repeats an index ('{sub}', a diagonal); "
                    "glassgrad differentiates einsum only without repeated indices"
                )
            others = [s for i, s in enumerate(ctx.subs) if i != k]
            known = set(ctx.out).union(*others) if others else set(ctx.out)
            kept = "".join(c for c in sub if c in known)
            spec = ",".join([ctx.out] + others) + "->" + kept
            grad = ns.einsum(spec, g, *[x for i, x in enumerate(xs) if i != k])
            if kept != sub:
                # an index only in x_k was summed away: every position got the same gradient
                shape = tuple(n if c in kept else 1 for c, n in zip(sub, ctx.shapes[k]))
                grad = ns.expand(ns.reshape(grad, shape), ctx.shapes[k])
            grads.append(grad)
        return tuple(grads)


def _parse_einsum(subscripts: str, ndims):
    """``"ij,jk->ik"`` as (["ij", "jk"], "ik"); ``...`` becomes explicit letters; an implicit
    output is the indices that appear once, sorted (NumPy's and PyTorch's rule)."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise RuntimeError(
            f"einsum(): {len(ins)} operands in the equation but {len(ndims)} were given"
        )
    used = set(subscripts) - set(".,->")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    n_ell = max((nd - (len(s) - 3) for s, nd in zip(ins, ndims) if "..." in s), default=0)
    ell = "".join(free[:n_ell])
    ins = [s.replace("...", ell[n_ell - (nd - (len(s) - 3)):]) if "..." in s else s
           for s, nd in zip(ins, ndims)]
    for s, nd in zip(ins, ndims):
        if len(s) != nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match "
                f"the number of dimensions ({nd}) for an operand"
            )
    if out is None:
        counts = {}
        for c in "".join(ins):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return ins, out


class Trace(Function):
    """y = sum_i x[i, i]
    grad_x = g * I
    """

    __slots__ = ("shape",)
    _raw = True
    _unary = True
    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return np.asarray(np.trace(x))

    @staticmethod
    def backward(ctx, g):
        eye = np.eye(ctx.shape[0], ctx.shape[1], dtype=bool)
        return g * ctx.ns.mask(eye, g)


class Tril(Function):
    """y = x with the entries above diagonal k set to 0   (lower triangle)
    grad_x = g with the same entries set to 0
    """

    __slots__ = ("keep",)
    _raw = True
    _unary = True
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k=0):
        keep = np.tri(x.shape[-2], x.shape[-1], k, dtype=bool)
        ctx.keep = keep
        return np.where(keep, x, np.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, g):
        return g * ctx.ns.mask(ctx.keep, g), None


class Triu(Tril):
    """y = x with the entries below diagonal k set to 0   (upper triangle)
    grad_x = g with the same entries set to 0
    """

    __slots__ = ()
    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, k=0):
        keep = ~np.tri(x.shape[-2], x.shape[-1], k - 1, dtype=bool)
        ctx.keep = keep
        return np.where(keep, x, np.zeros((), x.dtype))


class VectorNorm(Function):
    """y = (sum_i |x_i|**p)**(1/p)   (p = 2: sqrt(sum x**2); p = inf: max |x|)
    grad_x = g_b * sign(x) * |x|**(p-1) / y_b**(p-1)   (p = 2: g_b * x / y_b; 0 where y == 0)
    """

    __slots__ = ("axis", "ord")
    _raw = True
    _unary = True
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, ord=2, dim=None, keepdim=False):
        from .reduce import _axes

        axis = _axes(dim, x.ndim)
        a = np.abs(x)
        if ord == 2:
            y = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdim))
        elif ord == 1:
            y = np.sum(a, axis=axis, keepdims=keepdim)
        elif ord == float("inf"):
            y = np.max(a, axis=axis, keepdims=keepdim)
        elif ord == float("-inf"):
            y = np.min(a, axis=axis, keepdims=keepdim)
        elif ord == 0:
            y = np.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
        else:
            y = np.sum(a**ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
        y = np.asarray(y, dtype=x.dtype)
        ctx.ord = ord
        ctx.axis = axis
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        from .reduce import _keep

        x, y = ctx.saved_tensors
        ns = ctx.ns
        p = ctx.ord
        y_b = _keep(y, x.shape, ctx.axis, ns)
        g_b = _keep(g, x.shape, ctx.axis, ns)
        if p == 0:
            return 0 * g_b * x, None, None, None
        if p == 1:
            return g_b * ns.sign(x), None, None, None
        if p in (float("inf"), float("-inf")):
            # like amax: the extreme entries share the gradient evenly
            hit = ns.mask(ns.abs(x) == y_b, x)
            return g_b * ns.sign(x) * hit / ns.sum(hit, ctx.axis, True), None, None, None
        zero = ns.mask(y_b == 0, y_b)
        safe_y = y_b + zero  # 0/0 where the norm is 0: define the gradient as 0 (PyTorch)
        if p == 2:
            grad = g_b * x / safe_y
        else:
            grad = g_b * ns.sign(x) * ns.abs(x) ** (p - 1) / safe_y ** (p - 1)
        return grad * (1 - zero), None, None, None


class Addmm(Function):
    """y = beta * c + alpha * (a @ b)   (a, b matrices; c broadcast to the product's shape)
    grad_c = beta * g,  grad_a = alpha * g @ b^T,  grad_b = alpha * a^T @ g
    """

    __slots__ = ("alpha", "beta")
    _raw = True
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.alpha = alpha
        ctx.beta = beta
        ctx.save_for_backward(a, b)
        prod = a @ b
        return (beta * c if beta != 1 else c) + (alpha * prod if alpha != 1 else prod)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        inputs = ctx.inputs
        alpha = ctx.alpha
        grad_c = (ctx.beta * g if ctx.beta != 1 else g) if inputs[0] is not None else None
        grad_a = alpha * (g @ b.T) if inputs[1] is not None else None
        grad_b = alpha * (a.T @ g) if inputs[2] is not None else None
        return grad_c, grad_a, grad_b, None, None


class Inverse(Function):
    """Y = A^-1   (batches of square matrices)
    grad_A = -Y^T @ g @ Y^T
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                "linalg.inv: the inversion could not be completed because the input matrix is "
                "singular."
            ) from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        ns = ctx.ns
        y_t = ns.swapaxes(y, -1, -2)
        return -ns.matmul(ns.matmul(y_t, g), y_t)


class Det(Function):
    """y = det(A)   (batches of square matrices)
    grad_A = g * y * (A^-1)^T   (invertible A)
    """

    __slots__ = ()
    _raw = True
    _unary = True
    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        y = np.asarray(np.linalg.det(a), dtype=a.dtype)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        ns = ctx.ns
        scale = ns.unsqueeze(ns.unsqueeze(g * y, -1), -1)
        return scale * ns.swapaxes(ns.inverse(a), -1, -2)


class Solve(Function):
    """X = A^-1 @ B   (``linalg.solve``: the X with A @ X = B)
    grad_B = A^-T @ g,  grad_A = -grad_B @ X^T
    """

    __slots__ = ("vector",)
    _raw = True
    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b):
        # B is a batch of vectors when it has one dim fewer than A (PyTorch's rule)
        vector = b.ndim == a.ndim - 1
        ctx.vector = vector
        bm = b[..., None] if vector else b
        try:
            x = np.linalg.solve(a, bm)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                "linalg.solve: The solver failed because the input matrix is singular."
            ) from None
        x = x[..., 0] if vector else x
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        ns = ctx.ns
        if ctx.vector:
            g = ns.unsqueeze(g, -1)
            x = ns.unsqueeze(x, -1)
        grad_b = ns.matmul(ns.swapaxes(ns.inverse(a), -1, -2), g)
        grad_a = -ns.matmul(grad_b, ns.swapaxes(x, -1, -2)) if ctx.inputs[0] is not None \
            else None
        if ctx.vector:
            grad_b = ns.reshape(grad_b, grad_b.shape[:-1])
        return grad_a, grad_b if ctx.inputs[1] is not None else None


class Cross(Function):
    """y = a x b   (the cross product of 3-vectors along dim)
    grad_a = b x g,  grad_b = g x a
    """

    __slots__ = ("dim",)
    _raw = True
    node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim=-1):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        return np.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ns = ctx.ns
        inputs = ctx.inputs
        grad_a = ns.cross(b, g, ctx.dim) if inputs[0] is not None else None
        grad_b = ns.cross(g, a, ctx.dim) if inputs[1] is not None else None
        return grad_a, grad_b, None
