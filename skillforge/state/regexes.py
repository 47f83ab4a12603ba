"""Compiled regular expressions kept between runs, so that importing the engine is cheaper.

Python's `re` turns a pattern into a program for its matcher in Python code, and the engine
imports about 60 patterns at every start (Jinja2's lexer, PyYAML's resolver, skillforge's
own): some 100 M instructions, a sixth of a one-section edit. `RegexCache`, entered around a
command, keeps the programs in one file per Python build and, on the next run, hands them to
the matcher directly (`_sre.compile`, what `re` itself calls last), filling `re`'s own cache
before the modules that compile them are imported. A pattern the file lacks is compiled as
usual and added to the file after the command.

Only what `re` computed on this machine goes into the file, and only this Python reads it back:

- the file lives beside the user's cache key (`cache/local.py`), in the user's own folder
  (`$XDG_CACHE_HOME/skillforge/`, else `~/.cache/skillforge/`), outside every project, so no
  restored or shared project cache can bring one;
- a file that is not the user's own, or that others may write, is not read;
- it is named after the interpreter (`sys.implementation.cache_tag`) and starts with the
  exact Python version, the matcher's `MAGIC` and `CODESIZE` and a digest of the whole file;
  anything else (another Python, a damaged or foreign file) is ignored and written anew;
- the matcher checks every program it is given (CPython validates the code), and a program it
  refuses is compiled again the usual way.

At most `KEEP` patterns are kept (those of the last runs first), so patterns made from a
project's own text (a glob in a config) cannot grow the file without bound. Nothing here
changes what a pattern matches: the same program `re` would build, built earlier.

Standard library only; the no-op path never enters it.
"""

from __future__ import annotations

import marshal
import os
import re
import sys
import types
from _thread import get_ident

from skillforge.state.files import SEAL_SIZE, read_sealed, write_sealed
from skillforge.state.locate import user_cache_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Key = tuple[type, Any, int]

KEEP = 256
FORMAT = 1
DIGEST_SIZE = SEAL_SIZE  # the digest before the body (state/files.py `write_sealed`)


def cache_file() -> str:
    return os.path.join(user_cache_folder(), f"regex-{sys.implementation.cache_tag}.bin")


class RegexCache:
    """The programs of the patterns `re` compiled, read before a command and saved after."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: dict[Key, tuple[Any, ...]] = {}  # (type, pattern, flags) -> _sre args
        self.new: dict[Key, tuple[Any, ...]] = {}
        self._restore: Callable[[], None] | None = None

    def __enter__(self) -> RegexCache:
        self.warm()
        return self

    def __exit__(self, *exc: object) -> None:
        self.keep()

    # -- reading -------------------------------------------------------------------------

    def warm(self) -> int:
        """Fill `re`'s cache with the file's programs; return how many were accepted."""
        compiler, cache, sre = _internals()
        if compiler is None:
            return 0
        self.entries = _read(self.path)
        accepted = 0
        room = getattr(re, "_MAXCACHE", 512) - len(cache)
        for key, args in self.entries.items():
            if accepted >= room:
                break
            if key in cache:
                continue
            try:
                cache[key] = sre.compile(*args)
            except Exception:  # refused by the matcher: `re` compiles it again when asked
                continue
            accepted += 1
        self._record(compiler, sre)
        return accepted

    def _record(self, compiler: Any, sre: Any) -> None:
        """Note the program of every pattern `re` compiles from now on (cache misses only)."""
        compile_pattern = compiler.compile
        # per thread (watch's watcher threads compile too): the matcher's arguments of the
        # pattern that thread is compiling
        captured: dict[int, list[tuple[Any, ...]]] = {}

        def capture(*args: Any) -> Any:
            captured.setdefault(get_ident(), []).append(args)
            return sre.compile(*args)

        spy = types.ModuleType(sre.__name__)
        spy.__dict__.update(sre.__dict__)
        spy.compile = capture  # type: ignore[attr-defined]

        def recording(p: Any, flags: int = 0) -> Any:
            me = get_ident()
            captured.pop(me, None)
            compiled = compile_pattern(p, flags)
            mine = captured.pop(me, [])
            args = _plain(mine[0]) if len(mine) == 1 and mine[0][0] is p else None
            if args is not None and type(p) in (str, bytes) and not flags & re.DEBUG:
                self.new[(type(p), p, int(flags))] = args
            return compiled

        compiler.compile, compiler._sre = recording, spy

        def restore() -> None:
            compiler.compile, compiler._sre = compile_pattern, sre

        self._restore = restore

    # -- writing -------------------------------------------------------------------------

    def keep(self) -> bool:
        """Stop recording; save the new programs with the old ones. True if the file changed."""
        if self._restore is not None:
            self._restore()
            self._restore = None
        new = {k: v for k, v in self.new.items() if self.entries.get(k) != v}
        self.new = {}
        if not new:
            return False
        merged = list(new.items()) + [(k, v) for k, v in self.entries.items() if k not in new]
        rows = [(k[0] is bytes, k[1], k[2], v) for k, v in merged[:KEEP]]
        body = marshal.dumps((FORMAT, _header(), rows))
        if not write_sealed(self.path, body):
            return False  # a read-only home: the next run compiles as usual
        self.entries = dict(merged[:KEEP])
        return True


def _internals() -> tuple[Any, Any, Any]:
    """`re`'s compiler module, its cache and the matcher; (None, ...) on another Python."""
    compiler = getattr(re, "_compiler", None)
    cache = getattr(re, "_cache", None)
    sre = getattr(compiler, "_sre", None)
    if compiler is None or not isinstance(cache, dict) or not hasattr(sre, "compile"):
        return None, None, None
    return compiler, cache, sre


def _header() -> tuple[Any, ...]:
    _, _, sre = _internals()
    return (sys.version, sys.implementation.cache_tag, sre.MAGIC, sre.CODESIZE)


def _plain(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The matcher's arguments as plain data (its opcodes are int subclasses); None when
    they are not the six this module knows."""
    try:
        pattern, flags, code, groups, groupindex, indexgroup = args
        return (
            pattern,
            int(flags),
            [int(c) for c in code],
            int(groups),
            dict(groupindex),
            tuple(indexgroup),
        )
    except (TypeError, ValueError):
        return None


def _read(path: str) -> dict[Key, tuple[Any, ...]]:
    """The file's programs, or nothing when it is missing, damaged or another Python's."""
    body = read_sealed(path)  # None too for a file someone else could have written
    if body is None:
        return {}
    try:
        fmt, header, rows = marshal.loads(body)
        if fmt != FORMAT or header != _header():
            return {}
        return {(bytes if b else str, p, f): tuple(args) for b, p, f, args in rows}
    except Exception:  # a file of the right digest but not ours: start again
        return {}
