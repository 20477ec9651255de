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


# -- the functional API (torch.nn.functional's names, signatures and defaults) ---------------


def _pair(v, n, name, op):
    """An int or an n-tuple as an n-tuple of ints."""
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                               f"{n} values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _check_conv(op, x, w, b, nd, groups):
    """PyTorch's shape and dtype checks, in its wording."""
    from ..tensor import Tensor

    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise TypeError(f"{op}(): argument 'input' and 'weight' must be Tensors, got "
                        f"{type(x).__name__} and {type(w).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional "
                           f"(out_channels, in_channels/groups, *kernel_size), but got weight "
                           f"of size {list(w.shape)}")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x)} but found {_tname(w)} "
                           f"({op}: input and weight must have the same dtype; use .to())")
    if b is not None and b._data.dtype != x._data.dtype:
        raise RuntimeError(f"Input type ({x._data.dtype.name}) and bias type "
                           f"({b._data.dtype.name}) should be the same")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")


def _tname(t):
    names = {"float32": "Float", "float64": "Double", "float16": "Half"}
    return names.get(t._data.dtype.name, t._data.dtype.name)


def _conv_pads(padding, kernel, dilation, stride, nd, op):
    """PyTorch's padding argument as (top, bottom, left, right) for 2-D (1-D: top = bottom = 0)."""
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))  # extra one on the right, as torch
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _pair(padding, nd, "padding", op)
        if any(a < 0 for a in p):
            raise RuntimeError("negative padding is not supported")
        pads = [(a, a) for a in p]
    if nd == 1:
        pads = [(0, 0)] + pads
    return pads[0] + pads[1]


def _convnd(op, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_conv(op, input, weight, bias, nd, groups)
    stride = _pair(stride, nd, "stride", op)
    dilation = _pair(dilation, nd, "dilation", op)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    kernel = weight.shape[2:]
    pads = _conv_pads(padding, kernel, dilation, stride, nd, op)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    c_in = input.shape[1]
    o = weight.shape[0]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           "instead")
    if weight.shape[1] * groups != c_in:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have "
                           f"{weight.shape[1] * groups} channels, but got {c_in} channels instead")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    if nd == 1:
        stride, dilation = (1,) + stride, (1,) + dilation
    sizes = input.shape[2:] if nd == 2 else (1,) + tuple(input.shape[2:])
    ksizes = kernel if nd == 2 else (1,) + tuple(kernel)
    padded = [sizes[0] + pads[0] + pads[1], sizes[1] + pads[2] + pads[3]]
    eff = [dilation[0] * (ksizes[0] - 1) + 1, dilation[1] * (ksizes[1] - 1) + 1]
    if padded[0] < eff[0] or padded[1] < eff[1]:
        shown = " x ".join(str(v) for v in padded[2 - nd:])
        kshown = " x ".join(str(v) for v in eff[2 - nd:])
        raise RuntimeError(f"Calculated padded input size per channel: ({shown}). Kernel size: "
                           f"({kshown}). Kernel size can't be greater than actual input size")
    out = Convolution.apply(input, weight, bias, stride, pads, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as in PyTorch) over (N, C_in, L) inputs.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.conv1d(gg.ones(1, 1, 5), gg.ones(1, 1, 3)).tolist()
    [[[3.0, 3.0, 3.0]]]
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C_in, H, W) inputs with (C_out, C_in/groups, kH, kW) weights.

    ``padding``: int, pair, ``'valid'`` (no padding) or ``'same'`` (output as large as the input;
    stride 1 only).

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> tuple(F.conv2d(gg.ones(1, 1, 3, 3), gg.ones(1, 1, 2, 2)).shape)
    (1, 1, 2, 2)
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    ``weight``: (C_in, C_out/groups, kH, kW). Output size per dim:
    ``(in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> tuple(F.conv_transpose2d(gg.ones(1, 1, 2, 2), gg.ones(1, 1, 2, 2), stride=2).shape)
    (1, 1, 4, 4)
    """
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed 1-D convolution over (N, C_in, L) inputs; see ``conv_transpose2d``."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def _conv_transposend(op, nd, input, weight, bias, stride, padding, output_padding,
                      groups, dilation):
    _check_conv(op, input, weight, bias, nd, groups)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of ints, not '{padding}'")
    stride = _pair(stride, nd, "stride", op)
    dilation = _pair(dilation, nd, "dilation", op)
    pad = _pair(padding, nd, "padding", op)
    opad = _pair(output_padding, nd, "output_padding", op)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    for a, s, d in zip(opad, stride, dilation):
        if a >= s and a >= d:
            names = ("height", "width") if nd == 2 else ("width",)
            parts = [f"output_padding_{n}: {v}" for n, v in zip(names, opad)]
            parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
            parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               "but got " + " ".join(parts))
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    c_in = input.shape[1]
    if weight.shape[0] != c_in:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
                           f"got {c_in} channels instead")
    if c_in % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           "instead")
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {c_out} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    sizes = tuple(input.shape[2:])
    kernel = tuple(weight.shape[2:])
    out = [(i - 1) * s - 2 * p + d * (k - 1) + a + 1
           for i, s, p, d, k, a in zip(sizes, stride, pad, dilation, kernel, opad)]
    if any(v <= 0 for v in out):
        raise RuntimeError(f"{op}: the output size {out} is not positive (input {list(sizes)}, "
                           f"kernel {list(kernel)}, stride {list(stride)}, padding {list(pad)})")
    if nd == 1:
        stride, dilation, pad = (1,) + stride, (1,) + dilation, (0,) + pad
        out, sizes, kernel = [1] + out, (1,) + sizes, (1,) + kernel
    n = input.shape[0]
    # the convolution whose input gradient this is: input (N, C_out, *out), weight as given
    geo = Geometry((n, c_out, out[0], out[1]), (c_in, weight.shape[1]) + kernel, stride,
                   (pad[0], pad[0], pad[1], pad[1]), dilation, groups, out_hw=sizes)
    y = ConvTranspose.apply(input, weight, bias, geo)
    return y.squeeze(0) if unbatched else y


def _fold_args(kernel_size, dilation, padding, stride):
    return (_pair(kernel_size, 2, "kernel_size", "unfold"), _pair(dilation, 2, "dilation", "unfold"),
            _pair(padding, 2, "padding", "unfold"),
            _pair(stride, 2, "stride", "unfold"))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every sliding window as a column (im2col): (N, C, H, W) -> (N, C*kh*kw, L).

    ``L`` is the number of window positions (H_out * W_out). A convolution is this followed by
    one matrix product: ``conv2d(x, w) == (w.view(O, -1) @ unfold(x, k)).view(N, O, H_out,
    W_out)``.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> tuple(F.unfold(gg.ones(1, 2, 4, 4), 3).shape)
    (1, 18, 4)
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{input.ndim}D)")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    n, c, h, w = x.shape
    geo = Geometry((n, c, h, w), (1, c) + k, s, (p[0], p[0], p[1], p[1]), d, 1, wide_ok=False)
    if geo.Ho <= 0 or geo.Wo <= 0:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as ({geo.Ho}, {geo.Wo}), but its components must "
                           "be at least one.")
    y = Im2Col.apply(x, geo)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns added back into images (col2im, the adjoint of ``unfold``):
    (N, C*kh*kw, L) -> (N, C, H, W), summing where windows overlap.

    >>> import glassgrad as gg, glassgrad.nn.functional as F
    >>> F.fold(gg.ones(1, 4, 4), (3, 3), 2).tolist()
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {input.ndim}D)")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    out = _pair(output_size, 2, "output_size", "fold")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    n, kk, length = x.shape
    if kk % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={kk} and "
                           f"kernel_size={k}")
    c = kk // (k[0] * k[1])
    geo = Geometry((n, c) + out, (1, c) + k, s, (p[0], p[0], p[1], p[1]), d, 1, wide_ok=False)
    if geo.Ho * geo.Wo != length:
        raise RuntimeError(f"Given output_size={out}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {geo.Ho} * {geo.Wo} "
                           f"= {geo.Ho * geo.Wo}, but got input.size(2)={length}.")
    y = Col2Im.apply(x, geo)
    return y.squeeze(0) if unbatched else y
