"""A build reads and writes its cache database with sqlite3 alone (cache/lite.py): the rows,
settings and value files are the ones diskcache writes, and each reads what the other wrote."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import diskcache
import pytest
from test_fresh_cache import _rows

from skillforge.cache import fresh, lite
from skillforge.cache.disk import SafeDisk
from skillforge.cache.lite import LiteCache, NotLite
from skillforge.cache.local import CACHE_FOLDER, Store

LIMIT = 50 * 2**20
FIRST: dict[str, Any] = {
    "k:small": {"a": [1, 2, "three"]},
    "s:text": ["a section\nof two lines", 7],
    "s:large": ["line of a long section\n" * 3000, 21_000],
}
# a new key, one replaced in the database, and a large one replaced (its old file goes)
SECOND: dict[str, Any] = {
    "k:new": [1, 2],
    "s:text": ["another section", 2],
    "s:large": ["another long section\n" * 3000, 19_000],
}


def _made(root: Path, **settings: Any) -> Path:
    """A cache folder with the empty database diskcache makes."""
    folder = root / CACHE_FOLDER
    options = {"eviction_policy": "least-recently-stored", **settings}
    diskcache.Cache(str(folder), size_limit=LIMIT, disk=SafeDisk, **options).close()
    return folder


def _write(root: Path, values: dict[str, Any]) -> type:
    store = Store(root, LIMIT, pytest.fail)
    for key, value in values.items():
        store.set(key, value)
    store.flush()
    kind = type(store._cache)
    store.close()
    return kind


def _settings(folder: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(folder / "cache.db")) as con:
        return sorted(con.execute("SELECT key, value FROM Settings"))


def _files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*.val"))


def _no_lite(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotLite("test")

    monkeypatch.setattr(lite, "LiteCache", refuse)


def _read(root: Path, keys: list[str]) -> dict[str, Any]:
    store = Store(root, LIMIT, pytest.fail)
    found = {key: store.get(key) for key in keys}
    store.close()
    return found


def test_lite_writes_what_diskcache_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast_folder, slow_folder = _made(fast), _made(slow)
    assert _write(fast, FIRST) is LiteCache
    assert _write(fast, SECOND) is LiteCache
    with monkeypatch.context() as patch:
        _no_lite(patch)
        assert _write(slow, FIRST) is diskcache.Cache
        assert _write(slow, SECOND) is diskcache.Cache
    assert _rows(fast_folder / "cache.db") == _rows(slow_folder / "cache.db")
    assert _settings(fast_folder) == _settings(slow_folder)
    assert _files(fast_folder) == _files(slow_folder) == 1  # the replaced file is gone
    keys = sorted({*FIRST, *SECOND})
    expected = {**FIRST, **SECOND}
    assert _read(fast, keys) == expected
    # each reads the other's
    with monkeypatch.context() as patch:
        _no_lite(patch)
        assert _read(fast, keys) == expected
    assert _read(slow, keys) == expected


def test_a_database_of_other_settings_is_opened_by_diskcache(tmp_path: Path) -> None:
    folder = _made(tmp_path, eviction_policy="least-recently-used")
    with pytest.raises(NotLite):
        LiteCache(str(folder), LIMIT)
    assert _write(tmp_path, FIRST) is diskcache.Cache
    with pytest.raises(NotLite):
        LiteCache(str(tmp_path / "nowhere"), LIMIT)


def test_a_damaged_database_is_reported_as_before(tmp_path: Path) -> None:
    folder = _made(tmp_path)
    (folder / "cache.db").write_bytes(b"not a database" * 100)
    for name in ("cache.db-wal", "cache.db-shm"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(NotLite):
        LiteCache(str(folder), LIMIT)
    warnings: list[str] = []
    store = Store(tmp_path, LIMIT, warnings.append)
    assert store.get("k:small") is None
    store.close()
    assert warnings and warnings[0].startswith("cache unreadable")


def test_entries_it_will_not_decode_are_refused(tmp_path: Path) -> None:
    folder = _made(tmp_path)
    cache = diskcache.Cache(str(folder), eviction_policy="least-recently-stored")
    cache.set("k:pickled", {"a": 1})  # diskcache's own Disk: pickled
    cache.close()
    with contextlib.closing(sqlite3.connect(folder / "cache.db")) as con, con:
        con.execute(
            "INSERT INTO Cache(key, raw, store_time, size, mode, filename, value)"
            " VALUES ('k:stray', 1, 0, 3, 2, '../../etc/passwd', NULL)"
        )
    reader = LiteCache(str(folder), LIMIT)
    assert reader.get("k:pickled") is fresh.REFUSED
    assert reader.get("k:stray") is fresh.REFUSED
    assert reader.get("k:missing") is None
    reader.close()
    warnings: list[str] = []
    store = Store(tmp_path, LIMIT, warnings.append)
    assert store.get("k:pickled") is None
    assert store.damaged == 1
    store.close()


def test_set_outside_a_transaction_is_refused(tmp_path: Path) -> None:
    cache = LiteCache(str(_made(tmp_path)), LIMIT)
    with pytest.raises(RuntimeError):
        cache.set("k:x", b"x")
    cache.close()


def test_a_cache_over_its_limit_is_culled_as_diskcache_culls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 200_000
    volumes = []
    for name, use_lite in (("fast", True), ("slow", False)):
        root = tmp_path / name
        folder = _made(root)
        with monkeypatch.context() as patch:
            if not use_lite:
                _no_lite(patch)
            for batch in range(4):
                store = Store(root, limit, pytest.fail)
                for i in range(3):
                    store.set(f"s:{batch}-{i}", [f"text {batch} {i}\n" * 3000, 1])
                store.flush()
                store.close()
        with contextlib.closing(sqlite3.connect(folder / "cache.db")) as con:
            kept = sorted(k for (k,) in con.execute("SELECT key FROM Cache"))
        volumes.append((kept, _files(folder)))
    assert volumes[0] == volumes[1]
    assert len(volumes[0][0]) < 12  # some were evicted
