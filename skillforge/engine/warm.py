"""The state `skillforge watch` keeps warm between rebuilds, and how a save updates it.

A rebuild must cost what a save affects, not what the project holds. So the scanned inventory
is patched for the files a save touched (a re-stat; a re-scan only when a file appeared or
vanished), the manifest stays in memory, the cache stays open, and one `Worker` keeps its
Jinja2 Environment, compiled templates and parsed YAML. The worker forgets the files that
changed, and their recorded mtime is cleared so that the plan hashes them: an event is a
reason to look, not proof of an edit (a touch stays a no-op, and an edit within one mtime tick
of the last read is still seen).

The warm state is the build's render strategy: the watch loop asks it for the `Start` of each
rebuild, passes it to `engine.build.run`, and hands it the manifest the build wrote. A rebuild
starts at the first change the watcher reports; its `gate` (the watch loop's) runs just before
it writes anything and may abandon it for a newer burst (`superseded`): nothing is written, and
what it was to look at is kept for the rebuild that follows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence

from skillforge.cache.local import Store
from skillforge.engine.load.config import Config
from skillforge.engine.start import begin, scan_project
from skillforge.engine.workers import Batch, Received, Strategy, Worker, default_jobs
from skillforge.state.inventory import Inventory
from skillforge.state.manifest import Manifest, manifest_path
from skillforge.state.owners import Owners
from skillforge.state.plan import ALL_TEMPLATES
from skillforge.state.scan import Start


def _moved(before: dict[str, str], after: dict[str, str], touched: set[str]) -> set[str]:
    """Names (templates or traits) now found in another file, or whose file changed."""
    return {
        name
        for name in before.keys() | after.keys()
        if before.get(name) != after.get(name) or after[name] in touched
    }


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class _Readers:
    """Which specs of a manifest read each dependency (`SpecRecord.deps`), kept in line with
    the manifest of each rebuild: `affected` looks up the few that changed instead of walking
    every record. A record kept from the last manifest keeps its deps object: one identity
    check per spec, done once the rebuild has written (`WarmState.recorded`)."""

    def __init__(self) -> None:
        self.of: Manifest | None = None  # the manifest the index describes
        self.deps: dict[str, Sequence[str]] = {}  # spec -> its record's deps (the object)
        self.users: dict[str, set[str]] = {}  # dependency -> the specs that read it
        self.version = 0  # changes when `users` does
        self._files: tuple[int, set[str]] = (-1, set())

    def update(self, manifest: Manifest) -> None:
        if manifest is self.of:
            return
        known, users = self.deps, self.users
        specs = manifest.specs
        version = self.version
        for spec_id, record in specs.items():
            old = known.get(spec_id)
            if old is record.deps:
                continue
            known[spec_id] = record.deps
            if old is not None:
                if old == record.deps:  # a spec rendered again, reading the same
                    continue
                self._forget(spec_id, old)
            for dep in record.deps:
                users.setdefault(dep, set()).add(spec_id)
            self.version = version + 1
        if len(known) != len(specs):
            for spec_id in [s for s in known if s not in specs]:
                self._forget(spec_id, known.pop(spec_id))
            self.version = version + 1
        self.of = manifest

    def files(self) -> set[str]:
        """The files the recorded specs read by name (`s:` and `f:` deps: bases, supporting
        files), worked out again only when the dependencies changed."""
        version, files = self._files
        if version != self.version:
            files = {dep[2:] for dep in self.users if dep[:2] in ("s:", "f:")}
            self._files = (self.version, files)
        return files

    def _forget(self, spec_id: str, deps: Sequence[str]) -> None:
        for dep in deps:
            readers = self.users.get(dep)
            if readers is not None:
                readers.discard(spec_id)
                if not readers:
                    del self.users[dep]


class WarmState(Strategy):
    """Warm state of one project between the rebuilds of a watch (one per loaded config)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.primed = False  # inventory and manifest describe the project as last built
        self.inventory = Inventory(str(config.root), "")
        self.manifest: Manifest | None = None
        self.scan_ns = 0
        self.store: Store | None = None
        self.worker: Worker | None = None
        self.writing = False  # the build publishes: a stop signal waits for it
        self.owners = Owners()  # the recorded outputs, for the rules between specs
        self._readers = _Readers()  # the recorded dependencies, for `affected`
        # called just before a rebuild writes: returns, or raises to abandon the rebuild
        self.gate: Callable[[], None] | None = None
        self._fresh = False  # the last start read the project afresh (no `only`)
        self._carry = False  # a superseded rebuild's changes join the next prepare's
        self._events: set[str] = set()
        self._rescan = False
        self._touched: set[str] = set()  # file ids the last `prepare` found changed
        self._names: set[str] = set()  # template and trait dependencies that moved
        self._manifest_stat: tuple[int, int, int] | None = None

    # -- the watch loop -------------------------------------------------------------------

    def note(self, paths: Iterable[str]) -> None:
        """Remember files that changed (absolute paths) until the next `prepare`."""
        known = self.manifest.files if self.manifest is not None else {}
        for path in paths:
            file_id = self.config.rel(path)
            if file_id in self.inventory.files and os.path.isfile(path):
                self._events.add(file_id)
            elif file_id in known and file_id not in self.inventory.files:
                self._events.add(file_id)  # a supporting file: the plan stats those itself
            else:
                self._rescan = True  # a file or folder appeared or vanished

    def prepare(self) -> None:
        """Bring the inventory, manifest and worker up to date with the noted changes."""
        events, self._events = self._events, set()
        rescan, self._rescan = self._rescan, False
        if not self.primed:
            return
        path = manifest_path(str(self.config.cache_dir))
        if self._manifest_stat is not None and _stat_key(path) != self._manifest_stat:
            # another process built the project: its manifest and a fresh scan win
            self.primed = False
            self.worker = None
            self._manifest_stat = _stat_key(path)
            return
        self.scan_ns = time.time_ns()
        inv = self.inventory
        templates_before, traits_before = dict(inv.templates), dict(inv.traits)
        changed: set[str] = set()
        if rescan:
            fresh = scan_project(self.config)
            for file_id in inv.files.keys() | fresh.files.keys():
                if inv.files.get(file_id) != fresh.files.get(file_id):
                    changed.add(file_id)
            inv.specs, inv.files = fresh.specs, fresh.files
            inv.traits, inv.templates = fresh.traits, fresh.templates
        for file_id in events:
            if file_id not in inv.files:
                continue
            try:
                st = os.stat(inv.path(file_id))
            except OSError:
                self._rescan = True  # gone since the event: the next prepare re-scans
                continue
            inv.files[file_id] = (st.st_mtime_ns, st.st_size)
        touched = changed | events
        if self.manifest is not None:
            files = self.manifest.files
            for file_id in touched:
                record = files.get(file_id)
                if record is not None and record[0]:
                    files[file_id] = [0, *record[1:]]
        templates = _moved(templates_before, inv.templates, touched)
        names = {f"T:{n}" for n in templates} | {
            f"t:{n}" for n in _moved(traits_before, inv.traits, touched)
        }
        if self.worker is not None and touched:
            self.worker.forget(touched, templates)
        if self._carry:  # a superseded rebuild's changes (its render read them since)
            self._carry = False
            touched, names = touched | self._touched, names | self._names
        self._touched, self._names = touched, names

    def files_read(self) -> set[str]:
        """The files the recorded specs read by name (bases, supporting files; specs too):
        do not change the set."""
        if self.manifest is None:
            return set()
        self._readers.update(self.manifest)
        return self._readers.files()

    def affected(self) -> set[str]:
        """The specs that read a file changed since the last build (for `make_plan`)."""
        touched, deps = self._touched, set(self._names)
        for file_id in touched:
            deps.update((f"f:{file_id}", f"s:{file_id}"))
        if any(d.startswith("T:") for d in deps):
            deps.add(ALL_TEMPLATES)
        found = set(touched)
        if self.manifest is None:
            return found
        self._readers.update(self.manifest)
        users = self._readers.users
        for dep in deps:
            found.update(users.get(dep, ()))
        return found

    @property
    def restartable(self) -> bool:
        """Whether the rebuild under way may still be abandoned by its gate: not a fresh start
        with a remote cache (that start holds the remote open until it is over)."""
        return not (self._fresh and self.config.remote)

    def superseded(self) -> None:
        """The rebuild just started was abandoned before it wrote anything (a newer burst):
        the next `prepare` looks at what it was to look at as well, and a fresh start is
        made again."""
        if self._fresh:
            self.primed = False
        else:
            self._carry = True

    def close(self) -> None:
        """Close the cache; the session cannot build after this."""
        if self.store is not None:
            self.store.close()
            self.store = None
        self.worker = None

    def start(self, dry_run: bool) -> Start:
        """The start of the next rebuild: the warm inventory and manifest, or a fresh read."""
        self._fresh = not self.primed
        if self.primed:
            return Start(self.inventory, self.manifest, self.scan_ns, only=self.affected())
        self._carry = False  # a fresh read looks at everything
        start = begin(self.config, dry_run)
        self.worker = None  # it reads through the inventory it was made with
        self.inventory = start.inventory
        self.scan_ns = time.time_ns()
        # read from disk just now: another writer changes this stat
        self._manifest_stat = _stat_key(manifest_path(str(self.config.cache_dir)))
        self.manifest = start.previous
        self.primed = True
        return start

    def recorded(self, manifest: Manifest) -> None:
        """Keep the manifest this build wrote (and its stat, to notice another writer)."""
        self.manifest = manifest
        self._manifest_stat = _stat_key(manifest_path(str(self.config.cache_dir)))
        self._readers.update(manifest)  # now, rather than when the next save is waiting

    # -- the render strategy of engine.build.run ------------------------------------------

    def open(self, config: Config, read_only: bool, warn: Callable[[str], None]) -> Store:
        """Return the cache, opened by the first rebuild and kept open for the next."""
        if self.store is None:
            self.store = Store(config.cache_dir, config.cache_size_limit, warn, lean=True)
        self.store.warn = warn
        return self.store

    def render(
        self,
        config: Config,
        inventory: Inventory,
        store: Store,
        spec_ids: list[str],
        layers: dict[str, list[tuple[str, str]]],
        remember: bool,
        advance: Callable[[str], None],
        warn: Callable[[str], None],
        received: Received | None = None,
    ) -> Batch:
        """Render the dirty specs in this process, with the warm worker."""
        default_jobs(config, None, warn)  # an oversized `[build] jobs` is named, as by build
        if self.worker is None:
            self.worker = Worker(config, inventory, store, layers, remember)
        self.worker.layers = layers
        self.worker.remember = remember
        return self.worker.render(spec_ids, advance)

    def publishing(self) -> None:
        """Pass the gate (which may abandon the rebuild); from then on a stop signal waits
        for the outputs and the manifest."""
        if self.gate is not None:
            self.gate()
        self.writing = True

    def finish(self, store: Store) -> None:
        """Keep the cache open for the next rebuild (`close` closes it)."""
