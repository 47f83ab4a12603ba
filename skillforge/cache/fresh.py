"""A cache database written whole by a cold build, with `sqlite3` alone (no diskcache).

A build that finds no `cache.db` reads nothing from it (every lookup is a miss) and writes
every entry at its end. Importing diskcache for that (with `tempfile`, `shutil`, `bz2`,
`lzma`, `random` and `pickletools`, which its core imports) and opening a `diskcache.Cache`
(some sixty statements) costs more than writing the database itself: about a tenth of a
one-agent cold build. `write_new` makes the same database with one connection:

- the schema, settings rows and pragmas `diskcache.Cache(directory, size_limit=...,
  eviction_policy="least-recently-stored")` would make (diskcache 5.6; its `Cache` opens
  such a database as its own, as it opens a cache an older diskcache left),
- the entries as `local.Store` would insert them into such a new database: the rows of
  `Cache.set` and value files named and written as diskcache's `Disk` names and writes them
  (`ab/cd/<28 hex>.val`, for values of 32 KiB and more).

The database is made under a name of its own and linked to `cache.db` only when complete:
never half a database, and never over one another process made meanwhile (`write_new`
then answers False, removes what it wrote, and the store writes through diskcache as
before). tests/test_fresh_cache.py compares the result with diskcache's own.
"""

from __future__ import annotations

import contextlib
import os
import re
import time

from skillforge.cache.db import sqlite3

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Row = tuple[Any, ...]

DATABASE = "cache.db"  # diskcache.core.DBNAME
MIN_FILE_SIZE = 2**15  # diskcache's `disk_min_file_size`: larger values go to files
MODE_RAW, MODE_BINARY = 1, 2  # diskcache.core's
EVICTION = "least-recently-stored"
# diskcache's value file names (`ab/cd/<28 hex>.val`): any other name read from the
# database could point outside the cache folder, to read or (on eviction) delete.
VALUE_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val")


class Refused:
    """What a read returns for an entry it will not decode (pickled, text, odd file): not
    bytes, so the store counts it as damaged (disk.SafeDisk, lite.LiteDisk)."""


REFUSED = Refused()
# diskcache's DEFAULT_SETTINGS in their order, then its METADATA; `size_limit` is the store's
# (`disk_pickle_protocol` is `pickle.HIGHEST_PROTOCOL`, 5 on every Python skillforge runs on)
SETTINGS: tuple[tuple[str, object], ...] = (
    ("statistics", 0),
    ("tag_index", 0),
    ("eviction_policy", EVICTION),
    ("size_limit", None),
    ("cull_limit", 10),
    ("sqlite_auto_vacuum", 1),
    ("sqlite_cache_size", 2**13),
    ("sqlite_journal_mode", "wal"),
    ("sqlite_mmap_size", 2**26),
    ("sqlite_synchronous", 1),
    ("disk_min_file_size", MIN_FILE_SIZE),
    ("disk_pickle_protocol", 5),
    ("count", 0),
    ("size", 0),
    ("hits", 0),
    ("misses", 0),
)
# diskcache's statements, word for word (SQLite keeps each one's text in `sqlite_master`)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS Settings ( key TEXT NOT NULL UNIQUE, value)",
    "CREATE TABLE IF NOT EXISTS Cache ( rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER,"
    " store_time REAL, expire_time REAL, access_time REAL, access_count INTEGER DEFAULT 0,"
    " tag BLOB, size INTEGER DEFAULT 0, mode INTEGER DEFAULT 0, filename TEXT, value BLOB)",
    "CREATE UNIQUE INDEX IF NOT EXISTS Cache_key_raw ON Cache(key, raw)",
    "CREATE INDEX IF NOT EXISTS Cache_expire_time ON Cache (expire_time)",
    "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)",
    "CREATE TRIGGER IF NOT EXISTS Settings_count_insert AFTER INSERT ON Cache FOR EACH ROW"
    ' BEGIN UPDATE Settings SET value = value + 1 WHERE key = "count"; END',
    "CREATE TRIGGER IF NOT EXISTS Settings_count_delete AFTER DELETE ON Cache FOR EACH ROW"
    ' BEGIN UPDATE Settings SET value = value - 1 WHERE key = "count"; END',
    "CREATE TRIGGER IF NOT EXISTS Settings_size_insert AFTER INSERT ON Cache FOR EACH ROW"
    ' BEGIN UPDATE Settings SET value = value + NEW.size WHERE key = "size"; END',
    "CREATE TRIGGER IF NOT EXISTS Settings_size_update AFTER UPDATE ON Cache FOR EACH ROW"
    " BEGIN UPDATE Settings SET value = value + NEW.size - OLD.size"
    ' WHERE key = "size"; END',
    "CREATE TRIGGER IF NOT EXISTS Settings_size_delete AFTER DELETE ON Cache FOR EACH ROW"
    ' BEGIN UPDATE Settings SET value = value - OLD.size WHERE key = "size"; END',
)
_INSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag,"
    " size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, ?, ?, ?, ?)"
)


def write_new(directory: str, entries: list[tuple[str, bytes]], size_limit: int) -> int | None:
    """Write `entries` (key, stored bytes) as a new cache database in `directory`.

    Returns the database's volume as diskcache counts it (pages and value files), or None
    when `directory` already has a database (made by another process since this build
    looked): nothing is then left behind. Raises OSError or sqlite3.Error (with nothing
    left behind either) when the folder or the database cannot be written."""
    database = os.path.join(directory, DATABASE)
    if os.path.lexists(database):
        return None
    os.makedirs(directory, 0o755, exist_ok=True)
    temp = os.path.join(directory, f".{DATABASE}.{os.getpid()}.new")
    files: list[str] = []
    try:
        rows = _rows(directory, entries, files)
        with contextlib.closing(sqlite3.connect(temp, timeout=60, isolation_level=None)) as con:
            volume = _fill(con, rows, size_limit)
        os.link(temp, database)  # atomic; fails on a database another process made
    except FileExistsError:
        _remove(files)
        return None
    except BaseException:
        _remove(files)
        raise
    finally:
        _remove([temp, temp + "-wal", temp + "-shm", temp + "-journal"])
    return volume


def _rows(directory: str, entries: list[tuple[str, bytes]], files: list[str]) -> list[Row]:
    """The Cache rows of `entries`, writing the value files of the large ones (`files`)."""
    now = time.time()
    rows: list[Row] = []
    for key, value in entries:
        if len(value) < MIN_FILE_SIZE:
            rows.append((key, now, now, 0, MODE_RAW, None, memoryview(value)))
            continue
        hex_name = os.urandom(16).hex()  # as diskcache's Disk.filename names it
        filename = os.path.join(hex_name[:2], hex_name[2:4], hex_name[4:] + ".val")
        full_path = os.path.join(directory, filename)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        with open(full_path, "xb") as f:
            files.append(full_path)
            f.write(value)
        rows.append((key, now, now, len(value), MODE_BINARY, filename, None))
    return rows


def _fill(con: sqlite3.Connection, rows: list[Row], size_limit: int) -> int:
    # the pragmas a `diskcache.Cache` sets before its tables (auto_vacuum only takes effect
    # then; journal_mode, kept in the file, is set below; the others are the connection's)
    con.execute("PRAGMA auto_vacuum = 1")
    con.execute("PRAGMA journal_mode = off").fetchall()
    con.execute("PRAGMA synchronous = 1")
    con.execute(SCHEMA[0])
    settings = [(k, size_limit if k == "size_limit" else v) for k, v in SETTINGS]
    con.executemany("INSERT INTO Settings VALUES (?, ?)", settings)
    con.execute("BEGIN IMMEDIATE")
    # The rows go in before the indexes and triggers that diskcache's schema makes next: an
    # index built over rows already there is sorted once instead of updated per row, and the
    # triggers (two UPDATEs of Settings per row) are replaced by one UPDATE of their sums.
    # The database holds the same schema, rows and settings as when each row is inserted
    # after them (tests/test_fresh_cache.py compares it with diskcache's own). The file is
    # nobody's until it is linked, so it is filled with no journal (a build that dies leaves
    # a temp file that is never linked) and set to diskcache's WAL mode once complete.
    con.execute(SCHEMA[1])
    con.executemany(_INSERT, rows)
    for statement in SCHEMA[2:]:
        con.execute(statement)
    con.execute("UPDATE Settings SET value = (SELECT COUNT(*) FROM Cache) WHERE key = 'count'")
    con.execute(
        "UPDATE Settings SET value = (SELECT COALESCE(SUM(size), 0) FROM Cache) WHERE key = 'size'"
    )
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode = wal").fetchall()
    ((pages,),) = con.execute("PRAGMA page_count").fetchall()
    ((page_size,),) = con.execute("PRAGMA page_size").fetchall()
    ((size,),) = con.execute("SELECT value FROM Settings WHERE key = 'size'").fetchall()
    return int(pages) * int(page_size) + int(size)


def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)
