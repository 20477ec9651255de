"""benchmarks/run.py's trace-off row: the build with the glass-box hook checks cut out must
cover every hot-path function that has them, run the same steps, and restore the originals."""

import importlib.util
import inspect
from pathlib import Path

import glassgrad as gg
from glassgrad.autograd import engine, function

ROOT = Path(__file__).resolve().parents[1]


def _run_module():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _seed_losses(n=5):
    X = gg.tensor([1.0, 2.0, 3.0, 4.0])
    y = gg.tensor([2.0, 4.0, 6.0, 8.0])
    w = gg.tensor(0.0, requires_grad=True)
    out = []
    for _ in range(n):
        loss = ((y - w * X) ** 2).mean()
        loss.backward()
        with gg.no_grad():
            w -= 0.01 * w.grad
        w.grad.zero_()
        out.append(loss.item())
    return out


def test_every_function_with_hook_markers_is_swapped_and_restored():
    def has_markers(fn):
        fn = getattr(fn, "__func__", fn)
        return inspect.isfunction(fn) and "# glass hooks: begin" in inspect.getsource(fn)

    marked = {name for name, fn in [*vars(engine).items(), *vars(function.Function).items()]
              if has_markers(fn)}
    assert marked == {"_drain", "backward_scalar", "apply", "_apply1", "_apply2"}
    from glassgrad.ops.elementwise import Mul
    from glassgrad.ops.reduce import Mean

    # the places each one is called from: the engine's module, Function, and the op classes'
    # own copies of the apply paths
    def current():
        out = {n: getattr(engine, n) for n in marked if hasattr(engine, n)}
        for cls in (function.Function, Mul, Mean):
            out.update({(cls, n): cls.__dict__[n] for n in function._PER_CLASS})
        return out

    install, restore = _run_module()._nohooks_build()
    want = _seed_losses()
    before = current()
    install()
    try:
        assert all(now is not before[k] for k, now in current().items())
        assert _seed_losses() == want
    finally:
        restore()
    assert all(now is before[k] for k, now in current().items())
    assert _seed_losses() == want
