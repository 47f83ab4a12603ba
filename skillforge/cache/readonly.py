"""Read the diskcache of a build without writing a byte: the store behind `check` and dry runs.

Opening a `diskcache.Cache` is itself a write: it rewrites its settings rows (and SQLite
checkpoints its log on close), so the cache folder changes even when nothing is stored.
`skillforge check` must leave the project exactly as it found it, cache folder included,
so it reads the same SQLite database through an `immutable=1` connection (no locks, no
journal files, no writes) and decodes values as `disk.SafeDisk` does (bytes only, never a
pickle), with `lite.LiteDisk` (diskcache is not imported).

An immutable connection does not see what a build running at the same moment has not yet
checkpointed: such entries are misses, and a miss only costs a render. Entries are
content-addressed (a key names one value forever), so a value read is never a wrong one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from skillforge.cache.db import sqlite3
from skillforge.cache.lite import LiteDisk

DATABASE = "cache.db"  # diskcache.core.DBNAME
_VALUE = (
    "SELECT expire_time, mode, filename, value FROM Cache WHERE key = ? AND raw = ?"
    " ORDER BY rowid DESC LIMIT 1"
)


class CacheReader:
    """The `get` half of a diskcache `Cache`, on a read-only, immutable connection."""

    def __init__(self, directory: Path) -> None:
        database = directory / DATABASE
        if not database.is_file():
            raise FileNotFoundError(f"no {DATABASE} in {directory}")
        uri = f"file:{quote(str(database))}?immutable=1"
        self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        settings = dict(self._con.execute("SELECT key, value FROM Settings").fetchall())
        self._disk = LiteDisk(str(directory), settings.get("disk_min_file_size", 0))

    def get(self, key: str) -> Any:
        """Return the value stored under `key`, or None."""
        db_key, raw = self._disk.put(key)
        row = self._con.execute(_VALUE, (db_key, raw)).fetchone()
        if row is None:
            return None
        expire_time, mode, filename, value = row
        if expire_time is not None and expire_time < time.time():
            return None
        return self._disk.value(mode, filename, value)

    def close(self) -> None:
        self._con.close()
