"""This user's secret key for the compiled code in a cache (`cache/local.py`).

Compiled template code, which a build runs, is stored with a keyed BLAKE2 MAC. The key is
made once per user, outside every project and cache folder, so code written anywhere else
(a cache restored from CI, or shared), or changed, is compiled again instead of run.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from skillforge.state.locate import user_cache_folder

KEY_BYTES = 32


def key_path() -> Path:
    """Where this user's cache key lives: outside every project, so no cache folder holds it."""
    return Path(user_cache_folder()) / "key"


def machine_key() -> bytes | None:
    """This user's secret key for compiled code, made on first use; None if it cannot be had.

    The file is the user's own, readable by nobody else (0600 in a 0700 folder); a key file
    anyone else could read or write is not used, and compiled code is then not cached.
    """
    path = key_path()
    with contextlib.suppress(OSError):
        return _read_key(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_name(f"key.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, os.urandom(KEY_BYTES))
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # atomic, and never replaces a key another build made
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    if not mine or st.st_mode & 0o077 or len(data) != KEY_BYTES:
        return None
    return data
