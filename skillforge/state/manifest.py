"""The compact manifest: what the last build read and wrote, with stats and digests.

Stored with `marshal` (the fastest loader in the standard library) and built from plain
classes: the no-op fast path reads it before anything heavy is imported. Written atomically.
"""

from __future__ import annotations

import marshal
import os
import time
import zlib

from skillforge.state.files import write_atomic
from skillforge.state.heap import NoCycles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from skillforge.state.parts import Parts

    # One recorded problem of a failed spec: (file, line, field, message, severity, column,
    # hint), as `errors.Problem` holds it
    RawProblem = tuple[str, int | None, str | None, str, str, int | None, str | None]

FORMAT = 9  # 9: the records in parts, written again only where they changed (state/parts.py)
# 8: the hot table's stats and paths packed (bytes, joined strings: state/hot.py)
# 7: the head and the records each carry a checksum (`_unsealed`)
# 6: a hot table for the no-op (state/hot.py), then the records, decoded when used
# 5: failed specs keep their errors and what the failed attempt read (`errors`)
MANIFEST_NAME = "manifest.bin"
# A file whose mtime is this close to the moment it was read may still change within the same
# filesystem timestamp tick; its mtime is recorded as 0 so the next run hashes it.
RACY_NS = 50_000_000
# A whole-second mtime may come from a file system with 1-second (ext3, HFS+) or 2-second
# (FAT) timestamps: an edit within that tick keeps the mtime, so the window is the tick.
COARSE_RACY_NS = 2_000_000_000


class OutputRecord:
    """One file skillforge wrote: its stat and digest, and its document key.

    The spec that produced it is not kept here: `SpecRecord.outputs` says it.
    """

    __slots__ = ("digest", "document", "key", "mtime_ns", "size")

    def __init__(self, mtime_ns: int, size: int, digest: str, document: bool, key: str) -> None:
        self.mtime_ns = mtime_ns
        self.size = size
        self.digest = digest
        self.document = document
        self.key = key

    def to_raw(self) -> tuple[Any, ...]:
        return (self.mtime_ns, self.size, self.digest, self.document, self.key)


class SpecRecord:
    """What one spec depended on and produced at the last build.

    For a failed spec whose errors the manifest keeps (`Manifest.errors`), `deps` are the
    inputs its failed attempt read, including `x:` files it found missing and `n:traits` (the set
    of trait names); for another failed spec, those of its last good build.
    """

    __slots__ = ("deps", "failed", "outputs")

    def __init__(self, deps: Sequence[str], outputs: list[str], failed: bool = False) -> None:
        self.deps = deps
        self.outputs = outputs
        self.failed = failed


class _Records:
    """A record table of `Manifest` (`files`, `specs`...), decoded when first read.

    The table then lives in the manifest's own attributes, which Python finds before this
    descriptor: every later read is a plain attribute read. A table assigned before it was
    read is kept as assigned (`Manifest.thaw` leaves it alone).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, manifest: Manifest | None, owner: type | None = None) -> Any:
        if manifest is None:
            return self
        manifest.thaw()
        if self.name not in manifest.__dict__:
            manifest._whole(self.name)
        return manifest.__dict__.setdefault(self.name, {})


class _Files(_Records):
    """The file records, decoded when first read, after the other tables (an edit of a few
    specs reads a few of 10,000: `Manifest.file_row`). A manifest made in parts
    (state/patch.py) reads them from the last one's, with the records it changed."""

    def __get__(self, manifest: Manifest | None, owner: type | None = None) -> Any:
        if manifest is None:
            return self
        manifest.thaw()
        mine = manifest.__dict__
        if "files" not in mine:
            source = manifest.files_from
            files: dict[str, Any] = {}
            if source is not None:
                from skillforge.state.parts import decode_files

                files = _decoded(decode_files, source[0][3])
                files.update(source[1])
            mine.setdefault("files", files)
            manifest.files_from = None
        return mine["files"]


if TYPE_CHECKING:
    from typing import Generic, TypeVar

    T = TypeVar("T")

    class Records(Generic[T]):  # what the type checker sees of `_Records` (assignable)
        def __get__(self, manifest: Manifest, owner: type | None = None) -> T: ...
        def __set__(self, manifest: Manifest, value: T) -> None: ...

    Files = Records

else:
    Records = _Records
    Files = _Files


class Manifest:
    """The state of the last build of a project.

    The file holds two parts: the header with the hot table (`hot`, see `state/hot.py`),
    which is all a no-op build reads, and the records (`files`, `resolved`, `specs`,
    `outputs`, `errors`), decoded when first used when read with `lazy`.
    """

    files: Records[dict[str, list[Any]]] = Files()
    resolved: Records[dict[str, str]] = Records()
    specs: Records[dict[str, SpecRecord]] = Records()
    outputs: Records[dict[str, OutputRecord]] = Records()
    # failed specs a build may replay (DESIGN §5): their problems, in the order reported; a
    # table of its own, so that the records of the specs that built stay as small
    errors: Records[dict[str, tuple[RawProblem, ...]]] = Records()

    def __init__(self) -> None:
        self.tool = ""
        self.env = ""
        self.env_files: dict[str, list[int]] = {}
        self.config = ""
        self.config_raw = ""
        self.config_data: dict[str, Any] | None = None
        self.layout: dict[str, Any] = {}
        # the config file the manifest belongs to, relative to the cache folder (Config.owner)
        self.owner = ""
        # the records' bytes and checksum while they are not decoded (`lazy`); the tables
        # (`files`, `resolved`, `specs`, `outputs`, `errors`) are set when decoded or first read
        self._cold: tuple[bytes, int] | None = None
        # (inode, mtime_ns, size) of the file this was read from: another process replaced
        # the manifest since when `manifest_stamp` differs (every write is a new inode)
        self.stamp: tuple[int, int, int] | None = None
        # what the scan this build planned from found: file stats, spec ids, and the trait
        # and template names (set by the build that writes this manifest; see state/hot.py)
        self.scan: tuple[dict[str, tuple[int, int]], list[str], dict[str, str], dict[str, str]]
        self.scan = ({}, [], {}, {})
        self.scanned = False
        # the hot table read from the file (None: none there, or not for this build's tool)
        self.hot: dict[str, Any] | None = None
        # the records' parts as read from the file (state/parts.py), once decoded
        self.parts: Parts | None = None
        # set by `state/patch.py` when these records are those of another manifest's `parts`
        # but for a few keys: (parts, spec ids, output paths, file ids), written in parts
        self.patch: tuple[Parts, Any, Any, Any] | None = None
        # and its hot table, updated from the last one's (None: made from the records)
        self.hot_patch: dict[str, Any] | None = None
        # where `files` comes from while it is not decoded: the parts it was read from (this
        # manifest's, or the last one's), and the records changed since
        self.files_from: tuple[Parts, dict[str, Any]] | None = None
        self._file_parts: dict[int, dict[str, Any]] = {}  # file parts decoded by `file_row`
        # the same for the spec and output records (`spec_record`, `output_record`): those
        # of another manifest but for the changed ones (state/patch.py), or read from
        # `parts` a part at a time until a whole table is asked for
        self.records_from: tuple[Manifest, dict[str, Any], dict[str, Any]] | None = None
        self.depsets: list[tuple[str, ...]] = []
        self._point: dict[str, dict[str, Any]] = {"specs": {}, "outputs": {}}
        self._parts_read: dict[int, Any] = {}

    def file_row(self, file_id: str) -> list[Any] | None:
        """`self.files.get(file_id)`, decoding only the part of `file_id` when the file
        records are not decoded yet."""
        mine = self.__dict__
        files = mine.get("files")
        if files is not None:
            row: list[Any] | None = files.get(file_id)
            return row
        self.thaw()
        if "files" in mine or self.files_from is None:
            row = self.files.get(file_id)
            return row
        parts, changed = self.files_from
        if file_id in changed:
            found: list[Any] | None = changed[file_id]
            return found
        from skillforge.state.parts import file_row

        found = file_row(parts, file_id, self._file_parts)
        return found

    def spec_record(self, spec_id: str) -> SpecRecord | None:
        """`self.specs.get(spec_id)`, reading only the part of `spec_id` while the spec
        records are not decoded (an edit of one spec among 10,000 reads a few)."""
        record: SpecRecord | None = self._record("specs", spec_id)
        return record

    def output_record(self, path: str) -> OutputRecord | None:
        """`self.outputs.get(path)`, as `spec_record` reads it."""
        record: OutputRecord | None = self._record("outputs", path)
        return record

    def _record(self, name: str, key: str) -> Any:
        mine = self.__dict__
        if name not in mine:
            self.thaw()
        table = mine.get(name)
        if table is not None:
            return table.get(key)
        if self.records_from is not None:
            old, specs, outputs = self.records_from
            changed = specs if name == "specs" else outputs
            return changed[key] if key in changed else old._record(name, key)
        if self.parts is None:  # made here, not read: its tables as they are
            return getattr(self, name).get(key)
        found = self._point[name]
        if key not in found:
            from skillforge.state.parts import record_row

            row = _decoded(record_row, self.parts, name == "outputs", key, self._parts_read)
            found[key] = None if row is None else _decoded(_made, name, self.depsets, [row])[0]
        return found[key]

    # -- the records, decoded when first used ----------------------------------------------

    def thaw(self) -> None:
        """Check the records now (each part against its CRC-32) and decode the table they
        share; ValueError when their bytes are damaged. The spec and output records are
        decoded when used (`spec_record`, `output_record`, or a whole table)."""
        cold, self._cold = self._cold, None
        if cold is None:
            return
        from skillforge.state.parts import checked_records  # not on the no-op's path

        try:
            with NoCycles():
                tables, self.parts = checked_records(*cold)
                mine = self.__dict__
                if "files" not in mine:
                    self.files_from = (self.parts, {})
                mine.setdefault("resolved", tables["resolved"])
                mine.setdefault("errors", tables["errors"])
                self.depsets = tables["depsets"]
        except Exception as exc:  # damaged bytes can decode to anything: every failure is "corrupt"
            raise ValueError(f"corrupt manifest ({exc.__class__.__name__}: {exc})") from None

    def _whole(self, name: str) -> None:
        """Decode the whole table `name` ("specs" or "outputs") when it has parts to read."""
        mine = self.__dict__
        if self.records_from is not None:
            old, specs, outputs = self.records_from
            mine.setdefault(name, {**getattr(old, name), **(specs if name == "specs" else outputs)})
        elif self.parts is not None and name in self._point:
            from skillforge.state.parts import table_columns

            keys, rows = _decoded(table_columns, self.parts, name == "outputs", self._parts_read)
            table = dict(zip(keys, _decoded(_made, name, self.depsets, rows), strict=True))
            # the records read one at a time are the table's (the same objects)
            table.update((k, v) for k, v in self._point[name].items() if v is not None)
            mine.setdefault(name, table)

    # -- the file's layout -------------------------------------------------------------------

    def to_raw(self, hot: dict[str, Any] | None = None) -> dict[str, Any]:
        """The file's value; `hot` is the hot table to keep with it (`hot.hot_table`)."""
        # 10,000 specs after an edit of one (issue 17): the parts of the records that did not
        # change are written as they were read (state/parts.py)
        from skillforge.state.parts import encode_records, patched_records

        records = None
        if self.patch is not None:
            records = patched_records(self, *self.patch)
        if records is None:
            records = encode_records(self)
        records_bytes, records_crc = records
        head = {
            "tool": self.tool,
            "env": self.env,
            "env_files": self.env_files,
            "config": self.config,
            "config_raw": self.config_raw,
            "config_data": self.config_data,
            "layout": self.layout,
            "owner": self.owner,
            "hot": hot,
        }
        head_bytes = marshal.dumps(head)
        return {
            "format": FORMAT,
            "head": head_bytes,
            "head_crc": zlib.crc32(head_bytes),
            "records": records_bytes,
            "records_crc": records_crc,
        }

    @classmethod
    def from_raw(cls, data: dict[str, Any], lazy: bool = False) -> Manifest:
        if data.get("format") != FORMAT:
            return cls._foreign(data)
        head = marshal.loads(_unsealed(data["head"], data["head_crc"]))
        m = cls()
        for name in ("tool", "env", "env_files", "config", "config_raw", "config_data"):
            setattr(m, name, head[name])
        m.layout, m.owner, hot = head["layout"], head["owner"], head["hot"]
        m.hot = hot if isinstance(hot, dict) else None
        m._cold = (data["records"], data["records_crc"])
        if not lazy:
            m.thaw()
        return m

    @classmethod
    def _foreign(cls, data: dict[str, Any]) -> Manifest:
        """A manifest of another format: keep only what skillforge wrote (path -> digest).

        Every spec is then rebuilt ("version changed"), but outputs written by the other
        version are still recognised as skillforge's, not as files edited by hand.
        """
        m = cls()
        m.tool = f"format {data.get('format')}"
        outputs = data.get("outputs")  # formats 1 to 5
        if outputs is None and isinstance(data.get("records"), bytes):  # format 6 on
            from skillforge.state.parts import decode_records

            records = data["records"]
            value = marshal.loads(records)
            if isinstance(value, tuple):  # format 9 on: in parts, each with its checksum
                table = decode_records(records, data.get("records_crc", -1))[0]
            else:
                if "records_crc" in data:
                    _unsealed(records, data["records_crc"])
                table = value
            outputs = table.get("outputs")
        if isinstance(outputs, dict):
            for rel, raw in outputs.items():
                if isinstance(rel, str) and isinstance(raw, tuple | list) and len(raw) > 2:
                    m.outputs[rel] = OutputRecord(0, -1, str(raw[2]), True, "")
        return m


def _decoded(make: Callable[..., Any], *args: Any) -> Any:
    """`make(*args)` on records checked with the rest (their CRC-32): anything it raises
    (not expected) reads as a corrupt manifest all the same."""
    try:
        with NoCycles():
            return make(*args)
    except Exception as exc:
        raise ValueError(f"corrupt manifest ({exc.__class__.__name__})") from None


def _made(name: str, depsets: list[Any], rows: list[Any]) -> list[Any]:
    """The records of the raw `rows` of the table `name`, made by `map` (in C)."""
    if name == "specs":
        specs = list(zip(*rows, strict=True)) or [(), (), ()]
        deps = map(depsets.__getitem__, specs[0])
        return list(map(SpecRecord, deps, map(list, specs[1]), map(bool, specs[2])))
    return list(map(OutputRecord, *(list(zip(*rows, strict=True)) or [(), (), (), (), ()])))


def _unsealed(data: Any, crc: Any) -> bytes:
    """`data`, when it is the bytes whose CRC-32 is `crc`. Damaged bytes can decode to values
    that look right (a config key one letter short, a dependency lost): every part of the
    file is checked before it is decoded, so damage always reads as a corrupt manifest."""
    if not isinstance(data, bytes) or zlib.crc32(data) != crc:
        raise ValueError("a part of the file fails its checksum")
    return data


def manifest_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, MANIFEST_NAME)


def read_manifest(cache_dir: str, lazy: bool = False) -> Manifest | None:
    """Return the manifest, None when there is none; raise ValueError when it is corrupt.

    With `lazy` (the no-op path), the records are decoded when first used: call
    `Manifest.thaw` first where a damaged record must read as a corrupt manifest.
    """
    try:
        with open(manifest_path(cache_dir), "rb") as f:
            raw = f.read()
            st = os.fstat(f.fileno())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"unreadable manifest: {exc.strerror}") from None
    try:
        with NoCycles():
            data = marshal.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a manifest")
            manifest = Manifest.from_raw(data, lazy)
    except Exception as exc:  # damaged bytes can decode to anything: every failure is "corrupt"
        raise ValueError(f"corrupt manifest ({exc.__class__.__name__}: {exc})") from None
    manifest.stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    return manifest


def manifest_stamp(cache_dir: str) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of the manifest on disk, None when there is none."""
    try:
        st = os.stat(manifest_path(cache_dir))
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def write_manifest(cache_dir: str, manifest: Manifest, hot: dict[str, Any] | None = None) -> None:
    """Write the manifest atomically (temp file in the same folder, then rename), with the
    hot table `hot` (none: every no-op reads the records)."""
    with NoCycles():
        data = marshal.dumps(manifest.to_raw(hot))
    write_atomic(manifest_path(cache_dir), data)
    # written: a table changed from now on is not one of the last build's parts (`patch`)
    manifest.patch = manifest.hot_patch = None


def stat_record(mtime_ns: int, size: int, digest: str, now_ns: int | None = None) -> list[Any]:
    """Return a file record; a racy mtime (too close to now) is stored as 0 to force a hash."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    if now_ns - mtime_ns < window:
        mtime_ns = 0
    return [mtime_ns, size, digest]
