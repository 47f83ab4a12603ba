"""The hot table: all a no-op build reads of the manifest, and the plan it makes from it.

A build that changes nothing must still stat every spec and every output (issue 17: 10,000
of each), but it need not decode the records of 10,000 specs nor walk them one by one. The
build that writes the manifest also writes, from its records and its scan:

- `ids`, `stats`: every file the scan found, in the scan's order (one string, the ids joined
  by NUL), and their (mtime_ns, size) pairs as the records hold them (0 for a racy mtime)
  or, for a file no spec read, as the scan saw it (one array of 64-bit integers, as bytes);
- `extra`: file id -> (mtime_ns, size) of the recorded files outside the scan;
- `names`: the trait and template names the scan found, and which file each is;
- `outputs`, `output_stats`: every output (joined by NUL) and its recorded stat (bytes);
- `racy`, `extra_racy`, `racy_outputs`: the recorded digest of each file and output whose
  mtime is recorded as 0 (with its place in `ids` or `outputs`);
- `documents`: how many documents `make_plan` lists as unchanged when nothing changed.

Strings and bytes decode with one copy each, where a dict of 10,000 tuples of integers
decodes one object at a time (issue 17). `quick_plan` compares the scan with the table in
two comparisons (in C) and stats the outputs in one loop. When everything matches it
returns the plan `make_plan` would make, with the count of unchanged documents
(`Plan.unchanged_count`) for their list: the no-op reports and ends there. Anything else (a
changed file, a file added or removed, a failed spec, no table) returns None
and `make_plan` decides from the records what changed and why. Standard library only.
"""

from __future__ import annotations

import os
from itertools import chain
from operator import attrgetter, itemgetter
from struct import error as StructError
from struct import pack, unpack_from

from skillforge.state.digest import digest_file
from skillforge.state.heap import keep
from skillforge.state.plan import (
    ALL_TEMPLATES,
    PLUGINS,
    Checker,
    Plan,
    env_files_changed,
    judge_spec,
    tool_version,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from skillforge.state.inventory import FileIds, Inventory
    from skillforge.state.manifest import Manifest


def hot_table(manifest: Manifest) -> dict[str, Any] | None:
    """The hot table of `manifest` as its build leaves it (`Manifest.scan` set), or None
    when a no-op could not be told from it (a failed spec, a record that does not hold).

    A build after an edit of one spec makes it again for 10,000 (issue 17): one pass over
    the records, the rest in C (`map`, set operations)."""
    scanned, scanned_specs, traits, templates = manifest.scan
    files, specs, outputs, resolved = (
        manifest.files,
        manifest.specs,
        manifest.outputs,
        manifest.resolved,
    )
    in_scan = set(scanned_specs)
    if specs.keys() - in_scan - {PLUGINS}:
        return None  # a spec in a folder the scan could not read: make_plan's
    if not in_scan <= specs.keys() or not in_scan <= files.keys():
        return None  # a spec no build has recorded (not selected): new to make_plan
    records = list(specs.values())
    if any(map(_FAILED, records)):
        return None  # replayed or parsed again: make_plan's
    produced = set(chain.from_iterable(map(_OUTPUTS, records)))
    if not produced <= outputs.keys():
        return None  # make_plan takes an unrecorded output as missing
    if len(produced) != sum(map(len, map(_OUTPUTS, records))):
        return None  # an output two records list (the rules between specs rely on none)
    depsets = list({id(deps): deps for deps in map(_DEPS, records)}.values())
    read = _read(set(chain.from_iterable(depsets)), files, resolved)
    if read is None:
        return None
    # make_plan lists as unchanged each spec's documents and every plugin manifest; the
    # scanned specs are the records but the plugins' (each once, or counted the slow way)
    plugins = specs.get(PLUGINS)
    if len(in_scan) == len(scanned_specs):
        listed = chain.from_iterable(map(_OUTPUTS, records))
        documents = sum(map(_DOCUMENT, map(outputs.__getitem__, listed)))
        if plugins is not None:
            documents -= sum(map(_DOCUMENT, map(outputs.__getitem__, plugins.outputs)))
    else:
        by_spec = (specs[spec].outputs for spec in scanned_specs)
        documents = sum([outputs[o].document for o in chain.from_iterable(by_spec)])
    if plugins is not None:
        documents += len(plugins.outputs)
    # the scanned files with their recorded stat (as scanned: a file no spec read)
    ids = list(scanned)
    rows: list[Any] = list(map(files.get, ids))
    if None in rows:
        rows = [
            row if row is not None else stat
            for row, stat in zip(rows, scanned.values(), strict=True)
        ]
    stats = _flat(map(_FIRST_TWO, rows))
    racy = []
    if 0 in stats[::2]:
        racy = [
            (index, ids[index], rows[index][2])
            for index, mtime in enumerate(stats[::2])
            if not mtime and ids[index] in files
        ]
    extra: dict[str, tuple[int, int]] = {}
    extra_racy: dict[str, str] = {}
    for file_id in sorted(files.keys() - scanned.keys()):
        row = files[file_id]
        extra[file_id] = (row[0], row[1])
        if not row[0]:
            extra_racy[file_id] = row[2]
    written = list(outputs.values())
    output_stats = _flat(map(_OUTPUT_KEY, written))
    racy_outputs = []
    if 0 in output_stats[::2]:
        racy_outputs = [
            (index, written[index].digest)
            for index, mtime in enumerate(output_stats[::2])
            if not mtime
        ]
    joined_ids, joined_outputs = _SEP.join(ids), _SEP.join(outputs)
    if joined_ids.count(_SEP) != max(len(ids) - 1, 0) or joined_outputs.count(_SEP) != max(
        len(outputs) - 1, 0
    ):
        return None  # a NUL in a name: not a name a file can have; make_plan's
    try:
        packed, packed_outputs = _packed(stats), _packed(output_stats)
    except StructError:  # a stat no 64-bit integer holds: make_plan's
        return None
    return {
        "tool": manifest.tool,
        "ids": joined_ids,
        "read": _SEP.join(sorted(read)),
        "stats": packed,
        "racy": racy,
        "extra": extra,
        "extra_racy": extra_racy,
        "names": (traits, templates),
        "outputs": joined_outputs,
        "output_stats": packed_outputs,
        "racy_outputs": racy_outputs,
        "documents": documents,
    }


def _read(deps: set[str], files: dict[str, Any], resolved: dict[str, str]) -> set[str] | None:
    """The files the dependencies `deps` name (besides the specs' own), None when one is not
    recorded (make_plan takes a missing one as changed) or a dependency is not one a table
    can answer for."""
    read: set[str] = set()
    for dep in deps:
        kind, _, name = dep.partition(":")
        if dep == ALL_TEMPLATES:
            for key, value in resolved.items():
                if key.startswith("T:"):
                    if value not in files:
                        return None
                    read.add(value)
        elif kind in ("f", "s"):
            if name not in files:
                return None
            read.add(name)
        elif kind in ("t", "T"):
            found = resolved.get(dep)  # None: missing then; the same names mean missing now
            if found is not None:
                if found not in files:
                    return None
                read.add(found)
        else:
            return None
    return read


def quick_plan(inv: Inventory, manifest: Manifest) -> Plan | None:
    """`make_plan(inv, manifest, config_changed=False, replay=True)`, from the hot table,
    when it finds nothing to do (with `unchanged_count` for `unchanged`: a plan to report a
    no-op, not to build from) or when only a few spec files changed (the records are then
    decoded: ValueError when they are damaged); None when anything else may have changed (or
    no table): `make_plan` is the judge."""
    hot = manifest.hot
    version = tool_version()
    if hot is None or hot.get("tool") != version or manifest.tool != version:
        return None
    try:
        found = _quick_plan(inv, manifest, hot)
    except _DAMAGED:
        return None  # a damaged table decodes to anything: make_plan reads the records
    if found is None:
        return None
    plan, changed = found
    if not changed:
        count = hot["documents"]
        if type(count) is not int:
            return None
        plan.unchanged_count = count
        return plan
    manifest.thaw()
    try:
        return _edit_plan(inv, manifest, plan, changed, hot["read"], hot["documents"])
    except _DAMAGED:
        return None


# What a damaged table can raise (its CRC-32 makes damage unlikely, not impossible)
_DAMAGED = (TypeError, ValueError, KeyError, IndexError, AttributeError, StructError)


def _quick_plan(
    inv: Inventory, manifest: Manifest, hot: dict[str, Any]
) -> tuple[Plan, list[str]] | None:
    """The plan of the racy files and outputs, and the files whose stat changed; None when
    the files or the outputs are not the recorded ones."""
    if hot["names"] != (inv.traits, inv.templates) or env_files_changed(manifest):
        return None
    plan = Plan(total=inv.spec_count())
    # the inputs: the scan is the recorded one when it found the same files (in the same
    # order, one comparison, while a folder keeps its listing order; else put in the table's
    # order), with the same stats, but for the racy ones (recorded as 0), which must still
    # hold their bytes. The scan's table is made from what it found, folder by folder (the
    # inventory's `files` is not made: 10,000 tuples and a dict a no-op does not need)
    ids: list[str] | FileIds | None = None
    if inv.joined_ids() == hot["ids"]:
        stats = inv.flat_stats()
    else:
        ordered = _in_recorded_order(inv.files, hot["ids"])
        if ordered is None:
            return None
        ids, stats = list(ordered), _flat(ordered.values())
    expected = hot["stats"]
    keep(stats)
    for index, file_id, digest in hot["racy"]:
        mtime, size = stats[2 * index], stats[2 * index + 1]
        if _same_bytes(inv.path(file_id), size, _at(expected, 2 * index + 1), digest):
            stats[2 * index] = 0
            plan.refreshed[file_id] = [mtime, size, digest]
    packed = _packed(stats)
    if packed == expected:
        changed: list[str] | None = []
    else:
        changed = _changed(inv.file_ids() if ids is None else ids, packed, expected)
    if changed is None:
        return None
    stat_of = os.stat
    extra_racy: dict[str, str] = hot["extra_racy"]
    for file_id, (mtime, size) in hot["extra"].items():
        path = inv.path(file_id)
        try:
            st = stat_of(path)
        except OSError:
            return None
        if st.st_mtime_ns != mtime or st.st_size != size:
            if mtime or not _same_bytes(path, st.st_size, size, extra_racy.get(file_id)):
                return None
            plan.refreshed[file_id] = [st.st_mtime_ns, st.st_size, extra_racy[file_id]]
    # the outputs: one stat each, from the project folder (a shorter lookup than the path)
    joined: str = hot["outputs"]
    paths = joined.split(_SEP) if joined else []
    recorded: bytes = hot["output_stats"]
    if len(recorded) != 16 * len(paths):
        return None
    root = inv.path("")
    try:
        stats = _stat_pairs(root, paths)
    except OSError:
        return None
    keep(paths, stats)  # not freed one by one in a process about to end
    manifest.__dict__["_listed_outputs"] = paths  # the paths of the table: patch.output_paths
    for index, digest in hot["racy_outputs"]:
        mtime, size = stats[2 * index], stats[2 * index + 1]
        then_mtime, then_size = _at(recorded, 2 * index), _at(recorded, 2 * index + 1)
        if mtime == then_mtime and size == then_size:
            continue
        out = paths[index]
        if then_mtime or not _same_bytes(root + out, size, then_size, digest):
            return None
        stats[2 * index] = then_mtime
        plan.refreshed_outputs[out] = [mtime, size, digest]
    if _packed(stats) != recorded:
        return None
    return plan, changed


def _in_recorded_order(now: dict[str, Any], ids: str) -> dict[str, Any] | None:
    """The scan's files in the order the table lists them, when they are the same files;
    else None. A folder copied, restored or checked out again can list the same files in
    another order: the no-op must still see that nothing changed, from the table (it writes
    no manifest, so `make_plan` would otherwise read every record at every no-op after)."""
    recorded = ids.split(_SEP) if ids else []
    if len(recorded) != len(now) or not all(map(now.__contains__, recorded)):
        return None
    return {file_id: now[file_id] for file_id in recorded}


def _changed(ids: list[str] | FileIds, packed: bytes, expected: bytes) -> list[str] | None:
    """The files whose stat (in `packed`) is not the recorded one (in `expected`); None when
    more than a few are (many changes: `make_plan`'s). Compared 64 files at a time (in C),
    then one by one where a block differs: an edit of one spec among 10,000 looks at 64."""
    if len(packed) != len(expected) or len(packed) != 16 * len(ids):
        return None
    changed = []
    for start in range(0, len(packed), _BLOCK):
        end = start + _BLOCK
        if packed[start:end] == expected[start:end]:
            continue
        for at in range(start, min(end, len(packed)), 16):
            if packed[at : at + 16] != expected[at : at + 16]:
                changed.append(ids[at // 16])
        if len(changed) > EDITED:
            return None
    return changed


_BLOCK = 16 * 64  # the bytes of 64 files' (mtime, size) in a packed table


# The most changed files `quick_plan` plans a build for (past it, `make_plan` reads them all)
EDITED = 64


def _edit_plan(
    inv: Inventory, manifest: Manifest, plan: Plan, changed: list[str], read: str, count: int
) -> Plan | None:
    """The plan `make_plan` makes when only the files `changed` did (every output and other
    file is as recorded): the changed specs judged as `make_plan` judges them, each other
    spec unchanged (its documents counted in `Plan.unlisted`, from `count`, the table's
    count of all). None when a changed file is one a spec depends on (a base, a trait, a
    template) or not a file the last build recorded."""
    depended = set(read.split(_SEP)) if read else set()
    edited = set()
    for file_id in changed:
        if file_id in depended:
            return None
        if manifest.spec_record(file_id) is not None:  # read a record at a time: a few
            edited.add(file_id)
        elif manifest.file_row(file_id) is not None:
            return None
        # else a file no spec reads (an unused template or partial): make_plan ignores it
    if type(count) is not int:
        return None
    # the documents of the others are unchanged: counted (the table's count of all, less
    # the edited specs'), not listed (10,000 records read for a list only counted)
    checker = Checker(inv, manifest, plan.refreshed)
    order = inv.specs  # make_plan's: the edited specs judged in their place in the list
    for spec in filter(edited.__contains__, order):
        record = manifest.spec_record(spec)
        assert record is not None
        count -= sum([_recorded(manifest, o).document for o in record.outputs])
        judge_spec(checker, plan, spec, record)
    plugins = manifest.spec_record(PLUGINS)
    if plugins is not None:
        count -= len(plugins.outputs)
        plan.unchanged.extend(plugins.outputs)
    plan.unlisted = count
    plan.edited = True
    return plan


def _recorded(manifest: Manifest, path: str) -> Any:
    record = manifest.output_record(path)
    if record is None:
        raise KeyError(path)  # a damaged table: make_plan's
    return record


# A separator no file name holds: the hot table keeps a list of paths as one string
_SEP = "\0"
# (mtime_ns, size) of a stat result, of an output's record, of a file's record; called from C
_MTIME_SIZE = attrgetter("st_mtime_ns", "st_size")
_OUTPUT_KEY = attrgetter("mtime_ns", "size")
_FIRST_TWO = itemgetter(0, 1)
# parts of a spec's and an output's record, read in C by `map`
_FAILED = attrgetter("failed")
_OUTPUTS = attrgetter("outputs")
_DEPS = attrgetter("deps")
_DOCUMENT = attrgetter("document")


def _flat(pairs: Iterable[tuple[int, int]]) -> list[int]:
    """(mtime, size) pairs as one list: mtime, size, mtime, size..."""
    return list(chain.from_iterable(pairs))


def _packed(values: list[int]) -> bytes:
    """Integers as 64-bit ones, one after the other: a table to compare in one comparison and
    to store (decoded with one copy, not one object per number); StructError when one does
    not fit."""
    return pack(f"{len(values)}q", *values)


def _at(data: bytes, index: int) -> int:
    """The integer at `index` of a `_packed` table."""
    value: int = unpack_from("q", data, 8 * index)[0]
    return value


def _stat_pairs(root: str, paths: list[str]) -> list[int]:
    """The (mtime_ns, size) of each of `paths` (relative to the folder `root`) as one list
    (mtime, size, mtime, size...); OSError for a missing one.

    Made in C, each stat result let go as soon as its two fields are read: the next reuses
    its memory (5,000 results kept alive cost about 0.7 ms more, in memory touched for
    the first time). From the working folder when it is `root` (a build run in its project: a
    short lookup for the kernel), else relative to a descriptor of `root`."""
    try:
        here = os.getcwd()
    except OSError:
        here = ""
    if here and here.rstrip(os.sep) + os.sep == root:
        return list(chain.from_iterable(map(_MTIME_SIZE, map(os.stat, paths))))
    if os.stat not in os.supports_dir_fd:
        return list(chain.from_iterable(_MTIME_SIZE(os.stat(root + path)) for path in paths))
    folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        stat = os.stat
        return list(chain.from_iterable(_MTIME_SIZE(stat(p, dir_fd=folder)) for p in paths))
    finally:
        os.close(folder)


def _same_bytes(path: str, size_now: int, size: int, digest: str | None) -> bool:
    """Whether a file recorded with a racy mtime (and with `digest`) still has its recorded
    size and bytes."""
    if size_now != size or digest is None:
        return False
    try:
        return digest_file(path) == digest
    except OSError:
        return False
