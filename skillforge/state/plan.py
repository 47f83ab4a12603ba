"""Decide what a build must do: which specs are dirty and why, which outputs are orphaned.

Standard library only. This is also the whole of the no-op fast path: when the plan is empty
the build ends here, before YAML, Jinja2 or the caches are loaded.
"""

from __future__ import annotations

import os

from skillforge import __version__
from skillforge.state.digest import digest_file
from skillforge.state.heap import without_cycles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from typing import Any

    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import Manifest, RawProblem, SpecRecord

ALL_TEMPLATES = "T:*"
# The set of trait names (a failed spec's "unknown trait" message suggests one of them)
ALL_TRAITS = "n:traits"
# A dependency of a failed spec on a file that did not exist ("x:<file id>"): creating it
# must parse the spec again
ABSENT = "x:"
# The manifest's record of the plugin manifests (DESIGN §4.1): made from the config, by no spec
PLUGINS = "[plugins]"


def tool_version() -> str:
    """The version the manifest's `tool` must be for its records to hold (one place)."""
    return __version__


def plugins_wanted(plugins: object, manifest: Manifest | None) -> bool:
    """Whether a build has plugin manifests to make (`plugins`: the config's) or, made by the
    last build (`manifest`), to remove. Without either, no plugin module needs loading."""
    return plugins is not None or (
        manifest is not None and manifest.spec_record(PLUGINS) is not None
    )


class Plan:
    """What a build has to do, and the reasons."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.dirty: dict[str, list[str]] = {}
        self.orphans: list[str] = []
        self.orphan_specs: list[str] = []
        self.unchanged: list[str] = []
        # set instead of `unchanged` by the hot table's plan of a no-op (state/hot.py): how
        # many documents `unchanged` would list
        self.unchanged_count: int | None = None
        # set by the hot table's plan of an edit: how many documents of the specs it did not
        # look at are unchanged, besides those `unchanged` lists (those of the specs it judged)
        self.unlisted = 0
        # set by the hot table's plan of an edit (state/hot.py): the scan found the recorded
        # files in their order, and the last build's hot table holds for its records (the
        # next manifest may then be made from the last one in parts: state/patch.py)
        self.edited = False
        self.refreshed: dict[str, list[Any]] = {}
        self.refreshed_outputs: dict[str, list[Any]] = {}
        # dirty specs whose own YAML files did not change: (file id, digest) of each layer
        self.layers: dict[str, list[tuple[str, str]]] = {}
        self.env_changed = False
        # why the plugin manifests must be made again (see `PLUGINS`); empty: they are fine
        self.plugins: list[str] = []
        # failed specs none of whose inputs changed: their recorded errors, reported again
        # without parsing them (DESIGN §5)
        self.replay: dict[str, tuple[RawProblem, ...]] = {}

    @property
    def unchanged_total(self) -> int:
        """How many documents are unchanged: those `unchanged` lists, or counts of them."""
        if self.unchanged_count is not None:
            return self.unchanged_count
        return len(self.unchanged) + self.unlisted

    @property
    def is_noop(self) -> bool:
        """True when nothing has to be parsed, rendered, written or removed."""
        return not self.dirty and not self.orphans and not self.env_changed and not self.plugins


def selected(spec: str, paths: list[str] | None) -> bool:
    """True when `spec` is one of, or under one of, the PATHS given to a command."""
    if not paths:
        return True
    return any(p in (".", "") or spec == p or spec.startswith(p.rstrip("/") + "/") for p in paths)


class Checker:
    """Answers "did this dependency change since the last build?", once per dependency."""

    def __init__(self, inv: Inventory, manifest: Manifest, refreshed: dict[str, list[Any]]) -> None:
        self.inv = inv
        self.manifest = manifest
        self.refreshed = refreshed
        self.memo: dict[str, str | None] = {}

    def file_changed(self, file_id: str) -> bool:
        recorded = self.manifest.file_row(file_id)
        if recorded is None:
            return True
        stat = self.inv.files.get(file_id)
        path = self.inv.path(file_id)
        if stat is None:
            try:
                st = os.stat(path)
            except OSError:
                return True
            stat = (st.st_mtime_ns, st.st_size)
        if recorded[0] and stat[0] == recorded[0] and stat[1] == recorded[1]:
            return False
        if stat[1] != recorded[1]:
            return True
        if digest_file(path) != recorded[2]:
            return True
        self.refreshed[file_id] = [stat[0], stat[1], recorded[2]]
        return False

    def reason(self, dep: str) -> str | None:
        """Return why `dep` changed, or None when it did not."""
        if dep in self.memo:
            return self.memo[dep]
        kind, _, name = dep.partition(":")
        why: str | None = None
        if kind == "f":
            why = f"base {name} changed" if self.file_changed(name) else None
        elif kind == "s":
            why = f"file {name} changed" if self.file_changed(name) else None
        elif dep == ALL_TEMPLATES:
            why = self._all_templates()
        elif kind in ("t", "T"):
            table = self.inv.traits if kind == "t" else self.inv.templates
            label = "trait" if kind == "t" else "template"
            now = table.get(name)
            # a name missing then and now is unchanged (only a failed spec records one)
            if now != self.manifest.resolved.get(dep) or (
                now is not None and self.file_changed(now)
            ):
                why = f"{label} {name} changed"
        elif kind in ("n", "x"):
            why = self._failed_reason(kind, name)
        else:
            why = f"unknown dependency {dep}"
        self.memo[dep] = why
        return why

    def _failed_reason(self, kind: str, name: str) -> str | None:
        """Why a failed spec's record of the trait names or of a missing file no longer holds."""
        if kind == "x":
            return f"file {name} created" if os.path.isfile(self.inv.path(name)) else None
        before = {k[2:] for k in self.manifest.resolved if k.startswith("t:")}
        return None if before == set(self.inv.traits) else "traits changed"

    def _all_templates(self) -> str | None:
        before = {k[2:]: v for k, v in self.manifest.resolved.items() if k.startswith("T:")}
        if set(before) != set(self.inv.templates):
            return "templates changed"
        for name in sorted(self.inv.templates):
            if self.reason(f"T:{name}"):
                return f"template {name} changed"
        return None


@without_cycles
def make_plan(
    inv: Inventory,
    manifest: Manifest | None,
    *,
    config_changed: bool,
    force: bool = False,
    paths: list[str] | None = None,
    env: str | None = None,
    only: Collection[str] | None = None,
    replay: bool = False,
) -> Plan:
    """Compare the scanned project with the manifest of the last build.

    `env` is the digest of the rendering environment (library versions); None means "not
    known yet" (fast path), in which case a change of the recorded library files only sets
    `env_changed` so that the caller goes the slow way. `only` (from `skillforge watch`, which
    knows what changed) names the specs that may have changed; the others built fine last
    time are taken as unchanged without a look at their files or outputs. With `replay`
    (`build` and `watch`, not `check`), a failed spec none of whose recorded inputs changed
    goes to `Plan.replay` instead of being parsed again.
    """
    specs = [s for s in inv.specs if selected(s, paths)]
    plan = Plan(total=len(specs))
    if manifest is None:
        plan.dirty = {s: ["new spec"] for s in specs}
        return plan
    global_reason = None
    if force:
        global_reason = "--force"
    elif manifest.tool != __version__:
        global_reason = "version changed"
    elif config_changed:
        global_reason = "config changed"
    elif env is not None and env != manifest.env:
        global_reason = "version changed"
    elif env is None:
        plan.env_changed = env_files_changed(manifest)

    checker = Checker(inv, manifest, plan.refreshed)
    present = set(inv.specs)
    root, records = inv.path(""), manifest.outputs
    # The tight loop of the no-op (issues 11, 17): a spec whose own stat matches, whose set of
    # dependencies (shared by many specs: one answer per set) did not change and whose outputs'
    # stats match is unchanged; anything else takes the careful way below, which says why.
    now_files, then_files = inv.files, manifest.files
    depsets: dict[Any, bool] = {}
    unchanged = plan.unchanged
    for spec in specs:
        record = manifest.specs.get(spec)
        if record is None and (manifest.specs or not global_reason):
            plan.dirty[spec] = ["new spec"]
            continue
        if global_reason:
            plan.dirty[spec] = [global_reason]
            continue
        if record is None or record.failed:
            errors = manifest.errors.get(spec) if replay and record is not None else None
            if errors is not None and record and _inputs_same(checker, spec, record.deps):
                plan.replay[spec] = errors
            else:
                plan.dirty[spec] = ["previous build failed"]
            continue
        if only is not None and spec not in only:
            plan.unchanged.extend(o for o in record.outputs if manifest.outputs[o].document)
            continue
        now, then = now_files.get(spec), then_files.get(spec)
        if now is not None and then is not None and now[0] == then[0] != 0 and now[1] == then[1]:
            deps = record.deps
            key = deps if type(deps) is tuple else tuple(deps)
            same = depsets.get(key)
            if same is None:
                same = depsets[key] = not any([checker.reason(dep) for dep in deps])
            if same:
                documents = _documents_if_same(root, records, record.outputs)
                if documents is not None:
                    unchanged.extend(documents)
                    continue
        judge_spec(checker, plan, spec, record)
    plugins = manifest.specs.get(PLUGINS)
    if plugins is not None:
        plan.plugins = (
            [global_reason]
            if global_reason
            else ["previous build failed"]
            if plugins.failed
            else _output_reasons(root, records, plugins.outputs, plan)
        )
        if not plan.plugins:
            plan.unchanged.extend(plugins.outputs)
    for spec, record in manifest.specs.items():
        # a spec in a folder the scan could not read is not gone: its outputs stay
        if spec == PLUGINS:
            continue
        if spec not in present and selected(spec, paths) and not inv.hides(spec):
            plan.orphan_specs.append(spec)
            plan.orphans.extend(record.outputs)
    return plan


def judge_spec(checker: Checker, plan: Plan, spec: str, record: SpecRecord) -> None:
    """The careful way for one spec built fine last time: dirty (with why) or unchanged."""
    manifest = checker.manifest
    reasons = ["spec changed"] if checker.file_changed(spec) else []
    for dep in record.deps:
        why = checker.reason(dep)
        if why and why not in reasons:
            reasons.append(why)
    # its outputs' records only (after an edit of one spec among 10,000, read a few)
    records: dict[str, Any] = {o: manifest.output_record(o) for o in record.outputs}
    if not reasons:
        reasons = _output_reasons(checker.inv.path(""), records, record.outputs, plan)
    if reasons:
        plan.dirty[spec] = reasons
        if not any(r == "spec changed" or r.startswith(("base ", "trait ")) for r in reasons):
            layers = _layers(manifest, spec, record.deps)
            if layers is not None:
                plan.layers[spec] = layers
    else:
        plan.unchanged.extend([o for o in record.outputs if records[o].document])


def _inputs_same(checker: Checker, spec: str, deps: Sequence[str]) -> bool:
    """True when neither a failed spec's file nor any input its failed attempt read changed."""
    return not checker.file_changed(spec) and not any([checker.reason(dep) for dep in deps])


def _layers(manifest: Manifest, spec: str, deps: Sequence[str]) -> list[tuple[str, str]] | None:
    """The YAML files a spec is merged from, with their recorded digests (see spec.py)."""
    files = [spec]
    for dep in deps:
        if dep.startswith("f:"):
            files.append(dep[2:])
        elif dep.startswith("t:"):
            resolved = manifest.resolved.get(dep)
            if resolved is None:
                return None
            files.append(resolved)
    parts = []
    for file_id in sorted(set(files)):
        record = manifest.file_row(file_id)
        if record is None:
            return None
        parts.append((file_id, record[2]))
    return parts


def _documents_if_same(root: str, records: dict[str, Any], outputs: list[str]) -> list[str] | None:
    """The documents among `outputs` when every one's stat is the recorded one, else None."""
    documents = []
    stat = os.stat
    for out in outputs:
        rec = records.get(out)
        if rec is None or not rec.mtime_ns:
            return None
        try:
            st = stat(root + out)
        except OSError:
            return None
        if st.st_mtime_ns != rec.mtime_ns or st.st_size != rec.size:
            return None
        if rec.document:
            documents.append(out)
    return documents


def _output_reasons(
    root: str, records: dict[str, Any], outputs: list[str], plan: Plan
) -> list[str]:
    """Why a spec's outputs need a build ("output missing", "output edited"), or none.

    One `stat` per output, in a tight loop: a build for six targets has about six times the
    outputs of a build for one, and the no-op build must stay light (`root` + the path is
    the file, `records` the manifest's outputs).
    """
    reasons: list[str] = []
    stat = os.stat
    for out in outputs:
        rec = records.get(out)
        if rec is None:
            reasons.append("output missing")
            continue
        try:
            st = stat(root + out)
        except OSError:
            reasons.append("output missing")
            continue
        if rec.mtime_ns and st.st_mtime_ns == rec.mtime_ns and st.st_size == rec.size:
            continue
        if st.st_size != rec.size or digest_file(root + out) != rec.digest:
            reasons.append("output edited")
        else:
            plan.refreshed_outputs[out] = [st.st_mtime_ns, st.st_size, rec.digest]
    return reasons


def env_files_changed(manifest: Manifest) -> bool:
    """Whether a library file of the rendering environment the manifest records changed."""
    for path, recorded in manifest.env_files.items():
        try:
            st = os.stat(path)
        except OSError:
            return True
        if [st.st_mtime_ns, st.st_size] != recorded:
            return True
    return False
