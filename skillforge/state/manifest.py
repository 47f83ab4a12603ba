"""The compact manifest: what the last build read and wrote, with stats and digests.

Stored with `marshal` (the fastest loader in the standard library) and built from plain
classes: the no-op fast path reads it before anything heavy is imported. Written atomically.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from skillforge.state.files import write_atomic
from skillforge.state.heap import NoCycles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    # One recorded problem of a failed spec: (file, line, field, message, severity, column,
    # hint), as `errors.Problem` holds it
    RawProblem = tuple[str, int | None, str | None, str, str, int | None, str | None]

FORMAT = 5  # 5: failed specs keep their errors and what the failed attempt read (`errors`)
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


class Manifest:
    """The state of the last build of a project."""

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
        self.files: dict[str, list[Any]] = {}
        self.resolved: dict[str, str] = {}
        self.specs: dict[str, SpecRecord] = {}
        self.outputs: dict[str, OutputRecord] = {}
        # failed specs a build may replay (DESIGN §5): their problems, in the order reported;
        # a table of its own, so that the records of the specs that built stay as small
        self.errors: dict[str, tuple[RawProblem, ...]] = {}
        # (inode, mtime_ns, size) of the file this was read from: another process replaced
        # the manifest since when `manifest_stamp` differs (every write is a new inode)
        self.stamp: tuple[int, int, int] | None = None

    def to_raw(self) -> dict[str, Any]:
        depsets: dict[tuple[str, ...], int] = {}
        specs: dict[str, tuple[Any, ...]] = {}
        for rel, rec in sorted(self.specs.items()):
            index = depsets.setdefault(tuple(rec.deps), len(depsets))
            specs[rel] = (index, tuple(rec.outputs), rec.failed)
        return {
            "format": FORMAT,
            "tool": self.tool,
            "env": self.env,
            "env_files": self.env_files,
            "config": self.config,
            "config_raw": self.config_raw,
            "config_data": self.config_data,
            "layout": self.layout,
            "owner": self.owner,
            "files": self.files,
            "resolved": self.resolved,
            "depsets": [tuple(sys.intern(d) for d in deps) for deps in depsets],
            "specs": specs,
            "outputs": {k: v.to_raw() for k, v in sorted(self.outputs.items())},
            "errors": self.errors,
        }

    @classmethod
    def from_raw(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            return cls._foreign(data)
        m = cls()
        m.tool = data["tool"]
        m.env = data["env"]
        m.env_files = data["env_files"]
        m.config = data["config"]
        m.config_raw = data["config_raw"]
        m.config_data = data["config_data"]
        m.layout = data["layout"]
        m.owner = data.get("owner", "")  # none before it was kept: taken as this config's
        m.files = data["files"]
        m.resolved = data["resolved"]
        depsets = data["depsets"]
        m.specs = {
            rel: SpecRecord(depsets[raw[0]], list(raw[1]), bool(raw[2]))
            for rel, raw in data["specs"].items()
        }
        m.outputs = {k: OutputRecord(*v) for k, v in data["outputs"].items()}
        m.errors = data["errors"]
        return m

    @classmethod
    def _foreign(cls, data: dict[str, Any]) -> Manifest:
        """A manifest of another format: keep only what skillforge wrote (path -> digest).

        Every spec is then rebuilt ("version changed"), but outputs written by the other
        version are still recognised as skillforge's, not as files edited by hand.
        """
        m = cls()
        m.tool = f"format {data.get('format')}"
        outputs = data.get("outputs")
        if isinstance(outputs, dict):
            for rel, raw in outputs.items():
                if isinstance(rel, str) and isinstance(raw, tuple | list) and len(raw) > 2:
                    m.outputs[rel] = OutputRecord(0, -1, str(raw[2]), True, "")
        return m


def manifest_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, MANIFEST_NAME)


def read_manifest(cache_dir: str) -> Manifest | None:
    """Return the manifest, None when there is none; raise ValueError when it is corrupt."""
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
            manifest = Manifest.from_raw(data)
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


def write_manifest(cache_dir: str, manifest: Manifest) -> None:
    """Write the manifest atomically (temp file in the same folder, then rename)."""
    with NoCycles():
        data = marshal.dumps(manifest.to_raw())
    write_atomic(manifest_path(cache_dir), data)


def stat_record(mtime_ns: int, size: int, digest: str, now_ns: int | None = None) -> list[Any]:
    """Return a file record; a racy mtime (too close to now) is stored as 0 to force a hash."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    if now_ns - mtime_ns < window:
        mtime_ns = 0
    return [mtime_ns, size, digest]
