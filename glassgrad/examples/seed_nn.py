"""
The seed tutorial again, written the way PyTorch programs usually are: the model is an
nn.Linear(1, 1) layer, the loss is nn.MSELoss, and optim.SGD does the update that the seed
wrote by hand (w -= learning_rate * w.grad). The weight starts at 0 as in the seed, so it prints
the seed's numbers.

    glassgrad demo seed-nn [--epochs 20] [--lr 0.01]
"""
import argparse

import glassgrad as torch
from glassgrad import nn
from glassgrad.utils.progress import progress


def main(argv=None):
    parser = argparse.ArgumentParser(prog="glassgrad demo seed-nn",
                                     description="the seed problem with nn.Linear + MSELoss + SGD")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args(argv)

    X = torch.tensor([[1], [2], [3], [4]], dtype=torch.float32)  # 4 samples, 1 feature each
    y = torch.tensor([[2], [4], [6], [8]], dtype=torch.float32)

    model = nn.Linear(1, 1, bias=False)                  # y_hat = x @ W.T, W of shape (1, 1)
    nn.init.zeros_(model.weight)                         # start at w = 0, as the seed does
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    x_new = torch.tensor([5.0])

    def w():
        return model.weight.item()

    print(f"Prediction before training: f(5) = {model(x_new).item():.3f}, weights: {w():.3f}")
    print("+" * 20, "training", "+" * 20)
    losses = []
    bar = progress(range(args.epochs), desc="seed-nn")
    for epoch in bar:
        y_hat = model(X)                                 # 1. forward pass
        loss = loss_fn(y_hat, y)                         # 2. the loss
        loss.backward()                                  # 3. backward pass: model.weight.grad
        optimizer.step()                                 # 4. w -= lr * w.grad
        optimizer.zero_grad()
        losses.append(loss.item())
        bar.set_postfix(loss=losses[-1])
        if epoch % 2 == 0:
            bar.write(f"Epoch {epoch + 1}: w={w():.3f} loss={loss.item():.10f}")
    print("+" * 20, "done", "+" * 20)
    print(f"weights after training: {w():.3f}, lets do a prediction.")
    print(f"Prediction after training: f(5) = {model(x_new).item():.3f}")
    return {"losses": losses, "weight": w()}


if __name__ == "__main__":
    main()
