"""diskcache's `Disk`, made safe to read a cache folder that may come from anywhere (CI, a share).

It returns bytes only: a pickled or text entry, or a value file outside diskcache's own
naming, is `REFUSED`, never unpickled or opened. The store (`local.py`) and the read-only
reader (`readonly.py`) both read through it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW

# diskcache's value file names (`ab/cd/<28 hex>.val`): any other name read from the
# database could point outside the cache folder, to read or (on eviction) delete.
VALUE_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val")


class Refused:
    """What `SafeDisk` returns for an entry it will not decode (pickled, text, odd file)."""


REFUSED = Refused()


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
