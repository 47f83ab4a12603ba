"""Load and render dirty specs: in this process, or in worker processes when many are dirty.

Workers only read the cache; the entries they create come back with their results and the
parent writes them in one transaction, so no two processes ever write the cache at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from skillforge.cache.local import Store
from skillforge.engine.documents import RenderedSpec
from skillforge.engine.load.config import Config
from skillforge.engine.load.spec import SpecLoader
from skillforge.engine.render import Renderer
from skillforge.errors import Problem, SpecError
from skillforge.report.model import Counters
from skillforge.state.inventory import Inventory
from skillforge.state.plain import Plain
from skillforge.state.plan import ALL_TEMPLATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.state.owners import Owners

# What a build does with rendered specs as worker processes hand them back (their outputs
# are staged: see engine/publish/phase.py)
Received = Callable[[dict[str, RenderedSpec]], None]

CHUNK = 32
# The smallest chunk of the last ones, made smaller so that the workers finish together.
LAST_CHUNK = 4
# Dirty specs from which rendering is spread over worker processes: below this, starting
# processes costs more than it saves.
PARALLEL_FROM = 64


class Batch(Plain):
    """What rendering a set of specs produced."""

    def __init__(self) -> None:
        self.results: dict[str, RenderedSpec] = {}
        self.failed: dict[str, list[Problem]] = {}
        # failed specs whose problems a later build may replay (DESIGN §5): the inputs the
        # failed attempt read, and how many problems it had (a rule added later makes it not
        # replayable)
        self.replayable: dict[str, tuple[list[str], int]] = {}
        self.counters = Counters()
        self.digests: dict[str, str] = {}
        self.entries: dict[str, Any] = {}  # made by a worker process, stored form
        self.warnings: list[str] = []
        self.parsed = 0
        self.load_seconds = 0.0
        self.render_seconds = 0.0

    def merge(self, other: Batch) -> None:
        self.results.update(other.results)
        self.failed.update(other.failed)
        self.replayable.update(other.replayable)
        self.counters.add(other.counters)
        self.digests.update(other.digests)
        self.entries.update(other.entries)
        self.warnings.extend(other.warnings)
        self.parsed += other.parsed
        self.load_seconds += other.load_seconds
        self.render_seconds += other.render_seconds


class Worker:
    """A loader and a renderer that stay warm across the specs (and chunks) they render."""

    def __init__(
        self,
        config: Config,
        inventory: Inventory,
        store: Store,
        layers: dict[str, list[tuple[str, str]]],
        remember: bool = True,
    ) -> None:
        self.store = store
        self.layers = layers
        self.remember = remember
        self._reported: dict[str, str] = {}
        self.loader = SpecLoader(config, inventory)
        self.renderer = Renderer(config, inventory, store)

    def render(
        self,
        spec_ids: list[str],
        advance: Callable[[str], None],
        cancelled: Callable[[], bool] | None = None,
    ) -> Batch:
        """Load and render `spec_ids`; the counters are those of this call only.

        `cancelled` is asked before each spec: the build was interrupted, stop early.
        """
        batch = Batch()
        for spec_id in spec_ids:
            if cancelled is not None and cancelled():
                break
            t0 = time.perf_counter()
            try:
                spec = self.loader.load_through(
                    spec_id, self.store, self.layers.get(spec_id), self.remember
                )
            except SpecError as exc:
                batch.failed[spec_id] = exc.problems
                _replayable(batch, spec_id, self.loader.reached, exc.problems)
                spec = None
            t1 = time.perf_counter()
            batch.load_seconds += t1 - t0
            if spec is not None:
                try:
                    batch.results[spec_id] = self.renderer.render_spec(spec)
                except SpecError as exc:
                    batch.failed[spec_id] = exc.problems
                    # a render may reach any template (includes, fragments, dynamic names)
                    _replayable(batch, spec_id, [*spec.deps, ALL_TEMPLATES], exc.problems)
                batch.render_seconds += time.perf_counter() - t1
            advance(spec_id)
        batch.counters = self.renderer.counters.take()
        # digests of the files read since the last call only: a warm worker reports each once
        read = {**self.loader.digests, **self.renderer.library.file_digests()}
        batch.digests = {k: v for k, v in read.items() if self._reported.get(k) != v}
        self._reported.update(batch.digests)
        batch.parsed = sum(1 for s in spec_ids if s in self.loader.fresh)
        self.loader.fresh.clear()
        self.renderer.tokens.save()
        return batch

    def forget(self, file_ids: set[str], templates: set[str]) -> None:
        """Drop warm state built from files that changed, so the next `render` reads them."""
        self.loader.forget(file_ids)
        self.renderer.forget(templates)
        for file_id in file_ids:
            self._reported.pop(file_id, None)


# Problems a replay must not repeat: their cause is not in the files' bytes (a permission,
# a symbolic link's target, the machine's speed), so the next build looks again.
NOT_REPLAYED = (
    "cannot read",
    "cannot be read",
    "symbolic link",
    "symlink",
    "resolves outside",
    "render_timeout",
)


def _replayable(batch: Batch, spec_id: str, deps: list[str], problems: list[Problem]) -> None:
    if not any(marker in p.message for p in problems for marker in NOT_REPLAYED):
        batch.replayable[spec_id] = (deps, len(problems))


def render_specs(
    config: Config,
    inventory: Inventory,
    store: Store,
    spec_ids: list[str],
    layers: dict[str, list[tuple[str, str]]],
    remember: bool,
    advance: Callable[[str], None],
) -> Batch:
    """Load and render `spec_ids` in this process, through `store`."""
    return Worker(config, inventory, store, layers, remember).render(spec_ids, advance)


class _Process:
    """The worker of one pool process, made by the pool's initializer.

    A pool hands work to a process only through module state: this holder is the one such
    place, written once per worker process, never in the parent.
    """

    worker: Worker | None = None
    warnings: list[str] = []  # noqa: RUF012 - per process, see above
    stop: Any = None  # the pool's "interrupted" Event
    entries = True  # whether the parent wants the cache entries made here


def _start(
    config: Config,
    inventory: Inventory,
    layers: dict[str, list[tuple[str, str]]],
    remember: bool,
    read_only: bool,
    stop: Any,
    entries: bool = True,
) -> None:
    from skillforge.engine.interrupts import ignore_in_worker

    ignore_in_worker()
    _Process.stop = stop
    _Process.entries = entries
    store = Store(
        config.cache_dir, config.cache_size_limit, _Process.warnings.append, read_only=read_only
    )
    if config.remote:  # the sections fetched from the remote cache before the fork
        from skillforge.cache.shared import seed_store

        seed_store(store)
    _Process.worker = Worker(config, inventory, store, layers, remember)


def _work(spec_ids: list[str]) -> Batch:
    worker = _Process.worker
    assert worker is not None, "the pool initializer did not run"
    batch = worker.render(spec_ids, lambda _: None, _Process.stop.is_set)
    store = worker.store  # (a read-only store's entries are never written: not encoded)
    if _Process.entries:
        batch.entries = store.hand_over() if store.read_only else store.hand_over_encoded()
    batch.warnings = list(_Process.warnings)
    _Process.warnings.clear()
    return batch


def render_parallel(
    config: Config,
    inventory: Inventory,
    spec_ids: list[str],
    layers: dict[str, list[tuple[str, str]]],
    remember: bool,
    jobs: int,
    advance: Callable[[str], None],
    read_only: bool = False,
    received: Received | None = None,
    entries: bool = True,
) -> Batch:
    """Render `spec_ids` in `jobs` worker processes; the caller flushes `Batch.entries`.

    With `read_only`, the workers read the cache without writing a byte to it (`check`);
    without `entries`, they keep the cache entries they make instead of handing them back
    (`check` writes none: they would be pickled, sent and dropped).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # imported once here, before the fork, for every worker to share (RenderContext.env)
    from skillforge.engine.jinja import environment  # noqa: F401

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    chunks = split(spec_ids, jobs)
    batch = Batch()
    context = multiprocessing.get_context(method)
    stop = context.Event()
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),  # a forked pool starts all its workers at once
        mp_context=context,
        initializer=_start,
        initargs=(config, inventory, layers, remember, read_only, stop, entries),
    )
    from skillforge.engine.interrupts import deferred

    try:
        # The workers are forked here: a signal waits until they exist (a worker forked with
        # the default Ctrl-C handler would print a traceback), then stops them below.
        with deferred():
            futures = {pool.submit(_work, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            part = future.result()
            batch.merge(part)
            if received is not None:
                received(part.results)
            for spec_id in futures[future]:
                advance(spec_id)
    except BaseException:
        # Interrupted (or a worker failed): the workers skip their remaining specs, and are
        # waited for, so none outlives the build. They are not killed: a worker killed while
        # sending its result leaves half a message in the pipe, and the pool's reader thread
        # would wait for the rest forever.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    with deferred():
        # A signal waits until the pool is shut down: one landing in the middle of it left
        # the pool's thread closing its pipe while Python's exit wrote to it ("Bad file
        # descriptor" printed after "interrupted")
        pool.shutdown(wait=True)
    return batch


def split(spec_ids: list[str], jobs: int) -> list[list[str]]:
    """The chunks the workers take in turn: `CHUNK` specs each, then smaller ones.

    A worker takes the next chunk when it is done with its last one, so the workers finish
    up to a chunk apart: once each worker has had a full chunk, what is left is handed out in
    chunks of half of each worker's share of it, down to `LAST_CHUNK` specs.
    """
    chunks: list[list[str]] = []
    at = 0
    while at < len(spec_ids):
        left = len(spec_ids) - at
        size = CHUNK
        if at >= jobs * CHUNK:
            size = min(CHUNK, max(LAST_CHUNK, -(-left // (2 * jobs))))
        if left - size < LAST_CHUNK:
            size = left  # no chunk of fewer specs than LAST_CHUNK after it
        chunks.append(spec_ids[at : at + size])
        at += size
    return chunks


class Strategy:
    """How a build renders its dirty specs, and what it does with the cache around that.

    A build calls `open`, `render` once, `publishing` when it starts writing outputs, and
    `finish`. Subclass it for another way to render; `Serial`, `Pool` and watch's warm state
    (`engine/warm.py`) are the three there are.
    """

    read_only = False
    # the index of recorded outputs a strategy that builds again and again keeps (watch's)
    owners: Owners | None = None

    def open(self, config: Config, read_only: bool, warn: Callable[[str], None]) -> Store:
        """Return the cache the build reads (and, unless `read_only`, writes)."""
        self.read_only = read_only
        return Store(config.cache_dir, config.cache_size_limit, warn, read_only=read_only)

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
        """Load and render `spec_ids`; the entries they make end up in `store`.

        `received` is handed the rendered specs as worker processes hand them back, while
        the others render (not when this process renders them: nothing would run meanwhile).
        """
        raise NotImplementedError

    def publishing(self) -> None:
        """The build writes its outputs now: from here it is finished, never abandoned."""

    def finish(self, store: Store) -> None:
        """The build is over: close the cache."""
        store.close()


class Serial(Strategy):
    """Render in this process."""

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
        """Load and render `spec_ids` here, through `store`."""
        return render_specs(config, inventory, store, spec_ids, layers, remember, advance)


class Pool(Serial):
    """Render in worker processes from `PARALLEL_FROM` dirty specs on, else in this process.

    `jobs` is --jobs (None: `[build] jobs`, else the CPUs).
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs

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
        """Load and render `spec_ids`; entries made in the workers are added to `store`."""
        jobs = default_jobs(config, self.jobs, warn)
        if jobs < 2 or len(spec_ids) < PARALLEL_FROM:
            return super().render(
                config, inventory, store, spec_ids, layers, remember, advance, warn
            )
        batch = render_parallel(
            config, inventory, spec_ids, layers, remember, jobs, advance, self.read_only, received
        )
        # (encoded by the workers, unless the cache is only read: see _work)
        (store.pending if self.read_only else store.encoded).update(batch.entries)
        for message in batch.warnings:
            warn(message)
        return batch


def default_jobs(
    config: Config, requested: int | None, warn: Callable[[str], None] | None = None
) -> int:
    """--jobs, else `[build] jobs`, else the CPUs this process may use; at most `max_jobs()`."""
    cpus = _cpus()
    jobs = requested or config.jobs or cpus
    cap = max_jobs(cpus)
    if jobs > cap:
        if warn is not None:
            what = f"--jobs {jobs}" if requested else f"[build] jobs = {jobs}"
            warn(f"{what} is more than 4 per CPU ({cpus} CPUs); using {cap} worker processes")
        jobs = cap
    return jobs


def max_jobs(cpus: int) -> int:
    """The most worker processes a build starts: 4 per CPU, never more than 64."""
    return min(4 * cpus, 64)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
