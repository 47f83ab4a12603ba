"""diskcache's `Disk`, made safe to read a cache folder that may come from anywhere (CI, a share).

It returns bytes only: a pickled or text entry, or a value file outside diskcache's own
naming, is `REFUSED`, never unpickled or opened. The store (`local.py`) reads through it when
it opens the cache with diskcache; `lite.LiteDisk` reads the same way without diskcache.
"""

from __future__ import annotations

import os
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

from skillforge.cache.fresh import REFUSED, VALUE_FILE, Refused

__all__ = ["REFUSED", "VALUE_FILE", "Refused", "SafeDisk"]


class SafeDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's `Disk`, reading bytes only: it never unpickles, nor opens a stray path."""

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_RAW:
            return bytes(value) if isinstance(value, bytes | memoryview) else REFUSED
        if mode == MODE_BINARY and filename and VALUE_FILE.fullmatch(filename) and not read:
            return super().fetch(mode, filename, value, read)
        return REFUSED

    def remove(self, file_path: str) -> None:
        if VALUE_FILE.fullmatch(file_path.replace(os.sep, "/")):
            super().remove(file_path)
