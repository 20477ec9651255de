"""Convolutions: conv1d, conv2d, conv_transpose2d, as im2col + one matrix product.

NumPy has no convolution, and a loop over output pixels is hundreds of times slower than
PyTorch. The trick every fast CPU implementation uses: copy each receptive field into a column
(im2col), so that the whole convolution becomes one matrix product that BLAS runs at full speed.

Three kernels on arrays do all the work, and each op's gradient is made of the other two:

- ``conv_forward``      y[n,o,p]   = sum_k W[o,k] * cols[k,n,p]        (cols = im2col(x))
- ``conv_grad_input``   dx         = col2im(W^T @ g)                    (a transposed conv)
- ``conv_grad_weight``  dW[o,k]    = sum_{n,p} g[n,o,p] * cols[k,n,p]

with ``k`` running over (input channel, kernel row, kernel col) and ``p`` over output pixels.
conv_transpose2d's forward *is* conv_grad_input, so its gradients are conv_forward and
conv_grad_weight. 1-D convolutions run as 2-D ones with height 1.

Layout. Each image gets its own column matrix, (N, C*kh*kw, Ho*Wo) (what ``F.unfold``
returns), and the forward and weight-gradient kernels are products batched over images (NumPy
loops over the images in C, one BLAS call each), so results come out in (N, C, H, W) order
with no transposing copy. The input gradient's col2im can instead run on a "wide" grid when the
stride is 1 and the kernel volume C*kh*kw is large next to the output channels: output pixel
(r, c) sits at flat position r*Wp + c of the padded image, so every kernel tap's scatter-add is
one contiguous slice per image, at the price of ``Wp - W_out`` throw-away columns per row.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Function, state


class Geometry:
    """Every size a 2-D convolution needs, computed once per call.

    ``x_shape`` (N, C, H, W), ``w_shape`` (O, C/groups, kh, kw); ``pad`` is (top, bottom, left,
    right) so that ``padding='same'`` with an even kernel can pad asymmetrically, as PyTorch does.
    """

    __slots__ = (
        "C",
        "G",
        "H",
        "Ho",
        "Hp",
        "L",
        "N",
        "O",
        "P",
        "W",
        "Wo",
        "Wp",
        "dh",
        "dw",
        "kh",
        "kw",
        "pb",
        "pl",
        "pr",
        "pt",
        "sh",
        "sw",
        "wide",
    )

    def __init__(self, x_shape, w_shape, stride, pad, dilation, groups, out_hw=None,
                 wide_ok=True):
        self.N, self.C, self.H, self.W = x_shape
        self.O, _, self.kh, self.kw = w_shape
        self.sh, self.sw = stride
        self.pt, self.pb, self.pl, self.pr = pad
        self.dh, self.dw = dilation
        self.G = groups
        self.Hp = self.H + self.pt + self.pb
        self.Wp = self.W + self.pl + self.pr
        self.Ho = (self.Hp - self.dh * (self.kh - 1) - 1) // self.sh + 1
        self.Wo = (self.Wp - self.dw * (self.kw - 1) - 1) // self.sw + 1
        if out_hw is not None:  # a transposed conv with output_padding >= stride says its size
            self.Ho, self.Wo = out_hw
        # The input gradient's col2im can run on the wide grid (stride 1 only): its scatter-adds
        # become contiguous (their size grows with K = C*kh*kw), at the price of Wp - Wo wasted
        # columns per row and copies of output-shaped arrays (size O): worth it when K is large
        # next to O and the waste small.
        k = self.C * self.kh * self.kw
        self.wide = (wide_ok and self.sh == 1 and self.sw == 1 and self.Ho > 1 and k >= 2 * self.O
                     and 4 * (self.Wp - self.Wo) <= self.Wo)
        self.L = self.Ho * self.Wo  # output pixels per image
        self.P = (self.Ho - 1) * self.Wp + self.Wo if self.wide else self.L  # wide-grid columns


def _pad(x, geo):
    """Zero padding of the two spatial dims: (N, C, H, W) -> (N, C, Hp, Wp)."""
    if not (geo.pt or geo.pb or geo.pl or geo.pr):
        return x  # im2col's strided view works on any memory layout
    xp = np.zeros((geo.N, geo.C, geo.Hp, geo.Wp), dtype=x.dtype)
    xp[:, :, geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W] = x
    return xp


def im2col(x, geo):
    """Receptive fields as columns, one strided copy: (N, C, H, W) -> (N, K, L).

    K = C*kh*kw, L = Ho*Wo: image n's matrix has one row per (channel c, tap i, j) and one
    column per output pixel, holding the input value that tap sees there (``F.unfold``).
    """
    xp = _pad(x, geo)
    s_n, s_c, s_h, s_w = xp.strides
    # (N, C, Hp, Wp) viewed as (N, C, kh, kw, Ho, Wo)
    view = as_strided(xp, (geo.N, geo.C, geo.kh, geo.kw, geo.Ho, geo.Wo),
                      (s_n, s_c, s_h * geo.dh, s_w * geo.dw, s_h * geo.sh, s_w * geo.sw),
                      writeable=False)
    return view.reshape(geo.N, geo.C * geo.kh * geo.kw, geo.L)  # the copy


def _to_grid(g, geo):
    """Wide grid only: output-shaped values onto it, (N, O, Ho, Wo) -> (O, N*P), with zeros in
    the throw-away columns so that they add nothing to any gradient."""
    O, N, Ho, Wo = geo.O, geo.N, geo.Ho, geo.Wo
    buf = np.zeros((O, N, Ho * geo.Wp), dtype=g.dtype)
    buf.reshape(O, N, Ho, geo.Wp)[:, :, :, :Wo] = g.transpose(1, 0, 2, 3)
    return buf[:, :, :geo.P].reshape(O, N * geo.P)


def _grouped(w, geo):
    """Weight as matrices: (O, C/G, kh, kw) -> (O, K) or (G, O/G, K/G) for grouped convs."""
    if geo.G == 1:
        return w.reshape(geo.O, -1)
    return w.reshape(geo.G, geo.O // geo.G, -1)


def conv_forward(x, w, geo):
    """y = W @ im2col(x): (N, C, H, W) * (O, C/G, kh, kw) -> (N, O, Ho, Wo). Returns y, cols."""
    cols = im2col(x, geo)  # (N, K, L)
    wm = _grouped(w, geo)
    N, G = geo.N, geo.G
    if G == 1:
        y = np.matmul(wm, cols)  # (O, K) @ (N, K, L) -> (N, O, L), one product per image
    else:
        # (G, O/G, K/G) @ (N, G, K/G, L) -> (N, G, O/G, L)
        y = np.matmul(wm, cols.reshape(N, G, -1, geo.L))
    return y.reshape(N, geo.O, geo.Ho, geo.Wo), cols


def conv_grad_weight(g, cols, geo):
    """dW = sum over images and pixels of g * cols: (N, O, Ho, Wo), (N, K, L) -> W's shape."""
    N, G, O, L = geo.N, geo.G, geo.O, geo.L
    g3 = g.reshape(N, O, L)
    if G == 1:
        # (N, K, L) @ (N, L, O) -> (N, K, O), summed over images -> (O, K)
        gw = np.matmul(cols, g3.transpose(0, 2, 1)).sum(axis=0).T
    else:
        # (N, G, K/G, L) @ (N, G, L, O/G) -> (N, G, K/G, O/G) -> (G, O/G, K/G)
        gw = np.matmul(cols.reshape(N, G, -1, L), g3.reshape(N, G, O // G, L).transpose(0, 1, 3, 2))
        gw = gw.sum(axis=0).transpose(0, 2, 1)
    return np.ascontiguousarray(gw).reshape(O, geo.C // G, geo.kh, geo.kw)


def conv_grad_input(g, w, geo):
    """dx = col2im(W^T @ g): (N, O, Ho, Wo) -> (N, C, H, W).

    col2im adds each column back onto the pixels it was copied from: one vectorised
    scatter-add per kernel tap (kh*kw of them), never a loop over pixels.
    """
    wm = _grouped(w, geo)
    N, G, O = geo.N, geo.G, geo.O
    if geo.wide:
        gm = _to_grid(g, geo)  # (O, N*P)
        if G == 1:
            gcols = wm.T @ gm  # (K, O) @ (O, N*P) -> (K, N*P)
        else:
            gcols = np.matmul(wm.transpose(0, 2, 1), gm.reshape(G, O // G, -1))
    else:
        g3 = g.reshape(N, O, geo.L)
        if G == 1:
            gcols = np.matmul(wm.T, g3)  # (K, O) @ (N, O, L) -> (N, K, L)
        else:
            # (G, K/G, O/G) @ (N, G, O/G, L) -> (N, G, K/G, L)
            gcols = np.matmul(wm.transpose(0, 2, 1), g3.reshape(N, G, O // G, geo.L))
    return col2im(gcols, geo)


def col2im(gcols, geo):
    """The adjoint of im2col: columns added back onto the pixels they were copied from ->
    (N, C, H, W). One vectorised scatter-add per kernel tap (kh*kw of them).

    ``gcols``: (N, K, L) as im2col makes them, or (K, N*P) on the wide grid.
    """
    N, C, kh, kw = geo.N, geo.C, geo.kh, geo.kw
    dh, dw = geo.dh, geo.dw
    gxp = np.zeros((N, C, geo.Hp, geo.Wp), dtype=gcols.dtype)
    if geo.wide:
        # (K, N*P) -> (C, kh, kw, N, P); each tap's (C, N, P) block read as (N, C, P)
        gcols = gcols.reshape(C, kh, kw, N, geo.P).transpose(1, 2, 3, 0, 4)
        flat = gxp.reshape(N, C, geo.Hp * geo.Wp)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * geo.Wp + j * dw
                flat[:, :, start:start + geo.P] += gcols[i, j]  # (N, C, P)
    else:
        gcols = gcols.reshape(N, C, kh, kw, geo.Ho, geo.Wo)
        h_span = geo.sh * (geo.Ho - 1) + 1
        w_span = geo.sw * (geo.Wo - 1) + 1
        for i in range(kh):
            for j in range(kw):
                r, c = i * dh, j * dw
                gxp[:, :, r:r + h_span:geo.sh, c:c + w_span:geo.sw] += gcols[:, :, i, j]
    if gxp.shape[2] == geo.H and gxp.shape[3] == geo.W:
        return gxp
    return np.ascontiguousarray(gxp[:, :, geo.pt:geo.pt + geo.H, geo.pl:geo.pl + geo.W])


# -- the ops -----------------------------------------------------------------------------------
#
# A 1-D op gets (N, C, L) arrays and runs as 2-D with H = 1 (``_as2d``). ``ConvolutionBackward0``
# is PyTorch's grad_fn name for every convolution flavour.


def _as2d(a):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if a.ndim == 3 else a


def _like(a, ref):
    """Undo ``_as2d`` on a result: back to ``ref``'s number of dims."""
    return a.reshape(a.shape[:2] + a.shape[3:]) if ref.ndim == 3 else a


class Convolution(Function):
    """y[n,o] = b[o] + sum_{c,i,j} W[o,c,i,j] * x_pad[n, c, s*h + d*i, s*w + d*j]
    grad_x = conv_transpose(g, W),  grad_W = sum_{n,h,w} g[n,o,h,w] * x windows,  grad_b = sum g
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pad, dilation, groups):
        x2, w2 = _as2d(x), _as2d(w)
        geo = Geometry(x2.shape, w2.shape, stride, pad, dilation, groups)
        y, cols = conv_forward(x2, w2, geo)
        if b is not None:
            y += b.reshape(-1, 1, 1)
        ctx.geo = geo
        ctx.save_for_backward(x, w, cols)
        return _like(y, x)

    @staticmethod
    def backward(ctx, g):
        x, w, cols = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_w, need_b = (t is not None for t in ctx.inputs[:3])
        grad_b = g.sum((0, 2, 3) if g.ndim == 4 else (0, 2)) if need_b else None
        if state.higher:
            # a differentiable backward (create_graph=True): the same math as recorded conv ops
            grad_x = ConvTranspose.apply(g, w, None, geo) if need_x else None
            grad_w = ConvWeightGrad.apply(x, g, geo) if need_w else None
            return grad_x, grad_w, grad_b, None, None, None, None
        g2 = _as2d(g)
        grad_x = _like(conv_grad_input(g2, _as2d(w), geo), x) if need_x else None
        grad_w = _like(conv_grad_weight(g2, cols, geo), w) if need_w else None
        return grad_x, grad_w, grad_b, None, None, None, None


class ConvTranspose(Function):
    """y = conv_grad_input(x, W) + b   (each input pixel adds W times itself to the output)
    grad_x = conv(g, W),  grad_W = conv_grad_weight(g windows, x),  grad_b = sum g

    The adjoint of a convolution (the map from its output gradient to its input gradient).

    ``geo`` describes the *forward* convolution whose input gradient this is: its input is
    this op's output, its output this op's input.
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo):
        y = conv_grad_input(_as2d(x), _as2d(w), geo)
        if b is not None:
            y += b.reshape(-1, 1, 1)
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        return _like(y, x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_w, need_b = (t is not None for t in ctx.inputs[:3])
        grad_b = g.sum((0, 2, 3) if g.ndim == 4 else (0, 2)) if need_b else None
        if state.higher:
            grad_x = Convolution.apply(g, w, None, _stride(geo), _pads(geo), _dil(geo), geo.G)
            grad_x = grad_x if need_x else None
            grad_w = ConvWeightGrad.apply(g, x, geo) if need_w else None
            return grad_x, grad_w, grad_b, None
        g2 = _as2d(g)
        grad_x = grad_w = None
        if need_x or need_w:
            y, cols = conv_forward(g2, _as2d(w), geo)  # g plays the conv's input here
            grad_x = _like(y, x) if need_x else None
            if need_w:
                grad_w = _like(conv_grad_weight(_as2d(x), cols, geo), w)
        return grad_x, grad_w, grad_b, None


class ConvWeightGrad(Function):
    """dW = sum_{n,h,w} gy[n,o,h,w] * x windows   (a conv's weight gradient, as an op)
    grad_x = conv_transpose(gy, g),  grad_gy = conv(x, g)

    Recorded only by create_graph=True backwards, so that second derivatives flow through it.
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, geo):
        ctx.geo = geo
        ctx.save_for_backward(x, gy)
        w_shape = (geo.O, geo.C // geo.G, geo.kh, geo.kw)
        gw = conv_grad_weight(_as2d(gy), im2col(_as2d(x), geo), geo)
        return gw.reshape(w_shape[:2] + w_shape[3:]) if x.ndim == 3 else gw

    @staticmethod
    def backward(ctx, g):
        x, gy = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_gy = (t is not None for t in ctx.inputs[:2])
        if state.higher:
            grad_x = ConvTranspose.apply(gy, g, None, geo) if need_x else None
            grad_gy = (Convolution.apply(x, g, None, _stride(geo), _pads(geo), _dil(geo), geo.G)
                       if need_gy else None)
            return grad_x, grad_gy, None
        g2 = _as2d(g)
        grad_x = _like(conv_grad_input(_as2d(gy), g2, geo), x) if need_x else None
        grad_gy = _like(conv_forward(_as2d(x), g2, geo)[0], x) if need_gy else None
        return grad_x, grad_gy, None


class Im2Col(Function):
    """y[n, (c,i,j), (h,w)] = x_pad[n, c, s*h + d*i, s*w + d*j]   (F.unfold: every window a column)
    grad_x = col2im(g): each column added back onto the pixels it came from (F.fold)
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        cols = im2col(x, geo)  # (N, K, L)
        # a 1x1 kernel's columns can be a read-only view of x: hand out an array of our own
        return cols if cols.flags.owndata else cols.copy()

    @staticmethod
    def backward(ctx, g):
        if state.higher:
            return Col2Im.apply(g, ctx.geo), None
        return col2im(g, ctx.geo), None


class Col2Im(Function):
    """y[n, c, s*h + d*i, s*w + d*j] += x[n, (c,i,j), (h,w)], cropped   (F.fold)
    grad_x = im2col(g)   (F.unfold)
    """

    __slots__ = ("geo",)
    _raw = True
    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo = geo
        return col2im(x, geo)

    @staticmethod
    def backward(ctx, g):
        if state.higher:
            return Im2Col.apply(g, ctx.geo), None
        cols = im2col(g, ctx.geo)
        return (cols if cols.flags.owndata else cols.copy()), None


def _stride(geo):
    return (geo.sh, geo.sw)


def _pads(geo):
    return (geo.pt, geo.pb, geo.pl, geo.pr)


def _dil(geo):
    return (geo.dh, geo.dw)
