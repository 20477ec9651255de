"""Convolutions' functional API (``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d/2d``,
``F.unfold``, ``F.fold``): PyTorch's names, signatures, defaults and argument checks.

The math lives in ``glassgrad/ops/conv.py``; these functions turn PyTorch's arguments (ints or
tuples, ``padding='same'``, unbatched inputs...) into a ``Geometry`` and apply one op.
"""

from __future__ import annotations

import operator

from ..ops.conv import Col2Im, Convolution, ConvTranspose, Geometry, Im2Col


def _pair(v, n, name, op):
    """An int or an n-tuple as an n-tuple of ints (a float is refused, as torch does)."""
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                               f"{n} values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(_int(a, name, op) for a in v)
    return (_int(v, name, op),) * n


def _int(v, name, op):
    if not isinstance(v, bool):
        try:
            return operator.index(v)  # ints and NumPy integers; 1.5 would silently become 1
        except TypeError:
            pass
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _check_conv(op, x, w, b, nd, groups):
    """PyTorch's shape and dtype checks, in its wording."""
    from ..tensor import Tensor

    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise TypeError(f"{op}(): argument 'input' and 'weight' must be Tensors, got "
                        f"{type(x).__name__} and {type(w).__name__}")
    if b is not None and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'bias' must be Tensor, not {type(b).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional "
                           f"(out_channels, in_channels/groups, *kernel_size), but got weight "
                           f"of size {list(w.shape)}")
    if b is not None and b._data.dtype != x._data.dtype:  # torch checks the bias first
        raise RuntimeError(f"Input type ({_cname(x)}) and bias type ({_cname(b)}) should be "
                           f"the same ({op}: use .to() to give them one dtype)")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x)} but found {_tname(w)} "
                           f"({op}: input and weight must have the same dtype; use .to())")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    if w.shape[0] == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if 0 in w.shape[2:]:
        k = (1,) * (2 - nd) + tuple(w.shape[2:])  # torch reports a 1-D kernel as 1 x k
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")


def _tname(t):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return names.get(t._data.dtype.name, t._data.dtype.name)


def _cname(t):
    """The C type name torch prints in its input/bias type message."""
    names = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool"}
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
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
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
        lead = [1] * (2 - nd)  # torch reports a 1-D size as 1 x L
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, lead + list(sizes)))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, lead + out))}). Output size is too small")
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
