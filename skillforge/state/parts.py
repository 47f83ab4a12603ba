"""The manifest's records in parts (format 9), so that a build that changed a few specs writes
the records of the others as it read them (issue 17: one edit among 10,000 specs).

The records are one table (`resolved`, `depsets`, `errors`: a few entries each) and `BUCKETS`
parts, each encoded on its own: part k holds the spec records, output records and file
records whose key (spec id, output path, file id) a stable hash (CRC-32 of its UTF-8 bytes)
puts in part k. Reading decodes every part and joins them (the tables then read as those of
format 8, in sorted order); writing after a few records changed (`patched_records`) decodes
and encodes again the parts of the keys that changed, and keeps the bytes of every other part.

The layout, as `marshal` stores it: `(common, parts)`, `common` the bytes of `{"resolved",
"depsets", "errors"}` and `parts` a tuple of `BUCKETS` bytes, each those of `(specs, outputs,
files)` (spec id -> (index in depsets, outputs, failed); path -> (mtime_ns, size, digest,
document, key); file id -> [mtime_ns, size, digest]). The file's checksum covers them all
(state/manifest.py). Standard library only.
"""

from __future__ import annotations

import marshal
import sys
import zlib
from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

    # state/manifest.py's `Manifest`, which imports this module (its tables are read here)
    Manifest = Any

# How many parts: a part of 10,000 specs holds about 160 of each kind of record
BUCKETS = 64


def bucket_of(key: str) -> int:
    """The part of a record's key: the same in every process (not `hash`, which is seeded)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) & (BUCKETS - 1)


def encode_records(manifest: Manifest) -> bytes:
    """Every record of `manifest`, each part encoded afresh."""
    depsets, specs = _spec_rows(manifest)
    parts: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
        ({}, {}, {}) for _ in range(BUCKETS)
    ]
    for spec_id, row in specs.items():
        parts[bucket_of(spec_id)][0][spec_id] = row
    outputs = manifest.outputs
    for path in sorted(outputs):
        parts[bucket_of(path)][1][path] = _OUTPUT_RAW(outputs[path])
    for file_id, file_row in manifest.files.items():
        parts[bucket_of(file_id)][2][file_id] = file_row
    common = _common(manifest, depsets)
    return marshal.dumps((common, tuple(map(marshal.dumps, parts))))


def patched_records(
    manifest: Manifest,
    base: tuple[bytes, tuple[bytes, ...]],
    specs: Collection[str],
    outputs: Collection[str],
    files: Collection[str],
) -> bytes | None:
    """The records of `manifest`, when they are those of `base` (the parts as read from the
    file of the last build) but for the spec, output and file records of the keys `specs`,
    `outputs` and `files`: those parts are decoded, changed and encoded again, the others'
    bytes kept. A changed spec record keeps the dependencies (and their place in `depsets`)
    of its record in `base`; None when it has none there (`encode_records` then)."""
    common, parts = base
    if len(parts) != BUCKETS:
        return None
    touched: dict[int, tuple[list[str], list[str], list[str]]] = {}
    for index, keys in enumerate((specs, outputs, files)):
        for key in keys:
            touched.setdefault(bucket_of(key), ([], [], []))[index].append(key)
    new_parts = list(parts)
    spec_table, output_table, file_table = manifest.specs, manifest.outputs, manifest.files
    for number, (spec_ids, paths, file_ids) in touched.items():
        spec_rows, output_rows, file_rows = marshal.loads(parts[number])
        for spec_id in spec_ids:
            before = spec_rows.get(spec_id)
            record = spec_table.get(spec_id)
            if before is None or record is None:
                return None
            spec_rows[spec_id] = (before[0], tuple(record.outputs), record.failed)
        for path in paths:
            output = output_table.get(path)
            if output is None:
                output_rows.pop(path, None)
            else:
                output_rows[path] = _OUTPUT_RAW(output)
        for file_id in file_ids:
            row = file_table.get(file_id)
            if row is None:
                file_rows.pop(file_id, None)
            else:
                file_rows[file_id] = row
        new_parts[number] = marshal.dumps((spec_rows, output_rows, file_rows))
    return marshal.dumps((common, tuple(new_parts)))


def decode_records(data: bytes) -> tuple[dict[str, Any], tuple[bytes, tuple[bytes, ...]]]:
    """The tables of records `data` (as `encode_records` makes them) in format 8's shape:
    `files`, `resolved`, `depsets`, `specs` (id -> (depset index, outputs, failed)) and
    `outputs` (path -> raw record), in sorted order, and `errors`; and the parts as read,
    for `patched_records`. Damaged bytes raise (anything: the caller says "corrupt")."""
    common, parts = marshal.loads(data)
    if not isinstance(parts, tuple) or len(parts) != BUCKETS:
        raise ValueError("not the manifest's parts")
    tables = marshal.loads(common)
    specs: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for spec_rows, output_rows, file_rows in map(marshal.loads, parts):
        specs.update(spec_rows)
        outputs.update(output_rows)
        files.update(file_rows)
    tables["specs"] = _sorted(specs)
    tables["outputs"] = _sorted(outputs)
    tables["files"] = files
    return tables, (common, parts)


def encode_tables(tables: dict[str, Any]) -> bytes:
    """`decode_records`'s tables encoded again (a test crafting a manifest)."""
    parts: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
        ({}, {}, {}) for _ in range(BUCKETS)
    ]
    for index, name in enumerate(("specs", "outputs", "files")):
        for key, row in tables[name].items():
            parts[bucket_of(key)][index][key] = row
    common = marshal.dumps({k: tables[k] for k in ("resolved", "depsets", "errors")})
    return marshal.dumps((common, tuple(map(marshal.dumps, parts))))


def _sorted(table: dict[str, Any]) -> dict[str, Any]:
    """`table` in the order of its keys (format 8's order, which the engine reads in)."""
    keys = sorted(table)
    return dict(zip(keys, map(table.__getitem__, keys), strict=True))


def _spec_rows(manifest: Manifest) -> tuple[list[tuple[str, ...]], dict[str, Any]]:
    """The distinct dependency lists, and each spec's row: (index of its dependencies,
    outputs, failed). One pass over the records, the rest in C (`map`, `zip`)."""
    depsets: dict[tuple[str, ...], int] = {}
    by_id: dict[int, int] = {}  # records read from the file share their deps' object
    names = list(manifest.specs)
    recs = list(manifest.specs.values())
    indexes = []
    for rec in recs:
        index = by_id.get(id(rec.deps))
        if index is None:
            index = by_id[id(rec.deps)] = depsets.setdefault(tuple(rec.deps), len(depsets))
        indexes.append(index)
    rows = zip(indexes, map(tuple, map(_OUTPUTS, recs)), map(_FAILED, recs), strict=True)
    return [tuple(map(sys.intern, deps)) for deps in depsets], dict(zip(names, rows, strict=True))


def _common(manifest: Manifest, depsets: Iterable[tuple[str, ...]]) -> bytes:
    return marshal.dumps(
        {"resolved": manifest.resolved, "depsets": list(depsets), "errors": manifest.errors}
    )


# Parts of the records, read in C (`map`): an output record as `OutputRecord.to_raw` has it
_OUTPUT_RAW = attrgetter("mtime_ns", "size", "digest", "document", "key")
_OUTPUTS = attrgetter("outputs")
_FAILED = attrgetter("failed")
