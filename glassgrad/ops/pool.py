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


class UpsampleNearest1d(Function):
    """y[n,c,l] = x[n, c, src[l]],  src = min(floor(dst * scale), size - 1)
    grad_x = g summed into the source positions
    """

    __slots__ = ("cols", "shape")
    _raw = True
    node_name = "UpsampleNearest1DBackward0"

    @staticmethod
    def forward(ctx, x, cols):
        ctx.shape = x.shape
        ctx.cols = cols
        return x[:, :, cols]

    @staticmethod
    def backward(ctx, g):
        ns = ctx.ns
        N, C, L = ctx.shape
        g2 = ns.reshape(g, (N * C, -1))
        gx = ns.index_add((L, N * C), ctx.cols, ns.permute(g2, (1, 0)))
        return ns.reshape(ns.permute(gx, (1, 0)), ctx.shape), None
