"""Run a build: plan, load and render, publish, record (DESIGN §5).

`run_build` is the core of `skillforge build`: it reports through a `Reporter` and returns a
`BuildReport`. The no-op fast path (`fastpath.py`) answers before this module is imported.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from skillforge.config import Config
from skillforge.discover import Inventory, scan
from skillforge.errors import Problem, SkillforgeError
from skillforge.fingerprint import digest_bytes
from skillforge.manifest import (
    Manifest,
    manifest_path,
    move_aside,
    read_manifest,
    write_manifest,
)
from skillforge.options import BuildOptions
from skillforge.plan import Plan, make_plan
from skillforge.record import Written, next_manifest
from skillforge.report import GONE, NOT_IN_FILES, NOT_PRODUCED, BuildReport

# Dirty specs from which rendering is spread over worker processes: below this, starting
# processes costs more than it saves.
PARALLEL_FROM = 64

if TYPE_CHECKING:
    from collections.abc import Callable

    from skillforge.cache import Store
    from skillforge.fastpath import Scanned
    from skillforge.render import RenderedOutput, RenderedSpec
    from skillforge.report import Reporter
    from skillforge.session import Session
    from skillforge.workers import Batch
    from skillforge.write import Writer


def scan_project(config: Config) -> Inventory:
    """Scan the folders `config` names."""
    return scan(
        str(config.root),
        [str(p) for p in config.specs],
        [str(p) for p in config.traits],
        [str(p) for p in config.templates],
    )


def run_build(
    config: Config,
    options: BuildOptions,
    reporter: Reporter,
    started: float | None = None,
    scanned: Scanned | None = None,
    warm: Session | None = None,
    *,
    notes: list[str] | None = None,
) -> BuildReport:
    """Build the project (or the specs under `options.paths`); spec errors go in the report.

    `scanned` is what the fast path already read; it is reused when it describes this config.
    `warm` is the state `skillforge watch` keeps between rebuilds (inventory, manifest, cache
    handle, renderer); it is updated in place.
    `notes` are warnings found before the build started (while taking the project lock).
    """
    started = time.perf_counter() if started is None else started
    report = BuildReport(dry_run=options.dry_run)

    def warn(message: str, file: str = "") -> None:
        emit(Problem(file or config.rel(config.cache_dir), None, None, message, "warning"))

    def emit(problem: Problem) -> None:
        (report.errors if problem.severity == "error" else report.warnings).append(problem)
        reporter.problem(problem)

    for note in notes or ():
        warn(note)
    from skillforge.templating import environment_digest, environment_files

    env = environment_digest()
    reuse = (
        scanned is not None
        and scanned.root == str(config.root)
        and scanned.manifest.config == config.digest
        and scanned.manifest.layout == config.layout()
        and scanned.manifest.env == env
    )
    previous: Manifest | None
    if scanned is not None and reuse:
        scan_ns, inventory, previous, plan = (
            scanned.scan_ns,
            scanned.inventory,
            scanned.manifest,
            scanned.plan,
        )
    else:
        scan_ns, only = time.time_ns(), None
        if warm is not None and warm.primed:
            scan_ns, inventory, previous = warm.scan_ns, warm.inventory, warm.manifest
            only = warm.affected()
        else:
            inventory = scan_project(config)
            previous = _read_previous(config, warn, options.dry_run)
        plan = make_plan(
            inventory,
            previous,
            config_changed=previous is not None and previous.config != config.digest,
            force=options.force,
            paths=options.paths,
            env=env,
            only=only,
        )
    report.specs_total = plan.total
    for file, message in inventory.problems:
        emit(Problem(file, None, None, message))
    report.timings["plan_ms"] = (time.perf_counter() - started) * 1000

    from skillforge.cache import Store
    from skillforge.workers import default_jobs, render_parallel, render_specs
    from skillforge.write import Writer

    if warm is not None:
        store = warm.begin(config, inventory, previous, warn)
    else:
        store = Store(config.cache_dir, config.cache_size_limit, warn, read_only=options.dry_run)
    dirty = list(plan.dirty)
    reporter.start(len(dirty))
    phase = time.perf_counter()
    jobs = default_jobs(config, options.jobs, warn)
    remember = previous is not None  # see SpecLoader.load_through
    if warm is not None:
        batch = warm.render(dirty, plan.layers, remember, reporter.advance)
    elif jobs > 1 and len(dirty) >= PARALLEL_FROM:
        batch = render_parallel(
            config,
            inventory,
            dirty,
            plan.layers,
            remember,
            jobs,
            reporter.advance,
            read_only=options.dry_run,
        )
        store.pending.update(batch.entries)
        for message in batch.warnings:
            warn(message)
    else:
        batch = render_specs(
            config, inventory, store, dirty, plan.layers, remember, reporter.advance
        )
    report.specs_parsed = batch.parsed
    report.timings["load_ms"] = batch.load_seconds * 1000
    report.timings["render_ms"] = batch.render_seconds * 1000
    report.timings["render_wall_ms"] = (time.perf_counter() - phase) * 1000
    from skillforge.budgets import apply_output_budgets

    for spec_id in sorted(batch.results):
        for problem in batch.results[spec_id].warnings:
            emit(problem)
    apply_output_budgets(config, batch, emit)
    for problem in _check_collisions(previous, plan, batch):
        emit(problem)

    from skillforge.interrupts import deferred

    if warm is not None:
        warm.publishing = True  # a stop signal now waits for the outputs and the manifest

    # From the first output written to the manifest, a signal waits (see interrupts.py): the
    # manifest must describe exactly the outputs this build published.
    state = previous
    with deferred():
        phase = time.perf_counter()
        writer = Writer(config, previous, options.force)
        written = _publish(plan, batch, writer, store, options, report, reporter)
        removed = _remove_stale(plan, previous, batch, writer, options, report, reporter, warn)
        report.timings["write_ms"] = (time.perf_counter() - phase) * 1000

        for problems in batch.failed.values():
            for problem in problems:
                emit(problem)
        report.ok = not report.errors
        _count_documents(plan, previous, batch)
        report.counters = batch.counters.as_dict()
        report.unchanged += len(plan.unchanged)

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
                scan_ns,
            )
            manifest.env = env
            manifest.env_files = environment_files()
            try:
                write_manifest(str(config.cache_dir), manifest)
            except OSError as exc:
                where = config.rel(manifest_path(str(config.cache_dir)))
                raise SkillforgeError(
                    f"{where}: cannot write ({exc.strerror or exc}); the outputs are written "
                    "and the next build adopts them"
                ) from None
            state = manifest
            if warm is not None:
                warm.recorded(manifest)
    from skillforge.history import record_build

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
    if warm is None:
        store.close()
    report.timings["record_ms"] = (time.perf_counter() - phase) * 1000
    report.duration_ms = (time.perf_counter() - started) * 1000
    report.timings["total_ms"] = report.duration_ms
    reporter.finish(report)
    return report


def _read_previous(config: Config, warn: Callable[..., None], dry_run: bool) -> Manifest | None:
    """Read the manifest; a corrupt one is moved aside (left in place by a dry run)."""
    cache_dir = str(config.cache_dir)
    try:
        manifest = read_manifest(cache_dir)
    except ValueError as exc:
        if dry_run:  # a dry run writes nothing under the cache folder
            warn(f"{exc}; building as if cold")
            return None
        moved = move_aside(manifest_path(cache_dir))
        warn(f"{exc}; moved to {config.rel(moved)}, building cold")
        return None
    if manifest is not None and manifest.owner and manifest.owner != config.owner():
        # another config's outputs are not this one's orphans: leave them alone
        other = config.rel(os.path.normpath(os.path.join(cache_dir, manifest.owner)))
        warn(
            f"the manifest here was written by the build of another config ({other}); "
            "building as if cold and leaving that config's outputs alone (give each config "
            "its own cache_dir)"
        )
        return None
    return manifest


def _env_moved(previous: Manifest | None) -> bool:
    from skillforge.templating import environment_files

    return previous is not None and previous.env_files != environment_files()


def _publish(
    plan: Plan,
    batch: Batch,
    writer: Writer,
    store: Store,
    options: BuildOptions,
    report: BuildReport,
    reporter: Reporter,
) -> dict[str, Written]:
    """Write each rendered spec's outputs whose bytes changed; refuse hand-edited ones."""
    from skillforge.write import OutputError

    written: dict[str, Written] = {}
    for spec_id, rendered in sorted(batch.results.items()):
        decisions = [(out, writer.decide(out.path, out.data)) for out in rendered.outputs]
        conflicts = [
            Problem(o.path, None, None, d.why) for o, d in decisions if d.action == "conflict"
        ]
        if conflicts:
            batch.failed[spec_id] = conflicts
            del batch.results[spec_id]
            continue
        reasons = _explain(plan.dirty[spec_id], rendered, store) + rendered.notes
        stats: dict[str, os.stat_result] = {}
        if not options.dry_run:
            changed = [out for out, d in decisions if d.action != "unchanged"]
            try:
                stats = _publish_all(writer, changed)
            except OutputError as exc:
                # all of a spec's outputs are published or none are; the next build tries again
                file, line = rendered.name_origin
                if file != spec_id:
                    file, line = spec_id, None
                batch.failed.setdefault(spec_id, []).append(Problem(file, line, None, str(exc)))
                batch.results.pop(spec_id, None)
                continue
        for out, decision in decisions:
            digest = digest_bytes(out.data)
            stat = stats.get(out.path)
            if decision.action == "unchanged":
                report.unchanged += out.document
            written[out.path] = Written(stat, digest, rendered.document_key, out.document)
            if decision.action == "unchanged":
                continue
            if out.document:
                new = "new spec" in reasons
                first = [decision.why] if decision.why and not new else []
                why = first + [r for r in reasons if r not in first]
                report.written.append(out.path)
                report.reasons[out.path] = why
                reporter.written(out.path, why)
            else:
                report.files_written += 1
        if not options.dry_run:
            frontmatter = digest_bytes(rendered.frontmatter.encode())
            store.set(f"doc:{rendered.outputs[0].path}", [rendered.sections, frontmatter])
    return written


def _publish_all(writer: Writer, outputs: list[RenderedOutput]) -> dict[str, os.stat_result]:
    """Stage every output to a temp file, then rename them all; on failure remove the temps."""
    from skillforge.write import OutputError

    paths = {out.path for out in outputs}
    for second in sorted(paths):
        parents = [second[:i] for i, c in enumerate(second) if c == "/"]
        for first in (p for p in parents if p in paths):
            raise OutputError(
                f"{second}: cannot write ({first} is another output of this spec); give the "
                "supporting files dests that are not inside one another"
            )
    staged = []
    try:
        for out in outputs:
            staged.append(writer.stage(out.path, out.data))
    except BaseException:
        writer.discard(staged)
        raise
    return dict(zip([s.rel for s in staged], writer.publish(staged), strict=True))


def _remove_stale(
    plan: Plan,
    previous: Manifest | None,
    batch: Batch,
    writer: Writer,
    options: BuildOptions,
    report: BuildReport,
    reporter: Reporter,
    warn: Callable[..., None],
) -> set[str]:
    """Remove outputs no spec produces any more (if unedited); return what left the manifest."""
    if previous is None:
        return set()
    produced = {o.path for r in batch.results.values() for o in r.outputs}
    stale = list(plan.orphans)
    orphans = set(stale)
    # supporting files of a spec whose document stays where it was: dropped from its files
    dropped: set[str] = set()
    for spec_id in batch.results:
        old = previous.specs.get(spec_id)
        left = [p for p in (old.outputs if old else []) if p not in produced]
        stale.extend(left)
        if old and old.outputs and old.outputs[0] in produced:
            dropped.update(left)
    removed: set[str] = set()
    for rel in stale:
        if rel in produced:
            continue
        outcome = "removed" if options.dry_run else writer.remove(rel)
        removed.add(rel)
        if outcome == "unsafe":
            warn(
                f"{rel}: the manifest lists it, but it is not inside the output folder (a "
                "symlink on the way, or a damaged manifest); left in place",
                rel,
            )
        elif outcome == "kept":
            gone = "its spec is gone" if rel in orphans else "its spec no longer produces it"
            warn(f"{rel}: {gone} but it was edited by hand; left in place", rel)
        elif rel in previous.outputs and previous.outputs[rel].document:
            report.removed.append(rel)
            reporter.removed(rel, GONE if rel in orphans else NOT_PRODUCED)
        elif rel not in orphans:  # a deleted spec's supporting files go with its document
            reporter.removed(rel, NOT_IN_FILES if rel in dropped else NOT_PRODUCED)
    return removed


def _explain(reasons: list[str], rendered: RenderedSpec, store: Store) -> list[str]:
    """Turn 'spec changed' into the sections (or the frontmatter) that changed."""
    if "spec changed" not in reasons:
        return reasons
    before = store.get(f"doc:{rendered.outputs[0].path}")
    detail: list[str] = []
    if isinstance(before, list) and len(before) == 2:
        old = dict(before[0])
        new = dict(rendered.sections)
        for sid, key in rendered.sections:
            if sid not in old:
                detail.append(f"spec section {sid} added")
            elif old[sid] != key:
                detail.append(f"spec section {sid} changed")
        detail.extend(f"spec section {sid} removed" for sid in old if sid not in new)
        if before[1] != digest_bytes(rendered.frontmatter.encode()):
            detail.append("spec frontmatter changed")
    out: list[str] = []
    for reason in reasons:
        out.extend(detail or [reason]) if reason == "spec changed" else out.append(reason)
    return out


def _check_collisions(previous: Manifest | None, plan: Plan, batch: Batch) -> list[Problem]:
    """Two specs must not produce the same output; return the cross-spec warnings."""
    from skillforge.rules import check_across_specs

    return check_across_specs(previous, plan, batch)


def _count_documents(plan: Plan, previous: Manifest | None, batch: Batch) -> None:
    """A document is a cache hit when its key (all section keys + frontmatter) is unchanged."""
    counters = batch.counters
    counters.documents_cached += len(plan.unchanged)
    for rendered in batch.results.values():
        old = previous.outputs.get(rendered.outputs[0].path) if previous else None
        if old is not None and old.key == rendered.document_key:
            counters.documents_cached += 1
        else:
            counters.documents_rendered += 1
