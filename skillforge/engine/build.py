"""Run a build: plan, load and render, publish, record (DESIGN §5).

`run` is the core of `skillforge build` and of each rebuild of `skillforge watch`. What is
known at the start (a `Start`: from a fresh scan, the no-op scan or watch's warm state) and
how to render (a `Strategy`: `Serial`, `Pool` or the warm state) are passed in; the build has
one path. It reports through a `Reporter` and returns the report and the manifest it wrote.
The no-op fast path (`commands/noop.py`) answers before this module is imported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from skillforge.engine.load.config import Config
from skillforge.errors import Problem
from skillforge.report.model import BuildReport
from skillforge.state.heap import keep
from skillforge.state.manifest import Manifest
from skillforge.state.patch import output_paths
from skillforge.state.plain import Plain
from skillforge.state.plan import Plan, make_plan, plugins_wanted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from skillforge.engine.workers import Batch, Strategy
    from skillforge.report.reporter import Reporter
    from skillforge.state.scan import Start

    class BuildRequest(Protocol):
        """What the user asked a build to do (`BuildOptions` of the commands has these); for
        the type checker only (a Protocol class costs its import)."""

        @property
        def force(self) -> bool: ...
        @property
        def dry_run(self) -> bool: ...
        @property
        def paths(self) -> list[str] | None: ...


class Outcome(Plain):
    """What a build did: its report, and the manifest it wrote (None when it wrote none)."""

    def __init__(self, report: BuildReport, manifest: Manifest | None = None) -> None:
        self.report = report
        self.manifest = manifest

    @property
    def ok(self) -> bool:
        return self.report.ok


def run(
    config: Config,
    options: BuildRequest,
    start: Start,
    strategy: Strategy,
    reporter: Reporter,
    *,
    started: float | None = None,
    notes: Iterable[str] = (),
) -> Outcome:
    """Build the project (or the specs under `options.paths`); spec errors go in the report.

    `notes` are warnings found before the build started (while taking the project lock).
    """
    started = time.perf_counter() if started is None else started
    report = BuildReport(dry_run=options.dry_run)

    def warn(message: str, file: str = "") -> None:
        emit(Problem(file or config.rel(config.cache_dir), None, None, message, "warning"))

    def emit(problem: Problem) -> None:
        (report.errors if problem.severity == "error" else report.warnings).append(problem)
        reporter.problem(problem)

    for note in [*notes, *start.notes]:
        warn(note)
    from skillforge.engine.jinja.templating import environment_digest, environment_files

    env = environment_digest()
    inventory, previous, plan = start.inventory, start.previous, start.plan
    if plan is None:
        plan = make_plan(
            inventory,
            previous,
            config_changed=previous is not None and previous.config != config.digest,
            force=options.force,
            paths=options.paths,
            env=env,
            only=start.only,
            replay=True,
        )
    remote = None
    if config.remote and start.only is None:  # DESIGN §5.1 (not in watch's rebuilds)
        from skillforge.cache import shared
        from skillforge.cache.remote import open_remote

        remote = open_remote(config.remote, _remote_write(options), warn)
        previous, plan, shared_costs = shared.begin(
            remote,
            inventory,
            previous,
            plan,
            config,
            env,
            lambda m: _replan(start, m, options, env),
        )
        if shared_costs and not options.dry_run:
            _adopt_costs(config, shared_costs)
    report.specs_total = plan.total
    for file, message in inventory.problems:
        emit(Problem(file, None, None, message))
    report.timings["plan_ms"] = (time.perf_counter() - started) * 1000

    from skillforge.engine.budgets import apply_output_budgets
    from skillforge.engine.documents import save_dropped
    from skillforge.engine.interrupts import deferred
    from skillforge.engine.load.crossrefs import check_across_specs
    from skillforge.engine.orphans import remove_stale
    from skillforge.engine.publish.phase import Staging, publish_outputs
    from skillforge.engine.publish.writer import Writer
    from skillforge.engine.record import next_manifest, record_build, save_manifest

    store = strategy.open(config, options.dry_run, warn)
    if remote is not None:
        shared.seed_store(store, keep=not options.dry_run)
    dirty = list(plan.dirty)
    reporter.start(len(dirty))
    phase = time.perf_counter()
    remember = previous is not None  # see SpecLoader.load_through
    writer = Writer(config, previous, options.force)  # reads the config only: before the gate
    # the specs worker processes hand back are staged while they render (publish/phase.py)
    staging = None if options.dry_run else Staging(writer)
    try:
        batch = strategy.render(
            config,
            inventory,
            store,
            dirty,
            plan.layers,
            remember,
            reporter.advance,
            warn,
            received=None if staging is None else staging.stage,
        )
        report.specs_parsed = batch.parsed
        _add_replayed(plan, inventory.specs, batch)
        report.specs_replayed = len(plan.replay)
        report.timings["load_ms"] = batch.load_seconds * 1000
        report.timings["render_ms"] = batch.render_seconds * 1000
        report.timings["render_wall_ms"] = (time.perf_counter() - phase) * 1000
        for spec_id in sorted(batch.results):
            for problem in batch.results[spec_id].warnings:
                emit(problem)
        apply_output_budgets(config, batch, emit)
        for problem in check_across_specs(previous, plan, batch, owners=strategy.owners):
            emit(problem)
        if plugins_wanted(config.plugins, previous):
            from skillforge.engine.plugins import add_manifests  # only with plugins (DESIGN §4.1)

            add_manifests(config, plan, previous, batch, inventory.specs, emit)
        strategy.publishing()
    except BaseException:  # interrupted, or abandoned at the gate: no temp file stays
        if staging is not None:
            staging.discard()
        raise
    # From the first output written to the manifest, a signal waits (see interrupts.py): the
    # manifest must describe exactly the outputs this build published.
    state, written_manifest = previous, None
    with deferred():
        phase = time.perf_counter()
        written = publish_outputs(
            plan, batch, writer, store, options.dry_run, report, reporter, staging
        )
        removed = remove_stale(
            plan, previous, batch, writer, options.dry_run, report, reporter, warn
        )
        report.timings["write_ms"] = (time.perf_counter() - phase) * 1000

        for problems in batch.failed.values():
            for problem in problems:
                emit(problem)
        report.ok = not report.errors
        _count_documents(plan, previous, batch)
        report.counters = batch.counters.as_dict()
        report.unchanged += plan.unchanged_total

        phase = time.perf_counter()
        if not options.dry_run and (
            plan.dirty or plan.orphans or plan.refreshed or _env_moved(previous)
        ):
            # The cache first: outputs then count as settled by the time their stats are recorded
            # (see manifest.RACY_NS), and the next no-op build need not hash them.
            store.flush()
            manifest = next_manifest(
                config,
                inventory,
                previous,
                plan,
                batch.results,
                written,
                removed,
                batch.digests,
                start.scan_ns,
                batch.failed,
                batch.replayable,
            )
            manifest.env = env
            manifest.env_files = environment_files()
            save_manifest(config, manifest)
            save_dropped(config, batch.results.values(), output_paths(manifest))
            state = written_manifest = manifest

    if remote is not None:
        if written_manifest is not None and remote.write:
            from skillforge.engine.budgets import read_costs

            rows = {path: cost.to_raw() for path, cost in read_costs(str(config.cache_dir)).items()}
            for rendered in batch.results.values():
                if rendered.cost is not None:
                    rows[rendered.cost.path] = rendered.cost.to_raw()
            shared.upload(remote, written_manifest, store, rows)
        remote.close()
        report.remote = remote.stats.as_dict()
    costs = [r.cost for r in batch.results.values() if r.cost is not None]
    report.duration_ms = (time.perf_counter() - started) * 1000
    # new budgets judge the listing again, though no output changed
    rejudge = (
        previous is not None
        and previous.config_data is not None
        and previous.config_data.get("budgets") != config.data.get("budgets")
    )
    record_build(
        config,
        report,
        batch.counters,
        costs,
        state,
        emit,
        save=not options.dry_run,
        rejudge=rejudge,
    )
    report.ok = not report.errors  # the listing may add errors (strict budgets)
    strategy.finish(store)
    report.timings["record_ms"] = (time.perf_counter() - phase) * 1000
    report.duration_ms = (time.perf_counter() - started) * 1000
    report.timings["total_ms"] = report.duration_ms
    reporter.finish(report)
    keep(start, previous, plan, batch)  # 10,000 records and stats: not freed one by one
    return Outcome(report, written_manifest)


def _remote_write(options: BuildRequest) -> bool:
    return bool(getattr(options, "remote_write", False))


def _adopt_costs(config: Config, rows: dict[str, list[object]]) -> None:
    """The costs of the documents the remote's records describe, for the budgets (DESIGN §7)."""
    from skillforge.engine.budgets import read_costs, write_costs
    from skillforge.engine.costs import OutputCost

    table = read_costs(str(config.cache_dir))
    for path, row in rows.items():
        table.setdefault(path, OutputCost.from_raw(path, row))
    write_costs(str(config.cache_dir), table)


def _replan(start: Start, manifest: Manifest, options: BuildRequest, env: str) -> Plan:
    """The plan against a manifest made from the remote cache's records (a fresh clone)."""
    return make_plan(
        start.inventory,
        manifest,
        config_changed=False,
        force=options.force,
        paths=options.paths,
        env=env,
        only=start.only,
    )


def _env_moved(previous: Manifest | None) -> bool:
    from skillforge.engine.jinja.templating import environment_files

    return previous is not None and previous.env_files != environment_files()


def _add_replayed(plan: Plan, specs: list[str], batch: Batch) -> None:
    """Add the recorded errors of the failed specs the plan replays (DESIGN §5) to the failed
    specs, and put them all in the order of the specs: the order a build in one process
    reports them, whatever order worker processes finished in, so that a replay says the
    same as a parse."""
    if not batch.failed and not plan.replay:
        return
    failed = {**batch.failed}
    for spec_id, errors in plan.replay.items():
        failed[spec_id] = [
            Problem(f, line, field, message, severity, column=column, hint=hint)
            for f, line, field, message, severity, column, hint in errors
        ]
    order = {spec_id: i for i, spec_id in enumerate(specs)}
    batch.failed = dict(sorted(failed.items(), key=lambda item: order.get(item[0], len(order))))


def _count_documents(plan: Plan, previous: Manifest | None, batch: Batch) -> None:
    """A document is a cache hit when its key (all section keys + frontmatter) is unchanged."""
    counters = batch.counters
    counters.documents_cached += plan.unchanged_total
    for rendered in batch.results.values():
        if not rendered.outputs:
            continue
        old = previous.output_record(rendered.outputs[0].path) if previous else None
        if old is not None and old.key == rendered.document_key:
            counters.documents_cached += 1
        else:
            counters.documents_rendered += 1
