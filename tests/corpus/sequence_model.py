"""A tiny sequence model: Embedding -> LSTM -> Linear, fixed weights, one training step."""
import torch
import torch.nn as nn  # noqa: PLR0402  (the form tutorials use)


class Tagger(nn.Module):
    def __init__(self, vocab=6, dim=4, hidden=5, tags=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTM(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, tags)

    def forward(self, tokens):
        h, (h_n, _c_n) = self.rnn(self.emb(tokens))
        return self.out(h), h_n


model = Tagger()
with torch.no_grad():
    for i, (name, p) in enumerate(model.named_parameters()):
        p.copy_(torch.linspace(-0.6, 0.6, p.numel()).reshape(p.shape).roll(i))
print([(n, tuple(p.shape)) for n, p in model.named_parameters()])

tokens = torch.tensor([[1, 2, 3, 4], [5, 4, 0, 1]])
tags = torch.tensor([[0, 1, 2, 1], [2, 1, 0, 0]])
logits, h_n = model(tokens)
print(logits.shape, h_n.shape)
print(h_n.squeeze(0))

opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(5):
    logits, _ = model(tokens)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 3), tags.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.5f}")
print(model.emb.weight.grad[0], model.rnn.weight_hh_l0.grad.abs().sum().item() > 0)
