"""The hot table: all a no-op build reads of the manifest, and the plan it makes from it.

A build that changes nothing must still stat every spec and every output (issue 17: 10,000
of each), but it need not decode the records of 10,000 specs nor walk them one by one. The
build that writes the manifest also writes, from its records and its scan:

- `stats`: file id -> (mtime_ns, size) of every file the scan found, as the records hold it
  (0 for a racy mtime) or, for a file no spec read, as the scan saw it;
- `extra`: the same for the recorded files outside the scan;
- `names`: the trait and template names the scan found, and which file each is;
- `outputs`, `mtimes`, `sizes`: every output with its recorded stat;
- `racy`, `racy_outputs`: the recorded digest of each file and output whose mtime is
  recorded as 0;
- `documents`: how many documents `make_plan` lists as unchanged when nothing changed.

`quick_plan` compares the scan with `stats` in one dict comparison (in C) and stats the
outputs in one loop. When everything matches it returns the plan `make_plan` would make, with
the count of unchanged documents (`Plan.unchanged_count`) for their list: the no-op reports
and ends there. Anything else (a changed file, a failed spec, no table) returns None and
`make_plan` decides from the records what changed and why. Standard library only.
"""

from __future__ import annotations

import os

from skillforge.state.digest import digest_file
from skillforge.state.plan import ALL_TEMPLATES, PLUGINS, Plan, env_files_changed, tool_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import Manifest


def hot_table(manifest: Manifest) -> dict[str, Any] | None:
    """The hot table of `manifest` as its build leaves it (`Manifest.scan` set), or None
    when a no-op could not be told from it (a failed spec, a record that does not hold)."""
    scanned, scanned_specs, traits, templates = manifest.scan
    files, specs, outputs, resolved = (
        manifest.files,
        manifest.specs,
        manifest.outputs,
        manifest.resolved,
    )
    if any(record.failed for record in specs.values()):
        return None  # replayed or parsed again: make_plan's
    in_scan = set(scanned_specs)
    if specs.keys() - in_scan - {PLUGINS}:
        return None  # a spec in a folder the scan could not read: make_plan's
    if not in_scan <= specs.keys() or not in_scan <= files.keys():
        return None  # a spec no build has recorded (not selected): new to make_plan
    # every file a spec depends on must be recorded: make_plan takes a missing one as changed
    deps: set[str] = set()
    for depset in {id(record.deps): record.deps for record in specs.values()}.values():
        deps.update(depset)
    for dep in deps:
        kind, _, name = dep.partition(":")
        if dep == ALL_TEMPLATES:
            if any(k.startswith("T:") and v not in files for k, v in resolved.items()):
                return None
        elif kind in ("f", "s"):
            if name not in files:
                return None
        elif kind in ("t", "T"):
            found = resolved.get(dep)  # None: missing then; the same names mean missing now
            if found is not None and found not in files:
                return None
        else:
            return None
    stats: dict[str, tuple[int, int]] = {}
    extra: dict[str, tuple[int, int]] = {}
    racy: dict[str, str] = {}
    for file_id, row in files.items():
        (stats if file_id in scanned else extra)[file_id] = (row[0], row[1])
        if not row[0]:
            racy[file_id] = row[2]
    for file_id in scanned.keys() - files.keys():  # scanned, read by no spec
        stats[file_id] = scanned[file_id]
    produced: set[str] = set()
    for record in specs.values():
        produced.update(record.outputs)
    if not produced <= outputs.keys():
        return None  # make_plan takes an unrecorded output as missing
    # make_plan lists as unchanged each spec's documents and every plugin manifest
    documents = sum([outputs[o].document for spec in scanned_specs for o in specs[spec].outputs])
    plugins = specs.get(PLUGINS)
    if plugins is not None:
        documents += len(plugins.outputs)
    paths = list(outputs)
    racy_outputs = {p: record.digest for p, record in outputs.items() if not record.mtime_ns}
    return {
        "tool": manifest.tool,
        "stats": stats,
        "extra": extra,
        "names": (traits, templates),
        "outputs": paths,
        "mtimes": [record.mtime_ns for record in outputs.values()],
        "sizes": [record.size for record in outputs.values()],
        "racy": racy,
        "racy_outputs": racy_outputs,
        "documents": documents,
    }


def quick_plan(inv: Inventory, manifest: Manifest) -> Plan | None:
    """`make_plan(inv, manifest, config_changed=False, replay=True)` when it finds nothing to
    do, from the hot table alone, with `unchanged_count` for `unchanged` (a plan to report a
    no-op, not to build from); None when something may have changed (or no table)."""
    hot = manifest.hot
    version = tool_version()
    if hot is None or hot.get("tool") != version or manifest.tool != version:
        return None
    try:
        return _quick_plan(inv, manifest, hot)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None  # a damaged table decodes to anything: make_plan reads the records


def _quick_plan(inv: Inventory, manifest: Manifest, hot: dict[str, Any]) -> Plan | None:
    if hot["names"] != (inv.traits, inv.templates) or env_files_changed(manifest):
        return None
    plan = Plan(total=len(inv.specs))
    racy: dict[str, str] = hot["racy"]
    racy_outputs: dict[str, str] = hot["racy_outputs"]
    expected: dict[str, tuple[int, int]] = hot["stats"]
    now = inv.files
    if racy:
        expected = dict(expected)
        for file_id, (mtime, size) in hot["stats"].items():
            if not mtime:
                stat = now.get(file_id)
                if stat is None or not _same_bytes(inv.path(file_id), stat, size, racy, file_id):
                    return None
                expected[file_id] = stat
                plan.refreshed[file_id] = [stat[0], stat[1], racy[file_id]]
    if now != expected:
        return None
    stat_of = os.stat
    for file_id, (mtime, size) in hot["extra"].items():
        path = inv.path(file_id)
        try:
            st = stat_of(path)
        except OSError:
            return None
        if st.st_mtime_ns != mtime or st.st_size != size:
            if mtime or not _same_bytes(path, (0, st.st_size), size, racy, file_id):
                return None
            plan.refreshed[file_id] = [st.st_mtime_ns, st.st_size, racy[file_id]]
    # the tight loop: one stat per output
    root = inv.path("")
    for out, mtime, size in zip(hot["outputs"], hot["mtimes"], hot["sizes"], strict=True):
        try:
            st = stat_of(root + out)
        except OSError:
            return None
        if st.st_mtime_ns != mtime or st.st_size != size:
            if mtime or not _same_bytes(root + out, (0, st.st_size), size, racy_outputs, out):
                return None
            plan.refreshed_outputs[out] = [st.st_mtime_ns, st.st_size, racy_outputs[out]]
    count = hot["documents"]
    if type(count) is not int:
        return None
    plan.unchanged_count = count
    return plan


def _same_bytes(
    path: str, stat: tuple[int, int], size: int, racy: dict[str, str], key: str
) -> bool:
    """Whether a file recorded with a racy mtime (`racy[key]`, its digest) still has its
    recorded size and bytes."""
    digest = racy.get(key)
    if stat[1] != size or digest is None:
        return False
    try:
        return digest_file(path) == digest
    except OSError:
        return False
