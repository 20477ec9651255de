"""Random numbers: one global NumPy generator, seeded by ``manual_seed``.

glassgrad draws from NumPy's PCG64, not PyTorch's Mersenne Twister, so a seed gives reproducible
numbers in glassgrad but not the same numbers as PyTorch (see docs/compat.md).
"""

from __future__ import annotations

import numpy as np


class Generator:
    """``torch.Generator``: an independent random stream (used by DataLoader, randperm...)."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (a dict here, a ByteTensor in PyTorch)."""
        return dict(self.rng.bit_generator.state)

    def set_state(self, state) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed glassgrad's global generator (PyTorch's ``torch.manual_seed``)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def _rng(generator=None) -> np.random.Generator:
    return (generator or default_generator).rng
