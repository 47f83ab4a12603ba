"""The manifest's records in parts (format 9), so that a build that changed a few specs writes
the records of the others as it read them (issue 17: one edit among 10,000 specs).

The records are one table (`resolved`, `depsets`, `errors`: a few entries each) and `BUCKETS`
parts, each encoded on its own: each of the tables of spec records, output records and file
records is cut, in the order of its keys (spec id, output path, file id), in `BUCKETS`
ranges; part k holds range k of the spec and output records, file part k range k of the
file records (decoded when first used: `decode_files`, `file_row`). Reading decodes the parts
and joins them in order (the tables then read as those of format 8, in sorted order, without
a sort); writing after a few records changed (`patched_records`) finds the part of each
changed key by the first key of each range (`bisect`), decodes and encodes again those parts,
and keeps the bytes of every other part. The ranges are cut again at every write made the
whole way.

The layout, as `marshal` stores it: `(index, parts, file_parts)`; `index` the bytes of
`(common, bounds, crcs, file_crcs)`: `common` those of `{"resolved", "depsets", "errors"}`,
`bounds` the first key of each range of each table, and the CRC-32 of each part; `parts` a
tuple of `BUCKETS` bytes, each those of `(specs, outputs)` (spec id -> (index in depsets,
outputs, failed); path -> (mtime_ns, size, digest, document, key)), and `file_parts` as many,
each those of a dict file id -> [mtime_ns, size, digest]. The manifest's `records_crc` is the
index's CRC-32: every part is checked against its own before anything is decoded, and a write
computes the checksums of the parts it encoded only. Standard library only.
"""

from __future__ import annotations

import marshal
import sys
import zlib
from bisect import bisect_right
from itertools import chain, repeat
from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

    # state/manifest.py's `Manifest`, which imports this module (its tables are read here)
    Manifest = Any

# How many parts: a part of 10,000 specs holds about 160 of each kind of record
BUCKETS = 64

if TYPE_CHECKING:
    # the first key of each part of each table (specs, outputs, files), then the parts:
    # (common, bounds, parts of spec and output records, parts of file records, and the
    # CRC-32 of each part of both)
    Bounds = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    Parts = tuple[
        bytes, Bounds, tuple[bytes, ...], tuple[bytes, ...], tuple[int, ...], tuple[int, ...]
    ]


def encode_records(manifest: Manifest) -> tuple[bytes, int]:
    """Every record of `manifest`, each part encoded afresh."""
    depsets, specs = _spec_rows(manifest)
    outputs = manifest.outputs
    tables = (
        specs,
        {path: _OUTPUT_RAW(outputs[path]) for path in outputs},
        manifest.files,
    )
    return _encoded(_common(manifest, depsets), tables)


def _encoded(common: bytes, tables: tuple[dict[str, Any], ...]) -> tuple[bytes, int]:
    """The records: each table in sorted order, cut in `BUCKETS` ranges of keys; part k
    holds range k of the spec and output records, file part k range k of the file records."""
    parts: list[list[dict[str, Any]]] = [[{}, {}, {}] for _ in range(BUCKETS)]
    bounds = []
    for index, table in enumerate(tables):
        keys = sorted(table)
        size = -(-len(keys) // BUCKETS) or 1
        firsts = []
        for number, start in enumerate(range(0, len(keys), size)):
            chunk = keys[start : start + size]
            firsts.append(chunk[0])
            parts[number][index] = dict(zip(chunk, map(table.__getitem__, chunk), strict=True))
        bounds.append(tuple(firsts))
    encoded = tuple(marshal.dumps((specs, outputs)) for specs, outputs, _ in parts)
    encoded_files = tuple(marshal.dumps(files) for _, _, files in parts)
    crcs, file_crcs = tuple(map(zlib.crc32, encoded)), tuple(map(zlib.crc32, encoded_files))
    return assemble((common, tuple(bounds), encoded, encoded_files, crcs, file_crcs))  # type: ignore[arg-type]


def assemble(parts: Parts) -> tuple[bytes, int]:
    """The bytes of the records `parts`, and their checksum: that of the index (`common`, the
    bounds and the CRC-32 of each part), which holds the checksum of every part."""
    common, bounds, encoded, encoded_files, crcs, file_crcs = parts
    index = marshal.dumps((common, bounds, crcs, file_crcs))
    return marshal.dumps((index, encoded, encoded_files)), zlib.crc32(index)


def patched_records(
    manifest: Manifest,
    base: Parts,
    specs: Collection[str],
    outputs: Collection[str],
    files: Collection[str],
) -> tuple[bytes, int] | None:
    """The records of `manifest`, when they are those of `base` (the parts as read from the
    file of the last build) but for the spec, output and file records of the keys `specs`,
    `outputs` and `files`, each of them in `base` and in `manifest`: their parts are decoded,
    changed and encoded again, the others' bytes kept. A changed spec record keeps the
    dependencies (and their place in `depsets`) of its record in `base`. None when a key is
    not in both (`encode_records` then)."""
    common, bounds, parts, file_parts, crcs, file_crcs = base
    if len(parts) != BUCKETS or len(file_parts) != BUCKETS:
        return None
    touched: list[dict[int, list[str]]] = [{}, {}, {}]
    for index, keys in enumerate((specs, outputs, files)):
        firsts = bounds[index]
        for key in keys:
            number = bisect_right(firsts, key) - 1
            if number < 0:
                return None
            touched[index].setdefault(number, []).append(key)
    new_parts, new_file_parts = list(parts), list(file_parts)
    new_crcs, new_file_crcs = list(crcs), list(file_crcs)
    for number in touched[0].keys() | touched[1].keys():
        spec_rows, output_rows = marshal.loads(parts[number])
        for spec_id in touched[0].get(number, ()):
            before = spec_rows.get(spec_id)
            record = manifest.spec_record(spec_id)
            if before is None or record is None:
                return None
            spec_rows[spec_id] = (before[0], tuple(record.outputs), record.failed)
        for path in touched[1].get(number, ()):
            output = manifest.output_record(path)
            if output is None or path not in output_rows:
                return None
            output_rows[path] = _OUTPUT_RAW(output)
        new_parts[number] = marshal.dumps((spec_rows, output_rows))
        new_crcs[number] = zlib.crc32(new_parts[number])
    for number, file_ids in touched[2].items():
        file_rows = marshal.loads(file_parts[number])
        for file_id in file_ids:
            row = manifest.file_row(file_id)
            if row is None or file_id not in file_rows:
                return None
            file_rows[file_id] = row
        new_file_parts[number] = marshal.dumps(file_rows)
        new_file_crcs[number] = zlib.crc32(new_file_parts[number])
    return assemble(
        (
            common,
            bounds,
            tuple(new_parts),
            tuple(new_file_parts),
            tuple(new_crcs),
            tuple(new_file_crcs),
        )
    )


def decode_records(data: bytes, crc: int) -> tuple[dict[str, Any], Parts]:
    """The tables of records `data` (as `encode_records` makes them) in format 8's shape:
    `files`, `resolved`, `depsets`, `specs` (id -> (depset index, outputs, failed)) and
    `outputs` (path -> raw record), in sorted order, and `errors`; and the parts as read,
    for `patched_records`. Damaged bytes raise (anything: the caller says "corrupt")."""
    tables, parts = decode_columns(data, crc)
    for name in ("specs", "outputs"):
        keys, rows = tables[name]
        tables[name] = dict(zip(keys, rows, strict=True))
    tables["files"] = decode_files(parts[3])
    return tables, parts


def decode_columns(data: bytes, crc: int) -> tuple[dict[str, Any], Parts]:
    """`decode_records`, but for `specs` and `outputs` each as its list of keys and list of
    rows (the manifest makes its records from them: no table of rows in between), and
    without `files` (`decode_files`, `file_row`: an edit reads a few). Every part is
    checked against its CRC-32 first (and the index against `crc`): damaged bytes raise
    ValueError."""
    tables, parts = checked_records(data, crc)
    decoded: dict[int, Any] = {}
    for index, name in ((0, "specs"), (1, "outputs")):
        tables[name] = table_columns(parts, index, decoded)
    return tables, parts


def checked_records(data: bytes, crc: int) -> tuple[dict[str, Any], Parts]:
    """The common table of the records `data` (`resolved`, `depsets`, `errors`) and their
    parts, each part checked against its CRC-32 (and the index against `crc`), none decoded:
    damaged bytes raise ValueError (or anything: the caller says "corrupt")."""
    index, parts, file_parts = marshal.loads(data)
    if not isinstance(index, bytes) or zlib.crc32(index) != crc:
        raise ValueError("the records' index fails its checksum")
    common, bounds, crcs, file_crcs = marshal.loads(index)
    if not (
        isinstance(parts, tuple)
        and isinstance(file_parts, tuple)
        and len(parts) == len(file_parts) == BUCKETS
        and all(map(isinstance, chain(parts, file_parts), repeat(bytes)))
        and tuple(map(zlib.crc32, parts)) == crcs
        and tuple(map(zlib.crc32, file_parts)) == file_crcs
    ):
        raise ValueError("a part of the records fails its checksum")
    tables = marshal.loads(common)
    if not isinstance(tables, dict):
        raise ValueError("the records' common table is not a table")
    return tables, (common, bounds, parts, file_parts, crcs, file_crcs)


def table_columns(base: Parts, index: int, decoded: dict[int, Any]) -> tuple[list[str], list[Any]]:
    """The keys and the rows of the spec (`index` 0) or output (1) records of every part of
    `base`, in sorted order (the parts hold ranges of keys, in order), the parts decoded
    once (kept in `decoded`: both tables are in each)."""
    rows = [_part(base, number, decoded)[index] for number in range(len(base[2]))]
    return list(chain.from_iterable(rows)), list(chain.from_iterable(map(dict.values, rows)))


def record_row(base: Parts, index: int, key: str, decoded: dict[int, Any]) -> Any:
    """The raw spec (`index` 0) or output (1) record of `key` in the parts `base` (None:
    none), decoding only its part (kept in `decoded` for the next): an edit of one spec
    among 10,000 reads the records it touches."""
    number = bisect_right(base[1][index], key) - 1
    return _part(base, number, decoded)[index].get(key) if number >= 0 else None


def _part(base: Parts, number: int, decoded: dict[int, Any]) -> Any:
    rows = decoded.get(number)
    if rows is None:
        rows = decoded[number] = marshal.loads(base[2][number])
    return rows


def decode_files(file_parts: Iterable[bytes]) -> dict[str, Any]:
    """The file records of every file part."""
    files: dict[str, Any] = {}
    for rows in map(marshal.loads, file_parts):
        files.update(rows)
    return files


def file_row(base: Parts, file_id: str, decoded: dict[int, dict[str, Any]]) -> Any:
    """The file record of `file_id` in the parts `base` (None: none), decoding only its part
    (kept in `decoded` for the next)."""
    number = bisect_right(base[1][2], file_id) - 1
    if number < 0:
        return None
    rows = decoded.get(number)
    if rows is None:
        rows = decoded[number] = marshal.loads(base[3][number])
    return rows.get(file_id)


def encode_tables(tables: dict[str, Any]) -> tuple[bytes, int]:
    """`decode_records`'s tables encoded again (a test crafting a manifest)."""
    common = marshal.dumps({k: tables[k] for k in ("resolved", "depsets", "errors")})
    return _encoded(common, (tables["specs"], tables["outputs"], tables["files"]))


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
