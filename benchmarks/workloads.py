"""Benchmark workloads, each written once against the PyTorch API and run on both libraries.

A workload is ``make(lib) -> (step, loss)``: ``step()`` runs one unit of work (an op, an epoch,
a training step) and ``loss()`` returns the current loss as a float, so the runner can check
that both libraries computed the same thing. Weights start from the same NumPy arrays.
"""

from __future__ import annotations

import numpy as np


def _param(lib, array):
    return lib.tensor(np.array(array, dtype=np.float32), requires_grad=True)


def op_overhead(lib):
    """4-element tensors: ``c = a*b + a; c.sum().backward()``."""
    a = _param(lib, [1.0, 2.0, 3.0, 4.0])
    b = _param(lib, [0.5, -1.0, 2.0, 0.25])
    state = {}

    def step():
        c = a * b + a
        s = c.sum()
        s.backward()
        state["loss"] = s

    def loss():
        return float(state["loss"].item())

    return step, loss


def seed(lib):
    """The seed tutorial's epoch: forward, MSE, backward, no_grad update, zero_."""
    X = lib.tensor([1, 2, 3, 4], dtype=lib.float32)
    y = lib.tensor([2, 4, 6, 8], dtype=lib.float32)
    w = lib.tensor(0.0, dtype=lib.float32, requires_grad=True)
    state = {}

    def step():
        nonlocal w
        y_hat = w * X
        loss = ((y - y_hat) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            w -= 0.01 * w.grad
        w.grad.zero_()
        state["loss"] = loss

    def loss():
        return float(state["loss"].item())

    return step, loss


def _mlp(lib, sizes, rng, act="relu"):
    """An nn.Sequential MLP whose weights are copied from ``rng`` draws (same on both libs)."""
    nn = lib.nn
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(n_in, n_out)
        bound = 1 / np.sqrt(n_in)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)))
            lin.bias.copy_(lib.tensor(rng.uniform(-bound, bound, n_out).astype(np.float32)))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU() if act == "relu" else nn.Tanh())
    return nn.Sequential(*layers)


def moons_mlp(lib):
    """MLP 2-16-16-1 on 100 two-moons points, full batch, BCE-with-logits, SGD, one step."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0, np.pi, 100)
    half = rng.integers(0, 2, 100)
    x = np.stack([np.cos(t) + half, np.sin(t) * (1 - 2 * half) + 0.5 * half], 1)
    x = (x + rng.normal(0, 0.1, x.shape)).astype(np.float32)
    X = lib.tensor(x)
    Y = lib.tensor(half.astype(np.float32)).reshape(-1, 1)
    model = _mlp(lib, [2, 16, 16, 1], rng)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = lib.nn.BCEWithLogitsLoss()
    state = {}

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        state["loss"] = loss

    return step, lambda: float(state["loss"].item())


def digits_mlp(lib):
    """64-128-64-10 on the 8x8 digits (1797 samples), batch 64, Adam: one epoch."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(0)
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    X, Y = lib.tensor(x), lib.tensor(y)
    model = _mlp(lib, [64, 128, 64, 10], rng)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()
    order = np.arange(len(x))
    batches = [lib.tensor(order[i:i + 64]) for i in range(0, len(x), 64)]
    state = {}

    def step():
        for idx in batches:
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
        state["loss"] = loss

    return step, lambda: float(state["loss"].item())


MNIST_SIZES = [784, 512, 256, 10]
MNIST_BATCH = 128


def mnist_mlp(lib):
    """784-512-256-10 on random float32 data, batch 128, SGD: one step."""
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.standard_normal((MNIST_BATCH, 784)).astype(np.float32))
    Y = lib.tensor(rng.integers(0, 10, MNIST_BATCH))
    model = _mlp(lib, MNIST_SIZES, rng)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.CrossEntropyLoss()
    state = {}

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        state["loss"] = loss

    return step, lambda: float(state["loss"].item())


def mnist_flops() -> float:
    """FLOPs of one mnist-mlp step: forward 2*N*in*out per layer, backward twice that."""
    total = 0
    for n_in, n_out in zip(MNIST_SIZES[:-1], MNIST_SIZES[1:]):
        total += 2 * MNIST_BATCH * n_in * n_out
    return 3 * total


def numpy_mnist_matmuls():
    """The same matmuls as an mnist-mlp step in raw NumPy float32: the BLAS ceiling."""
    rng = np.random.default_rng(0)
    mats = []
    for n_in, n_out in zip(MNIST_SIZES[:-1], MNIST_SIZES[1:]):
        x = rng.standard_normal((MNIST_BATCH, n_in)).astype(np.float32)
        w = rng.standard_normal((n_out, n_in)).astype(np.float32)
        g = rng.standard_normal((MNIST_BATCH, n_out)).astype(np.float32)
        mats.append((x, w, g))

    def step():
        for x, w, g in mats:
            x @ w.T  # forward
            g @ w  # grad input
            g.T @ x  # grad weight

    return step


def cnn(lib):
    """batch 32x1x28x28: conv 1->16 3x3, relu, maxpool 2, conv 16->32 3x3, relu, maxpool 2,
    linear -> 10, cross-entropy, SGD: one step."""
    nn = lib.nn
    rng = np.random.default_rng(0)
    X = lib.tensor(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
    Y = lib.tensor(rng.integers(0, 10, 32))
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    )
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    state = {}

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        state["loss"] = loss

    return step, lambda: float(state["loss"].item())


# name -> (factory, description, unit, target ratio glassgrad/torch)
WORKLOADS = {
    "op-overhead": (op_overhead, "c = a*b + a; c.sum().backward(), 4 elements", "op", 0.25),
    "seed": (seed, "seed tutorial epoch on 4 points", "epoch", 0.25),
    "moons-mlp": (moons_mlp, "MLP 2-16-16-1, 100 points, full batch, SGD", "step", 0.5),
    "digits-mlp": (digits_mlp, "MLP 64-128-64-10, 1797 digits, batch 64, Adam", "epoch", 0.6),
    "mnist-mlp": (mnist_mlp, "MLP 784-512-256-10, batch 128, SGD", "step", 1.1),
    "cnn": (cnn, "conv16-pool-conv32-pool-linear, batch 32x1x28x28, SGD", "step", 1.5),
}
