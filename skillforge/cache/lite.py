"""The part of a diskcache `Cache` a build uses, on `sqlite3` alone: no diskcache import.

An edit reads a few entries and writes a few: importing diskcache (with `tempfile`, `shutil`,
`pickle`, `pickletools` and the rest its core imports) and opening a `Cache` (which rewrites
every settings row) cost more than the reads and writes. `LiteCache` reads and writes an
existing cache database as diskcache 5.6 does for the entries `local.Store` keeps (str keys,
bytes values, no expiry, no tags, no statistics, eviction by store time):

- `get` is `Cache.get`'s fast path (one SELECT; a value file read as `SafeDisk` reads it:
  bytes, from a file named as diskcache names them, never anything else);
- `set` is `Cache.set` with culling off (the store turns culling off while it writes, and
  culls once after): the row updated when the key is there, else inserted, its value in a
  file (`ab/cd/<28 hex>.val`) from `MIN_FILE_SIZE` bytes on, a replaced file removed after
  the transaction commits;
- `volume` is `Cache.volume`; `cull`, rare (the cache is over its size limit), opens the
  database through diskcache and culls there.

A database whose settings are not those (another eviction policy, statistics on, another
file size), or none at all, is `NotLite`: the store opens it through diskcache as before.
tests/test_lite_cache.py compares what both write.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from skillforge.cache.db import sqlite3
from skillforge.cache.fresh import (
    DATABASE,
    EVICTION,
    MIN_FILE_SIZE,
    MODE_BINARY,
    MODE_RAW,
    REFUSED,
    VALUE_FILE,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_SELECT = (
    "SELECT rowid, expire_time, tag, mode, filename, value FROM Cache"
    " WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)"
)
_UPDATE = (
    "UPDATE Cache SET store_time = ?, expire_time = ?, access_time = ?, access_count = ?,"
    " tag = ?, size = ?, mode = ?, filename = ?, value = ? WHERE rowid = ?"
)
_INSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag,"
    " size, mode, filename, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The settings a database must have to be read and written here (the others are pragmas,
# the size limit the store checks itself, and counters).
EXPECTED = {"eviction_policy": EVICTION, "statistics": 0, "tag_index": 0}


class NotLite(Exception):
    """A cache folder this module does not open (none, or other settings): use diskcache."""


class LiteDisk:
    """`SafeDisk`'s `put`, `store` and `remove` for str keys and bytes values."""

    def __init__(self, directory: str, min_file_size: int = MIN_FILE_SIZE) -> None:
        self._directory = directory
        self.min_file_size = min_file_size

    @staticmethod
    def put(key: str) -> tuple[str, bool]:
        return key, True

    def store(
        self, value: bytes, read: bool = False, key: Any = None
    ) -> tuple[int, int, str | None, Any]:
        """The size, mode, file name and database value of `value` (its file written)."""
        if type(value) is not bytes:
            raise TypeError("the cache stores bytes only")
        if len(value) < self.min_file_size:
            return 0, MODE_RAW, None, memoryview(value)
        hex_name = os.urandom(16).hex()  # as diskcache's Disk.filename names it
        filename = os.path.join(hex_name[:2], hex_name[2:4], hex_name[4:] + ".val")
        full_path = os.path.join(self._directory, filename)
        for count in range(1, 11):  # as diskcache's Disk._write tries
            with contextlib.suppress(OSError):
                os.makedirs(os.path.dirname(full_path))
            try:
                writer = open(full_path, "xb")  # noqa: SIM115 - closed below
            except OSError:
                if count == 10:
                    raise
                continue
            with writer:
                writer.write(value)
            break
        return len(value), MODE_BINARY, filename, None

    def fetch(self, mode: int, filename: str | None, value: Any) -> bytes | None:
        """The bytes of an entry; None when it is not a bytes entry in diskcache's form
        (`SafeDisk` refuses the same ones). Raises OSError when its file cannot be read."""
        if mode == MODE_RAW:
            return bytes(value) if isinstance(value, bytes | memoryview) else None
        if mode == MODE_BINARY and filename and VALUE_FILE.fullmatch(filename):
            with open(os.path.join(self._directory, filename), "rb") as reader:
                return reader.read()
        return None

    def value(self, mode: int, filename: str | None, value: Any) -> Any:
        """`fetch`, with `REFUSED` for an entry it refuses; None when the entry's file has
        gone (evicted by another build since its row was read: a miss). Raises the other
        OSErrors of reading its file."""
        try:
            fetched = self.fetch(mode, filename, value)
        except FileNotFoundError:
            return None
        return REFUSED if fetched is None else fetched

    def remove(self, file_path: str) -> None:
        if VALUE_FILE.fullmatch(file_path.replace(os.sep, "/")):
            full_path = os.path.join(self._directory, file_path)
            with contextlib.suppress(OSError):
                os.remove(full_path)
            with contextlib.suppress(OSError):
                os.removedirs(os.path.dirname(full_path))


class LiteCache:
    """A diskcache database opened with `sqlite3`: `get`, `set` in `transact`, `len`,
    `volume`, `cull` and `close`, as `local.Store` calls them."""

    def __init__(self, directory: str, size_limit: int) -> None:
        database = os.path.join(directory, DATABASE)
        if not os.path.isfile(database):
            raise NotLite(directory)
        self.directory = directory
        self.size_limit = size_limit
        self.cull_limit = 10
        self._con = sqlite3.connect(database, timeout=60, isolation_level=None)
        self._removed: list[str] | None = None
        try:
            settings = dict(self._con.execute("SELECT key, value FROM Settings").fetchall())
            if any(settings.get(k) != v for k, v in EXPECTED.items()):
                raise NotLite(directory)
            int(settings["count"]) + int(settings["size"])  # (`len` and `volume` read them)
            self._con.execute(f"PRAGMA synchronous = {int(settings['sqlite_synchronous'])}")
            self._disk = LiteDisk(directory, int(settings["disk_min_file_size"]))
            ((self._page_size,),) = self._con.execute("PRAGMA page_size").fetchall()
            self.disk_min_file_size = self._disk.min_file_size
        except (NotLite, KeyError, TypeError, ValueError, sqlite3.Error):
            # (a database diskcache can open or make, or one it reports as damaged)
            self._con.close()
            raise NotLite(directory) from None

    def get(self, key: str) -> Any:
        rows = self._con.execute(_SELECT, (key, True, time.time())).fetchall()
        if not rows:
            return None
        ((_, _, _, mode, filename, value),) = rows
        try:
            return self._disk.value(mode, filename, value)
        except OSError:  # a value file that cannot be read: a miss
            return None

    def __len__(self) -> int:
        return int(self._setting("count"))

    def _setting(self, key: str) -> Any:
        ((value,),) = self._con.execute(
            "SELECT value FROM Settings WHERE key = ?", (key,)
        ).fetchall()
        return value

    @contextlib.contextmanager
    def transact(self) -> Iterator[None]:
        """One write transaction; the value files the rows it replaced had are removed
        once it commits (as diskcache's `_transact` removes them)."""
        self._con.execute("BEGIN IMMEDIATE")
        self._removed = []
        try:
            yield
        except BaseException:
            self._removed = None
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")
        removed, self._removed = self._removed, None
        for name in removed:
            self._disk.remove(name)

    def set(self, key: str, value: bytes) -> None:
        """`Cache.set(key, value)` inside `transact` (no culling: see the module)."""
        if self._removed is None:
            raise RuntimeError("LiteCache.set outside transact()")
        now = time.time()
        size, mode, filename, db_value = self._disk.store(value)
        rows = self._con.execute(
            "SELECT rowid, filename FROM Cache WHERE key = ? AND raw = ?", (key, True)
        ).fetchall()
        if rows:
            ((rowid, old_filename),) = rows
            if old_filename is not None:
                self._removed.append(old_filename)
            self._con.execute(
                _UPDATE, (now, None, now, 0, None, size, mode, filename, db_value, rowid)
            )
        else:
            self._con.execute(
                _INSERT, (key, True, now, None, now, 0, None, size, mode, filename, db_value)
            )

    def volume(self) -> int:
        ((page_count,),) = self._con.execute("PRAGMA page_count").fetchall()
        return int(self._page_size * page_count + self._setting("size"))

    def cull(self) -> None:
        """Evict the oldest entries until the cache is within its size limit (diskcache's)."""
        import diskcache

        from skillforge.cache.disk import SafeDisk

        cache = diskcache.Cache(
            self.directory,
            size_limit=self.size_limit,
            eviction_policy=EVICTION,
            disk=SafeDisk,
        )
        try:
            cache.cull()
        finally:
            cache.close()

    def close(self) -> None:
        self._con.close()
