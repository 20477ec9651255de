"""Run an unmodified PyTorch script on glassgrad: ``import torch`` resolves to glassgrad.

``install()`` puts an import hook first on ``sys.meta_path`` (this process only; nothing is written
anywhere) that answers every ``torch`` and ``torch.*`` import with a *proxy* module:

    torch                     -> glassgrad
    torch.nn.functional       -> glassgrad.nn.functional
    torch.utils.data          -> glassgrad.utils.data      (and so on, name for name)

A proxy forwards attribute reads to the glassgrad module it stands for, so ``torch.Tensor`` *is*
``glassgrad.Tensor`` (``isinstance`` and subclassing work). A name glassgrad lacks raises
:class:`UnsupportedError` with a message that names it the way the script spelled it::

    torch.fft.rfft is not supported by glassgrad yet

``run_script(path, argv)`` installs the hook, runs the file as ``__main__`` (like ``python path``)
and, when the script raises, prints a traceback of the script's own frames only.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import traceback
import types

__all__ = ["UnsupportedError", "hook", "install", "is_installed", "run_script", "uninstall"]


class UnsupportedError(Exception):
    """A PyTorch name that glassgrad does not provide (yet)."""


class UnsupportedAttributeError(UnsupportedError, AttributeError):
    """``torch.something`` where glassgrad has no ``something``: ``hasattr`` stays False."""


class UnsupportedModuleError(UnsupportedError, ModuleNotFoundError):
    """``import torch.something`` where glassgrad has no such module."""


def _message(torch_name: str) -> str:
    return f"{torch_name} is not supported by glassgrad yet"


# Submodules of torch that exist in PyTorch. Reading one always gives a proxy (wrapping
# glassgrad's version where there is one, else an empty stub), so that `torch.fft.rfft` fails
# naming `torch.fft.rfft` rather than `torch.fft`, and `import torch.linalg` works as it does
# under PyTorch until a missing function is used.
TORCH_SUBMODULES = frozenset({
    "amp", "ao", "autograd", "autograd.functional", "autograd.graph", "backends",
    "backends.cudnn", "backends.mkldnn", "backends.mps", "backends.openmp", "compiler", "cpu",
    "cuda", "cuda.amp", "distributed", "distributions", "export", "fft", "func", "futures", "hub",
    "jit", "library", "linalg", "masked", "mps", "multiprocessing", "nested", "nn",
    "nn.functional", "nn.init", "nn.modules", "nn.parallel", "nn.parameter", "nn.utils",
    "nn.utils.parametrize", "nn.utils.rnn", "onnx", "optim", "optim.lr_scheduler",
    "optim.swa_utils", "overrides", "profiler", "quantization", "random", "serialization",
    "signal", "sparse", "special", "testing", "types", "utils", "utils.benchmark",
    "utils.checkpoint", "utils.data", "utils.hooks", "utils.tensorboard", "xpu",
})

# torch module paths whose contents glassgrad keeps under another path.
ALIASES = {
    "nn.modules": "nn",
    "nn.parameter": "nn",
    "nn.modules.module": "nn",
    "nn.modules.loss": "nn",
    "nn.modules.linear": "nn",
    "nn.modules.activation": "nn",
    "nn.modules.container": "nn",
    "optim.optimizer": "optim",
    "utils.data.dataset": "utils.data",
    "utils.data.dataloader": "utils.data",
    "utils.data.sampler": "utils.data",
    "autograd.function": "autograd",
    "autograd.grad_mode": "autograd",
}

_MISSING = object()


def _glassgrad_target(rel: str):
    """The glassgrad object that stands for ``torch.<rel>`` ('' for torch), or _MISSING.

    A real glassgrad submodule wins; else an attribute of the parent (``glassgrad.cuda`` is a
    class, not a module). An ImportError raised *inside* an existing glassgrad module is a bug in
    glassgrad and propagates unchanged.
    """
    rel = ALIASES.get(rel, rel)
    name = "glassgrad" + ("." + rel if rel else "")
    if name in sys.modules:
        return sys.modules[name]
    parent_rel, _, leaf = rel.rpartition(".")
    parent = _glassgrad_target(parent_rel) if rel else _MISSING
    if rel and parent is _MISSING:
        return _MISSING
    if isinstance(parent, types.ModuleType) or not rel:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            return importlib.import_module(name)
    return getattr(parent, leaf, _MISSING)


class TorchProxy(types.ModuleType):
    """A module named ``torch...`` whose attributes are read from a glassgrad object.

    Each resolved attribute is cached in the proxy's ``__dict__``, so after the first read
    ``torch.tensor`` costs what a plain module attribute costs.
    """

    def __init__(self, torch_name: str, target):
        super().__init__(torch_name)
        self.__path__ = []  # a package: `import torch.x` and `from torch import x` come to us
        object.__setattr__(self, "_gg_target", target)
        if target is not _MISSING and getattr(target, "__doc__", None):
            self.__doc__ = target.__doc__

    def __getattr__(self, name: str):
        torch_name = self.__name__
        target = object.__getattribute__(self, "_gg_target")
        if name.startswith("__"):  # __version__, __file__...: glassgrad's own, else the usual error
            value = getattr(target, name, _MISSING)
            if value is _MISSING and name == "__all__" and target is not _MISSING:
                # `from torch import *` reads __all__: the public names glassgrad has
                value = [n for n in dir(target) if not n.startswith("_")
                         and not isinstance(getattr(target, n, None), types.ModuleType)]
            if value is _MISSING:
                raise AttributeError(f"module '{torch_name}' has no attribute '{name}'")
            return value
        rel = torch_name[len("torch."):] + "." + name if "." in torch_name else name
        value = _MISSING
        if rel in TORCH_SUBMODULES or rel in ALIASES:
            value = _proxy_for(rel)
        elif target is not _MISSING:
            value = getattr(target, name, _MISSING)
            if value is _MISSING and isinstance(target, types.ModuleType):
                sub = _glassgrad_target(rel)
                if sub is not _MISSING:
                    value = _proxy_for(rel)
            elif isinstance(value, types.ModuleType) and value.__name__.startswith("glassgrad"):
                value = _proxy_for(rel)
        if value is _MISSING:
            raise UnsupportedAttributeError(_message(f"{torch_name}.{name}"), name=name, obj=self)
        self.__dict__[name] = value
        return value

    def __dir__(self):
        target = object.__getattribute__(self, "_gg_target")
        names = set(self.__dict__)
        if target is not _MISSING:
            names.update(n for n in dir(target) if not n.startswith("_"))
        return sorted(names)

    def __repr__(self) -> str:
        target = object.__getattribute__(self, "_gg_target")
        shown = getattr(target, "__name__", "nothing: not supported yet")
        return f"<module '{self.__name__}' (glassgrad: {shown})>"


def _proxy_for(rel: str) -> TorchProxy:
    """The (single) proxy for ``torch.<rel>``, made on first use and kept in ``sys.modules``."""
    torch_name = "torch" + ("." + rel if rel else "")
    mod = sys.modules.get(torch_name)
    if isinstance(mod, TorchProxy):
        return mod
    target = _glassgrad_target(rel)
    if target is _MISSING and rel not in TORCH_SUBMODULES:
        raise UnsupportedModuleError(_message(torch_name))
    mod = TorchProxy(torch_name, target)
    mod.__spec__ = importlib.machinery.ModuleSpec(torch_name, _FINDER, is_package=True)
    mod.__loader__ = _FINDER
    sys.modules[torch_name] = mod
    return mod


class _TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import torch`` / ``import torch.x.y`` with proxies; leaves other imports alone."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            # Raises UnsupportedModuleError (name=None on purpose: importlib's `from torch
            # import x` swallows a ModuleNotFoundError whose .name is 'torch.x', and the clear
            # message would be lost) for a module glassgrad lacks.
            _proxy_for(fullname[len("torch."):] if fullname != "torch" else "")
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname in _OTHER_LIBRARIES:
            raise UnsupportedModuleError(_message(fullname) + " (glassgrad replaces only torch)")
        return None

    def create_module(self, spec):
        return sys.modules[spec.name]

    def exec_module(self, module):
        return None


# Libraries built on torch's C++ core: importing them under `glassgrad run` cannot work.
_OTHER_LIBRARIES = frozenset({"torchvision", "torchaudio", "torchtext", "functorch"})

_FINDER = _TorchFinder()
_SAVED: dict = {}


def install() -> None:
    """Resolve ``torch`` to glassgrad in this process, and print dtypes as ``torch.float32``."""
    if _FINDER in sys.meta_path:
        return
    from glassgrad import _dtype

    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        _SAVED[name] = sys.modules.pop(name)
    _SAVED["_prefix"] = _dtype._PREFIX[0]
    _dtype._PREFIX[0] = "torch"
    sys.meta_path.insert(0, _FINDER)


def is_installed() -> bool:
    return _FINDER in sys.meta_path


@contextlib.contextmanager
def hook():
    """``with hook():`` torch resolves to glassgrad inside the block (nests; undone on exit).

    >>> with hook():
    ...     import torch
    ...     print(torch.ones(2).dtype, hasattr(torch, "fft") and not hasattr(torch.fft, "rfft"))
    torch.float32 True
    """
    if is_installed():
        yield
        return
    install()
    try:
        yield
    finally:
        uninstall()


def uninstall() -> None:
    """Undo :func:`install` (used by tests that run scripts in-process)."""
    from glassgrad import _dtype

    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        if isinstance(sys.modules[name], TorchProxy):
            del sys.modules[name]
    _dtype._PREFIX[0] = _SAVED.pop("_prefix", "glassgrad")
    sys.modules.update(_SAVED)
    _SAVED.clear()


# ---------------------------------------------------------------------------- running a script

_GLASSGRAD_DIR = os.path.dirname(os.path.abspath(__file__))
_RUNPY = os.path.abspath(runpy.__file__)
_EXAMPLES_DIR = os.path.join(_GLASSGRAD_DIR, "examples") + os.sep


def _is_internal(filename: str) -> bool:
    """A frame of glassgrad's own code, runpy's or importlib's (the bundled examples are scripts,
    not internals)."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_EXAMPLES_DIR):
        return False
    return path == _RUNPY or path.startswith(_GLASSGRAD_DIR + os.sep)


def _user_frames_only(te: traceback.TracebackException, seen=None) -> None:
    """Drop glassgrad's, runpy's and importlib's frames from ``te`` and its chained causes."""
    seen = set() if seen is None else seen
    if id(te) in seen:
        return
    seen.add(id(te))
    # none kept (a SyntaxError in the script): just the error, as `python script.py` shows it
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if not _is_internal(f.filename)]
    )
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _user_frames_only(chained, seen)


def _torch_name_of_missing(exc: BaseException):
    """``torch.Tensor.stft`` for an AttributeError raised reading ``x.stft`` off a glassgrad
    object (a Tensor, a Module...), else None. A script that runs under PyTorch reads only names
    PyTorch has, so a public name missing from a glassgrad object is a gap in glassgrad."""
    if not isinstance(exc, AttributeError) or isinstance(exc, UnsupportedError):
        return None
    obj, name = getattr(exc, "obj", None), getattr(exc, "name", None)
    if obj is None:  # raised by a __getattr__ (nn.Module's): read self and name off its frame
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None and tb.tb_frame.f_code.co_name == "__getattr__":
            obj, name = tb.tb_frame.f_locals.get("self"), tb.tb_frame.f_locals.get("name")
    if obj is None or not isinstance(name, str) or name.startswith("_"):
        return None
    module_cls = getattr(sys.modules.get("glassgrad.nn"), "Module", None)
    if module_cls is not None and isinstance(obj, module_cls):
        # a module's attributes are also the user's own (self.fc3): only torch's own methods
        # (the ones the compatibility table lists) are glassgrad's gaps
        from .compat import TORCH_NAMES

        if name not in TORCH_NAMES["torch.nn.Module"].split():
            return None
    cls = obj if isinstance(obj, type) else type(obj)
    for klass in cls.__mro__:
        module = getattr(klass, "__module__", "") or ""
        if module == "glassgrad" or module.startswith("glassgrad."):
            return f"{_public_torch_path(klass)}.{name}"
    return None


def _public_torch_path(klass: type) -> str:
    """``torch.nn.Linear`` for glassgrad's Linear: the shortest torch path that reaches it."""
    parts = klass.__module__.split(".")[1:]
    for i in range(len(parts) + 1):
        rel = ".".join(parts[:i])
        mod = sys.modules.get("glassgrad" + ("." + rel if rel else ""))
        if mod is not None and getattr(mod, klass.__name__, None) is klass:
            return "torch" + ("." + rel if rel else "") + "." + klass.__name__
    return "torch." + klass.__qualname__


def _last_user_frame(tb) -> str:
    frames = [f for f in traceback.extract_tb(tb) if not _is_internal(f.filename)]
    if not frames:
        return ""
    f = frames[-1]
    text = f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
    if f.line:
        text += f"    {f.line.strip()}\n"
    return text


def format_user_error(exc: BaseException) -> str:
    """What ``glassgrad run`` prints for an exception that escaped the script.

    A torch name glassgrad lacks: the script's file:line and the message, nothing else.
    Anything else: Python's usual traceback, limited to the script's own frames (set
    GLASSGRAD_FULL_TRACEBACK=1 to see glassgrad's frames too).
    """
    full = bool(os.environ.get("GLASSGRAD_FULL_TRACEBACK"))
    missing = str(exc) if isinstance(exc, UnsupportedError) else None
    name = _torch_name_of_missing(exc)
    if name is not None:
        missing = _message(name)
    if missing is not None and not full:
        return (
            f"{_last_user_frame(exc.__traceback__)}{missing}\n"
            "(docs/compat.md lists what glassgrad supports)\n"
        )
    te = traceback.TracebackException.from_exception(exc)
    if not full:
        _user_frames_only(te)
    return "".join(te.format())


def run_script(path: str, argv=()) -> int:
    """Run ``path`` as ``__main__`` with ``torch`` resolved to glassgrad; return an exit status.

    Like ``python path argv...``: ``sys.argv`` is ``[path, *argv]`` and the script's directory
    comes first on ``sys.path``.
    """
    if not os.path.exists(path):
        print(f"glassgrad run: can't open file '{path}': no such file", file=sys.stderr)
        return 2
    install()
    sys.argv = [path, *argv]
    # as python does: the script's directory (or the directory/zip run via its __main__.py)
    first = path if not os.path.isfile(path) or path.endswith(".zip") else os.path.dirname(path)
    sys.path[0:1] = [os.path.abspath(first)]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except BaseException as e:  # noqa: BLE001  (the script's error, shown minus internals)
        sys.stdout.flush()
        sys.stderr.write(format_user_error(e))
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    return 0
