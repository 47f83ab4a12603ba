"""`skillforge check`: compare a fresh in-memory render of the project with the disk (DESIGN §6).

The CI step. It writes nothing: no output, no manifest, no cache entry, no stats (it reads the
cache through `cache_reader`, a connection that cannot write). It fails when an output is
stale, missing, orphaned or edited by hand, or when a spec, template or rule fails.

Why a clean check renders nothing. Rendering a thousand specs takes seconds; a clean check
must take a fraction of one. An output is a pure function of its document key (every section
key plus the frontmatter), and that key is a pure function of the spec's inputs: its YAML
files, the templates its sections reach, the config and the versions of skillforge, Jinja2,
PyYAML and Python -- exactly the dependencies the manifest records for each spec, which is
what the incremental build already relies on. So for a spec whose recorded inputs are all
unchanged, a fresh render *is* the output the last build rendered, and comparing the bytes on
disk with the digest recorded for that render is the same comparison as comparing them with a
fresh render. Unlike `build`, check trusts no stat: it blanks every recorded mtime before
planning, so each input and each output whose size matches is hashed; a hand edit that kept
the size and restored the mtime is still caught. Only the specs the plan calls dirty (an input
changed, an output differs or is missing, the last build failed, or there is no manifest at
all) are loaded and rendered, and their outputs compared byte for byte.

On a fresh clone (CI) there is no manifest and no cache: every spec is rendered, in worker
processes when there are many, and an output that differs is judged by its marker comment
(`marker.py`): stale when it still matches its own digest, edited by hand when it does not,
not skillforge's when it has none (with `[build] marker = false`, every difference is stale).

Orphans come from two places: outputs the manifest says skillforge wrote for a spec that is
gone (or that no longer produces them), and, with or without a manifest, documents under the
output folder that carry skillforge's marker but that no spec produces (see `orphans.py`).
"""

from __future__ import annotations

import os
import stat as st
import time
from collections.abc import Callable

from skillforge.engine.load.config import Config
from skillforge.engine.options import CheckOptions
from skillforge.engine.orphans import find_orphans
from skillforge.engine.start import scan_project
from skillforge.errors import Problem, UsageError
from skillforge.report.model import CheckReport, Finding
from skillforge.state.digest import digest_bytes
from skillforge.state.manifest import Manifest, read_manifest
from skillforge.state.plan import Plan, make_plan, selected

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.engine.costs import OutputCost
    from skillforge.engine.documents import RenderedOutput, RenderedSpec
    from skillforge.engine.plugins import ManifestFile
    from skillforge.engine.workers import Batch, Received
    from skillforge.state.inventory import Inventory

MAX_DIFF_LINES = 400


def run_check(
    config: Config,
    options: CheckOptions,
    started: float | None = None,
) -> CheckReport:
    """Check every output of the project (or of the specs under `options.paths`)."""
    started = time.perf_counter() if started is None else started
    report = CheckReport()

    def warn(message: str, file: str = "") -> None:
        where = file or config.rel(config.cache_dir)
        report.warnings.append(Problem(where, None, None, message, "warning"))

    inventory = scan_project(config)
    report.errors.extend(Problem(f, None, None, m) for f, m in inventory.problems)
    previous = _read_manifest(config, warn)
    _paths_name_specs(config, inventory, previous, options.paths)
    plan = _plan(config, inventory, previous, options.paths)
    remote = None
    if config.remote:  # DESIGN §5.1: a fresh clone compares with the records, not a render
        from skillforge.cache import shared
        from skillforge.cache.remote import open_remote

        remote = open_remote(config.remote, False, warn)
        previous, plan, shared_costs = shared.begin(
            remote,
            inventory,
            previous,
            plan,
            config,
            "",  # check plans without the environment digest (see _plan)
            lambda m: _plan(config, inventory, m, options.paths),
        )
        remote.close()
    report.specs_total = plan.total
    produced: dict[str, str] = {}  # output -> spec, for every spec found up to date or rendered
    costs: dict[str, OutputCost] = {}  # the token estimates of the documents rendered here
    if remote is not None:  # ... or described by the remote's records
        from skillforge.engine.costs import OutputCost as Cost

        costs.update((path, Cost.from_raw(path, row)) for path, row in shared_costs.items())
    present = {s for s in inventory.specs if selected(s, options.paths)}
    for spec_id, record in previous.specs.items() if previous else ():
        if spec_id in present and spec_id not in plan.dirty:
            for path in record.outputs:
                produced[path] = spec_id
            report.outputs_checked += len(record.outputs)
    failed = False
    results: dict[str, RenderedSpec] = {}
    if plan.dirty:
        # the outputs of the specs worker processes hand back are compared while the others
        # render; the report keeps the order of the loop below
        early: dict[str, list[Finding | None]] = {}

        def compared(rendered: RenderedSpec, spec_id: str) -> list[Finding | None]:
            file, line = rendered.name_origin
            name_line = line if file == spec_id else None  # where the output's path comes from
            return [
                compare(config, out, spec_id, previous, options.diff, name_line)
                for out in rendered.outputs
            ]

        def received(results: dict[str, RenderedSpec]) -> None:
            early.update((spec_id, compared(r, spec_id)) for spec_id, r in results.items())

        batch = _render(config, inventory, plan, previous, options.jobs, warn, received)
        from skillforge.engine.load.crossrefs import check_across_specs

        report.warnings.extend(check_across_specs(previous, plan, batch))
        report.specs_rendered = len(plan.dirty)
        failed = bool(batch.failed)
        for problems in batch.failed.values():
            report.errors.extend(p for p in problems if p.severity == "error")
            report.warnings.extend(p for p in problems if p.severity != "error")
        for spec_id, rendered in sorted(batch.results.items()):
            report.warnings.extend(rendered.warnings)
            if rendered.cost is not None:
                costs[rendered.cost.path] = rendered.cost
            findings = early.get(spec_id) or compared(rendered, spec_id)
            for out, finding in zip(rendered.outputs, findings, strict=True):
                produced[out.path] = spec_id
                report.outputs_checked += 1
                if finding is not None:
                    report.findings.append(finding)
        results = batch.results
        for spec_id in batch.failed:  # what a failed spec made before is not an orphan
            before = previous.specs.get(spec_id) if previous else None
            for path in before.outputs if before else ():
                produced.setdefault(path, spec_id)

    specs = list(inventory.specs)
    _check_plugins(config, specs, previous, produced, report, options.diff, results, failed)
    orphans = find_orphans(config, plan, previous, produced, scan=not options.paths and not failed)
    report.findings.extend(Finding("orphaned", *orphan) for orphan in orphans)
    for problem in _budgets(config, costs, produced, whole=not options.paths):
        (report.errors if problem.severity == "error" else report.warnings).append(problem)
    report.duration_ms = (time.perf_counter() - started) * 1000
    return report


def _check_plugins(
    config: Config,
    specs: list[str],
    previous: Manifest | None,
    produced: dict[str, str],
    report: CheckReport,
    diff: bool,
    results: dict[str, RenderedSpec],
    failed: bool,
) -> None:
    """Compare each plugin manifest with a fresh render, find the orphaned ones, and check
    the members by name against the project's specs (`plugins.project_names`)."""
    from skillforge.state.plan import PLUGINS, plugins_wanted

    if not plugins_wanted(config.plugins, previous):
        return
    from skillforge.engine import plugins

    names = plugins.project_names(config, specs, previous, results, failed)
    if names is not None:
        report.errors.extend(plugins.membership(config, names))
    for out in plugins.manifest_outputs(config):
        produced[out.path] = PLUGINS
        report.outputs_checked += 1
        finding = compare(config, out, "the config", previous, diff)
        if finding is not None:
            report.findings.append(finding)
    orphans = plugins.orphaned_manifests(config, previous, produced)
    report.findings.extend(Finding("orphaned", *orphan) for orphan in orphans)


def _budgets(
    config: Config, costs: dict[str, OutputCost], produced: dict[str, str], whole: bool
) -> list[Problem]:
    """The budgets of DESIGN §7 over every document a build would write now.

    A document rendered here brings its own estimate; one found up to date is judged by the
    estimate recorded when it was built (the same text, so the same count), without
    rendering it or loading the tokenizer. With PATHS only those outputs are judged: the
    skill listing needs every skill.
    """
    from skillforge.engine.budgets import evaluate, output_problems, read_costs
    from skillforge.state.buildlog import damaged_message

    damaged: list[str] = []
    recorded = read_costs(str(config.cache_dir), damaged)
    found = [
        Problem(config.rel(p), None, None, damaged_message(read_only=True), "warning")
        for p in damaged
    ]
    every = [costs.get(path) or recorded.get(path) for path in sorted(produced)]
    known = [cost for cost in every if cost is not None]
    if whole:
        return found + evaluate(config, known)
    return found + [p for cost in known for p in output_problems(config.budgets, cost)]


def _read_manifest(config: Config, warn: Callable[[str], None]) -> Manifest | None:
    """The last build's manifest with its stats blanked, so that every file gets hashed."""
    try:
        manifest = read_manifest(str(config.cache_dir))
    except ValueError as exc:
        warn(f"{exc}; checking without it (every spec is rendered)")
        return None
    if manifest is None:
        return None
    if manifest.owner and manifest.owner != config.owner():
        other = config.rel(os.path.normpath(os.path.join(config.cache_dir, manifest.owner)))
        warn(
            f"the manifest here was written by the build of another config ({other}); "
            "checking without it (give each config its own cache_dir)"
        )
        return None
    manifest.files = {k: [0, v[1], v[2]] for k, v in manifest.files.items()}
    for record in manifest.outputs.values():
        record.mtime_ns = 0
    return manifest


def _plan(
    config: Config, inventory: Inventory, previous: Manifest | None, paths: list[str] | None
) -> Plan:
    """The build's plan, judging library versions by their files' stats first (as the no-op
    build does); when those moved, the real environment digest decides."""
    changed = previous is not None and previous.config != config.digest
    plan = make_plan(inventory, previous, config_changed=changed, paths=paths)
    if plan.env_changed:
        from skillforge.engine.jinja.templating import environment_digest

        env = environment_digest()
        plan = make_plan(inventory, previous, config_changed=changed, paths=paths, env=env)
    return plan


def _paths_name_specs(
    config: Config, inventory: Inventory, previous: Manifest | None, paths: list[str] | None
) -> None:
    """Each PATH must hold a spec (or one the last build had): else "0 specs" would pass."""
    known = [*inventory.specs, *(previous.specs if previous else ())]
    for path in paths or ():
        if not any(selected(spec, [path]) for spec in known):
            folders = ", ".join(f"{config.rel(p)}/" for p in config.specs)
            raise UsageError(
                f"{path}: no spec there; give spec files or folders holding specs ({folders})"
            )


def _render(
    config: Config,
    inventory: Inventory,
    plan: Plan,
    previous: Manifest | None,
    jobs: int | None,
    warn: Callable[[str], None],
    received: Received,
) -> Batch:
    """Load and render the dirty specs in memory, reading (never writing) the cache.

    `received` is handed what worker processes render as they hand it back."""
    from skillforge.cache.local import Store
    from skillforge.engine.workers import (
        PARALLEL_FROM,
        default_jobs,
        render_parallel,
        render_specs,
    )

    dirty = list(plan.dirty)
    jobs = default_jobs(config, jobs, warn)
    if jobs > 1 and len(dirty) >= PARALLEL_FROM:
        batch = render_parallel(
            config,
            inventory,
            dirty,
            plan.layers,
            False,
            jobs,
            _ignore,
            True,
            received,
            entries=False,
        )
        for message in batch.warnings:
            warn(message)
    else:
        store = Store(config.cache_dir, config.cache_size_limit, warn, read_only=True)
        if config.remote:
            from skillforge.cache.shared import seed_store

            seed_store(store)
        try:
            batch = render_specs(config, inventory, store, dirty, plan.layers, False, _ignore)
        finally:
            store.close()
    return batch


def _ignore(_: str) -> None:
    """Progress callback: check reports at the end only."""


def compare(
    config: Config,
    out: RenderedOutput | ManifestFile,
    spec: str,
    previous: Manifest | None,
    diff: bool,
    name_line: int | None = None,
) -> Finding | None:
    """Compare one freshly rendered output with the file on disk; None when they agree.

    A stale or missing output points at the spec's `name` line; an edited one at its own
    first differing line.
    """
    path = os.path.join(config.root, out.path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Finding(
            "missing",
            out.path,
            spec,
            f"not on disk; {spec} produces it: run `skillforge build` and commit the result",
            line=name_line,
        )
    except OSError as exc:
        return Finding("edited", out.path, spec, f"cannot be read ({exc.strerror})")
    if st.S_ISLNK(info.st_mode) or not st.S_ISREG(info.st_mode):
        what = "a symbolic link" if st.S_ISLNK(info.st_mode) else "not a regular file"
        return Finding(
            "edited",
            out.path,
            spec,
            f"{what}; skillforge writes only regular files: remove it and run `skillforge build`",
        )
    try:
        with open(path, "rb") as f:
            disk = f.read()
    except OSError as exc:
        return Finding("edited", out.path, spec, f"cannot be read ({exc.strerror})")
    if disk == out.data:
        return None
    record = previous.outputs.get(out.path) if previous else None
    text = unified_diff(out.path, disk, out.data) if diff else ""
    from skillforge.state.marker import read_marker

    # Without the manifest's record (a fresh clone), or with a record older than the file (a
    # build killed before its manifest), the file's marker tells a stale output (it matches
    # its own digest) from a hand edit (it does not) and a hand-written file.
    marker = read_marker(disk)
    intact = marker is not None and marker[1]
    if marker is None and record is None and out.document and out.path.endswith(".json"):
        from skillforge.targets.plugin_formats import json_claim  # a plugin manifest

        intact = json_claim(disk, out.data)  # JSON holds no marker: known by its name
    unknown = previous is None and not config.marker and marker is None
    if intact or unknown or (record is not None and record.digest == digest_bytes(disk)):
        return Finding(
            "stale",
            out.path,
            spec,
            f"differs from a fresh render of {spec}; run `skillforge build` and commit the result",
            line=name_line,
            diff=text,
        )
    if marker is not None and record is None:
        why = "edited by hand (it no longer matches its marker's digest)"
    elif record is None:
        why = f"not written by skillforge, but {spec} produces it"
    else:
        why = "edited by hand since skillforge wrote it"
    return Finding(
        "edited",
        out.path,
        spec,
        f"{why}; move the change into {spec} (or its templates), then run "
        "`skillforge build --force`",
        line=first_difference(disk, out.data),
        diff=text,
    )


def first_difference(a: bytes, b: bytes) -> int:
    """The 1-based line of `a` where `a` and `b` first differ."""
    lines_a, lines_b = a.split(b"\n"), b.split(b"\n")
    for number, (x, y) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if x != y:
            return number
    return min(len(lines_a), len(lines_b))


def unified_diff(path: str, disk: bytes, fresh: bytes) -> str:
    """A unified diff from the file on disk (a/) to the fresh render (b/), capped in length."""
    try:
        before, after = disk.decode("utf-8"), fresh.decode("utf-8")
    except UnicodeDecodeError:
        return f"Binary files a/{path} and b/{path} differ\n"
    import difflib

    lines: list[str] = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{path}",
        f"b/{path}",
    ):
        if line.endswith("\n"):
            lines.append(line)
        else:
            lines.append(line + "\n\\ No newline at end of file\n")
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({more} more diff lines not shown)\n"]
    return "".join(lines)
