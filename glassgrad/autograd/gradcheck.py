"""``gradcheck`` / ``gradgradcheck``: backward formulas checked against finite differences.

``gradcheck`` compares every analytical Jacobian d output_i / d input_j (one backward pass per
output element) with central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``, one input
element at a time. ``gradgradcheck`` runs ``gradcheck`` on the function that maps
``(inputs, grad_outputs)`` to the first-order gradients computed with ``create_graph=True``:
that checks the backward's own backward (PyTorch's recipe). Use float64 inputs: float32 finite
differences are too coarse for the default tolerances.
"""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` / ``gradgradcheck`` when a Jacobian does not match."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (tuple(x) if isinstance(x, list) else (x,))


def _outputs(func, inputs):
    from ..tensor import Tensor

    out = func(*inputs)
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor))


def _numerical(func, inputs, j, eps):
    """d outputs / d inputs[j] by central differences: one (out.size, in.size) array per output."""
    from ..tensor import Tensor, _wrap

    base = [t._data if isinstance(t, Tensor) else t for t in inputs]
    x = base[j]
    cols = []
    for k in range(x.size):
        vals = []
        for sign in (1, -1):
            xp = np.array(x, copy=True)
            xp.reshape(-1)[k] += sign * eps
            # fresh leaves with the inputs' requires_grad: ``func`` may itself differentiate
            args = [
                _wrap(xp if i == j else b, t.requires_grad, None) if isinstance(t, Tensor) else t
                for i, (t, b) in enumerate(zip(inputs, base))
            ]
            vals.append([o._data.astype(np.float64).ravel() for o in _outputs(func, args)])
        cols.append([(p - m) / (2 * eps) for p, m in zip(vals[0], vals[1])])
    n_out = len(cols[0]) if cols else len(_outputs(func, inputs))
    return [np.stack([c[i] for c in cols], axis=1) if cols else None for i in range(n_out)]


def _analytical(outputs, inputs, j):
    """d outputs / d inputs[j] by one backward pass per output element."""
    from . import grad

    res = []
    x = inputs[j]
    for o in outputs:
        jac = np.zeros((o._data.size, x._data.size))
        if o.requires_grad:
            for r in range(o._data.size):
                go = np.zeros(o._data.size, dtype=o._data.dtype)
                go[r] = 1
                (gx,) = grad(o, x, go.reshape(o._data.shape), retain_graph=True,
                             allow_unused=True)
                if gx is not None:
                    jac[r] = gx._data.ravel()
        res.append(jac)
    return res


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """True if every analytical Jacobian of ``func`` at ``inputs`` matches finite differences.

    >>> import glassgrad as gg
    >>> x = gg.tensor([0.5, 2.0], dtype=gg.float64, requires_grad=True)
    >>> gg.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    True
    """
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    for j, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        if x._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"Input #{j} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.", UserWarning, stacklevel=2)
        numerical = _numerical(func, inputs, j, eps)
        analytical = _analytical(outputs, inputs, j)
        for i, (a, n) in enumerate(zip(analytical, numerical)):
            if n is None:
                continue
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                )
    return True


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
