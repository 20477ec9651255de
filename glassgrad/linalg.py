"""``glassgrad.linalg``: PyTorch's ``torch.linalg`` names: norms, inv, det, solve, cross."""

from __future__ import annotations

__all__ = ["cross", "det", "inv", "matrix_norm", "norm", "solve", "vector_norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements by default): ``2`` is the Euclidean
    length, ``1`` the sum of absolute values, ``inf`` the largest absolute value.

    >>> import glassgrad as gg
    >>> gg.linalg.vector_norm(gg.tensor([3.0, -4.0]), ord=1).item()
    7.0
    """
    return x.norm(ord, dim, keepdim, dtype=dtype)


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The Frobenius norm of the matrices in the last two dims (other orders: not yet)."""
    if ord != "fro":
        raise NotImplementedError(
            f"linalg.matrix_norm: ord={ord!r} is not supported by glassgrad; ord='fro' is"
        )
    return x.norm(2, dim, keepdim, dtype=dtype)


def norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` of the flattened tensor when ``ord`` is None, else the vector norm of a
    1-D ``dim`` or the matrix norm of a 2-D one (PyTorch's dispatch)."""
    if ord is None:
        return x.norm(2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and isinstance(dim, (tuple, list))
                                and len(dim) == 2) or (dim is None and x.dim() == 2):
        return matrix_norm(x, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(x, ord, dim, keepdim, dtype=dtype)


def inv(a):
    """The inverse of each square matrix: ``inv(A) @ A = I``."""
    return a.inverse()


def det(a):
    """The determinant of each square matrix."""
    return a.det()


def solve(a, b, *, left=True):
    """The X with ``A @ X = B`` (B a batch of vectors when it has one dim fewer than A).

    >>> import glassgrad as gg
    >>> a = gg.tensor([[2.0, 0.0], [0.0, 4.0]])
    >>> gg.linalg.solve(a, gg.tensor([2.0, 2.0])).tolist()
    [1.0, 0.5]
    """
    from .ops.linalg import Solve
    from .tensor import _binary_args

    if not left:
        raise NotImplementedError("linalg.solve(left=False) is not supported by glassgrad")
    a._check_square("linalg.solve")
    return _binary_args(Solve, a, b)


def cross(a, b, *, dim=-1):
    return a.cross(b, dim)
