"""Pooling's functional API (``F.max_pool1d/2d``, ``F.avg_pool1d/2d``, adaptive pools,
``F.max_unpool1d/2d``, ``F.interpolate``): PyTorch's names, signatures, defaults and checks.

The math lives in ``glassgrad/ops/pool.py``; 1-D pools run as 2-D ones over a height-1 image.
"""

from __future__ import annotations

import numpy as np

from ..ops.pool import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    MaxPool2d,
    MaxUnpool2d,
    PoolGeometry,
    UpsampleBilinear2d,
    UpsampleLinear1d,
    UpsampleNearest1d,
    UpsampleNearest2d,
    _linear_weights,
    adaptive_max_forward,
    max_pool_forward,
    max_pool_indices,
)
from ._conv_functional import _int


def _tuple(v, n, name, op="pooling"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (_int(v[0], name, op),) * n
        if len(v) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(_int(a, name, op) for a in v)
    return (_int(v, name, op),) * n


def _pool_geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pool's arguments (PyTorch's wording) and return its 2-D geometry."""
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got a tensor of size {list(x.shape)}")
    k = _tuple(kernel_size, nd, "kernel_size", op)
    s = k if (stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)) \
        else _tuple(stride, nd, "stride", op)
    p = _tuple(padding, nd, "padding", op)
    d = _tuple(dilation, nd, "dilation", op)
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
        if op == "max_pool1d":  # torch's own check for it
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {geo.Wo}")
        sizes = "x".join(str(v) for v in (geo.C, geo.H, geo.W))  # avg_pool1d: C x 1 x L, as torch
        outs = "x".join(str(v) for v in (geo.C, geo.Ho, geo.Wo))
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
    if nd == 1:  # as torch: a 2-D pool of x.unsqueeze(-2), squeezed back (SqueezeBackward1)
        y = y.squeeze(2)
        return y.squeeze(0) if len(shape) == 2 else y
    lead = shape[:-nd]
    return y.reshape(lead + tuple(y.shape[-nd:]))


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    from ..tensor import _wrap

    # torch's max_pool1d with indices runs as a 2-D pool (and reports errors as one)
    name = op if not (return_indices and nd == 1) else "max_pool1d_with_indices"
    geo = _pool_geometry(name, input, nd, kernel_size, stride, padding, dilation, ceil_mode)
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
    x4, shape = _to4d(_float_view(input), 2)
    y = AvgPool2d.apply(x4, geo, count_include_pad, divisor_override)
    return _int_back(_back(y, shape, 2), input)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L); ``stride`` defaults to ``kernel_size``."""
    geo = _pool_geometry("avg_pool1d", input, 1, kernel_size, stride, padding, 1, ceil_mode)
    x4, shape = _to4d(_float_view(input), 1)
    return _int_back(_back(AvgPool2d.apply(x4, geo, count_include_pad, None), shape, 1), input)


_TORCH_NAMES = {"int8": "Char", "int16": "Short", "int32": "Int", "uint8": "Byte", "bool": "Bool"}


def _float_view(x):
    """int64 input averaged in float64 (torch supports Long avg pooling, no other integer
    type; ints need no gradient)."""
    dt = x._data.dtype
    if dt.kind not in "iub":
        return x
    if dt != np.int64:
        name = _TORCH_NAMES.get(dt.name, dt.name)
        raise NotImplementedError(f'"avg_pool2d" not implemented for \'{name}\'')
    return x.double()


def _int_back(y, x):
    """The float64 mean of an integer input truncated toward zero, as torch's integer division."""
    kind = x._data.dtype.kind
    if kind not in "iub":
        return y
    from ..tensor import _wrap

    return _wrap(np.trunc(y._data).astype(x._data.dtype), False, None)


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
    if 0 in input.shape[-2:]:  # torch: no batch or channels is fine, an empty plane is not
        d = input.ndim - 2 if input.shape[-2] == 0 else input.ndim - 1
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for "
                           f"non-batch dimensions, but input has sizes {list(input.shape)} with "
                           f"dimension {d} being empty")
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
    if mode == "nearest" and input.ndim == 3:
        modes["nearest"] = 3  # 1-D nearest on (N, C, L)
    nd = modes[mode] - 2
    if input.ndim != modes[mode]:
        raise NotImplementedError(f"interpolate: mode '{mode}' takes {modes[mode]}-D input in "
                                  f"glassgrad, got {list(input.shape)}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    in_sz = tuple(input.shape[2:])
    if size is not None:
        out_sz = _tuple(size, nd, "size")
        scales = [i / o if o > 0 else 0.0 for i, o in zip(in_sz, out_sz)]
    else:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        out_sz = tuple(int(np.floor(i * float(f))) for i, f in zip(in_sz, sf))
        if recompute_scale_factor:
            scales = [i / o for i, o in zip(in_sz, out_sz)]
        else:
            scales = [1.0 / float(f) if f > 0 else 0.0 for f in sf]
    if any(o <= 0 for o in out_sz):
        names = ("H", "W")[2 - nd:] if nd <= 2 else ()
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{n}: {v}" for n, v in zip(names, in_sz))
                           + (") and output (" if nd == 1 else ") output (")  # torch's wording
                           + ", ".join(f"{n}: {v}" for n, v in zip(names, out_sz)) + ")")
    if mode != "nearest":
        dtype = input._data.dtype
        mats = [_linear_weights(i, o, sc, bool(align_corners), dtype)
                for i, o, sc in zip(in_sz, out_sz, scales)]
        if nd == 1:
            return UpsampleLinear1d.apply(input, None, mats[0])
        return UpsampleBilinear2d.apply(input, mats[0], mats[1])
    if nd == 1:
        cols = np.minimum(np.floor(np.arange(out_sz[0]) * np.float32(scales[0]))
                          .astype(np.int64), in_sz[0] - 1)
        return UpsampleNearest1d.apply(input, cols)
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
    out = tuple((i - 1) * st - 2 * pd + kk for i, st, pd, kk in zip(spatial, s, p, k))
    if output_size is not None:  # torch's checks (torch.nn.functional._unpool_output_size)
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = out[d] - s[d], out[d] + s[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{lo} and {hi})")
        out = tuple(_int(v, "output_size", op) for v in output_size)
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
