"""
Beyond loss.backward(): the derivative of a derivative, Newton's method, a Hessian, a custom op
with its own backward, a gradient hook, and anomaly mode finding where a NaN came from.
Every line prints what PyTorch prints for the same script (replace the import to check).

    glassgrad demo higher-order
"""
import argparse
import warnings

import glassgrad as torch


class LegendreP3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative written by hand: 1.5 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="glassgrad demo higher-order",
                                     description="create_graph, Newton, Hessian, Function, hooks")
    parser.add_argument("--steps", type=int, default=6, help="Newton steps")
    args = parser.parse_args(argv)

    # 1. the derivative of a derivative: create_graph=True makes dy/dx differentiable
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3 - 2 * x
    (dy,) = torch.autograd.grad(y, x, create_graph=True)   # 3x^2 - 2 = 10, with a graph
    (d2y,) = torch.autograd.grad(dy, x)                      # 6x = 12
    print(f"y = x^3 - 2x at x=2: y={y.item():.1f} dy/dx={dy.item():.1f} "
          f"d2y/dx2={d2y.item():.1f}")

    # 2. Newton's method for a minimum of f(w) = w^4 - 3w^2 + w: w <- w - f'(w) / f''(w)
    w = torch.tensor(2.0, requires_grad=True)
    history = []
    for step in range(args.steps):
        f = w ** 4 - 3 * w ** 2 + w
        (g,) = torch.autograd.grad(f, w, create_graph=True)
        (h,) = torch.autograd.grad(g, w)
        with torch.no_grad():
            w -= g / h
        history.append(w.item())
        print(f"Newton step {step + 1}: w={w.item():.6f} f'(w)={g.item():.4f}")

    # 3. a Hessian: the matrix of second derivatives of a scalar function of a vector
    def loss(p):
        return p[0] ** 2 * p[1] + torch.sin(p[1]) * p[0]

    hess = torch.autograd.functional.hessian(loss, torch.tensor([1.0, 0.5]))
    print("Hessian of p0^2 p1 + sin(p1) p0 at (1, 0.5):")
    for row in hess.tolist():
        print("  " + "  ".join(f"{v:8.4f}" for v in row))

    # 4. a custom op: forward and backward written by hand, used like any built-in op
    z = torch.tensor([0.5, -1.0], requires_grad=True)
    p3 = LegendreP3.apply(z)
    p3.sum().backward()
    print(f"P3(z) = {[round(v, 4) for v in p3.tolist()]}, grad_fn: {p3.grad_fn.name()}, "
          f"dP3/dz = {[round(v, 4) for v in z.grad.tolist()]}")

    # 5. a hook sees (and could change) the gradient flowing through an intermediate tensor
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    hidden = a * 2
    seen = []
    hidden.register_hook(lambda grad: seen.append(grad.tolist()))
    (hidden ** 2).sum().backward()
    print(f"gradient at the hidden tensor (hook): {seen[0]}, at a: {a.grad.tolist()}")

    # 6. anomaly mode: which op made the NaN, and on which line of this script did it run?
    q = torch.zeros(2, requires_grad=True)
    message = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mode announces itself; the error says it all
        try:
            with torch.autograd.detect_anomaly():
                r = q.sqrt()                 # d sqrt(q)/dq = 1 / (2 sqrt(q)): inf at 0
                (r * 0).sum().backward()     # inf * 0 = nan
        except RuntimeError as err:
            message = str(err).splitlines()[0]
    print(f"anomaly mode: {message}")
    return {"d2y": d2y.item(), "newton": history, "hessian": hess.tolist()}


if __name__ == "__main__":
    main()
