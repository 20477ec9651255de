"""``RemovableHandle``: what ``register_*_hook`` returns; ``handle.remove()`` unregisters."""

from __future__ import annotations


class RemovableHandle:
    """Removes one hook from the dict it was registered in (PyTorch's ``torch.utils.hooks``).

    >>> hooks = {}
    >>> h = RemovableHandle(hooks)
    >>> hooks[h.id] = print
    >>> h.remove()
    >>> hooks
    {}
    """

    next_id = 0

    def __init__(self, hooks_dict: dict):
        self.hooks_dict = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
