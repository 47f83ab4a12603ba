"""One writer per project: a lock file in the cache folder (DESIGN §6).

`build`, `clean` and each rebuild of `watch` hold an exclusive `flock` on `<cache>/lock` while
they read and write outputs, the manifest and the cache, so two processes on one project never
interleave their writes. A second process waits up to `--lock-timeout` seconds, then fails
naming the holder's pid and command, which the holder records in the lock file.

`flock` locks belong to the open file: the kernel drops them when the holder exits or dies, so a
crashed build never leaves a stale lock behind. The file itself stays (it is only a handle).
The no-op fast path and `build --dry-run` take no lock: the manifest is replaced atomically
(`os.replace` of a complete temp file), so they read either the old manifest or the new one,
never half of one. `check` compares many files with the manifest, so it takes the lock shared
(`reading_lock`): it waits while a writer publishes, and a writer waits for it; it creates
nothing (no lock file means no writer has run).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from skillforge.errors import SkillforgeError
from skillforge.state.files import move_aside

LOCK_NAME = "lock"
DEFAULT_TIMEOUT = 60.0
_POLL = 0.05


class ProjectBusy(SkillforgeError):
    """Another skillforge process holds the project lock past the timeout.

    Exit 1 (the command failed), not 2: nothing is wrong with the command or the config, and
    running it again later succeeds.
    """


class CacheFolderReadOnly(SkillforgeError):
    """The cache folder cannot be written: no lock, no manifest, so no build (exit 2).

    Without a manifest skillforge could not tell its own outputs from hand edits at the next
    build, nor remove orphans, so it builds nothing rather than build without one.
    """

    exit_code = 2


def lock_path(cache_dir: str | os.PathLike[str]) -> str:
    return os.path.join(os.fspath(cache_dir), LOCK_NAME)


def ensure_cache_dir(cache_dir: str | os.PathLike[str], warn: Callable[[str], None]) -> None:
    """Create the cache folder; a file (or dangling link) in its place is moved aside."""
    path = os.fspath(cache_dir)
    if os.path.lexists(path) and not os.path.isdir(path):
        moved = move_aside(path)
        warn(
            f"{os.path.basename(path)} is not a folder; moved to {os.path.basename(moved)}, "
            "building cold"
        )
    os.makedirs(path, exist_ok=True)


def holder(cache_dir: str | os.PathLike[str]) -> str:
    """What the lock file says about its holder: "pid 123 (skillforge build)", or ""."""
    try:
        with open(lock_path(cache_dir), encoding="utf-8", errors="replace") as f:
            pid, _, command = f.read().strip().partition(" ")
    except OSError:
        return ""
    if not pid.isdigit():
        return ""
    return f"pid {pid} ({command})" if command else f"pid {pid}"


@contextmanager
def project_lock(
    cache_dir: str | os.PathLike[str],
    timeout: float = DEFAULT_TIMEOUT,
    command: str = "skillforge",
    *,
    warn: Callable[[str], None] | None = None,
    waiting: Callable[[str], None] | None = None,
    shown: str = "",
) -> Iterator[None]:
    """Hold the project lock for the duration of the block.

    `waiting` is called once, with the holder, when the lock is busy; after `timeout` seconds
    of waiting `ProjectBusy` is raised. `warn` receives state problems fixed on the way (a
    file where the cache folder should be). `shown` names the cache folder in errors (its
    path from the project root). A cache folder this process cannot write raises
    `CacheFolderReadOnly` before anything is built.
    """
    import fcntl

    path = lock_path(cache_dir)
    busy = _Busy(cache_dir, timeout, waiting)
    while True:
        fd = _open_lock(cache_dir, shown, warn)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            busy.wait()
            continue
        except BaseException:
            os.close(fd)
            raise
        # The folder may have been removed (`clean --cache`, rm -rf) while we waited: a lock on
        # a deleted file excludes nobody, so take it again on the file now at `path`.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        break
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the next holder rewrites the file


def _open_lock(
    cache_dir: str | os.PathLike[str], shown: str, warn: Callable[[str], None] | None
) -> int:
    """Open the lock file, creating the cache folder first; fail if the folder is read-only."""
    folder = os.fspath(cache_dir)
    try:
        ensure_cache_dir(folder, warn or (lambda _: None))
        # The lock file may be writable in a read-only folder: the manifest would then fail
        # after the outputs are written, so the folder itself is checked first.
        effective = os.access in os.supports_effective_ids
        if not os.access(folder, os.W_OK, effective_ids=effective):
            raise PermissionError(13, os.strerror(13))
        return os.open(lock_path(folder), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CacheFolderReadOnly(
            f"{shown or os.path.basename(folder)}: cannot write ({exc.strerror or exc}); "
            "skillforge keeps its lock, manifest and cache there. Make the folder writable, "
            "or set cache_dir in the config to a folder you can write"
        ) from None


@contextmanager
def reading_lock(
    cache_dir: str | os.PathLike[str],
    timeout: float = DEFAULT_TIMEOUT,
    *,
    waiting: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the project lock shared, for a command that only reads (`check`); write nothing."""
    import fcntl

    busy = _Busy(cache_dir, timeout, waiting)
    try:
        fd = os.open(lock_path(cache_dir), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: no writer has run on this project yet
        yield
        return
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                busy.wait()
        yield
    finally:
        os.close(fd)


class _Busy:
    """Waiting for the holder of the lock: say so once, give up after the timeout."""

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        timeout: float,
        waiting: Callable[[str], None] | None,
    ) -> None:
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.deadline = time.monotonic() + max(timeout, 0.0)
        self.waiting = waiting

    def wait(self) -> None:
        who = holder(self.cache_dir) or "another skillforge process"
        if time.monotonic() >= self.deadline:
            raise ProjectBusy(
                f"{os.path.basename(os.fspath(self.cache_dir))}/{LOCK_NAME}: the project is "
                f"locked by {who}; waited {self.timeout:g}s. Wait for it to finish (or stop "
                "it), then rerun; --lock-timeout sets how long to wait"
            ) from None
        if self.waiting is not None:
            self.waiting(who)
            self.waiting = None  # once
        time.sleep(_POLL)
