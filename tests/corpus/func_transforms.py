"""torch.func: jacrev/jacfwd with argnums and aux, vjp, jvp, per-sample gradients with
vmap(grad(...)) over a module's parameters, a Jacobian per sample, and a Hessian block."""
import torch
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
y = torch.tensor([1.5, 0.3], dtype=torch.float64)


def f(x, y):
    return (x[:2] * y).sin(), (x ** 2).sum() * y


print("jacrev", jacrev(f, argnums=(0, 1))(x, y))
print("jacfwd", jacfwd(f, argnums=1)(x, y))
print("aux", jacrev(lambda x: (x.exp(), {"sum": x.sum()}), has_aux=True)(x))
out, vjp_fn = vjp(f, x, y)
print("vjp", vjp_fn((torch.ones(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64))))
print("jvp", jvp(lambda x: (x.sin(), x.cos()), (x,), (torch.ones(3, dtype=torch.float64),)))
print("grad with kwargs", grad(lambda x, scale=1.0: (x * scale).sum() ** 2)(x, scale=3.0))

model = torch.nn.Linear(3, 2)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
    model.bias.copy_(torch.tensor([0.01, -0.02]))
params = {k: v.detach() for k, v in model.named_parameters()}
xb = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
yb = torch.tensor([1, 0])


def loss_fn(p, xi, yi):
    logits = functional_call(model, p, (xi.unsqueeze(0),))
    return torch.nn.functional.cross_entropy(logits, yi.unsqueeze(0))


per_sample = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, xb, yb)
for name, g in per_sample.items():
    print("per-sample grad", name, tuple(g.shape), g)


def logits_of(p, xi):
    return functional_call(model, p, (xi.unsqueeze(0),)).squeeze(0)


jac = vmap(jacrev(logits_of), in_dims=(None, 0))(params, xb)
print("per-sample jacobian", {k: tuple(v.shape) for k, v in jac.items()}, jac["bias"])
h = hessian(lambda b: loss_fn({**params, "bias": b}, xb[0], yb[0]))(params["bias"])
print("hessian wrt bias", h)
