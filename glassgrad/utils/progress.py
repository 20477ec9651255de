"""A tiny progress bar on stderr (standard library only).

It draws only when stderr is a terminal and ``GLASSGRAD_PROGRESS`` is not ``0``, so logs, pipes
and tests get no escape codes. Wrap an iterable, or call ``update(n)`` by hand:

>>> for epoch in progress(range(3), desc="train"):
...     pass
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["Progress", "progress"]


def _enabled(stream) -> bool:
    if os.environ.get("GLASSGRAD_PROGRESS", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """``[#######.......]  42/100  train loss=0.1234  3.1s``, redrawn at most 10 times a second.

    Parameters
    ----------
    iterable : what to iterate (its ``len`` gives the total), or None with ``total``.
    total : number of steps when the iterable has no length.
    desc : a label in front of the bar.
    width : characters in the bar.
    disable : force the bar off (None: automatic, see the module docstring).
    """

    def __init__(self, iterable=None, total: int | None = None, desc: str = "",
                 width: int = 30, disable: bool | None = None, stream=None) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.desc = desc
        self.width = width
        self.stream = stream if stream is not None else sys.stderr
        self.disable = (not _enabled(self.stream)) if disable is None else disable
        self.n = 0
        self.postfix = ""
        self._start = time.monotonic()
        self._last_draw = 0.0

    def __iter__(self):
        if self.iterable is None:
            raise TypeError("Progress: nothing to iterate; pass an iterable or call update()")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_postfix(self, **values) -> None:
        """Show ``key=value`` pairs after the bar (floats with 4 significant digits)."""
        self.postfix = "  ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
        )
        self._draw(force=False)

    def write(self, message: str) -> None:
        """Print ``message`` on stdout without tearing the bar (cleared, printed, redrawn)."""
        if not self.disable:
            self.stream.write("\r\033[K")
            self.stream.flush()
        print(message, flush=True)
        if not self.disable:
            self._draw(force=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw(force=self.total is not None and self.n >= self.total)

    def _line(self) -> str:
        elapsed = time.monotonic() - self._start
        head = f"{self.desc} " if self.desc else ""
        if self.total:
            frac = min(1.0, self.n / self.total)
            filled = round(frac * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            counts = f"{self.n}/{self.total}"
            return f"{head}[{bar}] {counts}  {self.postfix}  {elapsed:.1f}s"
        return f"{head}{self.n} it  {self.postfix}  {elapsed:.1f}s"

    def _draw(self, force: bool) -> None:
        if self.disable:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self.stream.write("\r" + self._line() + "\033[K")
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.disable:
            return
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()
        self.disable = True


def progress(iterable=None, total: int | None = None, desc: str = "", **kwargs) -> Progress:
    """``Progress(iterable, ...)``: ``for x in progress(loader, desc="epoch 1"): ...``."""
    return Progress(iterable, total=total, desc=desc, **kwargs)
