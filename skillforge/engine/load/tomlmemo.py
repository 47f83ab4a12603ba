"""The user's memo of parsed config files (`engine/load/config.py`).

A build with a manifest reuses the config table it recorded when the file's bytes did not
change. A build without one (a cold build, a fresh clone's `check`) would parse the TOML
again, and `tomllib` loads `datetime` and compiles its patterns: about 6 ms, a tenth of a
one-agent build. This memo keeps the tables of the last few config files this user's builds
parsed, by the digest of their bytes, in the user's cache folder (beside the compiled
regular expressions): the same bytes always parse to the same table.

The file is `FORMAT`, this Python's version and the entries, marshalled, after the blake2b
digest of it all; a damaged file, another Python's or one another user could have written
is not read (the TOML is parsed, and the memo written again). A table that marshal cannot
hold (a TOML date) is not kept.
"""

from __future__ import annotations

import marshal
import os
import re
import sys
from typing import Any

from skillforge.errors import ConfigError
from skillforge.state.files import read_sealed, write_sealed
from skillforge.state.locate import user_cache_folder

FORMAT = 1
MEMO_NAME = f"configs-{sys.implementation.cache_tag}.bin"
KEEP = 16  # the config files remembered (the most recently parsed)


def parsed(name: str, raw: bytes, raw_digest: str) -> dict[str, Any]:
    """The TOML table of the bytes `raw` (digest `raw_digest`) of the config file `name`:
    remembered, else parsed (and remembered); ConfigError when they are not TOML."""
    entries = _entries()  # (read once: a miss writes them back with the new table)
    table = next((t for d, t in entries if d == raw_digest), None)
    if table is not None:
        return table
    import tomllib

    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        text = raw.decode("utf-8", "replace")
        if "[targets." in text and re.search(r"^\s*targets\s*=", text, re.MULTILINE):
            raise ConfigError(
                f"{name}: not valid TOML: {exc}; 'targets = [...]' and "
                "[targets.<name>] tables cannot both be given: use the list, or one table "
                "per target (every table enables its target)"
            ) from None
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    remember(raw_digest, table, entries)
    return table


def memo_path() -> str:
    return os.path.join(user_cache_folder(), MEMO_NAME)


def recall(raw_digest: str) -> dict[str, Any] | None:
    """The table of the config file whose bytes have `raw_digest`, when it is remembered."""
    return next((table for digest, table in _entries() if digest == raw_digest), None)


def remember(
    raw_digest: str,
    table: dict[str, Any],
    known: list[tuple[str, dict[str, Any]]] | None = None,
) -> None:
    """Keep `table`, the parse of the bytes of `raw_digest`, first among the remembered
    (`known`: the entries as just read, else read now)."""
    entries = [(raw_digest, table)]
    others = _entries() if known is None else known
    entries += [entry for entry in others if entry[0] != raw_digest][: KEEP - 1]
    try:
        body = marshal.dumps((FORMAT, sys.version, entries))
    except ValueError:
        return  # a TOML date (or another value marshal cannot hold): parsed every time
    write_sealed(memo_path(), body)


def _entries() -> list[tuple[str, dict[str, Any]]]:
    body = read_sealed(memo_path())  # None too for a file someone else could have written
    if body is None:
        return []
    try:
        fmt, version, entries = marshal.loads(body)
        if fmt != FORMAT or version != sys.version:
            return []
        return [(d, t) for d, t in entries if isinstance(d, str) and isinstance(t, dict)]
    except Exception:  # a file of the right digest but not ours
        return []
