"""The on-disk cache (diskcache) behind the template, fragment and section layers.

Writes are buffered and flushed in one transaction at the end of a build. A cache that cannot
be opened or read is moved aside with a warning; the build goes on cold.

Nothing read from the cache is run or unpickled (a cache folder may be restored from CI, or
shared): every value is stored as bytes, `SafeDisk` refuses diskcache's pickled and text
modes, and each entry carries a digest checked before use (a mismatch is a warning and a miss,
so the section or fragment is rendered again). Data is JSON (`fingerprint.to_data`); a
section's or fragment's `[text, tokens]` is its count and its UTF-8 text. Compiled
template code (`bc:`, `il:`), which the build runs, is authenticated with a keyed BLAKE2 MAC:
the key is made once per user, outside every cache folder (`machine_key`), so code written
anywhere else, or changed, is compiled again instead of run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from skillforge.cache.db import sqlite3
from skillforge.cache.fresh import DATABASE, write_new
from skillforge.cache.keys import CODE_PREFIXES
from skillforge.cache.userkey import machine_key
from skillforge.state.digest import Uncacheable, blake2b, from_data, to_data
from skillforge.state.files import move_aside

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_FOLDER = "cache"
LEAN_CACHE_PAGES = 64
_BROKEN = (sqlite3.Error, OSError, EOFError, ValueError, TypeError)  # (nothing is unpickled)
# Keys whose values are code the build runs (Jinja2 bytecode, compiled inline bodies).
CODE_KEYS = CODE_PREFIXES
# Entry format: magic, kind (data, text or code), tag (digest or MAC of key and payload),
# payload. A text entry is a `[text, tokens]` pair (a section's, a fragment's): the count, a
# newline and the text in UTF-8, not the text escaped into JSON (a 6,000-line section's
# escapes cost more than writing it).
_MAGIC = b"sf2"
_OLD_MAGIC = (b"sf1",)  # tag of the payload alone: read as a miss
_DATA, _CODE, _TEXT = b"d", b"c", b"t"
_DIGEST_SIZE, _MAC_SIZE = 16, 32
# `json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, one encoder for every entry
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _tag(key: str, payload: bytes, secret: bytes | None = None) -> bytes:
    """The digest (or, with `secret`, the MAC) of an entry: of its key and its payload.

    The key is in it because SQLite answers a lookup through its index: a damaged index can
    hand back another key's row, whose own payload is intact. Keys never hold a NUL.
    """
    if secret is None:
        tag = blake2b(key.encode() + b"\0", digest_size=_DIGEST_SIZE)
    else:
        tag = blake2b(key.encode() + b"\0", key=secret, digest_size=_MAC_SIZE)
    tag.update(payload)
    return tag.digest()


def encode(key: str, value: Any, secret: bytes | None) -> bytes | None:
    """Return the stored form of `value`; None when it cannot be stored (code, no key)."""
    if key.startswith(CODE_KEYS) and isinstance(value, bytes):
        if secret is None:
            return None
        return _MAGIC + _CODE + _tag(key, value, secret) + value
    if type(value) is list and len(value) == 2 and type(value[0]) is str and type(value[1]) is int:
        payload = b"%d\n%s" % (value[1], value[0].encode("utf-8"))
        return _MAGIC + _TEXT + _tag(key, payload) + payload
    payload = _JSON(to_data(value)).encode()
    return _MAGIC + _DATA + _tag(key, payload) + payload


def decode(key: str, raw: Any, secret: bytes | None) -> tuple[Any, bool]:
    """Return (value or None, intact): False when the entry fails its digest check.

    Code that fails its MAC is a miss, not damage: it may come from another machine's cache.
    So is an entry of an older format (`_OLD_MAGIC`).
    """
    if not isinstance(raw, bytes) or raw[:3] != _MAGIC:
        return None, isinstance(raw, bytes) and raw[:3] in _OLD_MAGIC
    kind = raw[3:4]
    if kind == _CODE and key.startswith(CODE_KEYS):
        tag, payload = raw[4 : 4 + _MAC_SIZE], raw[4 + _MAC_SIZE :]
        if secret is None or _tag(key, payload, secret) != tag:
            return None, True
        return payload, True
    if kind != _DATA and kind != _TEXT:
        return None, False
    tag, payload = raw[4 : 4 + _DIGEST_SIZE], raw[4 + _DIGEST_SIZE :]
    if _tag(key, payload) != tag:
        return None, False
    try:
        if kind == _TEXT:  # what JSON would give back: a list of the text and the count
            count, _, text = payload.partition(b"\n")
            return [text.decode("utf-8"), int(count)], True
        return from_data(json.loads(payload)), True
    except (ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None, False


def _writable(directory: Path) -> bool:
    """Whether this process may write the cache folder and its database (when they exist)."""
    effective = os.access in os.supports_effective_ids
    return all(
        not path.exists() or os.access(path, os.W_OK, effective_ids=effective)
        for path in (directory, directory / "cache.db")
    )


def _no_database(directory: Path) -> bool:
    """Whether the cache folder holds no database (or does not exist): not when anything,
    even a dangling link, has the database's name, or the folder is not one (diskcache
    opens those, and they are moved aside when they cannot be read)."""
    try:
        os.lstat(directory / DATABASE)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


class Store:
    """Cache entries by key, with a write buffer; never raises on a damaged cache."""

    def __init__(
        self,
        cache_dir: Path,
        size_limit: int,
        warn: Callable[[str], None],
        *,
        read_only: bool = False,
        lean: bool = False,
    ) -> None:
        self.directory = cache_dir / CACHE_FOLDER
        self.read_only = read_only
        self.lean = lean
        self.size_limit = size_limit
        self.warn = warn
        self.pending: dict[str, Any] = {}
        self.handed_over: dict[str, Any] = {}
        # entries in their stored form, encoded by the worker processes that made them
        self.encoded: dict[str, bytes] = {}
        self._cache: Any = None
        self._opened = False
        self._secret: bytes | None = None
        self._secret_read = False
        self.damaged = 0  # entries that failed their digest check in this build
        # the database held no entry when opened (a cold build): every read is a miss, so
        # none is asked of SQLite; false again once this store has written entries
        self.empty = False
        # there was no database at all: none is opened (nor diskcache imported) to read, and
        # `flush` writes it whole (fresh.py), unless another process made one meanwhile
        self.fresh = False

    @property
    def secret(self) -> bytes | None:
        """This user's key for compiled code (read once per store)."""
        if not self._secret_read:
            self._secret_read = True
            self._secret = machine_key()
        return self._secret

    def _open(self, fresh: bool = True) -> Any:
        if self._opened:
            return self._cache
        self._opened = True
        if not self.read_only and not _writable(self.directory):
            # a cache another user owns (or a read-only mount) is not corrupt: read, store nothing
            self.read_only = True
            self.warn(
                f"{CACHE_FOLDER}/ is not writable; building with what it holds and storing "
                "nothing new (make it writable, or remove it, to cache again)"
            )
        if self.read_only and not self.directory.is_dir():
            return None  # nothing to read, and a read-only store creates nothing
        if fresh and not self.read_only and _no_database(self.directory):
            self.empty = self.fresh = True
            return None
        try:
            self._cache = self._connect()
        except _BROKEN as exc:
            self._recover(exc)
        return self._cache

    def _connect(self) -> Any:
        if self.read_only:  # opening a diskcache.Cache writes to it: see readonly.py
            from skillforge.cache.readonly import CacheReader

            return CacheReader(self.directory)
        if not self.lean:  # (watch's long-lived store keeps diskcache: see below)
            from skillforge.cache.lite import LiteCache, NotLite

            with contextlib.suppress(NotLite):
                lite = LiteCache(str(self.directory), self.size_limit)
                self.empty = len(lite) == 0
                return lite
        import diskcache

        from skillforge.cache.disk import SafeDisk

        cache = diskcache.Cache(
            str(self.directory),
            size_limit=self.size_limit,
            eviction_policy="least-recently-stored",
            disk=SafeDisk,
        )
        if self.lean:
            # A long-lived process (watch) keeps a small SQLite page cache and no memory map,
            # so its memory does not grow with the entries it writes; `update=False` changes
            # this connection only, not the settings stored in the cache for other processes.
            cache.reset("sqlite_cache_size", LEAN_CACHE_PAGES, update=False)
            cache.reset("sqlite_mmap_size", 0, update=False)
        cache.get("skillforge:probe")
        self.empty = len(cache) == 0
        return cache

    def _recover(self, exc: BaseException) -> None:
        if self._cache is not None:
            with contextlib.suppress(*_BROKEN):
                self._cache.close()
        self._cache = None
        what = f"cache unreadable ({exc.__class__.__name__}: {exc})"
        if self.read_only:
            self.warn(f"{what}; rendering without it")
            return
        moved = None
        if self.directory.exists():
            with contextlib.suppress(OSError):
                moved = move_aside(str(self.directory))
        where = f"; moved to {os.path.basename(moved)}" if moved else ""
        self.warn(f"{what}{where}; building cold")
        try:
            self._cache = self._connect()
        except _BROKEN as again:
            self.warn(f"cache disabled for this build: {again}")

    def get(self, key: str) -> Any:
        """Return the cached value, or None on a miss (or a damaged cache)."""
        if key in self.pending:
            return self.pending[key]
        if key in self.handed_over:
            return self.handed_over[key]
        if key in self.encoded:
            secret = self.secret if key.startswith(CODE_KEYS) else None
            return decode(key, self.encoded[key], secret)[0]
        cache = self._open()
        if cache is None or self.empty:
            return None
        try:
            raw = cache.get(key)
        except _BROKEN as exc:
            self._recover(exc)
            return None
        if raw is None:
            return None
        value, intact = decode(key, raw, self.secret if key.startswith(CODE_KEYS) else None)
        if not intact:
            self.damaged += 1
            if self.damaged == 1:
                self.warn(
                    "cache entry damaged (it fails its digest check); rendering it again "
                    "(more entries may be damaged: `skillforge clean --cache` starts afresh)"
                )
        return value

    def set(self, key: str, value: Any) -> None:
        """Buffer a new entry; `flush` writes it."""
        self.pending[key] = value

    def set_stored(self, key: str, stored: bytes) -> None:
        """Buffer a new entry already in its stored form (`encode(key, value, None)`; not a
        code entry): encoded ahead, while worker processes render, `flush` has less to do."""
        self.pending.pop(key, None)
        self.encoded[key] = stored

    def hand_over(self) -> dict[str, Any]:
        """Return the new entries for another process to write; keep serving them here."""
        entries = self.pending
        self.handed_over.update(entries)
        self.pending = {}
        return entries

    def hand_over_encoded(self) -> dict[str, bytes]:
        """`hand_over`, the entries in their stored form: a worker process encodes what it
        made while the others render, and the parent adds them to its `encoded`."""
        return dict(self._encoded(self.hand_over()))

    def flush(self) -> None:
        """Write the buffered entries in one transaction."""
        if not (self.pending or self.encoded) or self.read_only:
            self.pending.clear()
            self.encoded.clear()
            return
        cache = self._open()
        if self.fresh and self._write_new():
            self.pending.clear()
            self.encoded.clear()
            return
        if self.fresh:  # another process made the database meanwhile: write through it
            self.fresh = self._opened = False
            cache = self._open(fresh=False)
        if cache is None:
            self.pending.clear()
            self.encoded.clear()
            return
        # diskcache culls on every `set` (about four statements each, most of a set's cost);
        # the batch is written with culling off and the cache culled once after it.
        cull_limit = cache.cull_limit
        try:
            cache.cull_limit = 0
            entries = self._entries()
            try:
                with cache.transact():
                    self._write(cache, entries, new=self.empty)
            except sqlite3.IntegrityError:
                # a key another process wrote since this store found the cache empty
                with cache.transact():
                    self._write(cache, entries, new=False)
            cache.cull_limit = cull_limit
            self.empty = False
            if cache.volume() > self.size_limit:
                cache.cull()
        except _BROKEN as exc:
            self.warn(f"could not write the cache ({exc}); the next build will be slower")
        finally:
            cache.cull_limit = cull_limit
        self.pending.clear()
        self.encoded.clear()

    def _entries(self) -> list[tuple[str, bytes]]:
        """Every buffered entry in its stored form, in the order they are written."""
        entries = self._encoded(self.pending)
        entries += [(k, v) for k, v in self.encoded.items() if k not in self.pending]
        return entries

    def _write_new(self) -> bool:
        """Write the buffered entries as a new database (fresh.py); False when it cannot be
        (a database appeared since this store looked, or writing failed: `flush` then writes
        through diskcache, which reports what fails)."""
        try:
            volume = write_new(str(self.directory), self._entries(), self.size_limit)
        except (OSError, sqlite3.Error):
            return False
        if volume is None:
            return False
        self.fresh = self.empty = self._opened = False  # a later read opens the database
        if volume > self.size_limit:
            cache = self._open()
            try:
                if cache is not None:
                    cache.cull()
            except _BROKEN as exc:
                self.warn(f"could not write the cache ({exc}); the next build will be slower")
        return True

    def _encoded(self, values: dict[str, Any]) -> list[tuple[str, bytes]]:
        """`values` as stored bytes (a value with no data form is not kept)."""
        entries = []
        for key, value in values.items():
            try:
                stored = encode(key, value, self.secret if key.startswith(CODE_KEYS) else None)
            except Uncacheable:
                continue  # never pickled
            if stored is not None:
                entries.append((key, stored))
        return entries

    @staticmethod
    def _write(cache: Any, entries: list[tuple[str, bytes]], *, new: bool) -> None:
        """Write `entries` in the open transaction. With `new` (the cache held no entry when
        this store opened it), the ones kept in the database itself are inserted in one
        statement: the rows `Cache.set` would insert (made by diskcache's own `Disk`), without
        the lookup for an older row that each `set` makes first. Those kept in files (32 KiB
        and more) go through `set`, after the insert: a key another process wrote meanwhile
        then fails the insert before any file is written."""
        limit = cache.disk_min_file_size
        small = [(k, v) for k, v in entries if new and len(v) < limit]
        if small:
            now, disk = time.time(), cache._disk
            rows = []
            for key, value in small:
                db_key, raw = disk.put(key)
                size, mode, filename, db_value = disk.store(value, False, key=key)
                rows.append((db_key, raw, now, now, size, mode, filename, db_value))
            cache._con.executemany(
                "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, "
                "access_count, tag, size, mode, filename, value) "
                "VALUES (?, ?, ?, NULL, ?, 0, NULL, ?, ?, ?, ?)",
                rows,
            )
        for key, value in entries:
            if not (new and len(value) < limit):
                cache.set(key, value)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
            self._opened = False
