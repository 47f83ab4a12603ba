"""Walk a spec folder by its file descriptor: names and stats, a folder at a time.

The scan of 10,000 specs is 10,000 stats (issue 17). `os.scandir` by path makes an object per
entry and stats each file by its whole path (the kernel walks every folder of it again); a
folder opened once, listed with `os.listdir` and each name stat'ed relative to it (`dir_fd`)
costs less of both. The result is the walk `inventory._Walker.walk_folders` makes, in the same
order and with the same problems: hidden names and `__pycache__` skipped, a symbolic link
followed only where `_linked_ok` allows, a folder that cannot be read named. Standard
library only (the no-op path).
"""

from __future__ import annotations

import os
from operator import itemgetter
from stat import S_ISDIR, S_ISLNK, S_ISREG

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    # What the walker that calls this says and decides (inventory._Walker): a problem of a
    # path, and whether a symbolic link may be followed (path, to a folder, the folders above)
    Problem = Callable[[str, str], None]
    LinkedOk = Callable[[str, bool, tuple[str, ...]], bool]

# Where this can be done: `listdir` of a descriptor, `stat` relative to one (POSIX)
SUPPORTED = (
    os.listdir in os.supports_fd
    and os.stat in os.supports_dir_fd
    and os.open in os.supports_dir_fd
    and hasattr(os, "O_DIRECTORY")
)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)

# (path of a folder relative to the top, "/"-separated, ending in "/" or ""; names; stats)
Part = tuple[str, list[str], list[os.stat_result]]


class _Walk:
    __slots__ = ("_linked_ok", "_problem")

    def __init__(self, problem: Problem, linked_ok: LinkedOk) -> None:
        self._problem = problem
        self._linked_ok = linked_ok


def walk_fd(top: str, problem: Problem, linked_ok: LinkedOk) -> list[Part]:
    """Every file under `top` (an absolute path), as `_Walker.walk_folders` finds them: the
    names of a folder's files and their stats (of the file a link points to)."""
    walker = _Walk(problem, linked_ok)
    found: list[Part] = []
    try:
        fd = os.open(top, _FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        return found
    except OSError as exc:
        _unreadable(walker, top, exc)
        return found
    try:
        _walk(walker, top, fd, "", (), found)
    finally:
        os.close(fd)
    return found


def _walk(
    walker: _Walk, top: str, fd: int, prefix: str, seen: tuple[str, ...], found: list[Part]
) -> None:
    try:
        names = os.listdir(fd)
    except OSError as exc:
        _unreadable(walker, top, exc)
        return
    names = [n for n in names if n[0] != "." and n != "__pycache__"]
    lstat = os.lstat
    try:
        stats = [lstat(name, dir_fd=fd) for name in names]
    except OSError:  # one went away meanwhile, or cannot be read: one at a time
        names, stats = _one_by_one(walker, top, fd, names)
    # most folders: plain files only, told from the few distinct modes of their files (a
    # set of the modes, in C, then the kind of each: not a call per file)
    if all(map(S_ISREG, set(map(_MODE, stats)))):
        found.append((prefix, names, stats))
        return
    plain = list(map(S_ISREG, map(_MODE, stats)))
    files: list[str] = []
    file_stats: list[os.stat_result] = []
    found.append((prefix, files, file_stats))
    for name, st, regular in zip(names, stats, plain, strict=True):
        if regular:
            files.append(name)
            file_stats.append(st)
            continue
        path = os.path.join(top, name)
        linked = S_ISLNK(st.st_mode)
        if linked:
            try:
                st = os.stat(name, dir_fd=fd)  # what it points to
            except FileNotFoundError:
                continue  # a dangling link: not a file
            except OSError as exc:
                walker._problem(path, f"cannot be read ({exc.strerror or exc})")
                continue
        is_dir = S_ISDIR(st.st_mode)
        if not is_dir and not S_ISREG(st.st_mode):
            continue  # a FIFO, a socket, a device: not an input
        if linked and not walker._linked_ok(path, is_dir, seen):
            continue
        if not is_dir:
            files.append(name)
            file_stats.append(st)
            continue
        chain = (*seen, os.path.realpath(top)) if linked else seen
        try:
            sub = os.open(name, _FOLDER, dir_fd=fd)
        except OSError as exc:
            _unreadable(walker, path, exc)
        else:
            try:
                _walk(walker, path, sub, prefix + name + "/", chain, found)
            finally:
                os.close(sub)
        files, file_stats = [], []  # this folder's next files come after the subfolder's
        found.append((prefix, files, file_stats))


def _one_by_one(
    walker: _Walk, top: str, fd: int, names: list[str]
) -> tuple[list[str], list[os.stat_result]]:
    kept: list[str] = []
    stats: list[os.stat_result] = []
    for name in names:
        try:
            stats.append(os.lstat(name, dir_fd=fd))
        except FileNotFoundError:
            continue  # removed since the folder was listed
        except OSError as exc:
            walker._problem(os.path.join(top, name), f"cannot be read ({exc.strerror or exc})")
            continue
        kept.append(name)
    return kept, stats


def _unreadable(walker: _Walk, path: str, exc: OSError) -> None:
    walker._problem(
        path, f"cannot read this folder ({exc.strerror or exc}); fix its permissions or remove it"
    )


_MODE = itemgetter(0)  # st_mode: the first field of a stat result (a tuple)
