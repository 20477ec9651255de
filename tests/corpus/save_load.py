"""Saving and loading: a model's state_dict, an optimizer's, a checkpoint dict."""
import os
import tempfile

import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)


def make_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) / 4)
    return model


model = make_model()
x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
print(list(model.state_dict().keys()))
print(model.state_dict()["0.weight"].shape)

opt = torch.optim.Adam(model.parameters(), lr=0.01)
for _ in range(3):
    opt.zero_grad()
    model(x).pow(2).sum().backward()
    opt.step()

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "checkpoint.pt")
    torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
                "note": "three steps"}, path)
    ckpt = torch.load(path)
    print(ckpt["epoch"], ckpt["note"], sorted(ckpt.keys()))

    restored = make_model()
    print(restored.load_state_dict(ckpt["model"]))
    with torch.no_grad():
        print(torch.equal(restored(x), model(x)), model(x))

    opt2 = torch.optim.Adam(restored.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["optimizer"])
    print(opt2.state_dict()["param_groups"][0]["lr"], len(opt2.state_dict()["state"]))
    # continuing from the checkpoint follows the original run exactly
    for m, o in ((model, opt), (restored, opt2)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    print(all(torch.equal(a, b) for a, b in zip(model.parameters(), restored.parameters())))

    tpath = os.path.join(d, "tensors.pt")
    torch.save([torch.arange(3), torch.ones(2, 2, dtype=torch.float64)], tpath)
    print(torch.load(tpath))

# a mismatched state_dict is refused with a clear message
try:
    nn.Linear(3, 5).load_state_dict(nn.Linear(3, 4).state_dict())
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])
