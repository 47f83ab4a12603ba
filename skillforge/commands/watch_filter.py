"""What `skillforge watch` watches: the folders, the filter that admits only the saves of
files skillforge reads, and the watchfiles threads that report them (commands/watch.py runs
them)."""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import NamedTuple

from skillforge.state.inventory import SPEC_SUFFIXES
from skillforge.state.locate import CONFIG_NAME, PYPROJECT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.load.config import Config
    from skillforge.engine.warm import WarmState

# Longest a continuous stream of changes is held back before it is rebuilt anyway.
MAX_BURST_MS = 1600
# The watchfiles step of the folder watch: a change is reported one to two steps after it.
FAST_STEP_MS = 2
# Longest to wait for new watches to be in place before going on without them.
READY_SECONDS = 5.0
FAILED = "\x00failed"  # a watcher thread died; the queue item carries the reason

# What the watcher threads put on the queue: when the burst it ends may be written (a
# `time.monotonic()` value), and the admitted changes (or FAILED and the reason).
Item = tuple[float, "set[tuple[Any, str]] | str"]


class Targets(NamedTuple):
    """The folders to watch: recursively, and the project root alone."""

    deep: tuple[str, ...]
    root: str


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class SaveFilter:
    """Admit only changes to files skillforge reads (and folders that held or hold some)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = str(config.root)
        self.specs = [str(p) for p in config.specs]
        self.traits = [str(p) for p in config.traits]
        self.templates = [str(p) for p in config.templates]
        self.ignored = [*(str(out) for out in config.outs()), str(config.cache_dir)]
        self.config_names = {str(config.path)} if config.path else set()
        if config.path is None:  # a config file created later turns the defaults into it
            self.config_names = {os.path.join(self.root, n) for n in (CONFIG_NAME, PYPROJECT)}
        folders = self.specs + self.traits + self.templates
        self.folders = {str(p) for f in folders for p in (Path(f), *Path(f).parents)}
        self.known_dirs: frozenset[str] = frozenset()
        self.supporting: frozenset[str] = frozenset()
        self._read: set[str] | None = None  # the files the records read, as last seen
        self._read_specs: list[str] = []  # and the specs then
        self._dirs: tuple[list[str], set[str]] = ([], set())  # specs -> their folders

    def update(self, session: WarmState) -> None:
        """Learn which folders hold specs and which supporting files (and bases) are read."""
        specs = session.inventory.specs
        if specs != self._dirs[0]:  # the same specs (most rebuilds): the same folders
            self._dirs = (list(specs), {os.path.dirname(session.inventory.path(s)) for s in specs})
        read = session.files_read()  # the same set until the recorded dependencies change
        if read is not self._read or specs != self._read_specs:
            self._read, self._read_specs = read, list(specs)
            files = read.difference(specs)
            self.supporting = frozenset(os.path.join(self.root, f) for f in files)
        self.known_dirs = frozenset(self._dirs[1])  # replaced whole: watcher threads read them

    def is_config(self, path: str) -> bool:
        return path in self.config_names

    def __call__(self, change: Any, path: str) -> bool:
        if path in self.config_names or path in self.supporting:
            return True
        if any(_inside(path, folder) for folder in self.ignored):
            return False
        if os.path.dirname(path) == self.root and path in self.folders:
            return True  # a configured folder appeared or vanished
        name = os.path.basename(path)
        if name.startswith(".") or name == "__pycache__":
            return False  # editor temp files, like the scan skips them
        for folder in self.specs:
            if _inside(path, folder):
                if name.endswith(SPEC_SUFFIXES) or path in self.known_dirs:
                    return True
                return os.path.isdir(path)
        for folder in self.traits:
            if _inside(path, folder):
                return name.endswith(SPEC_SUFFIXES) or os.path.isdir(path)
        return any(_inside(path, folder) for folder in self.templates)

    def targets(self) -> Targets:
        """Existing folders to watch recursively (none inside another), and the root.

        Folders of supporting files outside the configured ones are added unless they hold
        the output or cache folder; supporting files in the root are seen by the root watch.
        """
        extra = {os.path.dirname(p) for p in self.supporting} - {self.root}
        extra = {f for f in extra if not any(_inside(i, f) for i in self.ignored)}
        wanted = sorted({*self.specs, *self.traits, *self.templates, *extra})
        existing = [f for f in wanted if os.path.isdir(f)]
        deep = [f for f in existing if not any(f != g and _inside(f, g) for g in existing)]
        return Targets(tuple(deep), self.root)


class _Ready:
    """The stop event handed to watchfiles, which also says when the watches are in place.

    watchfiles asks `is_set()` from its wait loop, which runs only once the folders are
    watched: the first call means a change made from now on will be seen.
    """

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.ready = threading.Event()

    def is_set(self) -> bool:
        if not self.ready.is_set():  # asked every step: set once
            self.ready.set()
        return self.stop.is_set()


class Watchers:
    """watchfiles threads that put each burst of admitted changes on one queue.

    The folder watch steps every `FAST_STEP_MS` (it starts rebuilds); the root watch (the
    config file, folders still to come) every `quiet_ms`, which costs less while idle. Each
    item says when its burst may be written: `quiet_ms` and one step after it was reported.
    """

    def __init__(self, changes: queue.Queue[Item], quiet_ms: int) -> None:
        self.changes = changes
        self.quiet_ms = quiet_ms
        self.targets: Targets | None = None
        self.filter: SaveFilter | None = None
        self._stop: threading.Event | None = None
        self._threads: list[threading.Thread] = []

    def start(self, targets: Targets, save_filter: SaveFilter) -> None:
        """Watch `targets` (new threads start before the old ones stop: no change is lost)."""
        if targets == self.targets and save_filter is self.filter:
            return
        old_stop, old_threads = self._stop, self._threads
        self.targets, self.filter = targets, save_filter
        self._stop = threading.Event()
        self._threads = []
        plan: list[tuple[tuple[str, ...], bool, int]] = [((targets.root,), False, self.quiet_ms)]
        if targets.deep:
            plan.append((targets.deep, True, min(FAST_STEP_MS, self.quiet_ms)))
        flags = []
        for paths, recursive, step in plan:
            flag = _Ready(self._stop)
            thread = threading.Thread(
                target=self._run,
                args=(paths, recursive, step, save_filter, flag),
                name="skillforge-watch",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
            flags.append(flag)
        for flag in flags:
            flag.ready.wait(timeout=READY_SECONDS)
        self._join(old_stop, old_threads)

    def stop(self) -> None:
        self._join(self._stop, self._threads)
        self._stop, self._threads, self.targets, self.filter = None, [], None, None

    def _join(self, stop: threading.Event | None, threads: list[threading.Thread]) -> None:
        if stop is not None:
            stop.set()
        for thread in threads:
            thread.join(timeout=2)

    def _run(
        self,
        paths: tuple[str, ...],
        recursive: bool,
        step: int,
        save_filter: SaveFilter,
        stop: _Ready,
    ) -> None:
        import watchfiles

        settle = (self.quiet_ms + step) / 1000
        try:
            for batch in watchfiles.watch(
                *paths,
                watch_filter=save_filter,
                debounce=MAX_BURST_MS,
                step=step,
                stop_event=stop,
                raise_interrupt=False,
                recursive=recursive,
            ):
                self.changes.put((time.monotonic() + settle, batch))
        except Exception as exc:  # a watched folder vanished, the watch limit was hit, ...
            if not stop.stop.is_set():
                failed = f"{FAILED}{exc.__class__.__name__}: {exc}"
                self.changes.put((time.monotonic(), failed))
        finally:
            stop.ready.set()
