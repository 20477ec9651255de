"""Named tuples that ops returning several tensors give back (``torch.return_types``).

``values, indices = x.max(dim=1)`` unpacks like a tuple; ``x.max(1).values`` reads by name.
"""

from __future__ import annotations

from collections import namedtuple

from . import _dtype

__all__ = ["aminmax", "kthvalue", "max", "median", "min", "sort", "topk"]


def _repr(self) -> str:
    fields = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
    return f"{_dtype._PREFIX[0]}.return_types.{type(self).__name__}(\n{fields})"


max = namedtuple("max", ["values", "indices"])
max.__repr__ = _repr
max.__module__ = __name__
min = namedtuple("min", ["values", "indices"])
min.__repr__ = _repr
min.__module__ = __name__
sort = namedtuple("sort", ["values", "indices"])
sort.__repr__ = _repr
sort.__module__ = __name__
topk = namedtuple("topk", ["values", "indices"])
topk.__repr__ = _repr
topk.__module__ = __name__
median = namedtuple("median", ["values", "indices"])
median.__repr__ = _repr
median.__module__ = __name__
kthvalue = namedtuple("kthvalue", ["values", "indices"])
kthvalue.__repr__ = _repr
kthvalue.__module__ = __name__
aminmax = namedtuple("aminmax", ["min", "max"])
aminmax.__repr__ = _repr
aminmax.__module__ = __name__
