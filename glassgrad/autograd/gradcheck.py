"""``gradcheck`` / ``gradgradcheck``: autograd's gradients against central finite differences.

For every input ``x`` that requires grad and every output ``y``, the numerical Jacobian is

    J_num[j, k] = (y_k(x + eps e_j) - y_k(x - eps e_j)) / (2 eps)

and the analytical one comes from backward: row ``k`` of ``J`` is the gradient of ``y_k``.
They must agree elementwise: ``|J - J_num| <= atol + rtol * |J_num|``. Use float64 inputs:
in float32 the differences drown in rounding error. ``gradgradcheck`` runs ``gradcheck`` on the
function that maps ``(inputs, grad_outputs)`` to the first-order gradients computed with
``create_graph=True``: that checks the backward's own backward (PyTorch's recipe).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` / ``gradgradcheck`` when a Jacobian differs from the finite
    differences."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(outputs):
    from ..tensor import Tensor

    return [o for o in outputs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _outputs(func, inputs):
    """``func``'s floating-point tensor outputs (indices and other ints are not checked)."""
    return tuple(_float_outputs(_as_tuple(func(*inputs))))


def _numerical_jacobian(fn, inputs, x, eps):
    """(x.numel(), total output numel) by central differences, perturbing x's array in place."""
    # grad mode stays on: ``fn`` may itself differentiate (gradgradcheck's first-order function)
    flat = x._data.reshape(-1)  # a view: writing it perturbs x
    columns = []
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + eps
        plus = [o._data.astype(np.float64).ravel() for o in
                _float_outputs(_as_tuple(fn(*inputs)))]
        flat[j] = orig - eps
        minus = [o._data.astype(np.float64).ravel() for o in
                 _float_outputs(_as_tuple(fn(*inputs)))]
        flat[j] = orig
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    return columns  # columns[j][o]: d output o / d x_j, flattened


def _analytical_rows(output, diff_inputs):
    """For each element k of ``output``: the gradient of output_k w.r.t. each input."""
    from . import grad

    rows = []
    n = output._data.size
    for k in range(n):
        if not output.requires_grad:
            rows.append([np.zeros(x._data.size) for x in diff_inputs])
            continue
        seed = np.zeros(output._data.shape, dtype=output._data.dtype)
        seed.reshape(-1)[k] = 1
        grads = grad(output, diff_inputs, seed, retain_graph=True, allow_unused=True)
        row = []
        for x, g in zip(diff_inputs, grads):
            if g is None:
                row.append(np.zeros(x._data.size))
                continue
            if tuple(g.shape) != x._data.shape:
                raise GradcheckError(
                    f"gradcheck: the gradient of an input has shape {tuple(g.shape)} but the "
                    f"input has shape {tuple(x._data.shape)}"
                )
            row.append(g._data.astype(np.float64).ravel())
        rows.append(row)
    return rows


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Check ``fn``'s gradients against central finite differences (PyTorch's ``gradcheck``).

    ``inputs``: a Tensor or a tuple of them (and other arguments); those with
    ``requires_grad=True`` are checked, preferably float64. Returns True, or raises
    ``GradcheckError`` naming the output, the input and the worst element (returns False
    instead with ``raise_exception=False``). PyTorch's other keyword options are accepted and
    ignored (glassgrad has no forward AD or batched gradients to check).

    >>> import glassgrad as gg
    >>> x = gg.tensor([0.5, -1.0], dtype=gg.float64, requires_grad=True)
    >>> gg.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    from ..tensor import Tensor, _wrap

    # checked inputs become fresh leaves (copies): backward can capture their gradients, and
    # the finite differences never write into the caller's arrays
    inputs = tuple(
        _wrap(x._data.copy(), True, None) if isinstance(x, Tensor) and x.requires_grad else x
        for x in _as_tuple(inputs)
    )
    diff = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them "
            "have requires_grad=True."
        )
    for i, x in diff:
        if x._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                stacklevel=2,
            )
    outputs = _float_outputs(_as_tuple(fn(*inputs)))
    diff_inputs = [x for _, x in diff]
    analytical = [_analytical_rows(o, diff_inputs) for o in outputs]
    for pos, (i, x) in enumerate(diff):
        numerical = _numerical_jacobian(fn, inputs, x, eps)
        for o, out in enumerate(outputs):
            # J[j, k]: d output_k / d x_j (PyTorch's layout: inputs down, outputs across)
            n_out = out._data.size
            j_num = np.array([col[o] for col in numerical]).reshape(x._data.size, n_out)
            j_ana = np.array([analytical[o][k][pos] for k in range(n_out)]).reshape(
                n_out, x._data.size).T
            bound = atol + rtol * np.abs(j_num)
            diff_abs = np.abs(j_ana - j_num)
            bad = ~(diff_abs <= bound)  # NaN counts as a mismatch
            if bad.any():
                msg = _mismatch_message(o, i, x, out, j_num, j_ana, diff_abs, bad, atol, rtol)
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _mismatch_message(o, i, x, out, j_num, j_ana, diff_abs, bad, atol, rtol) -> str:
    score = np.where(bad, np.nan_to_num(diff_abs, nan=np.inf), -1.0)
    j, k = np.unravel_index(int(np.argmax(score)), score.shape)
    in_idx = tuple(int(v) for v in np.unravel_index(j, x._data.shape)) if x._data.ndim else ()
    out_idx = tuple(int(v) for v in np.unravel_index(k, out._data.shape)) if out._data.ndim \
        else ()
    np_opts = {"precision": 6, "suppress_small": True, "threshold": 200}
    return (
        f"Jacobian mismatch for output {o} with respect to input {i},\n"
        f"numerical:{np.array2string(j_num, **np_opts)}\n"
        f"analytical:{np.array2string(j_ana, **np_opts)}\n"
        f"worst element: d output[{o}]{list(out_idx)} / d input[{i}]{list(in_idx)}: "
        f"numerical {j_num[j, k]:.8g}, analytical {j_ana[j, k]:.8g} (|difference| "
        f"{diff_abs[j, k]:.3g} > atol + rtol * |numerical| = {atol + rtol * abs(j_num[j, k]):.3g}"
        f"); {int(bad.sum())} of {bad.size} entries differ"
    )


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """True if the second derivatives of ``func`` (its backward's backward) match finite
    differences of its first derivatives.

    >>> import glassgrad as gg
    >>> x = gg.tensor([0.5, 2.0], dtype=gg.float64, requires_grad=True)
    >>> gg.autograd.gradgradcheck(lambda t: t.exp() * t, (x,))
    True
    """
    from ..tensor import Tensor, _wrap
    from . import grad

    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(rng.uniform(-1, 1, o._data.shape).astype(o._data.dtype), True, None)
            for o in outputs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_order(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _outputs(func, ins)
        pairs = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
        grads = grad([o for o, _ in pairs], [ins[i] for i in diff], [g for _, g in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
