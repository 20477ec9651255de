"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d, interpolate (nearest).

A pooling window has kh*kw taps. For tap (i, j), the values it sees at every output position
form one strided slice of the (padded) input: ``x[:, :, i*dh::sh, j*dw::sw]`` cut to (Ho, Wo).
So every pool here is a loop over the kh*kw taps doing one vectorised NumPy op on whole
(N, C, Ho, Wo) slices: a running max (or sum) forwards, a masked write (or add) backwards.
No loop ever runs over pixels, and no (N, C, Ho, Wo, kh*kw) window copy is made.

1-D pools run as 2-D ones over a height-1 image (PyTorch does the same, which is why their
grad_fn is ``SqueezeBackward1``).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, state


class PoolGeometry:
    """Sizes of a 2-D pooling over (N, C, H, W); ``ceil_mode`` as PyTorch computes it."""

    __slots__ = (
        "C",
        "H",
        "Ho",
        "Hp",
        "N",
        "W",
        "Wo",
        "Wp",
        "dh",
        "dw",
        "kh",
        "kw",
        "ph",
        "pw",
        "sh",
        "sw",
    )

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode):
        self.N, self.C, self.H, self.W = shape
        self.kh, self.kw = kernel
        self.sh, self.sw = stride
        self.ph, self.pw = padding
        self.dh, self.dw = dilation
        self.Ho = _pooled_size(self.H, self.kh, self.sh, self.ph, self.dh, ceil_mode)
        self.Wo = _pooled_size(self.W, self.kw, self.sw, self.pw, self.dw, ceil_mode)
        # the padded extent the windows reach (ceil_mode may reach past the padding)
        self.Hp = max(self.H + 2 * self.ph, (self.Ho - 1) * self.sh + self.dh * (self.kh - 1) + 1)
        self.Wp = max(self.W + 2 * self.pw, (self.Wo - 1) * self.sw + self.dw * (self.kw - 1) + 1)

    def taps(self):
        """(i, j, row slice, col slice) for each kernel tap, in PyTorch's scan order."""
        h_span = (self.Ho - 1) * self.sh + 1
        w_span = (self.Wo - 1) * self.sw + 1
        for i in range(self.kh):
            for j in range(self.kw):
                r, c = i * self.dh, j * self.dw
                yield i, j, slice(r, r + h_span, self.sh), slice(c, c + w_span, self.sw)

    def disjoint(self) -> bool:
        """True when no input pixel is in two windows (each tap's slices never collide)."""
        return (self.sh >= self.dh * (self.kh - 1) + 1) and (self.sw >= self.dw * (self.kw - 1) + 1)


def _pooled_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape: a last window must start inside the input or left pad."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _padded(x, geo, fill):
    """(N, C, H, W) -> (N, C, Hp, Wp) filled with ``fill`` around (no copy when Hp, Wp = H, W)."""
    if geo.Hp == geo.H and geo.Wp == geo.W:
        return x
    xp = np.full((geo.N, geo.C, geo.Hp, geo.Wp), fill, dtype=x.dtype)
    xp[:, :, geo.ph:geo.ph + geo.H, geo.pw:geo.pw + geo.W] = x
    return xp


def _unpad(gxp, geo):
    if gxp.shape[2] == geo.H and gxp.shape[3] == geo.W:
        return gxp
    return np.ascontiguousarray(gxp[:, :, geo.ph:geo.ph + geo.H, geo.pw:geo.pw + geo.W])


def max_pool_forward(x, geo):
    """Running max over the taps: (N, C, H, W) -> values (N, C, Ho, Wo) and the winning tap.

    ``tap`` holds i*kw + j of the first maximum in each window (PyTorch keeps the first one,
    a later value must be strictly greater to win): ties, e.g. zeros after a ReLU, go the same
    way as in PyTorch.
    """
    xp = _padded(x, geo, -np.inf)
    taps = geo.taps()
    _, _, rs, cs = next(taps)
    best = xp[:, :, rs, cs].copy()
    tap = np.zeros_like(best, dtype=np.uint8 if geo.kh * geo.kw < 256 else np.int32)
    for i, j, rs, cs in taps:
        v = xp[:, :, rs, cs]
        better = v > best
        np.maximum(best, v, out=best)
        # taps come in increasing order, so the latest strictly-better tap is the largest number
        np.maximum(tap, better * tap.dtype.type(i * geo.kw + j), out=tap)
    return best, tap


def max_pool_indices(tap, geo):
    """PyTorch's ``return_indices``: the winner's flat position h*W + w in the unpadded input."""
    i, j = np.divmod(tap.astype(np.int64), geo.kw)
    h = (np.arange(geo.Ho) * geo.sh - geo.ph)[:, None] + i * geo.dh  # (N, C, Ho, Wo)
    w = (np.arange(geo.Wo) * geo.sw - geo.pw)[None, :] + j * geo.dw
    return h * geo.W + w


class MaxPool2d(Function):
    """y[n,c,h,w] = max over the window's taps of x_pad[n, c, s*h + d*i, s*w + d*j]
    grad_x = g routed to the window's (first) maximum, summed where windows overlap
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        y, tap = max_pool_forward(x, geo)
        ctx.geo = geo
        ctx.save_for_backward(tap)
        return y

    @staticmethod
    def backward(ctx, g):
        (tap,) = ctx.saved_tensors
        geo = ctx.geo
        if state.higher:
            # differentiable form: scatter-add g into the winners' flat positions
            ns = ctx.ns
            tap = tap._data if hasattr(tap, "_data") else tap
            n_img = geo.N * geo.C
            base = (np.arange(n_img) * (geo.H * geo.W)).reshape(geo.N, geo.C, 1, 1)
            flat = (base + max_pool_indices(tap, geo)).reshape(-1)
            gx = ns.index_add((n_img * geo.H * geo.W,), flat, ns.reshape(g, (-1,)))
            return ns.reshape(gx, (geo.N, geo.C, geo.H, geo.W)), None
        gxp = np.zeros((geo.N, geo.C, geo.Hp, geo.Wp), dtype=g.dtype)
        disjoint = geo.disjoint()
        for i, j, rs, cs in geo.taps():
            won = tap == i * geo.kw + j
            if disjoint:
                np.multiply(g, won, out=gxp[:, :, rs, cs])
            else:
                gxp[:, :, rs, cs] += g * won
        return _unpad(gxp, geo), None


def _avg_divisor(geo, count_include_pad, divisor_override, dtype):
    """The (Ho, Wo) divisor of each window, as PyTorch's avg_pool2d computes it."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=dtype)

    def counts(n_out, k, s, p, size):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, size + p)
        pool = end - start
        if count_include_pad:
            return pool
        return np.minimum(end, size) - np.maximum(start, 0)

    rows = counts(geo.Ho, geo.kh, geo.sh, geo.ph, geo.H)
    cols = counts(geo.Wo, geo.kw, geo.sw, geo.pw, geo.W)
    return (rows[:, None] * cols[None, :]).astype(dtype)


class AvgPool2d(Function):
    """y[n,c,h,w] = sum over the window of x_pad / divisor[h,w]
    grad_x = g / divisor spread evenly over the window, summed where windows overlap
    """

    __slots__ = ("divisor", "geo")
    _raw = True
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geo, count_include_pad, divisor_override):
        xp = _padded(x, geo, 0)
        taps = geo.taps()
        _, _, rs, cs = next(taps)
        total = xp[:, :, rs, cs].copy()
        for _, _, rs, cs in taps:
            total += xp[:, :, rs, cs]
        divisor = _avg_divisor(geo, count_include_pad, divisor_override, x.dtype)
        ctx.geo = geo
        ctx.divisor = divisor
        total /= divisor
        return total

    @staticmethod
    def backward(ctx, g):
        geo = ctx.geo
        g_each = g / ctx.divisor  # (N, C, Ho, Wo): what each tap of a window receives
        if state.higher:
            return _spread_differentiable(g_each, geo), None, None, None
        gxp = np.zeros((geo.N, geo.C, geo.Hp, geo.Wp), dtype=g.dtype)
        disjoint = geo.disjoint()
        for _, _, rs, cs in geo.taps():
            if disjoint:
                gxp[:, :, rs, cs] = g_each
            else:
                gxp[:, :, rs, cs] += g_each
        return _unpad(gxp, geo), None, None, None


def _spread_differentiable(g_each, geo):
    """Spread each window's value over its taps, as a recorded op: a transposed convolution
    with an all-ones kernel, one group per image channel (create_graph=True only)."""
    from ..creation import ones
    from .conv import ConvTranspose, Geometry

    n_img = geo.N * geo.C
    ones_k = ones(n_img, 1, geo.kh, geo.kw, dtype=_torch_dtype(g_each))
    g1 = g_each.reshape(1, n_img, geo.Ho, geo.Wo)
    pads = (geo.ph, geo.Hp - geo.H - geo.ph, geo.pw, geo.Wp - geo.W - geo.pw)
    cgeo = Geometry((1, n_img, geo.H, geo.W), (n_img, 1, geo.kh, geo.kw), (geo.sh, geo.sw),
                    pads, (geo.dh, geo.dw), n_img, out_hw=(geo.Ho, geo.Wo))
    return ConvTranspose.apply(g1, ones_k, None, cgeo).reshape(geo.N, geo.C, geo.H, geo.W)


def _torch_dtype(t):
    return t.dtype


class AdaptiveAvgPool2d(Function):
    """y = A_h @ x @ A_w^T   (A: averaging matrix, A[i, start_i:end_i] = 1 / (end_i - start_i))
    grad_x = A_h^T @ g @ A_w

    PyTorch's bins: start_i = floor(i*H/Ho), end_i = ceil((i+1)*H/Ho).
    """

    __slots__ = ("a_h", "a_w")
    _raw = True
    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        a_h = _bins(x.shape[-2], out_hw[0], x.dtype)  # (Ho, H)
        a_w = _bins(x.shape[-1], out_hw[1], x.dtype)  # (Wo, W)
        ctx.a_h = a_h
        ctx.a_w = a_w
        # (N, C, H, W) @ (W, Wo) -> (N, C, H, Wo);  (Ho, H) @ that -> (N, C, Ho, Wo)
        return np.matmul(a_h, np.matmul(x, a_w.T))

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        a_h, a_w = ctx.a_h, ctx.a_w
        if state.higher:
            from ..tensor import _wrap

            a_h, a_w = _wrap(a_h, False, None), _wrap(a_w, False, None)
        return ns.matmul(ns.matmul(a_h.T, g), a_w), None


def _bins(size, n_out, dtype):
    """The (n_out, size) averaging matrix of one dim of adaptive average pooling."""
    i = np.arange(n_out)
    start = (i * size) // n_out
    end = -((-(i + 1) * size) // n_out)  # ceil
    pos = np.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _bin_edges(size, n_out):
    """PyTorch's adaptive bins: start_i = floor(i*size/n), end_i = ceil((i+1)*size/n)."""
    i = np.arange(n_out)
    return (i * size) // n_out, -((-(i + 1) * size) // n_out)


class AdaptiveMaxPool2d(Function):
    """y[n,c,i,j] = max of x[n, c] over bin (i, j)   (PyTorch's bins, as adaptive_avg_pool2d)
    grad_x = g routed to each bin's (first) maximum, summed where bins overlap

    One vectorised max per output cell (Ho*Wo of them, e.g. 1 for global pooling): the loop
    runs over bins, never over input pixels.
    """

    __slots__ = ("flat", "shape")
    _raw = True
    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        y, idx = adaptive_max_forward(x, out_hw)
        N, C, H, W = x.shape
        ctx.shape = x.shape
        # each winner's position in the flattened (N*C*H*W,) input
        ctx.flat = ((np.arange(N * C) * (H * W)).reshape(N, C, 1, 1) + idx).reshape(-1)
        return y

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        n = int(np.prod(ctx.shape))
        return ns.reshape(ns.index_add((n,), ctx.flat, ns.reshape(g, (-1,))), ctx.shape), None


def adaptive_max_forward(x, out_hw):
    """Values (N, C, Ho, Wo) and PyTorch's indices (h*W + w of each bin's first maximum)."""
    N, C, H, W = x.shape
    Ho, Wo = out_hw
    hs, he = _bin_edges(H, Ho)
    ws, we = _bin_edges(W, Wo)
    y = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    idx = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for i in range(Ho):
        for j in range(Wo):
            width = we[j] - ws[j]
            region = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(N, C, -1)  # (N, C, bin pixels)
            a = region.argmax(axis=-1)  # the first maximum, as PyTorch keeps
            y[:, :, i, j] = np.take_along_axis(region, a[..., None], axis=-1)[..., 0]
            idx[:, :, i, j] = (hs[i] + a // width) * W + ws[j] + a % width
    return y, idx


class UpsampleBilinear2d(Function):
    """y = A_h @ x @ A_w^T   (each output pixel a weighted mean of its 2x2 nearest inputs)
    grad_x = A_h^T @ g @ A_w

    ``A``: (n_out, n_in) interpolation matrices with two non-zeros per row (PyTorch's source
    positions and weights); a 3-D (N, C, L) input uses A_w only (``mode='linear'``).
    """

    __slots__ = ("a_h", "a_w")
    _raw = True
    node_name = "UpsampleBilinear2DBackward0"

    @staticmethod
    def forward(ctx, x, a_h, a_w):
        ctx.a_h = a_h
        ctx.a_w = a_w
        y = np.matmul(x, a_w.T)  # (..., H, W) @ (W, Wo) -> (..., H, Wo)
        return y if a_h is None else np.matmul(a_h, y)  # (Ho, H) @ that -> (..., Ho, Wo)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        a_h, a_w = ctx.a_h, ctx.a_w
        if state.higher:
            from ..tensor import _wrap

            a_w = _wrap(a_w, False, None)
            a_h = None if a_h is None else _wrap(a_h, False, None)
        if a_h is not None:
            g = ns.matmul(a_h.T, g)
        return ns.matmul(g, a_w), None, None


class UpsampleLinear1d(UpsampleBilinear2d):
    """y = x @ A^T   (each output sample a weighted mean of its 2 nearest inputs)
    grad_x = g @ A
    """

    __slots__ = ()
    node_name = "UpsampleLinear1DBackward0"


def _linear_weights(n_in, n_out, scale, align_corners, dtype):
    """(n_out, n_in) linear-interpolation matrix with PyTorch's source positions."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    a = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(a, (rows, i0), 1 - lam)
    np.add.at(a, (rows, i1), lam)
    return a.astype(dtype)


class MaxUnpool2d(Function):
    """y[n, c].flat[indices[n, c]] = x[n, c]   (zeros elsewhere: max_pool2d's routing undone)
    grad_x = g[n, c].flat[indices[n, c]]
    """

    __slots__ = ("flat", "shape")
    _raw = True
    node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, flat, out_shape):
        ctx.flat = flat
        ctx.shape = x.shape
        y = np.zeros(int(np.prod(out_shape)), dtype=x.dtype)
        y[flat] = x.reshape(-1)
        return y.reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        return ns.reshape(ns.gather(ns.reshape(g, (-1,)), ctx.flat), ctx.shape), None, None


class UpsampleNearest2d(Function):
    """y[n,c,h,w] = x[n, c, src_h[h], src_w[w]],  src = min(floor(dst * scale), size - 1)
    grad_x = g summed into the source pixels
    """

    __slots__ = ("cols", "rows", "shape")
    _raw = True
    node_name = "UpsampleNearest2DBackward0"

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.shape = x.shape
        ctx.rows = rows
        ctx.cols = cols
        return x[:, :, rows[:, None], cols[None, :]]

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        N, C, H, W = ctx.shape
        # flat source position of every output pixel: (Ho, Wo) -> index into H*W
        src = (ctx.rows[:, None] * W + ctx.cols[None, :]).reshape(-1)
        g3 = ns.reshape(g, (N * C, -1))
        gx = ns.index_add((H * W, N * C), src, ns.permute(g3, (1, 0)))
        return ns.reshape(ns.permute(gx, (1, 0)), ctx.shape), None, None


# -- the functional API (torch.nn.functional's names, signatures and defaults) ---------------


def _tuple(v, n, name):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _pool_geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pool's arguments (PyTorch's wording) and return its 2-D geometry."""
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got a tensor of size {list(x.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if (stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)) \
        else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    d = _tuple(dilation, nd, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{op}: stride must be greater than zero, but got {list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got {list(d)}")
    for pi, ki, di in zip(p, k, d):
        if pi < 0 or pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    shape = tuple(x.shape)
    if len(shape) == 2 + (nd == 2):  # unbatched
        shape = (1,) + shape
    if nd == 1:
        shape = shape[:2] + (1,) + shape[2:]
    geo = PoolGeometry(shape, k, s, p, d, ceil_mode)
    if geo.Ho <= 0 or geo.Wo <= 0:
        sizes = "x".join(str(v) for v in (geo.C,) + ((geo.H,) if nd == 2 else ()) + (geo.W,))
        outs = "x".join(str(v) for v in (geo.C,) + ((geo.Ho,) if nd == 2 else ()) + (geo.Wo,))
        raise RuntimeError(f"Given input size: ({sizes}). Calculated output size: ({outs}). "
                           "Output size is too small")
    return geo


def _to4d(x, nd):
    """(C, *spatial) or (N, C, *spatial) -> (N, C, H, W), and the function that undoes it."""
    shape = tuple(x.shape)
    if nd == 2 and x.ndim == 4:
        return x, None
    if nd == 2:
        return x.unsqueeze(0), shape
    x4 = x.reshape((1,) + shape[:1] + (1,) + shape[1:]) if x.ndim == 2 else x.unsqueeze(2)
    return x4, shape


def _back(y, shape, nd):
    if shape is None:
        return y
    lead = shape[:-nd]
    return y.reshape(lead + tuple(y.shape[-nd:]))


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    from ..tensor import _wrap

    geo = _pool_geometry(op, input, nd, kernel_size, stride, padding, dilation, ceil_mode)
    x4, shape = _to4d(input, nd)
    y = _back(MaxPool2d.apply(x4, geo), shape, nd)
    if not return_indices:
        return y
    _, tap = max_pool_forward(x4._data, geo)
    idx = max_pool_indices(tap, geo)
    if nd == 1:
        idx = idx % geo.W  # a position along L
    return y, _back(_wrap(idx, False, None), shape, nd)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.max_pool2d(gg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L); ``stride`` defaults to ``kernel_size``."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.avg_pool2d(gg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geo = _pool_geometry("avg_pool2d", input, 2, kernel_size, stride, padding, 1, ceil_mode)
    x4, shape = _to4d(input, 2)
    y = AvgPool2d.apply(x4, geo, count_include_pad, divisor_override)
    return _back(y, shape, 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L); ``stride`` defaults to ``kernel_size``."""
    geo = _pool_geometry("avg_pool1d", input, 1, kernel_size, stride, padding, 1, ceil_mode)
    x4, shape = _to4d(input, 1)
    return _back(AvgPool2d.apply(x4, geo, count_include_pad, None), shape, 1)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed (Ho, Wo) whatever the input size (``None`` keeps a dim).

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> tuple(F.adaptive_avg_pool2d(gg.ones(2, 3, 7, 5), (2, 2)).shape)
    (2, 3, 2, 2)
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    out = _tuple(output_size, 2, "output_size") if not isinstance(output_size, (tuple, list)) \
        else tuple(output_size)
    h, w = input.shape[-2:]
    out = (h if out[0] is None else int(out[0]), w if out[1] is None else int(out[1]))
    if out[0] <= 0 or out[1] <= 0:
        raise RuntimeError(f"adaptive_avg_pool2d(): output_size must be positive, got {out}")
    return AdaptiveAvgPool2d.apply(input, out)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) to a fixed length."""
    n = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, int(n))).squeeze(-2)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize images: ``mode='nearest'`` (PyTorch's default) or ``'bilinear'`` on (N, C, H, W),
    ``'linear'`` on (N, C, L).

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.interpolate(gg.tensor([[[[1.0, 2.0]]]]), scale_factor=2).tolist()
    [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """
    modes = {"nearest": 4, "bilinear": 4, "linear": 3}
    if mode not in modes:
        raise NotImplementedError(f"interpolate: mode '{mode}' is not available in glassgrad "
                                  "yet (use 'nearest', 'bilinear' or 'linear')")
    nd = modes[mode] - 2
    if input.ndim != modes[mode]:
        raise NotImplementedError(f"interpolate: mode '{mode}' takes {modes[mode]}-D input in "
                                  f"glassgrad, got {list(input.shape)}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sz = tuple(input.shape[2:])
    if size is not None:
        out_sz = _tuple(size, nd, "size")
        scales = [i / o for i, o in zip(in_sz, out_sz)]
    else:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        out_sz = tuple(int(np.floor(i * float(f))) for i, f in zip(in_sz, sf))
        if recompute_scale_factor:
            scales = [i / o for i, o in zip(in_sz, out_sz)]
        else:
            scales = [1.0 / float(f) for f in sf]
    if mode != "nearest":
        dtype = input._data.dtype
        mats = [_linear_weights(i, o, sc, bool(align_corners), dtype)
                for i, o, sc in zip(in_sz, out_sz, scales)]
        if nd == 1:
            return UpsampleLinear1d.apply(input, None, mats[0])
        return UpsampleBilinear2d.apply(input, mats[0], mats[1])
    rows = np.minimum(np.floor(np.arange(out_sz[0]) * np.float32(scales[0])).astype(np.int64),
                      in_sz[0] - 1)
    cols = np.minimum(np.floor(np.arange(out_sz[1]) * np.float32(scales[1])).astype(np.int64),
                      in_sz[1] - 1)
    return UpsampleNearest2d.apply(input, rows, cols)


def _adaptive_size(output_size, h, w):
    out = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    out = (h if out[0] is None else int(out[0]), w if out[1] is None else int(out[1]))
    if out[0] <= 0 or out[1] <= 0:
        raise RuntimeError(f"adaptive pooling: output_size must be positive, got {out}")
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed (Ho, Wo) whatever the input size (``None`` keeps a dim).

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.adaptive_max_pool2d(gg.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
    [[[[15.0]]]]
    """
    from ..tensor import _wrap

    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    out = _adaptive_size(output_size, x.shape[2], x.shape[3])
    y = AdaptiveMaxPool2d.apply(x, out)
    if unbatched:
        y = y.squeeze(0)
    if not return_indices:
        return y
    _, idx = adaptive_max_forward(x._data, out)
    return y, _wrap(idx[0] if unbatched else idx, False, None)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) to a fixed length."""
    n = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, int(n)), return_indices)
    if not return_indices:
        return res.squeeze(-2)
    return res[0].squeeze(-2), res[1].squeeze(-2)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back where ``max_pool2d(..., return_indices=True)`` found it; zeros
    elsewhere. Default output size: ``(in - 1) * stride - 2 * padding + kernel_size``.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> y, i = F.max_pool2d(gg.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
    >>> F.max_unpool2d(y, i, 2).tolist()
    [[[[0.0, 0.0], [0.0, 3.0]]]]
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The 1-D ``max_unpool2d``: (N, C, L) values and max_pool1d's indices."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else _tuple(stride, nd, "stride")
    p = _tuple(padding, nd, "padding")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    spatial = tuple(input.shape[-nd:])
    if output_size is None:
        out = tuple((i - 1) * st - 2 * pd + kk for i, st, pd, kk in zip(spatial, s, p, k))
    else:
        out = tuple(int(v) for v in output_size)[-nd:]
    lead = tuple(input.shape[:-nd])
    planes = int(np.prod(lead)) if lead else 1
    size = int(np.prod(out))
    idx = indices._data.reshape(planes, -1).astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.max()) if idx.max() >= size else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(str(v) for v in out)})")
    flat = (idx + (np.arange(planes) * size)[:, None]).reshape(-1)
    return MaxUnpool2d.apply(input, flat, lead + out)
