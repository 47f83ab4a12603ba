"""Signals during a build: SIGTERM acts like Ctrl-C, and publishing is never cut in half.

A build may be stopped at any moment (Ctrl-C, a CI runner's SIGTERM). Until it publishes,
stopping costs nothing: outputs, manifest and cache are untouched (the temp files staged
while workers render are removed, see publish/phase.py). Publishing (writing the
outputs, removing orphans, flushing the cache and writing the manifest) runs with signals
deferred, so the manifest always describes the files on disk; a signal received meanwhile
stops the build right after it (exit 130). A second signal stops it at once: each file is
still written atomically, and the next build adopts outputs whose bytes match its render.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt for the block, so it unwinds like Ctrl-C."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise KeyboardInterrupt.

    A second signal during the block raises at once: the user insists.
    """
    if not _main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if pending:
        raise KeyboardInterrupt


def ignore_in_worker() -> None:
    """In a worker process: leave SIGINT and SIGTERM to the parent, which stops the workers.

    A terminal (or a CI runner) signals the whole process group; a worker dying on its own
    could do so while sending a result, which would hang the parent (see workers.py).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
