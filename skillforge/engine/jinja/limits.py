"""Bounds on one template render: time and size (issue 5: an enormous loop in a template).

The sandbox (sandbox.py) already refuses `range()` over 100,000 items and huge `*`/`**`
results, but nested loops can still run for hours or fill memory. Every top-level render
(a section, a document layout, a rendered supporting file) runs under a timer and a cap on
the text it produces; a fragment rendered inside it shares both. Limits come from the config:
`[build] render_timeout` (seconds, 0 disables) and `[build] max_render_size` (characters).
"""

from __future__ import annotations

import signal
import threading
from itertools import islice
from types import FrameType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_SIZE = 10 * 2**20
# Chunks of a render joined between two checks of its size.
_BATCH = 64


class RenderLimitError(Exception):
    """A template ran longer, or produced more text, than the configured limits allow."""


def _ours(exc: Exception) -> Exception:
    """The limit error behind `exc`, when Jinja2 failed while reporting it.

    An alarm can land where a frame has no line number; Jinja2's traceback rewrite then fails
    with a TypeError of its own, and the timeout would be reported as that TypeError.
    """
    seen: Exception | None = exc
    while seen is not None:
        if isinstance(seen, RenderLimitError):
            return seen
        context = seen.__context__
        seen = context if isinstance(context, Exception) else None
    return exc


class RenderLimits:
    """Renders templates within a time limit and a size cap; one per Renderer."""

    def __init__(self, seconds: float = DEFAULT_TIMEOUT, max_size: int = DEFAULT_MAX_SIZE):
        self.seconds = seconds
        self.max_size = max_size
        self._active = False
        self._installed = False

    def render(self, template: Any, context: dict[str, Any]) -> str:
        """Render `template` (a jinja2.Template) with `context`, within the limits."""
        if self._active:  # nested (a fragment inside a section): the outer render's limits
            return self._collect(template, context)
        timed = (
            self.seconds > 0
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if timed and not self._installed:
            # once, not per render: installing a handler costs ten times arming the timer
            signal.signal(signal.SIGALRM, self._expired)
            self._installed = True
        self._active = True
        try:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
            return self._collect(template, context)
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
            self._active = False

    def _collect(self, template: Any, context: dict[str, Any]) -> str:
        # The size is checked per batch of chunks, not per chunk: a chunk is bounded by the
        # sandbox's own size checks, so a batch overshoots the cap by a bounded amount only.
        parts: list[str] = []
        size = 0
        chunks = template.generate(context)
        try:
            while batch := list(islice(chunks, _BATCH)):
                text = "".join(batch)
                size += len(text)
                if size > self.max_size:
                    raise RenderLimitError(
                        f"the render produced more than {self.max_size:,} characters "
                        "([build] max_render_size); is a loop running away?"
                    )
                parts.append(text)
        except Exception as exc:
            raise _ours(exc) from None
        return parts[0] if len(parts) == 1 else "".join(parts)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        if not self._active:
            return  # a late alarm, or another user of SIGALRM: not ours to act on
        raise RenderLimitError(
            f"the render ran longer than {self.seconds:g}s ([build] render_timeout); "
            "is a loop running away?"
        )
