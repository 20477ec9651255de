"""``glassgrad.utils``: ``data`` (Dataset, DataLoader), ``hooks``, and a small progress bar."""

from . import data, hooks, progress

__all__ = ["data", "hooks", "progress"]
