"""The next manifest after an edit of a few specs, made from the last one by changing only
what the build changed (issue 17: one edit among 10,000 specs costs what the edit touches).

`patch_tables` makes the tables `engine/record.py`'s `next_manifest` makes, when the plan is
the hot table's plan of an edit (`Plan.edited`: the scan found the recorded files in their
order, and the last build's hot table holds for its records) and the build changed nothing
but records: every dirty spec rendered with the dependencies it had, no output added or
removed, no failed spec, no plugin manifests. The manifest then keeps what changed
(`Manifest.patch`): its records are written in parts (state/parts.py) and `patched_hot`
updates the last hot table at the places of the changed files and outputs, instead of
making both again from 10,000 records. Anything else returns False (or None) and the
caller makes them the whole way; tests/test_patch.py compares the two. Standard library only.
"""

from __future__ import annotations

import os
import time
from struct import error as StructError
from struct import pack_into

from skillforge.state.manifest import OutputRecord, SpecRecord, stat_record
from skillforge.state.plan import PLUGINS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import Manifest
    from skillforge.state.plan import Plan

    # an output a build wrote: (mtime_ns, size) of its stat (None: gone before it), digest,
    # document, key
    WrittenRow = tuple[tuple[int, int] | None, str, bool, str]


def patch_tables(
    manifest: Manifest,
    old: Manifest,
    plan: Plan,
    inventory: Inventory,
    fresh: dict[str, tuple[list[str], list[str]]],
    written: dict[str, WrittenRow],
    removed: set[str],
    known: dict[str, str],
    scan_ns: int,
) -> bool:
    """Set the record tables of `manifest` from those of `old` (the last build's, read from
    its file) and what this build did: `fresh`, the (dependencies, outputs) of each dirty
    spec (every one rendered), `written`, `removed` and `known` (the digests of the files it
    read). False, `manifest` left as it was, when the build did more than a patch holds."""
    if not plan.edited or old.parts is None or old.hot is None or inventory.problems:
        return False
    # read a record at a time (`Manifest.spec_record`): an edit of one spec among 10,000
    if old.errors or old.spec_record(PLUGINS) or fresh.keys() != plan.dirty.keys() or removed:
        return False
    # the records are those of the scanned specs (the hot table's plan): each listed once?
    if len(set(inventory.specs)) != len(inventory.specs):
        return False  # a spec listed twice (folders that overlap): the table counts it twice
    for spec_id, (deps, listed) in fresh.items():
        before = old.spec_record(spec_id)
        if before is None or before.failed or list(before.deps) != deps:
            return False  # a new spec, or other dependencies: other files to record
        if not set(before.outputs) >= set(listed):
            return False  # a new output, or one of another record's: the table lists each once
    for rel, (stat, _, document, _) in written.items():
        record = old.output_record(rel)
        if stat is None or record is None or record.document != document:
            return False  # gone, new, or of another kind: the records of others change
    now_ns = time.time_ns()
    new_outputs: dict[str, OutputRecord] = {}  # the records changed
    touched_outputs = set(written)
    for rel, (mtime, size, _) in plan.refreshed_outputs.items():
        record = old.output_record(rel)
        if record is not None:
            mtime, size, _ = stat_record(mtime, size, record.digest, now_ns)
            new_outputs[rel] = OutputRecord(mtime, size, record.digest, record.document, record.key)
            touched_outputs.add(rel)
    for rel, (stat, digest, document, key) in written.items():
        assert stat is not None
        mtime, size, digest = stat_record(stat[0], stat[1], digest, now_ns)
        new_outputs[rel] = OutputRecord(mtime, size, digest, document, key)
    # the files: with the same dependencies, the same ones; those read again, stat anew
    changed: dict[str, Any] = {}
    for file_id in {*plan.refreshed, *known}:
        if old.file_row(file_id) is None:
            continue  # not a file a spec depends on
        if file_id in plan.refreshed:
            changed[file_id] = plan.refreshed[file_id]
            continue
        stat = inventory.files.get(file_id) or file_stat(inventory.path(file_id))
        if stat is None:
            return False  # not recorded then
        changed[file_id] = stat_record(stat[0], stat[1], known[file_id], scan_ns)
    touched_files = list(changed)
    new_specs = {spec_id: SpecRecord(deps, listed) for spec_id, (deps, listed) in fresh.items()}
    manifest.records_from = (old, new_specs, new_outputs)  # the others: read from `old`
    if "files" in old.__dict__ or old.files_from is None:  # decoded already: as it is now
        manifest.files = {**old.files, **changed}
    else:  # read from the last one's parts when used (`Manifest.files`, `file_row`)
        manifest.files_from = (old.files_from[0], {**old.files_from[1], **changed})
    manifest.resolved, manifest.errors = dict(old.resolved), {}
    manifest.patch = (old.parts, list(fresh), touched_outputs, touched_files)
    manifest.hot_patch = _patched_hot(
        old, manifest, inventory, fresh, touched_outputs, touched_files
    )
    return True


def _patched_hot(
    old: Manifest,
    manifest: Manifest,
    inventory: Inventory,
    fresh: dict[str, tuple[list[str], list[str]]],
    touched_outputs: set[str],
    touched_files: list[str],
) -> dict[str, Any] | None:
    """The hot table of `manifest` (`hot.hot_table`'s, but for the order of its outputs,
    which is the last table's), from the last one: the stats of the changed files and outputs
    at their places, and the count of documents; None when it cannot say (`hot_table` then)."""
    hot = old.hot
    if hot is None:
        return None
    try:
        table = dict(hot)
        stats = bytearray(hot["stats"])
        racy = {entry[1]: entry for entry in hot["racy"]}
        extra, extra_racy = dict(hot["extra"]), dict(hot["extra_racy"])
        scanned = inventory.files
        places = None
        for file_id in touched_files:
            row = manifest.file_row(file_id)
            assert row is not None
            if file_id in scanned:
                if row == old.file_row(file_id):
                    continue  # read again, recorded as it was: its place in the table holds
                if places is None:  # the scan is the recorded one: the table's order
                    places = list(scanned)
                index = places.index(file_id)
                pack_into("2q", stats, 16 * index, row[0], row[1])
                racy.pop(file_id, None)
                if not row[0]:
                    racy[file_id] = (index, file_id, row[2])
            else:
                extra[file_id] = (row[0], row[1])
                extra_racy.pop(file_id, None)
                if not row[0]:
                    extra_racy[file_id] = row[2]
        output_stats = bytearray(hot["output_stats"])
        racy_outputs = dict(hot["racy_outputs"])
        paths = _Places(hot["outputs"])
        for rel in touched_outputs:
            index, record = paths.index(rel), _output(manifest, rel)
            pack_into("2q", output_stats, 16 * index, record.mtime_ns, record.size)
            racy_outputs.pop(index, None)
            if not record.mtime_ns:
                racy_outputs[index] = record.digest
        documents = hot["documents"]
        for spec_id, (_, listed) in fresh.items():
            before = old.spec_record(spec_id)
            assert before is not None
            documents -= sum([_output(old, o).document for o in before.outputs])
            documents += sum([_output(manifest, o).document for o in listed])
    except (KeyError, ValueError, TypeError, IndexError, StructError):
        return None
    table["stats"] = bytes(stats)
    table["racy"] = sorted(racy.values())
    table["extra"], table["extra_racy"] = extra, extra_racy
    table["output_stats"] = bytes(output_stats)
    table["racy_outputs"] = sorted(racy_outputs.items())
    table["documents"] = documents
    return table


def _output(manifest: Manifest, path: str) -> OutputRecord:
    record = manifest.output_record(path)
    if record is None:
        raise KeyError(path)
    return record


class _Places:
    """The place of a name in a hot table's list of names (joined by NUL)."""

    def __init__(self, joined: str) -> None:
        self.framed = "\0" + joined + "\0"

    def index(self, name: str) -> int:
        at = self.framed.find("\0" + name + "\0")
        if at < 0:
            raise KeyError(name)
        return self.framed.count("\0", 0, at)


def output_paths(manifest: Manifest) -> dict[str, Any]:
    """A table whose keys are the paths of the outputs `manifest` records: its `outputs` or,
    while they are not decoded, made from the hot table written with them (which lists them
    all), or from the manifest it was patched from (the same paths: `patch_tables`)."""
    source = manifest
    while "outputs" not in source.__dict__ and source.records_from is not None:
        source = source.records_from[0]
    source.thaw()
    hot, table = source.hot, source.__dict__.get("outputs")
    if table is None and hot is not None and isinstance(hot.get("outputs"), str):
        table = source.__dict__.get("_output_paths")  # made once: two steps ask
        if table is None:
            # the paths the no-op's stat of the outputs split from this very table (hot.py),
            # else split here
            listed = source.__dict__.get("_listed_outputs")
            if listed is None:
                joined = hot["outputs"]
                listed = joined.split("\0") if joined else ()
            table = source.__dict__["_output_paths"] = dict.fromkeys(listed)
    return table if table is not None else manifest.outputs


def file_stat(path: str) -> tuple[int, int] | None:
    """(mtime in ns, size) of the file at `path`, or None when it cannot be stat-ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
