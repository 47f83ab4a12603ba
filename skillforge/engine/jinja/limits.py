"""Bounds on one template render: time and size (issue 5: an enormous loop in a template).

The sandbox (sandbox.py) already refuses `range()` over 100,000 items and huge `*`/`**`
results, but nested loops can still run for hours or fill memory. Every top-level render
(a section, a document layout, a rendered supporting file) runs under a timer and a cap on
the text it produces; a fragment rendered inside it shares both. Limits come from the config:
`[build] render_timeout` (seconds, 0 disables) and `[build] max_render_size` (characters).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (signal's enums cost an edit a millisecond)
import sys
from _thread import get_ident
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


def _new_context(template: Any, context: dict[str, Any]) -> Any:
    """The context `template.new_context(context)` makes, from the build's globals dict when
    the template's globals are that dict alone (Jinja2's `make_globals(None)`)."""
    global _jinja_context
    if _jinja_context is None:  # (Jinja2 is imported by whoever made the template)
        from jinja2.runtime import new_context

        _jinja_context = new_context
    env = template.environment
    found = template.globals
    maps = getattr(found, "maps", None)
    if maps is not None and len(maps) == 2 and not maps[0] and maps[1] is env.globals:
        found = env.globals  # the same names and values, without the ChainMap's lookups
    return _jinja_context(env, template.name, template.blocks, context, False, found)


_jinja_context: Any = None


def _main_thread_ident() -> int | None:
    """The main thread's id, without importing `threading` for it: with no `threading`
    imported, no thread was started through it, and this one is the main one."""
    threading = sys.modules.get("threading")
    return get_ident() if threading is None else threading.main_thread().ident


class RenderLimits:
    """Renders templates within a time limit and a size cap; one per Renderer."""

    def __init__(self, seconds: float = DEFAULT_TIMEOUT, max_size: int = DEFAULT_MAX_SIZE):
        self.seconds = seconds
        self.max_size = max_size
        self._active = False
        self._installed = False
        # whether renders are timed at all (a timer needs SIGALRM, in the main thread only)
        self._timer = seconds > 0 and hasattr(_signal, "setitimer")
        self._main = _main_thread_ident()

    def render(self, template: Any, context: dict[str, Any]) -> str:
        """Render `template` (a jinja2.Template) with `context`, within the limits."""
        if self._active:  # nested (a fragment inside a section): the outer render's limits
            return self._collect(template, context)
        timed = self._timer and get_ident() == self._main
        if timed and not self._installed:
            # once, not per render: installing a handler costs ten times arming the timer
            _signal.signal(_signal.SIGALRM, self._expired)
            self._installed = True
        self._active = True
        try:
            if timed:
                _signal.setitimer(_signal.ITIMER_REAL, self.seconds)
            return self._collect(template, context)
        finally:
            if timed:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
            self._active = False

    def _collect(self, template: Any, context: dict[str, Any]) -> str:
        # The size is checked per batch of chunks, not per chunk: a chunk is bounded by the
        # sandbox's own size checks, so a batch overshoots the cap by a bounded amount only.
        # What `template.generate(context)` does, without its generator around the render's
        # and the copy of `context` it makes before the context copies it again; Jinja2 asks
        # the template's globals map (a ChainMap) for each of its names in every context,
        # the build's globals dict answers the same (`_new_context`)
        parts: list[str] = []
        size = 0
        try:
            chunks = template.root_render_func(_new_context(template, context))
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
            try:  # what `generate` does: Jinja2 rewrites the traceback to the template's lines
                template.environment.handle_exception()
            except Exception as rewritten:
                raise _ours(rewritten) from None
            raise _ours(exc) from None  # pragma: no cover - handle_exception always raises
        if not parts:
            return ""
        return parts[0] if len(parts) == 1 else "".join(parts)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        if not self._active:
            return  # a late alarm, or another user of SIGALRM: not ours to act on
        raise RenderLimitError(
            f"the render ran longer than {self.seconds:g}s ([build] render_timeout); "
            "is a loop running away?"
        )
