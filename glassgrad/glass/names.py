"""Names from the user's code: ``w``, ``y_hat``, ``model.0.weight``, and where a line is.

Only used while tracing or explaining: the user's frame (the first one outside glassgrad's own
modules) is inspected for variables that hold the tensors the trace sees, by identity.
"""

from __future__ import annotations

import os
import sys

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLES = os.path.join(_PKG, "examples")


def _is_internal(frame) -> bool:
    name = frame.f_globals.get("__name__", "")
    if name.startswith("glassgrad") and not name.startswith("glassgrad.examples"):
        return True
    fn = frame.f_code.co_filename
    return fn.startswith(_PKG) and not fn.startswith(_EXAMPLES) and name != "__main__"


def user_frame(depth: int = 1):
    """The innermost frame that belongs to the user's code (not glassgrad, not runpy)."""
    f = sys._getframe(depth)
    while f is not None:
        if not _is_internal(f) and not f.f_code.co_filename.startswith("<frozen"):
            return f
        f = f.f_back
    return None


def where(frame) -> str:
    """``file:line`` of a frame, the file relative to the working directory when inside it."""
    if frame is None:
        return "?"
    return f"{_rel(frame.f_code.co_filename)}:{frame.f_lineno}"


_REL: dict = {}


def _rel(fn: str) -> str:
    """A file name relative to the working directory when inside it (cached per file)."""
    key = (fn, os.getcwd())
    out = _REL.get(key)
    if out is None:
        out = fn
        try:
            rel = os.path.relpath(fn)
            if not rel.startswith(".."):
                out = rel
        except ValueError:
            pass
        _REL[key] = out
    return out


def _is_tensor(v, Tensor) -> bool:
    return isinstance(v, Tensor)


def scan(frame, wanted: dict, Tensor, spaces: str = "lg") -> dict:
    """Names of the objects in ``wanted`` (``{id: obj}``) among the frame's locals, then globals.

    Returns ``{id: name}``. Locals win (``x`` inside ``forward(x)`` over the global ``X``);
    names starting with ``_`` are skipped.
    """
    found = {}
    if frame is None or not wanted:
        return found
    chosen = [frame.f_locals] if "l" in spaces else []
    if "g" in spaces and frame.f_globals is not frame.f_locals:
        chosen.append(frame.f_globals)
    for space in chosen:
        for name, v in list(space.items()):
            if name.startswith("_") or type(v) is not Tensor and not isinstance(v, Tensor):
                continue
            k = id(v)
            if k in wanted and k not in found and wanted[k] is v:
                found[k] = name
        if len(found) == len(wanted):
            break
    return found


def modules_and_optimizers(frame, max_up: int = 3):
    """``nn.Module`` and optimizer objects held by variables in the user's frames.

    Returns (``{param_id: 'model.0.weight'}``, ``[optimizers]``, ``{module_id: 'model.0'}``).
    """
    params = {}
    optims = []
    mods = {}
    f = frame
    n = 0
    while f is not None and n < max_up:
        for space in (f.f_locals, f.f_globals):
            for name, v in list(space.items()):
                if name.startswith("_") or isinstance(v, type):
                    continue
                if hasattr(v, "named_parameters") and hasattr(v, "named_modules"):
                    try:
                        for pname, p in v.named_parameters():
                            params.setdefault(id(p), f"{name}.{pname}")
                        for mname, m in v.named_modules():
                            mods.setdefault(id(m), f"{name}.{mname}" if mname else name)
                    except Exception:  # noqa: BLE001, S112  (an object that only looks like a Module)
                        continue
                elif hasattr(v, "param_groups") and hasattr(v, "step") and v not in optims:
                    optims.append(v)
        f = f.f_back
        n += 1
    return params, optims, mods


def module_of(depth: int = 1, max_up: int = 12):
    """The innermost ``nn.Module`` whose ``forward`` is running (the op's layer), if any."""
    f = sys._getframe(depth)
    n = 0
    while f is not None and n < max_up:
        if f.f_code.co_name == "forward":
            mod = f.f_locals.get("self")
            if mod is not None and hasattr(mod, "named_parameters"):
                return mod
        f = f.f_back
        n += 1
    return None
