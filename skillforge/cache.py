"""The on-disk cache (diskcache) behind the template, fragment and section layers.

Writes are buffered and flushed in one transaction at the end of a build. A cache that cannot
be opened or read is moved aside with a warning; the build goes on cold.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache

from skillforge.manifest import move_aside

CACHE_FOLDER = "cache"
LEAN_CACHE_PAGES = 64
_BROKEN = (sqlite3.Error, OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError)


def _writable(directory: Path) -> bool:
    """Whether this process may write the cache folder and its database (when they exist)."""
    effective = os.access in os.supports_effective_ids
    return all(
        not path.exists() or os.access(path, os.W_OK, effective_ids=effective)
        for path in (directory, directory / "cache.db")
    )


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
        self._cache: Any = None
        self._opened = False

    def _open(self) -> Any:
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
        try:
            self._cache = self._connect()
        except _BROKEN as exc:
            self._recover(exc)
        return self._cache

    def _connect(self) -> Any:
        if self.read_only:  # opening a diskcache.Cache writes to it: see cache_reader.py
            from skillforge.cache_reader import CacheReader

            return CacheReader(self.directory)
        cache = diskcache.Cache(
            str(self.directory),
            size_limit=self.size_limit,
            eviction_policy="least-recently-stored",
        )
        if self.lean:
            # A long-lived process (watch) keeps a small SQLite page cache and no memory map,
            # so its memory does not grow with the entries it writes; `update=False` changes
            # this connection only, not the settings stored in the cache for other processes.
            cache.reset("sqlite_cache_size", LEAN_CACHE_PAGES, update=False)
            cache.reset("sqlite_mmap_size", 0, update=False)
        cache.get("skillforge:probe")
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
        cache = self._open()
        if cache is None:
            return None
        try:
            return cache.get(key)
        except _BROKEN as exc:
            self._recover(exc)
            return None

    def set(self, key: str, value: Any) -> None:
        """Buffer a new entry; `flush` writes it."""
        self.pending[key] = value

    def hand_over(self) -> dict[str, Any]:
        """Return the new entries for another process to write; keep serving them here."""
        entries = self.pending
        self.handed_over.update(entries)
        self.pending = {}
        return entries

    def flush(self) -> None:
        """Write the buffered entries in one transaction."""
        if not self.pending or self.read_only:
            self.pending.clear()
            return
        cache = self._open()
        if cache is None:
            self.pending.clear()
            return
        try:
            with cache.transact():
                for key, value in self.pending.items():
                    cache.set(key, value)
        except _BROKEN as exc:
            self.warn(f"could not write the cache ({exc}); the next build will be slower")
        self.pending.clear()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
            self._opened = False
