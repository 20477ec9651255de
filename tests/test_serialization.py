"""Checkpoints: round trips, safetensors compatibility, atomic writes, no code on load."""

import collections
import io
import json
import math
import os
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

import glassgrad as gg
from glassgrad import serialization

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
          np.bool_]


def _same(a, b):
    """Structural equality that compares tensors by dtype, shape, values and requires_grad."""
    if isinstance(a, gg.Tensor):
        assert isinstance(b, gg.Tensor), (a, b)
        assert type(a) is type(b)
        assert a._data.dtype == b._data.dtype and a._data.shape == b._data.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a._data, b._data)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and a == b, (a, b)


def _everything():
    rng = np.random.default_rng(0)
    return {
        "tensors": {str(np.dtype(dt)): gg.from_numpy((rng.normal(size=(2, 3)) * 10).astype(dt))
                    for dt in DTYPES},
        "scalar": gg.tensor(3.5),
        "empty": gg.zeros(0, 4),
        "transposed": gg.arange(6.0).reshape(2, 3).t(),
        "leaf": gg.tensor([1.0, 2.0], requires_grad=True),
        "param": gg.nn.Parameter(gg.ones(2)),
        "numbers": [0, -1, 2**70, 1.5, -0.0, float("inf"), float("-inf"), float("nan")],
        "text": ["", "héllo ✓", "quote\"s", "\n"],
        "flags": (True, False, None),
        3: "int key",
        (1, "a"): "tuple key",
        "nested": [{"a": [gg.ones(1), (2, [3.0])]}, []],
        "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
        "counter": collections.Counter([5, 5, 7]),
        "ndarray": np.arange(4, dtype=np.int32),
        "dtype": gg.float64,
    }


def test_round_trip_everything(tmp_path):
    obj = _everything()
    path = tmp_path / "ckpt.gg"
    gg.save(obj, path)
    back = gg.load(path)
    _same(obj, back)
    assert isinstance(back["counter"], collections.Counter)
    assert back["transposed"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_numpy_scalars_come_back_as_python_numbers(tmp_path):
    gg.save({"a": np.float32(1.5), "b": np.int64(2), "c": np.bool_(True)}, tmp_path / "x")
    assert gg.load(tmp_path / "x") == {"a": 1.5, "b": 2, "c": True}


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    t = gg.tensor([1.0, 2.0])
    gg.save([t, t], tmp_path / "x")
    a, b = gg.load(tmp_path / "x")
    a._data[0] = 5.0
    assert b.tolist() == [1.0, 2.0] and t.tolist() == [1.0, 2.0]


def test_file_objects_and_ignored_torch_arguments():
    buf = io.BytesIO()
    gg.save({"w": gg.ones(2)}, buf)
    buf.seek(0)
    out = gg.load(buf, map_location="cpu", weights_only=True)
    assert out["w"].tolist() == [1.0, 1.0]


def test_safetensors_package_reads_the_tensors(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    from safetensors.numpy import load_file

    obj = {"model": {"w": gg.arange(6.0).reshape(2, 3), "b": gg.tensor(1.0)},
           "ints": gg.tensor([1, 2], dtype=gg.int32), "mask": gg.tensor([True, False])}
    path = tmp_path / "ckpt.gg"
    gg.save(obj, path)
    arrays = load_file(str(path))
    got = sorted((a.dtype.str, a.shape, a.tolist()) for a in arrays.values())
    want = sorted((t._data.dtype.str, t._data.shape, t.tolist())
                  for t in [obj["model"]["w"], obj["model"]["b"], obj["ints"], obj["mask"]])
    assert got == want
    with safetensors.safe_open(str(path), "np") as f:
        assert f.metadata()["format"] == "glassgrad"


def test_loads_a_plain_safetensors_file(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    save_file({"w": np.ones((2, 2), np.float32), "i": np.arange(3)}, str(tmp_path / "m.st"))
    out = gg.load(tmp_path / "m.st")
    assert sorted(out) == ["i", "w"]
    assert out["w"].dtype == gg.float32 and out["i"].tolist() == [0, 1, 2]


def test_torch_can_read_the_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.torch import load_file

    gg.save({"w": gg.tensor([[1.0, 2.0]], dtype=gg.float64)}, tmp_path / "x")
    (t,) = load_file(str(tmp_path / "x")).values()
    assert t.dtype == torch.float64 and t.tolist() == [[1.0, 2.0]]


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        x = gg.tensor(rng.normal(size=(8, 3)).astype(np.float32))
        y = gg.tensor(rng.normal(size=(8, 2)).astype(np.float32))
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_model_and_optimizer_round_trip_continue_identically(tmp_path, opt_name):
    kwargs = {"SGD": {"lr": 0.1, "momentum": 0.9}, "Adam": {"lr": 0.01, "amsgrad": True},
              "RMSprop": {"lr": 0.01, "centered": True, "momentum": 0.5},
              "Adagrad": {"lr": 0.1}}[opt_name]

    def make():
        gg.manual_seed(0)
        model = gg.nn.Sequential(gg.nn.Linear(3, 4), gg.nn.Tanh(), gg.nn.Linear(4, 2))
        opt = getattr(gg.optim, opt_name)(model.parameters(), **kwargs)
        sched = gg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return model, opt, sched

    model, opt, sched = make()
    _train(model, opt, 5, seed=1)
    sched.step()
    gg.save({"model": model.state_dict(), "optim": opt.state_dict(),
             "sched": sched.state_dict(), "epoch": 5}, tmp_path / "ckpt.gg")
    sched.step()
    straight = _train(model, opt, 5, seed=2)
    final = {k: v._data.copy() for k, v in model.state_dict().items()}

    model2, opt2, sched2 = make()
    ckpt = gg.load(tmp_path / "ckpt.gg")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    sched2.load_state_dict(ckpt["sched"])
    assert ckpt["epoch"] == 5
    sched2.step()
    resumed = _train(model2, opt2, 5, seed=2)
    assert resumed == straight
    for k, v in model2.state_dict().items():
        np.testing.assert_array_equal(v._data, final[k])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_load_state_dict_key_errors_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    gg.save({"weight": gg.zeros(2, 3), "bias": gg.zeros(2), "extra": gg.zeros(1)},
            tmp_path / "a")
    sd = gg.load(tmp_path / "a")
    tsd = {k: torch.tensor(v._data) for k, v in sd.items()}
    for bad_sd, bad_tsd in [
        ({k: v for k, v in sd.items() if k != "bias"},
         {k: v for k, v in tsd.items() if k != "bias"}),
        (sd | {"weight": gg.zeros(3, 3)}, tsd | {"weight": torch.zeros(3, 3)}),
    ]:
        with pytest.raises(RuntimeError) as got:
            gg.nn.Linear(3, 2).load_state_dict(bad_sd)
        with pytest.raises(RuntimeError) as ref:
            torch.nn.Linear(3, 2).load_state_dict(bad_tsd)
        assert str(got.value).replace("glassgrad", "torch") == str(ref.value)


def test_saving_a_module_says_to_save_its_state_dict(tmp_path):
    model = gg.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"(?i)save its state_dict\(\)") as err:
        gg.save(model, tmp_path / "m")
    assert "Linear" in str(err.value)
    with pytest.raises(TypeError, match=r"state_dict\(\)"):
        gg.save({"model": model}, tmp_path / "m")
    opt = gg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"state_dict\(\)"):
        gg.save(opt, tmp_path / "m")
    with pytest.raises(TypeError, match=r"cannot save an object of type function at obj\['f'\]"):
        gg.save({"f": lambda: 0}, tmp_path / "m")
    assert not os.path.exists(tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_a_failing_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.gg"
    gg.save({"version": 1, "w": gg.ones(1000)}, path)
    before = path.read_bytes()
    calls = []
    real = serialization._write_array

    def half_then_fail(f, arr):
        calls.append(arr.shape)
        if len(calls) == 2:
            f.write(b"\x00" * 100)  # part of the second tensor reaches the disk
            raise OSError(28, "No space left on device")
        real(f, arr)

    monkeypatch.setattr(serialization, "_write_array", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        gg.save({"version": 2, "a": gg.zeros(1000), "b": gg.zeros(1000)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert gg.load(path)["version"] == 1
    assert os.listdir(tmp_path) == ["ckpt.gg"]  # the temporary file was removed


CRASH = """
import os, sys
import glassgrad as gg
from glassgrad import serialization
real = serialization._write_array
n = []
def crash(f, arr):
    n.append(1)
    if len(n) == 2:
        f.write(b"x" * 10)
        f.flush()
        os._exit(3)  # the process dies mid-write: no cleanup, no exception handlers
    real(f, arr)
serialization._write_array = crash
gg.save({"version": 2, "a": gg.zeros(100), "b": gg.zeros(100)}, sys.argv[1])
"""


def test_a_crash_mid_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "ckpt.gg"
    gg.save({"version": 1}, path)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", CRASH, str(path)], capture_output=True,
                          check=False)
    assert proc.returncode == 3
    assert path.read_bytes() == before
    assert gg.load(path) == {"version": 1}


def test_saved_file_permissions_follow_umask(tmp_path):
    gg.save({"a": 1}, tmp_path / "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (os.stat(tmp_path / "x").st_mode & 0o777) == (0o666 & ~mask)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(RuntimeError, match="never unpickles"):
        gg.load(path)
    assert not marker.exists()


def test_torch_save_file_is_refused_with_a_conversion_hint(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "t.pt")
    with pytest.raises(RuntimeError, match="PyTorch torch.save file"):
        gg.load(tmp_path / "t.pt")


def _raw(header: dict, body: bytes = b"", length=None) -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h) if length is None else length) + h + body


def _meta(structure) -> dict:
    return {"format": "glassgrad", "glassgrad": json.dumps(structure)}


MALFORMED = [
    (b"", "too short"),
    (b"\x05\x00", "too short"),
    (struct.pack("<Q", 2**60) + b"{}", "does not fit"),
    (struct.pack("<Q", 5) + b"{\"a\":", "not valid JSON"),
    (struct.pack("<Q", 2) + b"\xff\xfe", "not valid JSON"),
    (_raw([1, 2]), "expected a JSON object"),
    (_raw({"t0": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unsupported dtype"),
    (_raw({"t0": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "malformed shape"),
    (_raw({"t0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
     "needs 8 bytes"),
    (_raw({"t0": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8),
     "do not fit"),
    (_raw({"t0": {"dtype": "F32", "shape": [1], "data_offsets": ["0", 4]}}, b"\0" * 4),
     "malformed data_offsets"),
    (_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
     "overlap"),
    (_raw({"__metadata__": _meta({"__tensor__": "t9"})}), "missing tensor"),
    (_raw({"__metadata__": _meta({"__object__": "os.system"})}), "unknown entry"),
    (_raw({"__metadata__": _meta({"__dict__": [[{"__list__": []}, 1]]})}), "not hashable"),
    (_raw({"__metadata__": _meta({"__dict__": "x"})}), "malformed dict"),
    (_raw({"__metadata__": {"format": "glassgrad", "glassgrad": "{nope"}}),
     "malformed structure"),
    (_raw({"__metadata__": {"format": "glassgrad",
                            "glassgrad": "[" * 100000 + "]" * 100000}}), "malformed structure"),
]


@pytest.mark.parametrize(("data", "msg"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_files_give_clear_errors(tmp_path, data, msg):
    path = tmp_path / "bad.gg"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match=msg) as err:
        gg.load(path)
    assert str(err.value).startswith("glassgrad.load(")


def test_truncated_checkpoint_is_detected(tmp_path):
    path = tmp_path / "x.gg"
    gg.save({"w": gg.ones(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(RuntimeError, match="do not fit"):
        gg.load(path)


def test_unsupported_tensor_dtype_and_deep_nesting(tmp_path):
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than"):
        gg.save(deep, tmp_path / "x")
    with pytest.raises(TypeError, match="cannot be saved"):
        gg.save(np.array([1 + 2j]), tmp_path / "x")


def test_missing_parent_directory_error_matches_torch(tmp_path):
    with pytest.raises(RuntimeError, match=r"Parent directory .*nope does not exist\."):
        gg.save({}, tmp_path / "nope" / "x.gg")
    with pytest.raises(FileNotFoundError):
        gg.load(tmp_path / "missing.gg")


def test_rng_state_round_trip_resumes_the_same_numbers(tmp_path):
    gg.manual_seed(3)
    gg.randn(2)
    gg.save({"rng": gg.get_rng_state()}, tmp_path / "r.gg")
    expected = gg.randn(3).tolist()
    gg.set_rng_state(gg.load(tmp_path / "r.gg")["rng"])
    assert gg.randn(3).tolist() == expected
