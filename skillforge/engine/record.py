"""Record a finished build: its manifest (from the last one and what this build did) and its
entry in the build records of `stats`, with the verdict on the skill listing."""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Callable
from stat import S_ISREG

from skillforge import __version__
from skillforge.engine.budgets import listing_problems_rows, next_cost_rows
from skillforge.engine.load.config import Config
from skillforge.errors import Problem, SkillforgeError
from skillforge.state.buildlog import (
    INLINE,
    LAYERS,
    WARNINGS_KEPT,
    History,
    damaged_message,
    mark_listing,
    read_cost_table,
    read_noops,
    take_noops,
    write_cost_rows,
)
from skillforge.state.digest import digest_bytes
from skillforge.state.files import unlink_quietly
from skillforge.state.heap import NoCycles, keep, without_cycles
from skillforge.state.hot import hot_table
from skillforge.state.inventory import Inventory
from skillforge.state.manifest import (
    Manifest,
    OutputRecord,
    SpecRecord,
    manifest_path,
    stat_record,
    write_manifest,
)
from skillforge.state.patch import file_stat, patch_tables
from skillforge.state.plan import ALL_TEMPLATES, ALL_TRAITS, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.costs import OutputCost
    from skillforge.engine.documents import RenderedSpec
    from skillforge.report.model import BuildReport, Counters
    from skillforge.state.manifest import RawProblem


class Written:
    """An output this build wrote (or found identical): its stat, digest and document key."""

    __slots__ = ("digest", "document", "key", "stat")

    def __init__(self, stat: os.stat_result | None, digest: str, key: str, document: bool):
        self.stat = stat
        self.digest = digest
        self.key = key
        self.document = document


@without_cycles
def next_manifest(
    config: Config,
    inventory: Inventory,
    previous: Manifest | None,
    plan: Plan,
    results: dict[str, RenderedSpec],
    written: dict[str, Written],
    removed: set[str],
    digests: dict[str, str],
    scan_ns: int,
    failed: dict[str, list[Problem]] | None = None,
    replayable: dict[str, tuple[list[str], int]] | None = None,
) -> Manifest:
    """Return the manifest to save after a build (dry runs save none).

    A failed spec in `replayable` keeps its problems (`failed`) and the inputs its attempt
    read, so that the next build replays them while none of those inputs changes.
    """
    old = previous or Manifest()
    known = dict(digests)
    for rendered in results.values():
        known.update(rendered.digests)
    manifest = Manifest()
    manifest.tool = __version__
    manifest.config = config.digest
    manifest.config_raw = config.raw_digest
    manifest.config_data = _storable(config.data)
    manifest.layout = config.layout()
    manifest.owner = config.owner()
    if not failed and all(spec_id in results for spec_id in plan.dirty):
        # an edit of a few specs among many: the last records but those (state/patch.py)
        fresh = {
            spec_id: (
                sorted(set(results[spec_id].deps)),
                [o.path for o in results[spec_id].outputs],
            )
            for spec_id in plan.dirty
        }
        rows = {
            rel: (_stat_of(config, rel, item), item.digest, item.document, item.key)
            for rel, item in written.items()
        }
        if previous is not None and patch_tables(
            manifest, previous, plan, inventory, fresh, rows, removed, known, scan_ns
        ):
            manifest.scan = (
                inventory.files,
                inventory.specs,
                inventory.traits,
                inventory.templates,
            )
            manifest.scanned = True
            return manifest
    present = set(inventory.specs)
    if inventory.problems:
        present.update(s for s in old.specs if inventory.hides(s))
    dirty = plan.dirty
    # the records of the specs this build did not touch, as they were (10,000 after an edit)
    manifest.specs = {s: r for s, r in old.specs.items() if s in present and s not in dirty}
    if old.errors:  # replayed, or not selected by this build
        for spec_id in manifest.specs:
            if spec_id in old.errors:
                manifest.errors[spec_id] = old.errors[spec_id]
    for spec_id in plan.dirty:
        if spec_id in results:
            rendered = results[spec_id]
            manifest.specs[spec_id] = SpecRecord(
                sorted(set(rendered.deps)), [o.path for o in rendered.outputs]
            )
        else:  # failed: keep what it produced before
            before = old.specs.get(spec_id)
            keep = [o for o in (before.outputs if before else []) if o in old.outputs]
            # a `--target` build's errors are those of fewer targets than the config's
            found = (
                None
                if config.configured
                else _replay_record(spec_id, inventory, known, failed or {}, replayable or {})
            )
            if found is None:  # built again next time
                manifest.specs[spec_id] = SpecRecord(before.deps if before else [], keep, True)
            else:
                manifest.specs[spec_id] = SpecRecord(found[0], keep, True)
                manifest.errors[spec_id] = found[1]
    _record_outputs(config, old, plan, manifest, written, removed)
    _record_files(inventory, old, plan, manifest, known, scan_ns)
    # for the hot table of the next no-op (state/hot.py)
    manifest.scan = (inventory.files, inventory.specs, inventory.traits, inventory.templates)
    manifest.scanned = True
    return manifest


def _replay_record(
    spec_id: str,
    inventory: Inventory,
    known: dict[str, str],
    failed: dict[str, list[Problem]],
    replayable: dict[str, tuple[list[str], int]],
) -> tuple[list[str], tuple[RawProblem, ...]] | None:
    """The inputs and problems of a failed spec to replay, or None when it is not replayable.

    Not replayable: problems added after its load and render (rules between specs, budgets,
    an output that could not be written), or a YAML file of it this build did not read.
    """
    found, problems = replayable.get(spec_id), failed.get(spec_id)
    if found is None or problems is None or len(problems) != found[1]:
        return None
    deps = sorted(set(found[0]))
    files = [spec_id]
    for dep in deps:
        kind, _, name = dep.partition(":")
        if kind == "f":
            files.append(name)
        elif kind == "t" and name in inventory.traits:
            files.append(inventory.traits[name])
    if any(f not in known for f in files):
        return None
    errors = tuple(
        (p.file, p.line, p.field, p.message, p.severity, p.column, p.hint) for p in problems
    )
    return deps, errors


def save_manifest(config: Config, manifest: Manifest) -> None:
    """Write the manifest; failing that, say that the outputs are written all the same."""
    try:
        with NoCycles():
            hot = manifest.hot_patch
            if hot is None and manifest.scanned:
                hot = hot_table(manifest)
        write_manifest(str(config.cache_dir), manifest, hot)
    except OSError as exc:
        where = config.rel(manifest_path(str(config.cache_dir)))
        raise SkillforgeError(
            f"{where}: cannot write ({exc.strerror or exc}); the outputs are written "
            "and the next build adopts them"
        ) from None


def _record_outputs(
    config: Config,
    old: Manifest,
    plan: Plan,
    manifest: Manifest,
    written: dict[str, Written],
    removed: set[str],
) -> None:
    now_ns = time.time_ns()
    for rel, record in old.outputs.items():
        if rel not in removed and rel not in written:
            manifest.outputs[rel] = record
    for rel, (mtime, size, _) in plan.refreshed_outputs.items():
        if rel in manifest.outputs:
            rec = manifest.outputs[rel]
            mtime, size, _ = stat_record(mtime, size, rec.digest, now_ns)
            manifest.outputs[rel] = OutputRecord(mtime, size, rec.digest, rec.document, rec.key)
    for rel, item in written.items():
        stat = _stat_of(config, rel, item)
        if stat is None:
            continue
        mtime, size, digest = stat_record(stat[0], stat[1], item.digest, now_ns)
        manifest.outputs[rel] = OutputRecord(mtime, size, digest, item.document, item.key)
    # outputs a record lists but the manifest does not (removed, not written, gone before
    # their stat) are dropped from the records that list them, and only from those: a record
    # kept from the last build lists only outputs it recorded, a new one those of its render
    outputs, specs = manifest.outputs, manifest.specs
    gone = old.outputs.keys() - outputs.keys()
    for spec_id in plan.dirty:
        if spec_id in specs:
            gone.update(o for o in specs[spec_id].outputs if o not in outputs)
    if gone:
        for spec_record in specs.values():
            if not gone.isdisjoint(spec_record.outputs):
                spec_record.outputs = [o for o in spec_record.outputs if o in outputs]


def _stat_of(config: Config, rel: str, item: Written) -> tuple[int, int] | None:
    """(mtime_ns, size) of an output this build wrote; None when it is gone."""
    stat = item.stat
    if stat is None:
        try:
            stat = os.stat(config.root / rel)
        except OSError:
            return None
    return stat.st_mtime_ns, stat.st_size


def _record_files(
    inventory: Inventory,
    old: Manifest,
    plan: Plan,
    manifest: Manifest,
    known: dict[str, str],
    scan_ns: int,
) -> None:
    """Record every file a spec depends on, with the stat taken before it was read."""
    needed: set[str] = set(manifest.specs)
    deps: set[str] = set()
    for depset in {id(r.deps): r.deps for r in manifest.specs.values()}.values():
        deps.update(depset)
    any_template = any_trait = False
    for dep in deps:
        kind, _, name = dep.partition(":")
        table = inventory.traits if kind == "t" else inventory.templates
        if dep == ALL_TEMPLATES:
            any_template = True
        elif dep == ALL_TRAITS:
            any_trait = True
        elif kind in ("f", "s"):
            needed.add(name)
        elif kind in ("t", "T") and name in table:
            manifest.resolved[dep] = table[name]
            needed.add(table[name])
    if any_template:
        for name, file_id in inventory.templates.items():
            manifest.resolved[f"T:{name}"] = file_id
            needed.add(file_id)
    if any_trait:  # the trait names there are (see plan.ALL_TRAITS)
        for name, file_id in inventory.traits.items():
            manifest.resolved[f"t:{name}"] = file_id
    for file_id in needed:
        if file_id in plan.refreshed:
            manifest.files[file_id] = plan.refreshed[file_id]
        elif file_id in known:
            stat = inventory.files.get(file_id) or file_stat(inventory.path(file_id))
            if stat is not None:
                manifest.files[file_id] = stat_record(stat[0], stat[1], known[file_id], scan_ns)
        elif file_id in old.files:
            manifest.files[file_id] = old.files[file_id]
        else:
            # not read by this build (a template or supporting file a failed spec could have
            # reached, had it got that far): hashed now, recorded only when its stat did not
            # move (from the scan's, for a scanned file) while it was read
            path = inventory.path(file_id)
            before = inventory.files.get(file_id) or file_stat(path)
            digest = _digest_regular(path) if before is not None else None
            if digest is not None and before is not None and file_stat(path) == before:
                manifest.files[file_id] = stat_record(before[0], before[1], digest, scan_ns)


def _storable(data: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed config, when the manifest can hold it (TOML dates cannot be marshalled)."""
    try:
        marshal.dumps(data)
    except ValueError:
        return None
    return data


def _digest_regular(path: str) -> str | None:
    """The digest of a regular file; None for anything else (a FIFO would block the read, a
    device never end) or when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return digest_bytes(f.read())
    except OSError:
        return None
    finally:
        os.close(fd)


# -- the build record (stats) ---------------------------------------------------------------


def record_build(
    config: Config,
    report: BuildReport,
    counters: Counters,
    rendered: list[OutputCost],
    state: Manifest | None,
    emit: Callable[[Problem], None],
    *,
    save: bool = True,
    rejudge: bool = False,
) -> None:
    """Update the cost table, judge the skill listing, and keep the build's record.

    `state` is the manifest as this build leaves it. Listing problems go through `emit`
    before the record is made, so the record holds them. A dry run (`save=False`) judges the
    listing and writes nothing.
    """
    cache_dir = str(config.cache_dir)
    damaged: list[str] = []
    # the cost table as rows: a build touches the rows of the outputs it rendered or removed,
    # and the listing is judged again only when one of their entries changed
    earlier: list[str] = []  # a table in format 1's layout: written again in format 2's
    old = read_cost_table(cache_dir, damaged, earlier)  # rows decoded when read: a few
    history = History.load(cache_dir, keep=config.records_kept, fold=False, damaged=damaged)
    for path in damaged:  # before the record is made, so that it holds them
        emit(Problem(config.rel(path), None, None, damaged_message(not save), "warning"))
    table, touched = next_cost_rows(old, rendered, state)
    keep(old, table)  # 10,000 rows: not freed one by one in a process about to end
    failing = False
    for problem in listing_problems_rows(config, old, table, touched, rejudge):
        failing = failing or problem.severity == "error"
        emit(problem)
    if not save:
        return
    mark_listing(cache_dir, failing)
    folding = take_noops(cache_dir)
    for record in read_noops(folding) if folding else []:
        history.add(record)
    history.add(build_record(report, counters))
    # `next_cost_rows` changes only the rows it says it touched: 10,000 rows not compared
    if earlier or any(table.get(p, _NONE) != old.get(p, _NONE) for p in touched):
        write_cost_rows(cache_dir, table)
    history.save(cache_dir)
    if folding:
        unlink_quietly(folding)


_NONE = object()  # no row (a row is a list)


def build_record(report: BuildReport, counters: Counters, kind: str = "build") -> dict[str, Any]:
    """The record of one full build: counters, outputs, timings, templates, problems."""
    values = report.counters
    record = {
        "time": time.time(),
        "kind": kind,
        "ok": not report.errors,
        "duration_ms": round(report.duration_ms, 2),
        "specs": {"total": report.specs_total, "parsed": report.specs_parsed},
        "layers": {
            layer: [values.get(hit, 0), values.get(miss, 0)]
            for layer, (hit, miss) in LAYERS.items()
        },
        "outputs": {
            "written": len(report.written),
            "unchanged": report.unchanged,
            "removed": len(report.removed),
            "files_written": report.files_written,
        },
        "timings": {k: round(v, 2) for k, v in report.timings.items()},
        "templates": template_table(counters),
        "errors": len(report.errors),
        "warnings": [str(p) for p in report.warnings[:WARNINGS_KEPT]],
        "warnings_count": len(report.warnings),
    }
    if report.remote is not None:
        record["remote"] = report.remote
    return record


def template_table(counters: Counters) -> dict[str, list[Any]]:
    """Per template: [renders, total ms, max ms, repeats].

    A repeat is a render whose output another render of the same template produced in the
    same build: what a cache keyed on the inputs that really matter could have served.
    Inline section bodies are one row (each is its own one-off template).
    """
    times: dict[str, list[float]] = {}
    outputs: dict[str, list[str]] = {}
    for name, seconds in counters.template_times.items():
        label = INLINE if "#" in name else name
        times.setdefault(label, []).extend(seconds)
        outputs.setdefault(label, []).extend(counters.template_outputs.get(name, []))
    table: dict[str, list[Any]] = {}
    for label, seconds in times.items():
        produced = outputs.get(label, [])
        repeats = len(produced) - len(set(produced)) if produced else 0
        table[label] = [
            len(seconds),
            round(sum(seconds) * 1000, 3),
            round(max(seconds) * 1000, 3),
            repeats,
        ]
    return table
