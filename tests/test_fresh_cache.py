"""A cold build writes its cache database with sqlite3 alone (cache/fresh.py): the database
is the one diskcache would have made, and the next build reads it as its own."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import diskcache
import pytest
from helpers import build_json, project

from skillforge.cache import fresh
from skillforge.cache.disk import VALUE_FILE, SafeDisk
from skillforge.cache.local import CACHE_FOLDER, Store

LIMIT = 50 * 2**20
# a small entry (kept in the database), a text entry, and one over 32 KiB (kept in a file)
VALUES: dict[str, Any] = {
    "k:small": {"a": [1, 2, "three"]},
    "s:text": ["a section\nof two lines", 7],
    "s:large": ["line of a long section\n" * 3000, 21_000],
}


def _schema(db: Path) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(db)) as con:
        return {
            "master": sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")),
            "settings": sorted(con.execute("SELECT key, value FROM Settings")),
            "pragmas": [
                con.execute(f"PRAGMA {name}").fetchall()
                for name in ("auto_vacuum", "journal_mode", "page_size", "user_version")
            ],
        }


def _rows(db: Path) -> list[tuple[Any, ...]]:
    """The Cache rows without their times and random file names (their pattern instead)."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute(
            "SELECT key, raw, expire_time, access_count, tag, size, mode, filename, value,"
            " store_time = access_time FROM Cache ORDER BY key"
        ).fetchall()
    return [
        (*row[:7], row[7] is not None and bool(VALUE_FILE.fullmatch(row[7])), row[8], row[9])
        for row in rows
    ]


def _store(root: Path) -> Store:
    store = Store(root, LIMIT, pytest.fail)
    for key, value in VALUES.items():
        store.set(key, value)
    return store


def test_the_new_database_is_the_one_diskcache_makes(tmp_path: Path) -> None:
    # the long way: a database diskcache made, empty, written into by the store
    slow_root = tmp_path / "slow"
    made = diskcache.Cache(
        str(slow_root / CACHE_FOLDER),
        size_limit=LIMIT,
        eviction_policy="least-recently-stored",
        disk=SafeDisk,
    )
    made.close()
    slow = _store(slow_root)
    slow.flush()
    assert not slow.fresh
    slow.close()
    # the short way: no database at all
    fast_root = tmp_path / "fast"
    quick = _store(fast_root)
    assert quick.get("k:small") == VALUES["k:small"]  # from the buffer
    assert quick.get("k:none") is None  # a miss, asked of no database
    assert quick._cache is None and quick.fresh
    quick.flush()
    slow_db, fast_db = (r / CACHE_FOLDER / fresh.DATABASE for r in (slow_root, fast_root))
    assert _schema(fast_db) == _schema(slow_db)
    assert _rows(fast_db) == _rows(slow_db)
    assert len(_rows(fast_db)) == 3
    # nothing else in the folder: no journal, no temporary database; one value file each
    names = sorted(p.name for p in (fast_root / CACHE_FOLDER).iterdir() if p.is_file())
    assert names == [fresh.DATABASE]
    for root in (slow_root, fast_root):
        files = [p for p in (root / CACHE_FOLDER).rglob("*.val")]
        assert [f.read_bytes()[:3] for f in files] == [b"sf2"]
    # diskcache finds it consistent (counts, sizes, files) and the next store reads it all
    with diskcache.Cache(str(fast_root / CACHE_FOLDER), disk=SafeDisk) as cache:
        assert cache.check() == []
        assert len(cache) == 3 and cache.volume() > 60_000
    again = Store(fast_root, LIMIT, pytest.fail)
    assert {key: again.get(key) for key in VALUES} == VALUES
    assert not again.empty and not again.fresh
    again.close()


def test_a_database_made_meanwhile_is_written_through(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.get("k:other") is None and store.fresh  # no database when the build looked
    other = Store(tmp_path, LIMIT, pytest.fail)  # another process, first to write
    other.set("k:other", {"b": 2})
    other.flush()
    other.close()
    before = sorted(p.name for p in (tmp_path / CACHE_FOLDER).rglob("*"))
    assert fresh.write_new(str(tmp_path / CACHE_FOLDER), [("k:x", b"x" * 40_000)], LIMIT) is None
    assert sorted(p.name for p in (tmp_path / CACHE_FOLDER).rglob("*")) == before  # nothing left
    store.flush()  # through diskcache, beside the other process's entry
    store.close()
    reader = Store(tmp_path, LIMIT, pytest.fail)
    assert reader.get("k:other") == {"b": 2}
    assert {key: reader.get(key) for key in VALUES} == VALUES
    reader.close()


def test_a_failed_new_database_leaves_nothing_and_the_store_writes_through_diskcache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / CACHE_FOLDER

    def no_room(con: sqlite3.Connection, rows: Any, size_limit: int) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(fresh, "_fill", no_room)
    with pytest.raises(sqlite3.OperationalError):
        fresh.write_new(str(folder), [("s:large", b"x" * 40_000)], LIMIT)
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    store = _store(tmp_path)
    store.flush()  # the new database failed: diskcache writes it the usual way
    store.close()
    reader = Store(tmp_path, LIMIT, pytest.fail)
    assert {key: reader.get(key) for key in VALUES} == VALUES
    reader.close()


def test_a_cold_build_imports_no_diskcache_and_the_next_build_reads_its_cache(
    tmp_path: Path,
) -> None:
    cold, slow = project(tmp_path / "cold"), project(tmp_path / "slow")
    # the long way: the database exists (empty) before the build, made by diskcache
    diskcache.Cache(
        str(slow / ".skillforge" / CACHE_FOLDER),
        size_limit=1 << 30,
        eviction_policy="least-recently-stored",
        disk=SafeDisk,
    ).close()
    code = (
        "import json, sys; from skillforge.cache.local import Store;"
        " from skillforge.cli.main import main; code = main(['build', '--json']);"
        " heavy = ('diskcache', 'sqlite3');"
        " print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))));"
        " sys.exit(code)"
    )
    reports = {}
    for name, root in (("cold", cold), ("slow", slow)):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, env=_env()
        )
        assert done.returncode == 0, done.stderr
        report, imported = done.stdout.splitlines()
        # the cold build reads nothing and writes its database without diskcache; the other
        # reads and writes the database diskcache made without it too (cache/lite.py), and
        # neither imports the `sqlite3` package (its `datetime` import): only `_sqlite3`
        assert json.loads(imported) == [], name
        reports[name] = _counters(json.loads(report))
    assert reports["cold"] == reports["slow"]
    assert reports["cold"]["sections"]["rendered"] > 0
    assert _outputs(cold) == _outputs(slow)
    with diskcache.Cache(str(cold / ".skillforge" / CACHE_FOLDER), disk=SafeDisk) as cache:
        assert cache.check() == []
    # the next build (every output removed) is served from the cache the cold build wrote
    for root in (cold, slow):
        for path in (root / ".claude").rglob("*.md"):
            path.unlink()
    warm = {name: _counters(build_json(root)) for name, root in (("cold", cold), ("slow", slow))}
    assert warm["cold"] == warm["slow"]
    assert warm["cold"]["sections"]["rendered"] == 0 and warm["cold"]["sections"]["cached"] > 0
    assert _outputs(cold) == _outputs(slow)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _counters(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("duration_ms", "timings")}


def _outputs(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / ".claude").rglob("*"))
        if p.is_file()
    }
