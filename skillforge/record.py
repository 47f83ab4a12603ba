"""Assemble the manifest of a finished build from the last one and what this build did."""

from __future__ import annotations

import marshal
import os
import time
from typing import TYPE_CHECKING, Any

from skillforge import __version__
from skillforge.config import Config
from skillforge.discover import Inventory
from skillforge.manifest import Manifest, OutputRecord, SpecRecord, stat_record
from skillforge.plan import ALL_TEMPLATES, Plan

if TYPE_CHECKING:
    from skillforge.render import RenderedSpec


class Written:
    """An output this build wrote (or found identical): its stat, digest and document key."""

    __slots__ = ("digest", "document", "key", "stat")

    def __init__(self, stat: os.stat_result | None, digest: str, key: str, document: bool):
        self.stat = stat
        self.digest = digest
        self.key = key
        self.document = document


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
) -> Manifest:
    """Return the manifest to save after a build (dry runs save none)."""
    old = previous or Manifest()
    manifest = Manifest()
    manifest.tool = __version__
    manifest.config = config.digest
    manifest.config_raw = config.raw_digest
    manifest.config_data = _storable(config.data)
    manifest.layout = config.layout()
    manifest.owner = config.owner()
    present = set(inventory.specs) | {s for s in old.specs if inventory.hides(s)}
    for spec_id, record in old.specs.items():
        if spec_id in present and spec_id not in plan.dirty:
            manifest.specs[spec_id] = record
    for spec_id in plan.dirty:
        if spec_id in results:
            rendered = results[spec_id]
            manifest.specs[spec_id] = SpecRecord(
                sorted(set(rendered.deps)), [o.path for o in rendered.outputs]
            )
        else:  # failed: keep what it produced before, and build it again next time
            before = old.specs.get(spec_id)
            keep = [o for o in (before.outputs if before else []) if o in old.outputs]
            manifest.specs[spec_id] = SpecRecord(before.deps if before else [], keep, True)
    _record_outputs(config, old, plan, manifest, written, removed)
    _record_files(inventory, old, plan, manifest, results, digests, scan_ns)
    return manifest


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
        stat = item.stat
        if stat is None:
            try:
                stat = os.stat(config.root / rel)
            except OSError:
                continue
        mtime, size, digest = stat_record(stat.st_mtime_ns, stat.st_size, item.digest, now_ns)
        manifest.outputs[rel] = OutputRecord(mtime, size, digest, item.document, item.key)
    for spec_record in manifest.specs.values():
        spec_record.outputs = [o for o in spec_record.outputs if o in manifest.outputs]


def _record_files(
    inventory: Inventory,
    old: Manifest,
    plan: Plan,
    manifest: Manifest,
    results: dict[str, RenderedSpec],
    digests: dict[str, str],
    scan_ns: int,
) -> None:
    """Record every file a spec depends on, with the stat taken before it was read."""
    known = dict(digests)
    for rendered in results.values():
        known.update(rendered.digests)
    needed: set[str] = set(manifest.specs)
    deps: set[str] = set()
    for depset in {id(r.deps): r.deps for r in manifest.specs.values()}.values():
        deps.update(depset)
    any_template = False
    for dep in deps:
        kind, _, name = dep.partition(":")
        table = inventory.traits if kind == "t" else inventory.templates
        if dep == ALL_TEMPLATES:
            any_template = True
        elif kind in ("f", "s"):
            needed.add(name)
        elif kind in ("t", "T") and name in table:
            manifest.resolved[dep] = table[name]
            needed.add(table[name])
    if any_template:
        for name, file_id in inventory.templates.items():
            manifest.resolved[f"T:{name}"] = file_id
            needed.add(file_id)
    for file_id in needed:
        if file_id in plan.refreshed:
            manifest.files[file_id] = plan.refreshed[file_id]
        elif file_id in known:
            stat = inventory.files.get(file_id) or _stat(inventory.path(file_id))
            if stat is not None:
                manifest.files[file_id] = stat_record(stat[0], stat[1], known[file_id], scan_ns)
        elif file_id in old.files:
            manifest.files[file_id] = old.files[file_id]


def _storable(data: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed config, when the manifest can hold it (TOML dates cannot be marshalled)."""
    try:
        marshal.dumps(data)
    except ValueError:
        return None
    return data


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
