"""SQLite for the cache database, without what the `sqlite3` package adds to its C module.

`import sqlite3` runs `sqlite3/dbapi2.py`, which re-exports the C module `_sqlite3` and
imports `datetime` to register the adapters of dates and times that the cache never stores
(its values are bytes, its keys strings, its times floats). That import is about three times
the C module's own and falls on every edit build, so the cache takes the C module directly:
`connect`, the connection and the errors are the same objects `sqlite3` hands out. Where a
Python has no `_sqlite3` of its own name, the package is used.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
else:
    try:
        import _sqlite3 as sqlite3
    except ImportError:  # pragma: no cover (CPython has it whenever it has sqlite3)
        import sqlite3

__all__ = ["sqlite3"]
