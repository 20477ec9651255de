"""Anomaly detection: find the op whose backward produced NaN (log of 0, sqrt of 0, 0/0)."""
import warnings

import torch

warnings.simplefilter("ignore")  # the mode announces itself on stderr

x = torch.tensor([0.0, 1.0, 4.0], requires_grad=True)
print("enabled before:", torch.is_anomaly_enabled())
with torch.autograd.detect_anomaly():
    print("enabled inside:", torch.is_anomaly_enabled())
    y = torch.sqrt(x)
    loss = (y * torch.tensor([0.0, 1.0, 1.0])).sum()
    try:
        loss.backward()
    except RuntimeError as err:
        print("caught:", str(err).splitlines()[0])
print("enabled after:", torch.is_anomaly_enabled())

# without anomaly mode the NaN flows silently into .grad
x.grad = None
(torch.sqrt(x) * torch.tensor([0.0, 1.0, 1.0])).sum().backward()
print("grad without anomaly mode:", x.grad)

# a finite computation is unaffected
torch.autograd.set_detect_anomaly(True)
w = torch.tensor([1.0, 2.0], requires_grad=True)
(w.log() * w).sum().backward()
print("finite grad:", w.grad)
torch.autograd.set_detect_anomaly(False)
print("enabled at the end:", torch.is_anomaly_enabled())
