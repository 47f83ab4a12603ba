"""Write state files whole and move damaged ones aside: the one atomic write of skillforge.

Standard library only at module level: the no-op fast path imports the modules that use it.
"""

from __future__ import annotations

import os
import time


def write_atomic(path: str, data: bytes, tmp: str | None = None) -> None:
    """Write `data` to `path` whole: a temp file in the same folder, then a rename.

    The folder is created when missing. On any failure the temp file is removed and the
    error raised; the old `path`, if any, is left as it was.
    """
    tmp = tmp or f"{path}.{os.getpid()}.tmp"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_temp(tmp, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise


def write_temp(tmp: str, data: bytes) -> os.stat_result:
    """Write `data` to the temp file `tmp` and return its stat (a rename keeps its mtime and
    size); on any failure the temp file is removed."""
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return os.fstat(fd)
        finally:
            os.close(fd)
    except BaseException:
        unlink_quietly(tmp)
        raise


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def unlink_quietly(path: str) -> None:
    """Remove a file if it is there (a temp file that failed: nothing else to do)."""
    # not contextlib.suppress: the no-op path imports this, and contextlib loads collections
    try:  # noqa: SIM105
        os.unlink(path)
    except OSError:
        pass


def move_aside(path: str) -> str:
    """Rename a corrupt file or folder out of the way and return its new path.

    Only the newest copy is kept: older `<name>.corrupt-<time>-<pid>` next to it are removed,
    so repeated failures (a full disk) do not fill the disk further.
    """
    target = f"{path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    os.replace(path, target)
    _prune_corrupt(path, keep=target)
    return target


def _prune_corrupt(path: str, keep: str) -> None:
    """Remove the corrupt copies of `path` skillforge made before, except `keep`."""
    import re
    import shutil
    import stat

    folder, name = os.path.split(path)
    copy = re.compile(re.escape(name) + r"\.corrupt-\d{8}-\d{6}-\d+\Z")
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return
    for other in names:
        old = os.path.join(folder, other)
        if old == keep or not copy.match(other):
            continue
        try:
            if stat.S_ISDIR(os.lstat(old).st_mode):  # lstat: a symlink is unlinked, not followed
                shutil.rmtree(old)
            else:
                os.unlink(old)
        except OSError:
            pass  # a copy that cannot be removed costs disk space only


def safe_rel(rel: object) -> bool:
    """Whether `rel` (read from state) is a plain relative path: no '..', '.', '' or root."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return False
    parts = rel.split("/")  # (three scans in C: a writer asks this of every output)
    return "" not in parts and "." not in parts and ".." not in parts


def read_own(path: str) -> bytes | None:
    """The bytes of a file in the user's own cache folder, or None when it is missing or could
    have been written by anyone else (not the user's, or writable by group or others)."""
    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            data = f.read()
    except OSError:
        return None
    if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o022:
        return None
    return data


SEAL_SIZE = 16  # the blake2b digest that opens a sealed file


def read_sealed(path: str) -> bytes | None:
    """The body of a file `write_sealed` wrote: the user's own (`read_own`), its digest
    intact; None when it is missing, someone else's or damaged."""
    from skillforge.state.digest import blake2b

    data = read_own(path)
    if data is None:
        return None
    digest, body = data[:SEAL_SIZE], data[SEAL_SIZE:]
    return body if blake2b(body, digest_size=SEAL_SIZE).digest() == digest else None


def write_sealed(path: str, body: bytes) -> bool:
    """`write_own` of `body` after its blake2b digest (damage shows: `read_sealed`)."""
    from skillforge.state.digest import blake2b

    return write_own(path, blake2b(body, digest_size=SEAL_SIZE).digest() + body)


def write_own(path: str, data: bytes) -> bool:
    """Write a file of the user's own cache folder whole (mode 0600, its folder 0700 when
    made); False when it cannot be written (a read-only home: the caller goes without)."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_atomic(path, data)
        os.chmod(path, 0o600)
    except OSError:
        return False
    return True
