"""`skillforge watch` (DESIGN §6): an initial build, then one incremental rebuild per burst.

Two watchfiles threads feed one queue: one watches the spec, trait and template folders (and
the folders of supporting files outside them) recursively, the other the project root alone,
for the config file and for configured folders that do not exist yet. Folders, not files:
editors that save by rename replace the inode. A filter admits only what skillforge reads, and
the output and cache folders are never watched. The main thread takes a burst from the queue,
lets the `WarmState` patch itself and runs `engine.build.run` from its `Start`, with it as
the render strategy: a rebuild does, reports and records exactly what `build` would.

Latency: the folder watch reports a change within a few milliseconds (`FAST_STEP_MS`), and
the rebuild starts at once. It renders while the burst settles: just before it would write,
its gate waits until no change has come for the quiet time (half the debounce, plus one
watcher step). A change that comes meanwhile abandons the rebuild (nothing is written yet, like
a Ctrl-C while rendering) and the burst, with the new change, is rebuilt: one burst, one
rebuild, as with a rebuild that waited for the quiet time before it began, but the render no
longer adds to the wait.

Stopping: SIGINT and SIGTERM set the stop event. While a rebuild is still rendering (nothing
written yet) the signal also aborts it; once it publishes outputs it finishes first
(`WarmState.writing`). Either way watch exits 0 with no temp file left.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from skillforge.commands.watch_filter import FAILED, MAX_BURST_MS, Item, SaveFilter, Watchers
from skillforge.engine.load.config import Config
from skillforge.engine.options import BuildOptions
from skillforge.engine.warm import WarmState
from skillforge.errors import Problem, SkillforgeError
from skillforge.report.watch import WatchReporter

# How often the main thread looks at the stop event while it waits for changes.
POLL_SECONDS = 0.05


class _Stop(BaseException):
    """Raised by the signal handler to abandon a rebuild that has not written anything."""


class _Superseded(Exception):
    """Raised by the gate to abandon a rebuild that has not written anything: a newer change
    belongs to its burst."""


class Watch:
    """The watch loop of one project: load, build, wait for changes, rebuild, repeat."""

    def __init__(
        self,
        config_file: str | Path | None,
        options: BuildOptions,
        reporter: WatchReporter,
        *,
        debounce_ms: int = 20,
        stop: threading.Event | None = None,
    ) -> None:
        self.config_file = config_file
        self.paths = options.paths
        self.options = options
        self.reporter = reporter
        self.stop = stop or threading.Event()
        self.changes: queue.Queue[Item] = queue.Queue()
        # a burst is written once no change came for half the debounce and a watcher step:
        # well under the debounce after its last save
        self.watchers = Watchers(self.changes, max(1, debounce_ms // 2))
        self.session: WarmState | None = None
        self.filter: SaveFilter | None = None
        self.rendering = False
        self._held: list[Item] = []  # taken from the queue by the gate, not handled yet
        self._burst_at: float | None = None  # when the burst being rebuilt began
        self._ready_at = 0.0  # when it may be written

    def run(self) -> int:
        """Watch until the stop event is set; return the exit code (0)."""
        try:
            self._load(raise_errors=True)
            assert self.filter is not None
            self.watchers.start(self.filter.targets(), self.filter)
            self._rebuild([])
            # the build found what it reads outside the configured folders (bases, files)
            self.watchers.start(self.filter.targets(), self.filter)
            self._warm_tokenizer()
            self._announce()
            while not self.stop.is_set():
                items = self._wait()
                if items is not None:
                    self._handle(items)
        except _Stop:
            pass
        finally:
            self.watchers.stop()
            if self.session is not None:
                self.session.close()
        self.reporter.stopped()
        return 0

    def on_signal(self, signum: int, frame: Any) -> None:
        """SIGINT/SIGTERM: stop; abandon a rebuild only while it has written nothing."""
        self.stop.set()
        session = self.session
        if self.rendering and not (session is not None and session.writing):
            raise _Stop()

    # -- steps ------------------------------------------------------------------------------

    def _wait(self) -> list[Item] | None:
        """Block until a burst of changes arrives (None on timeout); merge what is queued."""
        if self._held:
            items, self._held = self._held, []
        else:
            try:
                items = [self.changes.get(timeout=POLL_SECONDS)]
            except queue.Empty:
                return None
        return items + self._queued()

    def _queued(self) -> list[Item]:
        items = []
        while True:
            try:
                items.append(self.changes.get_nowait())
            except queue.Empty:
                return items

    def _take(self, items: list[Item]) -> set[str]:
        """The paths of `items`; their settle time joins the burst's."""
        paths: set[str] = set()
        for ready_at, entry in items:
            self._ready_at = max(self._ready_at, ready_at)
            if isinstance(entry, str):
                self._watcher_failed(entry.removeprefix(FAILED))
            else:
                paths.update(path for _, path in entry)
        return paths

    def _handle(self, items: list[Item]) -> None:
        assert self.filter is not None
        self._burst_at, self._ready_at = time.monotonic(), 0.0
        paths = self._take(items)
        try:
            while self._handle_paths(paths):  # superseded: the burst goes on
                held, self._held = self._held, []
                paths |= self._take(held + self._queued())
        finally:
            self._burst_at = None
        self.watchers.start(self.filter.targets(), self.filter)

    def _handle_paths(self, paths: set[str]) -> bool:
        """Rebuild for a burst of changes; True when a newer change abandoned the rebuild."""
        assert self.filter is not None
        changed = sorted(self._label(p) for p in paths) or ["(watch restarted)"]
        if any(self.filter.is_config(p) for p in paths):
            if self._load(raise_errors=False, changed=changed):
                return self._rebuild(changed)
        elif self.session is not None:
            self.session.note(paths)
            return self._rebuild(changed)
        return False

    def _gate(self) -> None:
        """Called by the warm state just before a rebuild writes: wait until its burst has
        settled; a change meanwhile abandons the rebuild (`_Superseded`), unless the burst
        has gone on for MAX_BURST_MS (then it is written, and the change starts the next)."""
        if self._burst_at is None:  # the initial build: no burst to settle
            return
        while True:
            remaining = self._ready_at - time.monotonic()
            try:
                if remaining > 0:
                    item = self.changes.get(timeout=remaining)
                else:
                    item = self.changes.get_nowait()
            except queue.Empty:
                return
            self._held.append(item)
            self._ready_at = max(self._ready_at, item[0])
            session = self.session
            too_long = time.monotonic() - self._burst_at > MAX_BURST_MS / 1000
            if too_long or session is None or not session.restartable:
                return
            raise _Superseded()

    def _load(self, *, raise_errors: bool, changed: list[str] | None = None) -> bool:
        """Load the config into a new session; a bad config is reported (or raised)."""
        from skillforge.commands.project import project_config, relative_paths

        try:
            config = project_config(self.config_file)
            self.options.paths = relative_paths(config, self.paths)
        except SkillforgeError as exc:
            if raise_errors:
                raise
            self.reporter.failed(changed or [], _config_problems(exc))
            if self.session is not None:
                self.session.close()
                self.session = None
            return False
        if self.session is not None:
            self.session.close()
        self.session = self._new_session(config)
        self.filter = SaveFilter(config)
        return True

    def _new_session(self, config: Config) -> WarmState:
        session = WarmState(config)
        session.gate = self._gate
        return session

    def _rebuild(self, changed: list[str]) -> bool:
        """Run one incremental build on the warm session; survive anything but a stop.

        True when the gate abandoned it for a newer change (nothing was written or reported).
        """
        from skillforge.commands.project import hold_project
        from skillforge.engine.build import run

        session = self.session
        if session is None:
            return False
        reporter = self.reporter.rebuild(changed)
        try:
            self.rendering = True
            if self.stop.is_set():  # a signal came before this rebuild could be abandoned
                raise _Stop()
            # Each rebuild holds the project lock, so a `build` or `clean` run meanwhile
            # waits for it (and this rebuild waits for theirs, then reloads what they wrote).
            notes: list[str] = []
            lock = hold_project(
                session.config, self.options.lock_timeout, "watch", notes, self.options.quiet
            )
            with lock:
                session.prepare()
                start = session.start(self.options.dry_run)
                done = run(session.config, self.options, start, session, reporter, notes=notes)
                if done.manifest is not None:
                    session.recorded(done.manifest)
        except _Stop:
            raise
        except _Superseded:
            session.superseded()
            return True
        except KeyboardInterrupt:
            # a signal held while publishing (interrupts.deferred) arrives once it is done
            self.stop.set()
            raise _Stop() from None
        except SkillforgeError as exc:
            self._drop_warm_state()
            self.reporter.failed(changed, [Problem("watch", None, None, str(exc))])
        except Exception as exc:  # a bug must not end the session: report it, start cold
            self._drop_warm_state()
            if self.reporter.verbose:
                import traceback

                traceback.print_exc()
            message = f"internal error: {exc.__class__.__name__}: {exc} (rerun with -v for details)"
            self.reporter.failed(changed, [Problem("skillforge", None, None, message)])
        finally:
            self.rendering = False
            session.writing = False
        if self.filter is not None and self.session is session:
            self.filter.update(session)
        if self.stop.is_set():
            raise _Stop()
        return False

    def _warm_tokenizer(self) -> None:
        """Load the token vocabulary now rather than at the first save that brings a new word:
        no save pays for the load, and the watch holds its steady memory from the start."""
        from skillforge.engine.tokens import EncodingUnavailable, load_ranks

        if self.session is not None:
            with contextlib.suppress(EncodingUnavailable):
                load_ranks()

    def _drop_warm_state(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = self._new_session(self.session.config)

    def _watcher_failed(self, reason: str) -> None:
        """A watcher thread died (its folder was removed?): watch again, re-scan, rebuild."""
        self.reporter.problem(Problem("watch", None, None, reason, "warning"))
        self.watchers.stop()
        if self.session is not None:
            self.session.note([str(self.session.config.root)])

    def _announce(self) -> None:
        assert self.filter is not None and self.watchers.targets is not None
        config = self.filter.config
        names = [config.rel(p) + "/" for p in self.watchers.targets.deep]
        names.append(config.rel(config.path) if config.path else "the project folder")
        self.reporter.watching(names)

    def _label(self, path: str) -> str:
        root = str(self.filter.config.root) if self.filter else os.getcwd()
        return os.path.relpath(path, root).replace(os.sep, "/")


def _config_problems(exc: SkillforgeError) -> list[Problem]:
    """One problem per line of a config error ("file: what is wrong")."""
    problems = []
    for line in str(exc).splitlines():
        file, sep, message = line.partition(": ")
        problems.append(
            Problem(file, None, None, message) if sep else Problem("config", None, None, line)
        )
    return problems


@contextmanager
def stop_on_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Route SIGINT and SIGTERM to `handler` (main thread only), then restore them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in before.items():
            signal.signal(sig, previous)


def watch_command(
    options: BuildOptions,
    config_file: str | Path | None,
    debounce_ms: int,
    reporter: WatchReporter | None = None,
) -> int:
    """`skillforge watch`: build, then rebuild on every save until SIGINT or SIGTERM."""
    from skillforge.report.watch import make_watch_reporter

    if reporter is None:
        reporter = make_watch_reporter(options.json, options.quiet, options.verbose)
    loop = Watch(config_file, options, reporter, debounce_ms=debounce_ms)
    with stop_on_signals(loop.on_signal):
        return loop.run()
