"""Signals during a build: SIGTERM acts like Ctrl-C, and publishing is never cut in half.

A build may be stopped at any moment (Ctrl-C, a CI runner's SIGTERM). Until it publishes,
stopping costs nothing: outputs, manifest and cache are untouched (the temp files staged
while workers render are removed, see publish/phase.py). Publishing (writing the
outputs, removing orphans, flushing the cache and writing the manifest) runs with signals
deferred, so the manifest always describes the files on disk; a signal received meanwhile
stops the build right after it (exit 130). A second signal stops it at once: each file is
still written atomically, and the next build adopts outputs whose bytes match its render.

Handlers are set through `_signal`, the C module `signal` wraps: `signal` turns numbers into
enums that it builds when imported (about a millisecond of an edit build), and the main
thread is told by the handler call itself (`signal.signal` refuses any other thread), not by
importing `threading`.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
from collections.abc import Iterator
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

_SIGNALS = (_signal.SIGINT, _signal.SIGTERM)
_NOT_MAIN = object()  # what `_install` returns in a thread other than the main one


def _install(signum: int, handler: Any) -> Any:
    """Set a handler; return the previous one, or `_NOT_MAIN` off the main thread (where
    Python refuses handlers: the signals are the main thread's, nothing to defer there)."""
    try:
        return _signal.signal(signum, handler)
    except ValueError:
        return _NOT_MAIN


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt for the block, so it unwinds like Ctrl-C."""
    previous = _install(_signal.SIGTERM, _raise_interrupt)
    if previous is _NOT_MAIN:
        yield
        return
    try:
        yield
    finally:
        _signal.signal(_signal.SIGTERM, previous)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise KeyboardInterrupt.

    A second signal during the block raises at once: the user insists.
    """
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    first = _install(_SIGNALS[0], hold)
    if first is _NOT_MAIN:
        yield
        return
    previous = {_SIGNALS[0]: first, _SIGNALS[1]: _signal.signal(_SIGNALS[1], hold)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            _signal.signal(signum, handler)
    if pending:
        raise KeyboardInterrupt


def ignore_in_worker() -> None:
    """In a worker process: leave SIGINT and SIGTERM to the parent, which stops the workers.

    A terminal (or a CI runner) signals the whole process group; a worker dying on its own
    could do so while sending a result, which would hang the parent (see workers.py).
    """
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
