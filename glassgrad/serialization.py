"""Checkpoints: ``glassgrad.save(obj, path)`` and ``glassgrad.load(path)``, without pickle.

What can be saved: tensors, NumPy arrays, Python numbers, strings, bools, None, and dicts,
lists and tuples of those, nested (model and optimizer state dicts, scheduler state dicts,
``{"epoch": 3, "model": ..., "optim": ...}``). Whole modules, optimizers, functions and other
objects cannot: saving them would need pickle, and loading a pickle can run any code.

The file is one valid safetensors file (https://github.com/huggingface/safetensors)::

    8 bytes   N, the header length (unsigned little-endian)
    N bytes   JSON header: {"t0": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              ..., "__metadata__": {"format": "glassgrad", "glassgrad": "<structure JSON>"}}
    the rest  the tensors' bytes, little-endian, C order, one after the other

The structure JSON rebuilds the object: tensors are ``{"__tensor__": "t0"}`` references into
the header, dicts keep non-string keys (optimizer state uses int ids) as ``[key, value]`` pairs.
Any safetensors reader (``safetensors.numpy.load_file``) reads the tensors; ``glassgrad.load``
also reads plain safetensors files (as a dict of tensors). It is written by hand here, so the
``safetensors`` package is not needed.

Loading only parses JSON and copies bytes: a crafted file cannot run code; a malformed one
raises a ``RuntimeError`` that says what is wrong. Saving writes a temporary file in the same
directory, fsyncs it and renames it over the target (``os.replace`` is atomic), so a crash or
an error mid-save leaves the previous file intact.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import os
import struct
import tempfile

import numpy as np

from . import _dtype
from .tensor import Tensor, _wrap

__all__ = ["load", "save"]

_FORMAT = "glassgrad"
_VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit
_MAX_DEPTH = 200

# safetensors dtype codes <-> NumPy (little-endian)
_CODE_OF = {
    np.dtype(np.float16): "F16",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int8): "I8",
    np.dtype(np.int16): "I16",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}
_DTYPE_OF = {code: dt.newbyteorder("<") for dt, code in _CODE_OF.items()}


# -- save -------------------------------------------------------------------------------------


class _Encoder:
    """Walk the object: collect arrays, return the JSON-ready structure."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def add(self, arr: np.ndarray) -> str:
        arr = np.asarray(arr)
        if arr.dtype not in _CODE_OF:
            raise TypeError(f"glassgrad.save: tensors of dtype {arr.dtype} cannot be saved")
        name = f"t{len(self.arrays)}"
        # not np.ascontiguousarray: it turns a 0-dim array into shape (1,)
        self.arrays.append(arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False))
        return name

    def encode(self, obj, where: str, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise ValueError(f"glassgrad.save: {where} is nested more than {_MAX_DEPTH} deep")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"__float__": repr(obj)}  # 'inf', '-inf', 'nan': JSON has no literal
        if isinstance(obj, Tensor):
            out = {"__tensor__": self.add(obj._data)}
            if obj.requires_grad:
                out["requires_grad"] = True
            if type(obj).__name__ == "Parameter":
                out["parameter"] = True
            return out
        if isinstance(obj, np.ndarray):
            return {"__ndarray__": self.add(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), where, depth)
        if isinstance(obj, _dtype.dtype):
            return {"__dtype__": str(obj)}
        if isinstance(obj, collections.Counter):
            return {"__counter__": [[self.encode(k, where, depth + 1), v]
                                    for k, v in obj.items()]}
        if isinstance(obj, dict):
            items = [[self.encode(k, f"{where} (a key)", depth + 1),
                      self.encode(v, f"{where}[{k!r}]", depth + 1)] for k, v in obj.items()]
            out = {"__dict__": items}
            if isinstance(obj, collections.OrderedDict):
                out["ordered"] = True
            return out
        if isinstance(obj, (list, tuple)):
            tag = "__list__" if isinstance(obj, list) else "__tuple__"
            return {tag: [self.encode(v, f"{where}[{i}]", depth + 1)
                          for i, v in enumerate(obj)]}
        raise TypeError(_unsupported(obj, where))


def _unsupported(obj, where: str) -> str:
    kind = type(obj).__name__
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        what = "Module" if hasattr(obj, "parameters") else "object"
        return (
            f"glassgrad.save: cannot save a whole {what} ({kind}) at {where}: that would need "
            "pickle, and loading a pickle can run arbitrary code. Save its state_dict() instead: "
            "glassgrad.save(model.state_dict(), path), and restore it with "
            "model.load_state_dict(glassgrad.load(path))."
        )
    return (
        f"glassgrad.save: cannot save an object of type {kind} at {where}; checkpoints hold "
        "tensors, NumPy arrays, numbers, strings, bools, None, and dicts/lists/tuples of those "
        "(no pickle, so loading can never run code)"
    )


def _serialize(obj) -> tuple[bytes, list[np.ndarray]]:
    enc = _Encoder()
    structure = enc.encode(obj, "obj")
    header: dict = {}
    offset = 0
    for i, arr in enumerate(enc.arrays):
        header[f"t{i}"] = {
            "dtype": _CODE_OF[arr.dtype.newbyteorder("=")],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + arr.nbytes],
        }
        offset += arr.nbytes
    header["__metadata__"] = {
        "format": _FORMAT,
        "glassgrad_version": str(_VERSION),
        "glassgrad": json.dumps(structure, separators=(",", ":"), allow_nan=False),
    }
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad so the tensor bytes start 8-byte aligned
    return struct.pack("<Q", len(raw)) + raw, enc.arrays


def _write_array(f, arr: np.ndarray) -> None:
    f.write(memoryview(arr.reshape(-1)).cast("B") if arr.size else b"")


def _write(f, head: bytes, arrays: list[np.ndarray]) -> None:
    f.write(head)
    for arr in arrays:
        _write_array(f, arr)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` (state dicts and nested dicts/lists/tuples of tensors and numbers) to ``f``.

    ``f`` is a path (written atomically: a temporary file in the same directory, fsync, then
    ``os.replace``) or a binary file object. ``pickle_module`` and the other PyTorch arguments
    are accepted and ignored: nothing is ever pickled.

    >>> import glassgrad as gg, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.gg")
    >>> gg.save({"w": gg.tensor([1.0, 2.0]), "epoch": 3}, path)
    >>> gg.load(path)
    {'w': tensor([1., 2.]), 'epoch': 3}
    """
    head, arrays = _serialize(obj)
    if hasattr(f, "write"):
        _write(f, head, arrays)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            _write(out, head, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _umask() -> int:
    """The process umask: read from /proc on Linux (no race), else set-and-restore."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- load -------------------------------------------------------------------------------------


def _bad(what: str, name: str = "") -> RuntimeError:
    return RuntimeError(f"glassgrad.load({name!r}): {what}" if name else f"glassgrad.load: {what}")


def _read_tensors(data: bytes, name: str) -> tuple[dict, dict]:
    """Parse and validate the safetensors layout; return (name -> array, metadata)."""
    if len(data) >= 4 and data[:4] == b"PK\x03\x04":
        raise _bad(
            "this is a PyTorch torch.save file (a zip of pickles), not a glassgrad checkpoint. "
            "glassgrad never unpickles, because loading a pickle can run arbitrary code. Convert "
            "it with PyTorch: safetensors.torch.save_file(torch.load(p, weights_only=True), q)",
            name,
        )
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        raise _bad(
            "this is a pickle file; glassgrad never unpickles, because loading a pickle can "
            "run arbitrary code. Save the tensors with glassgrad.save or as safetensors",
            name,
        )
    if len(data) < 8:
        raise _bad(f"file too short ({len(data)} bytes) to be a checkpoint", name)
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise _bad(
            f"not a glassgrad/safetensors checkpoint: header length {n} does not fit the "
            f"file's {len(data)} bytes", name,
        )
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _bad(f"malformed checkpoint header (not valid JSON: {e})", name) from None
    if not isinstance(header, dict):
        raise _bad("malformed checkpoint header (expected a JSON object)", name)
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise _bad("malformed checkpoint header (__metadata__ must be an object)", name)
    body = memoryview(data)[8 + n:]
    arrays = {}
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict):
            raise _bad(f"malformed entry for tensor {key!r}", name)
        code, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if code not in _DTYPE_OF:
            raise _bad(f"tensor {key!r} has unsupported dtype {code!r}", name)
        if (not isinstance(shape, list) or len(shape) > 64
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                           for s in shape)):
            raise _bad(f"tensor {key!r} has a malformed shape {shape!r}", name)
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            raise _bad(f"tensor {key!r} has malformed data_offsets {offsets!r}", name)
        begin, end = offsets
        dt = _DTYPE_OF[code]
        nbytes = math.prod(shape) * dt.itemsize
        if not 0 <= begin <= end <= len(body) or end - begin != nbytes:
            raise _bad(
                f"tensor {key!r} ({code}, shape {shape}) needs {nbytes} bytes but its "
                f"data_offsets {offsets} do not fit the {len(body)}-byte data section", name,
            )
        spans.append((begin, end, key))
        arr = np.frombuffer(body[begin:end], dtype=dt).reshape(shape)
        arrays[key] = arr.astype(dt.newbyteorder("="), copy=True)
    spans.sort()
    for (_, e0, k0), (b1, _, k1) in itertools.pairwise(spans):
        if b1 < e0:
            raise _bad(f"tensors {k0!r} and {k1!r} overlap in the data section", name)
    return arrays, meta


class _Decoder:
    def __init__(self, arrays: dict, name: str) -> None:
        self.arrays = arrays
        self.name = name

    def array(self, ref) -> np.ndarray:
        if not isinstance(ref, str) or ref not in self.arrays:
            raise _bad(f"structure refers to a missing tensor {ref!r}", self.name)
        return self.arrays[ref]

    def decode(self, node, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise _bad(f"structure nested more than {_MAX_DEPTH} deep", self.name)
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, dict) and len(node) >= 1:
            if "__tensor__" in node:
                t = _wrap(self.array(node["__tensor__"]), False, None)
                if node.get("parameter"):
                    t = _as_parameter(t, bool(node.get("requires_grad", True)))
                elif node.get("requires_grad"):
                    t.requires_grad = True
                return t
            if "__ndarray__" in node:
                return self.array(node["__ndarray__"])
            if "__float__" in node and node["__float__"] in ("inf", "-inf", "nan"):
                return float(node["__float__"])
            if "__dtype__" in node:
                name = str(node["__dtype__"]).replace("glassgrad.", "")
                dt = getattr(_dtype, name, None)
                if isinstance(dt, _dtype.dtype):
                    return dt
            if "__list__" in node and isinstance(node["__list__"], list):
                return [self.decode(v, depth + 1) for v in node["__list__"]]
            if "__tuple__" in node and isinstance(node["__tuple__"], list):
                return tuple(self.decode(v, depth + 1) for v in node["__tuple__"])
            if "__dict__" in node or "__counter__" in node:
                items = node.get("__dict__", node.get("__counter__"))
                if not isinstance(items, list) or not all(
                        isinstance(p, list) and len(p) == 2 for p in items):
                    raise _bad("malformed dict in the structure", self.name)
                if "__counter__" in node:
                    out = collections.Counter()
                elif node.get("ordered"):
                    out = collections.OrderedDict()
                else:
                    out = {}
                for k, v in items:
                    key = self.decode(k, depth + 1)
                    try:
                        hash(key)
                    except TypeError:
                        raise _bad("a dict key in the structure is not hashable",
                                   self.name) from None
                    out[key] = self.decode(v, depth + 1)
                return out
        raise _bad(f"unknown entry in the structure: {str(node)[:80]}", self.name)


def _as_parameter(t: Tensor, requires_grad: bool):
    try:
        from .nn import Parameter
    except ImportError:
        t.requires_grad = requires_grad
        return t
    return Parameter(t, requires_grad=requires_grad)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load what ``glassgrad.save`` wrote (or any safetensors file, as a dict of tensors).

    ``f`` is a path or a binary file object. ``map_location`` (glassgrad runs on the CPU),
    ``weights_only`` (loading is always as safe as PyTorch's ``weights_only=True``: no code
    runs) and ``mmap`` are accepted and ignored. A file that is not a checkpoint, is truncated
    or is crafted raises ``RuntimeError`` with the reason.
    """
    if hasattr(f, "read"):
        data = f.read()
        name = getattr(f, "name", "")
    else:
        name = os.fspath(f)
        with open(name, "rb") as fh:
            data = fh.read()
    name = str(name)
    arrays, meta = _read_tensors(data, name)
    if meta.get("format") != _FORMAT or "glassgrad" not in meta:
        # a plain safetensors file: its tensors by name
        return {k: _wrap(v, False, None) for k, v in arrays.items()}
    try:
        structure = json.loads(meta["glassgrad"])
    except (TypeError, ValueError, RecursionError) as e:
        raise _bad(f"malformed structure in the checkpoint ({e})", name) from None
    return _Decoder(arrays, name).decode(structure)
