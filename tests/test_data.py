"""utils.data against PyTorch: batching, last-batch handling, collation; reproducible shuffles."""

import collections
import subprocess
import sys

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.utils import data as ggdata

try:  # torch is the oracle for collation and batching; the reproducibility tests need no torch
    import torch

    tdata = torch.utils.data
except ImportError:
    torch = tdata = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")


def _plain(x):
    """A comparable form of a (collated) structure from either library."""
    if isinstance(x, (gg.Tensor, torch.Tensor)):
        arr = x.numpy() if isinstance(x, torch.Tensor) else x._data
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), arr.tolist())
    if isinstance(x, dict):
        return ("D", type(x).__name__, [(k, _plain(v)) for k, v in x.items()])
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("NT", type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    return x


Point = collections.namedtuple("Point", ["x", "y"])


def _samples(lib):
    t = lib.tensor
    return {
        "tensors": [t([1.0, 2.0]), t([3.0, 4.0]), t([5.0, 6.0])],
        "scalars0d": [t(1.5), t(2.5)],
        "tuple_tensor_int": [(t([1.0]), 0), (t([2.0]), 1), (t([3.0]), 2)],
        "floats": [0.5, 1.5, 2.5],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "strings": ["a", "bc"],
        "dict": [{"x": t([1.0, 2.0]), "y": 1, "name": "a", "w": 0.5},
                 {"x": t([3.0, 4.0]), "y": 0, "name": "b", "w": 1.5}],
        "ordered_dict": [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)],
        "list": [[1, 2.0], [3, 4.0]],
        "nested": [{"a": [t([1]), (2, 3.0)]}, {"a": [t([4]), (5, 6.0)]}],
        "namedtuple": [Point(1.0, t([1])), Point(2.0, t([2]))],
        "np_f32": [np.ones(3, np.float32), np.zeros(3, np.float32)],
        "np_f64": [np.ones((2, 2)), np.zeros((2, 2))],
        "np_i32": [np.arange(2, dtype=np.int32), np.arange(2, dtype=np.int32)],
        "np_scalars_f32": [np.float32(1.5), np.float32(2.5)],
        "np_scalars_i64": [np.int64(3), np.int64(4)],
        "np_scalars_bool": [np.bool_(True), np.bool_(False)],
        "int64_tensors": [t([1, 2]), t([3, 4])],
    }


@needs_torch
@pytest.mark.parametrize("kind", list(_samples(gg)))
def test_default_collate_matches_torch(kind):
    got = ggdata.default_collate(_samples(gg)[kind])
    ref = tdata.default_collate(_samples(torch)[kind])
    assert _plain(got) == _plain(ref)


@needs_torch
@pytest.mark.parametrize("kind", ["dict", "tuple_tensor_int", "np_f32", "np_scalars_f32",
                                  "list", "namedtuple"])
def test_default_convert_matches_torch(kind):
    for g, r in zip(_samples(gg)[kind], _samples(torch)[kind]):
        assert _plain(ggdata.default_convert(g)) == _plain(tdata.default_convert(r))


def test_default_collate_errors_match_torch():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        ggdata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        ggdata.default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ggdata.default_collate([gg.zeros(2), gg.zeros(3)])


def _dataset(lib, n):
    x = lib.arange(n * 2, dtype=lib.float32).reshape(n, 2)
    y = lib.arange(n)
    return lib.utils.data.TensorDataset(x, y)


@needs_torch
@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 12, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_batches_and_len_match_torch(n, batch_size, drop_last):
    got = gg.utils.data.DataLoader(_dataset(gg, n), batch_size=batch_size, drop_last=drop_last)
    ref = tdata.DataLoader(_dataset(torch, n), batch_size=batch_size, drop_last=drop_last)
    assert len(got) == len(ref)
    assert [_plain(b) for b in got] == [_plain(b) for b in ref]


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_batches_cover_dataset_once_with_right_last_batch(drop_last):
    n, bs = 23, 5
    loader = gg.utils.data.DataLoader(_dataset(gg, n), batch_size=bs, shuffle=True,
                                      drop_last=drop_last,
                                      generator=gg.Generator().manual_seed(0))
    sizes = [len(y) for _, y in loader]
    ys = [int(v) for _, y in loader for v in y.tolist()]
    if drop_last:
        assert sizes == [5, 5, 5, 5] and len(set(ys)) == 20
    else:
        assert sizes == [5, 5, 5, 5, 3] and sorted(ys) == list(range(n))
    assert len(loader) == len(sizes)


def _orders(loader, epochs=3):
    return [[y.tolist() for _, y in loader] for _ in range(epochs)]


def test_same_seed_same_batches_every_run():
    def with_generator():
        g = gg.Generator().manual_seed(1234)
        return _orders(gg.utils.data.DataLoader(_dataset(gg, 17), batch_size=4, shuffle=True,
                                                generator=g))

    def with_global_seed():
        gg.manual_seed(1234)
        return _orders(gg.utils.data.DataLoader(_dataset(gg, 17), batch_size=4, shuffle=True))

    a, b = with_generator(), with_generator()
    assert a == b
    assert a[0] != a[1]  # a new order each epoch
    c, d = with_global_seed(), with_global_seed()
    assert c == d and c[0] != c[1]
    g2 = gg.Generator().manual_seed(99)
    other = _orders(gg.utils.data.DataLoader(_dataset(gg, 17), batch_size=4, shuffle=True,
                                             generator=g2))
    assert other != a


SCRIPT = """
import glassgrad as gg
from glassgrad.utils.data import DataLoader, TensorDataset, random_split
ds = TensorDataset(gg.arange(17))
gg.manual_seed(7)
a = [b[0].tolist() for _ in range(2) for b in DataLoader(ds, batch_size=4, shuffle=True)]
g = gg.Generator().manual_seed(7)
b = [b[0].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True, generator=g)]
s = [list(x.indices) for x in random_split(ds, [0.5, 0.5], generator=gg.Generator().manual_seed(3))]
print(a, b, s)
"""


def test_same_seed_same_batches_across_processes():
    outs = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1] and outs[0].strip()


@needs_torch
def test_random_split_lengths_match_torch_and_are_reproducible():
    ds = list(range(10))
    for lengths in ([3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.25, 0.25, 0.25, 0.25], [1.0]):
        with pytest.warns(UserWarning) if 0.0 in lengths else _nullcontext():
            got = ggdata.random_split(ds, lengths, generator=gg.Generator().manual_seed(0))
        ref = tdata.random_split(ds, lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in got] == [len(s) for s in ref]
        flat = [ds_i for s in got for ds_i in s]
        assert sorted(flat) == ds
    a = ggdata.random_split(ds, [4, 6], generator=gg.Generator().manual_seed(5))
    b = ggdata.random_split(ds, [4, 6], generator=gg.Generator().manual_seed(5))
    assert [list(s) for s in a] == [list(s) for s in b]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        ggdata.random_split(ds, [3, 3])


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_subset_concat_and_custom_collate():
    ds = _dataset(gg, 6)
    sub = ggdata.Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 4
    cat = ds + sub
    assert len(cat) == 9 and cat[7][1].item() == 0 and cat[-1][1].item() == 2
    loader = ggdata.DataLoader(sub, batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(loader) == [2, 1]


@needs_torch
def test_batch_size_none_converts_without_batching():
    ds = [np.float32(1.0), np.array([1, 2])]
    got = list(ggdata.DataLoader(ds, batch_size=None))
    ref = list(tdata.DataLoader(ds, batch_size=None))
    assert [_plain(g) for g in got] == [_plain(r) for r in ref]


@needs_torch
def test_samplers_and_batch_sampler():
    ds = _dataset(gg, 10)
    bs = ggdata.BatchSampler(ggdata.SequentialSampler(ds), 4, drop_last=False)
    assert list(bs) == list(tdata.BatchSampler(tdata.SequentialSampler(range(10)), 4, False))
    loader = ggdata.DataLoader(ds, batch_sampler=bs)
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    rs = ggdata.RandomSampler(ds, replacement=True, num_samples=25,
                              generator=gg.Generator().manual_seed(0))
    idx = list(rs)
    assert len(idx) == 25 and all(0 <= i < 10 for i in idx)
    srs = ggdata.SubsetRandomSampler([1, 3, 5], generator=gg.Generator().manual_seed(0))
    assert sorted(srs) == [1, 3, 5]


def test_iterable_dataset():
    class Stream(ggdata.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in ggdata.DataLoader(Stream(), batch_size=3)] == [
        [0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in ggdata.DataLoader(Stream(), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        ggdata.DataLoader(Stream(), shuffle=True)


@needs_torch
@pytest.mark.parametrize(("kwargs", "msg"), [
    ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
    ({"batch_size": 0}, "batch_size should be a positive integer value"),
])
def test_loader_argument_errors_match_torch(kwargs, msg):
    ds = _dataset(gg, 4)
    with pytest.raises(ValueError, match=msg):
        ggdata.DataLoader(ds, **kwargs)
    with pytest.raises(ValueError, match=msg):
        tdata.DataLoader(_dataset(torch, 4), **kwargs)


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ggdata.TensorDataset(gg.zeros(3), gg.zeros(4))


@needs_torch
def test_weighted_random_sampler():
    g = gg.Generator().manual_seed(0)
    idx = list(ggdata.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    counts = np.bincount(idx, minlength=3)
    assert counts[0] == 0 and 2.5 < counts[2] / counts[1] < 3.5
    once = list(ggdata.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False,
                                             generator=gg.Generator().manual_seed(1)))
    assert sorted(once) == [0, 1, 2]
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        ggdata.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        tdata.WeightedRandomSampler([1.0], 0)
    loader = ggdata.DataLoader(_dataset(gg, 3), batch_size=2,
                               sampler=ggdata.WeightedRandomSampler([0.0, 0.0, 1.0], 4))
    assert [y.tolist() for _, y in loader] == [[2, 2], [2, 2]]
