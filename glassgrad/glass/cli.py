"""What ``glassgrad demo/run --trace DIR --explain`` do around the script they run."""

from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def traced(trace_dir=None, explain: bool = False):
    """Run the body inside ``glass.trace()``; print each step (``explain``) and/or write
    ``trace_dir/report.html`` and ``trace_dir/trace.json`` at the end."""
    if not trace_dir and not explain:
        yield None
        return
    from .terminal import printer
    from .trace import trace

    t = trace(on_step=printer() if explain else None)
    try:
        with t:
            yield t
    finally:
        if trace_dir:
            path = t.save(trace_dir)
            print(f"glass: {len(t.steps)} steps traced; report written to {path}",
                  file=sys.stderr)
