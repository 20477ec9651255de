"""Learning-rate schedulers: how the lr moves epoch by epoch."""
import torch
from torch.optim import lr_scheduler


def trajectory(make_scheduler, epochs=10, lr=0.1):
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([w], lr=lr)
    sched = make_scheduler(opt)
    lrs = []
    for epoch in range(epochs):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    return lrs, sched.get_last_lr(), w.item()


cases = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 8], gamma=0.1),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)),
    "OneCycleLR": lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10),
}
for name, make in cases.items():
    lrs, last, w = trajectory(make)
    print(f"{name:18s}", " ".join(f"{v:.5f}" for v in lrs), f"| last {last[0]:.6f} w {w:.6f}")

# ReduceLROnPlateau watches a metric and cuts the lr when it stops improving
w = torch.nn.Parameter(torch.tensor([1.0]))
opt = torch.optim.SGD([w], lr=1.0)
plateau = lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
for epoch, metric in enumerate([1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8]):
    plateau.step(metric)
    print(epoch, metric, opt.param_groups[0]["lr"])

# the scheduler's state survives a state_dict round trip
opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
s1 = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
for _ in range(3):
    opt.step()
    s1.step()
state = s1.state_dict()
print(state["last_epoch"], state["step_size"], state["gamma"], s1.get_last_lr())
