"""``glassgrad.autograd.functional``: Jacobians, Hessians and their products (PyTorch's API).

Each function takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors), runs ``func`` on
differentiable copies of the inputs and calls ``autograd.grad``. Results are detached unless
``create_graph=True``. ``jvp`` and ``hvp`` use the double-backward trick, as PyTorch's do:
``g(u) = J^T u`` is linear in ``u``, so ``d<g(u), v>/du = J v``. ``vectorize`` is accepted and
ignored (rows are computed one by one).
"""

from __future__ import annotations

import numpy as np

from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _tensor():
    from ..tensor import Tensor, _wrap

    return Tensor, _wrap


def _as_tuple(x, arg_name, fn_name):
    Tensor, _ = _tensor()
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, tuple):
        raise TypeError(
            f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
            f"but the given {arg_name} has type {type(x)}."
        )
    for i, el in enumerate(x):
        if not isinstance(el, Tensor):
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the value at index {i} has type {type(el)}."
            )
    return True, x


def _tuple_postprocess(res, is_tuple):
    """Undo ``_as_tuple``: one flag, or (outer, inner) flags for a nested result."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(r[0] for r in res)
        if not is_tuple[0]:
            res = res[0]
    elif not is_tuple:
        res = res[0]
    return res


def _preprocess(inputs, create_graph, need_graph):
    """Differentiable stand-ins: a view (keeps the graph) or a fresh leaf."""
    _, _wrap = _tensor()
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(_wrap(x._data, need_graph, None))
    return tuple(out)


def _postprocess(xs, create_graph):
    Tensor, _ = _tensor()
    if isinstance(xs, tuple):
        return tuple(_postprocess(x, create_graph) for x in xs)
    if isinstance(xs, Tensor) and not create_graph:
        return xs.detach()
    return xs


def _autograd(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """autograd.grad, tolerant of outputs that do not require grad (None for every input)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph)


def _fill(grads, refs, strict, create_graph, stage):
    """None -> zeros (or an error under ``strict``)."""
    _, _wrap = _tensor()
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_strict_msg(stage, i))
            g = _wrap(np.zeros_like(ref._data), False, None)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                "The jacobian of the user-provided function is independent of input "
                f"{i}. This is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _strict_msg(stage, i):
    if stage == "back":
        return (f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode.")
    if stage == "back_trick":
        return (f"The gradient with respect to the input is independent of entry {i} in the "
                "grad_outputs when using the double backward trick to compute forward mode "
                "gradients. This is not allowed in strict mode.")
    if stage == "double_back":
        return (f"The jacobian of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode.")
    return (f"The hessian of the user-provided function is independent of entry {i} in the "
            "grad_jacobian. This is not allowed in strict mode as it prevents from using the "
            "double backward trick to replace forward mode AD.")


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_other.shape):
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {tuple(el_other.shape)} but got "
                f"{tuple(el_v.shape)}."
            )


def _check_outputs(outputs, fn_name):
    Tensor, _ = _tensor()
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"The outputs of the user-provided function given to {fn_name} must be either a "
                f"Tensor or a tuple of Tensors but the value at index {i} has type {type(o)}."
            )


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``.

    >>> import glassgrad as gg
    >>> gg.autograd.functional.vjp(lambda x: x ** 2, gg.tensor([1.0, 2.0]), gg.ones(2))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          "vjp")
        _check_outputs(outputs, "vjp")
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            _validate_v(v, outputs, is_out_tuple)
        else:
            if len(outputs) != 1 or outputs[0]._data.size != 1:
                raise RuntimeError(
                    "The vector v can only be None if the user-provided function returns a "
                    "single Tensor with a single element."
                )
            v = (None,)
        grads = _autograd(outputs, inputs, v, create_graph)
        res = _fill(grads, inputs, strict, create_graph, "back")
    return (_tuple_postprocess(_postprocess(outputs, create_graph), is_out_tuple),
            _tuple_postprocess(_postprocess(res, create_graph), is_in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by the double-backward trick.

    >>> import glassgrad as gg
    >>> gg.autograd.functional.jvp(lambda x: x ** 2, gg.tensor([1.0, 2.0]), gg.ones(2))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    _, _wrap = _tensor()
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            _validate_v(v, inputs, is_in_tuple)
        else:
            if len(inputs) != 1 or inputs[0]._data.size != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function "
                    "is a single Tensor with a single element."
                )
            v = (_wrap(np.ones_like(inputs[0]._data), False, None),)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          "jvp")
        _check_outputs(outputs, "jvp")
        # dummy cotangents u: J^T u is linear in u, and d<J^T u, v>/du = J v
        us = tuple(_wrap(np.zeros_like(o._data), True, None) for o in outputs)
        grad_res = _autograd(outputs, inputs, us, True)
        grad_res = _fill(grad_res, inputs, strict, True, "back_trick")
        pairs = [(g, vi) for g, vi in zip(grad_res, v) if g.requires_grad]
        if pairs:
            jv = _grad([g for g, _ in pairs], us, [vi for _, vi in pairs], allow_unused=True,
                       create_graph=create_graph)
        else:
            jv = (None,) * len(us)
        res = _fill(jv, outputs, strict, create_graph, "back_trick")
    return (_tuple_postprocess(_postprocess(outputs, create_graph), is_out_tuple),
            _tuple_postprocess(_postprocess(res, create_graph), is_out_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry [i][j] is d output_i / d input_j, shaped
    ``output_i.shape + input_j.shape``; a Tensor when both are single.

    >>> import glassgrad as gg
    >>> gg.autograd.functional.jacobian(lambda x: x ** 2, gg.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends '
                         'to be more performant. Otherwise, prefer to use "reverse-mode".')
    _, _wrap = _tensor()
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          "jacobian")
        _check_outputs(outputs, "jacobian")
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            n = out._data.size
            for k in range(n):
                onehot = np.zeros(n, dtype=out._data.dtype)
                onehot[k] = 1
                go = _wrap(onehot.reshape(out._data.shape), False, None)
                grads = _autograd((out,), inputs, (go,), create_graph, retain_graph=True)
                for j, (g, x) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = _wrap(np.zeros_like(x._data), False, None)
                    rows[j].append(g)
            per_in = []
            for j, x in enumerate(inputs):
                shape = out._data.shape + x._data.shape
                per_in.append(_stack(rows[j], shape, x))
            jac.append(tuple(per_in))
        jac = _postprocess(tuple(jac), create_graph)
    return _tuple_postprocess(jac, (is_out_tuple, is_in_tuple))


def _stack(rows, shape, like):
    _, _wrap = _tensor()
    if not rows:
        return _wrap(np.zeros(shape, dtype=like._data.dtype), False, None)
    if any(r.requires_grad for r in rows):
        from ..ops import tensor_ns

        return tensor_ns.cat([r.reshape((1, -1)) for r in rows], 0).reshape(shape)
    # + 0: a zero cotangent times a negative number is -0.0; PyTorch's Jacobians print 0.
    out = np.stack([r._data for r in rows]).reshape(shape)
    return _wrap(out + out.dtype.type(0), False, None)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: ``jacobian`` of its gradient; entry [i][j] is
    d^2 f / d input_i d input_j, shaped ``input_i.shape + input_j.shape``.

    >>> import glassgrad as gg
    >>> gg.autograd.functional.hessian(lambda x: (x ** 3).sum(), gg.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_outputs(t_out, "hessian")
        if is_out_tuple or t_out[0]._data.size != 1:
            raise RuntimeError(
                "The function given to hessian should return a single Tensor with a single "
                "element."
            )
        return t_out[0].reshape(())

    def jac_func(*inp):
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_jac_strict(jac, inp, strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)
    return _tuple_postprocess(res, (is_in_tuple, is_in_tuple))


def _check_jac_strict(jac, inputs, strict):
    if strict:
        for i, g in enumerate(jac):
            if not g.requires_grad:
                raise RuntimeError(_strict_msg("double_back", i))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func`` (H its Hessian at ``inputs``).

    >>> import glassgrad as gg
    >>> gg.autograd.functional.vhp(lambda x: (x ** 3).sum(), gg.tensor([1.0, 2.0]), gg.ones(2))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-backward trick.

    >>> import glassgrad as gg
    >>> gg.autograd.functional.hvp(lambda x: (x ** 3).sum(), gg.tensor([1.0, 2.0]), gg.ones(2))
    (tensor(9.), tensor([ 6., 12.]))
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, name):
    _, _wrap = _tensor()
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _preprocess(inputs, create_graph, True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            _validate_v(v, inputs, is_in_tuple)
        else:
            if len(inputs) != 1 or inputs[0]._data.size != 1:
                raise RuntimeError(
                    "The vector v can only be None if the input to the user-provided function "
                    "is a single Tensor with a single element."
                )
            v = (_wrap(np.ones_like(inputs[0]._data), False, None),)
        outputs = func(*inputs)
        is_out_tuple, t_out = _as_tuple(outputs, "outputs of the user-provided function", name)
        _check_outputs(t_out, name)
        if is_out_tuple or t_out[0]._data.size != 1:
            raise RuntimeError(
                f"The function given to {name} should return a single Tensor with a single "
                "element."
            )
        jac = _autograd(t_out, inputs, (None,), True)
        jac = _fill(jac, inputs, strict, True, "double_back")
        live = [(g, vi) for g, vi in zip(jac, v) if g.requires_grad]
        if name == "vhp":
            if live:
                res = _grad([g for g, _ in live], inputs, [vi for _, vi in live],
                            allow_unused=True, create_graph=create_graph)
            else:
                res = (None,) * len(inputs)
            res = _fill(res, inputs, strict, create_graph, "double_back_trick")
        else:
            # H v through the double-backward trick: u -> (d jac/dx)^T u is linear in u
            us = tuple(_wrap(np.zeros_like(x._data), True, None) for x in inputs)
            pairs = [(g, u) for g, u in zip(jac, us) if g.requires_grad]
            if pairs:
                gu = _grad([g for g, _ in pairs], inputs, [u for _, u in pairs],
                           allow_unused=True, create_graph=True)
            else:
                gu = (None,) * len(inputs)
            gu = _fill(gu, inputs, strict, True, "double_back_trick")
            back = [(g, vi) for g, vi in zip(gu, v) if g.requires_grad]
            if back:
                res = _grad([g for g, _ in back], us, [vi for _, vi in back],
                            allow_unused=True, create_graph=create_graph)
            else:
                res = (None,) * len(inputs)
            res = _fill(res, inputs, strict, create_graph, "double_back_trick")
    return (_tuple_postprocess(_postprocess(t_out[0] if not is_out_tuple else t_out,
                                            create_graph), True),
            _tuple_postprocess(_postprocess(res, create_graph), is_in_tuple))
