"""Write and remove outputs: decide, stage to a temp file, rename (atomically, only when the
bytes change).

`Writer` keeps every write and removal inside the output folders and refuses to overwrite a
file edited by hand; `phase.py` runs it over a build's rendered specs.
"""

from __future__ import annotations

import os
import re
import stat as st
from collections.abc import Callable

from skillforge.engine.load.config import Config
from skillforge.state.digest import digest_bytes, digest_file
from skillforge.state.files import safe_rel, unlink_quietly, write_temp
from skillforge.state.manifest import Manifest
from skillforge.state.marker import read_marker, read_marker_of
from skillforge.state.plain import Plain
from skillforge.state.plan import plugins_wanted


class Decision(Plain):
    """What to do with one output: 'unchanged', 'write', or 'conflict' (with why).

    `seen`: what `lstat` said of the file when it was decided (None: there was no file), so
    that a decision taken while other specs render can be checked again before it is carried
    out (`Writer.still`).
    """

    def __init__(self, action: str, why: str = "", seen: tuple[int, ...] | None = None) -> None:
        self.action = action
        self.why = why
        self.seen = seen


def _seen(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


# The temp files of atomic writes: `.<name>.skillforge-<pid>.tmp` next to the output.
TEMP_MARK = ".skillforge-"
_TEMP = re.compile(r"\..+\.skillforge-\d+\.tmp\Z", re.DOTALL)


class Staged(Plain):
    """An output written to its temp file, waiting to be renamed onto `path`. `stat` is the
    temp file's, as the output's will be (a rename keeps it); `fresh`: in a folder this build
    created, so no folder can be in its place."""

    def __init__(
        self, rel: str, path: str, tmp: str, stat: os.stat_result, fresh: bool = False
    ) -> None:
        self.rel = rel
        self.path = path
        self.tmp = tmp
        self.stat = stat
        self.fresh = fresh


MISSING = Decision("write", "output missing")


class OutputError(Exception):
    """An output cannot be written (unsafe path, disk full, permission denied)."""


def _plugin_roots(config: Config, previous: Manifest | None) -> tuple[str, ...]:
    """The plugin folders (DESIGN §4.1); the plugin modules load only if there are plugins."""
    if not plugins_wanted(config.plugins, previous):
        return ()
    from skillforge.targets.plugin_manifests import plugin_roots

    return tuple(plugin_roots(config.plugins, previous, safe_rel))


class Writer:
    """Writes and removes outputs under the output root of a project."""

    def __init__(self, config: Config, previous: Manifest | None, force: bool) -> None:
        self.root = str(config.root)
        # `path(rel)` is `_prefix + rel`: os.path.join's result for a relative `rel`
        self._prefix = self.root if self.root.endswith("/") else self.root + "/"
        # every target's out folder (DESIGN §4): outputs are written and removed only there
        outs = config.outs()
        self.outs = tuple(str(out) for out in outs)
        self.previous = previous
        self.force = force
        self.out_rels = tuple(config.rel(out) for out in outs)
        self.plugin_rels = _plugin_roots(config, previous)  # §4.1
        self.roots = (*self.out_rels, *self.plugin_rels)
        self._inside = tuple(r + "/" for r in self.roots)  # (rel + "/") starts with one
        self.spared = config.spared()
        self._safe_folders: set[str] = set()
        # an output's folder (its rel up to the last "/") -> its path, once `_folder` has
        # checked it; used while that path is in `_safe_folders`
        self._checked: dict[str, str] = {}
        self._made: set[str] = set()  # the folders this build created (and has not removed)
        self._staged: set[str] = set()  # the outputs this build staged (published or not)
        self._unswept: list[str] = []  # output folders to sweep once the outputs are out

    def path(self, rel: str) -> str:
        """The path of output `rel` (not checked here: `stage` and `remove` check it)."""
        return self._prefix + rel

    def decide(self, rel: str, data: bytes) -> Decision:
        """Compare a rendered output with the disk and with what skillforge last wrote."""
        path = self.path(rel)
        if self._surely_missing(path):
            return MISSING
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return MISSING
        except OSError as exc:
            return Decision("conflict", f"cannot be read ({exc.strerror})")
        seen = _seen(info)
        if st.S_ISLNK(info.st_mode):
            return Decision("conflict", "is a symbolic link; skillforge writes only regular files")
        if st.S_ISDIR(info.st_mode):
            return Decision("conflict", "is a folder; skillforge writes a file there (remove it)")
        if info.st_size == len(data):
            try:
                with open(path, "rb") as f:
                    existing = f.read()
            except OSError as exc:
                return Decision("conflict", f"cannot be read ({exc.strerror})")
            if existing == data:
                return Decision("unchanged", "", seen)
        else:
            existing = None
        record = self.previous.output_record(rel) if self.previous else None
        if record is None:
            # no manifest entry (a fresh clone): the file's marker says whose it is
            marker = read_marker(existing) if existing is not None else read_marker_of(path)
            if marker is not None and marker[1]:
                return Decision("write", "", seen)
            from skillforge.targets.plugin_manifests import claimed

            if marker is None and claimed(path, rel, existing, data):
                return Decision("write", "output stale", seen)
            why = (
                "exists and was not written by skillforge"
                if marker is None
                else "was edited by hand (it no longer matches its marker's digest)"
            )
        elif not self._matches(path, existing, record.digest):
            # a build killed between its outputs and its manifest leaves a recorded digest
            # older than the file: an intact marker still says the file is skillforge's
            marker = read_marker(existing) if existing is not None else read_marker_of(path)
            if marker is not None and marker[1]:
                return Decision("write", "", seen)
            why = "was edited by hand since skillforge wrote it"
        else:
            return Decision("write", "", seen)
        if self.force:
            return Decision("write", "output edited", seen)
        return Decision("conflict", f"{why}; rerun with --force to overwrite it, or edit the spec")

    def _surely_missing(self, path: str) -> bool:
        """True when the folder of `path`, or the folder above it, was made by this build: no
        file can be there but one this build wrote, and each output is written once."""
        if not self._made or path in self._staged:
            return False
        folder = path.rpartition("/")[0]  # (os.path.dirname of a path with no "//" in it)
        return folder in self._made or folder.rpartition("/")[0] in self._made

    def still(self, path: str, decision: Decision) -> bool:
        """Is the file at `path` still as it was when `decision` was taken?"""
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return decision.seen is None
        except OSError:
            return False
        return decision.seen == _seen(info)

    @staticmethod
    def _matches(path: str, existing: bytes | None, digest: str) -> bool:
        """Whether the file (its bytes `existing` when already read) has `digest`; False
        when it cannot be read."""
        found = digest_file(path) if existing is None else digest_bytes(existing)
        return found == digest

    def stage(self, rel: str, data: bytes, missing: bool = False) -> Staged:
        """Write `data` to a temp file next to `rel` (folders checked, then created).

        `missing`: `decide` found no file at `rel`, so its folder is likely missing too.
        """
        folder = self._folder(rel, create=True, missing=missing)
        name = rel.rpartition("/")[2]
        path = f"{folder}/{name}"
        tmp = f"{folder}/.{name}{TEMP_MARK}{os.getpid()}.tmp"
        try:
            stat = write_temp(tmp, data)
        except OSError as exc:
            raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None
        self._staged.add(path)
        return Staged(rel, path, tmp, stat, folder in self._made and path not in self._made)

    def publish(self, staged: list[Staged], checked: bool = False) -> list[os.stat_result]:
        """Rename staged temp files onto their outputs; on failure remove the temps left.

        `checked`: the caller saw that no folder is in an output's place (`still`)."""
        stats: list[os.stat_result] = []
        try:
            for item in () if checked else staged:  # all first: a failure renames nothing
                if not item.fresh and os.path.isdir(item.path) and not os.path.islink(item.path):
                    raise OutputError(
                        f"{item.rel}: cannot write (a folder is in its place; remove it)"
                    )
            for item in staged:
                try:
                    os.replace(item.tmp, item.path)
                    stats.append(item.stat)
                except OSError as exc:
                    raise OutputError(f"{item.rel}: cannot write ({exc.strerror or exc})") from None
        except BaseException:
            self.discard(staged)
            raise
        return stats

    @staticmethod
    def discard(staged: list[Staged]) -> None:
        """Remove the temp files of outputs that will not be published."""
        for item in staged:
            unlink_quietly(item.tmp)

    def unstage(self, staged: list[Staged]) -> None:
        """Remove the temp files of outputs staged ahead and not published, and the folders
        made for them that are left empty: the disk is as if they were never staged."""
        self.discard(staged)
        for item in staged:  # (still in `_staged`: a file found there since is not missing)
            self._remove_empty(os.path.dirname(item.tmp), self._made.__contains__)

    def _folder(self, rel: str, *, create: bool, missing: bool = False) -> str:
        """Return the folder of output `rel` once it is known to be inside the output root.

        Each folder from the project root down is checked (a real folder, not a symlink)
        before the next one is created in it, so nothing is ever created outside. Results
        are kept: each folder costs one `lstat` per build. For a `missing` output, a folder
        is first made (`mkdir` fails on anything there, symlinks too): one call, not two.
        """
        head, _, name = rel.rpartition("/")
        known = self._checked.get(head)
        if known is not None and known in self._safe_folders and safe_rel(name):
            return known  # (the long way below would find each folder in `_safe_folders`)
        up, _, last = head.rpartition("/")
        above = self._checked.get(up)
        if above is not None and above in self._safe_folders and safe_rel(f"{last}/{name}"):
            # a new folder in a checked one (a skill's folder): only it is left to check
            folder = self._step(rel, f"{above}/{last}", create, missing)
        else:
            if not safe_rel(rel) or not (rel + "/").startswith(self._inside):
                raise OutputError(f"{rel}: outside the output folder")
            folder = self.root
            for part in rel.split("/")[:-1]:
                folder = self._step(rel, os.path.join(folder, part), create, missing)
            if up and (up + "/").startswith(self._inside):
                self._checked[up] = folder.rpartition("/")[0]
        if (head + "/").startswith(self._inside):  # (a folder inside an output root)
            self._checked[head] = folder
        return folder

    def _step(self, rel: str, folder: str, create: bool, missing: bool) -> str:
        """Check (or make) `folder`, whose parent is checked: a step of `_folder`."""
        if folder in self._safe_folders:
            return folder
        if missing and create and _made(folder):
            self._safe_folders.add(folder)
            self._made.add(folder)
            return folder
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            if not create:
                raise
            try:
                os.mkdir(folder)
            except OSError as exc:
                raise OutputError(
                    f"{rel}: cannot create the folder {self._rel(folder)} ({exc.strerror or exc})"
                ) from None
            self._safe_folders.add(folder)
            self._made.add(folder)
            return folder
        except OSError as exc:
            raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None
        if st.S_ISLNK(info.st_mode):
            raise OutputError(f"{rel}: resolves outside the output folder (through a symlink?)")
        if not st.S_ISDIR(info.st_mode):
            raise OutputError(f"{rel}: cannot write ({self._rel(folder)} is a file, not a folder)")
        self._safe_folders.add(folder)
        if create and any(folder.startswith(out + os.sep) for out in self.outs):
            self._unswept.append(folder)  # after the renames: not before the output
        return folder

    def sweep(self) -> None:
        """Remove the temp files a killed build left in the output folders written to (each
        folder once a build).

        Only a folder an output of this build was staged in: a temp file is only ever made
        next to its output, so the folders on the way (a skills folder of 10,000 skill
        folders) hold none, and listing them is most of an edit's sweep."""
        folders, self._unswept = self._unswept, []
        holders = {path.rpartition("/")[0] for path in self._staged}
        for folder in folders:
            if folder in holders:
                _sweep(folder)

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def remove(self, rel: str) -> str:
        """Remove an output skillforge wrote.

        Return 'removed', 'gone', 'kept' (edited, or not a regular file) or 'unsafe' (the path
        is not inside the output folder, or a folder on the way is a symlink).
        """
        try:
            folder = self._folder(rel, create=False)
        except FileNotFoundError:
            return "gone"
        except OutputError:
            return "unsafe"
        path = os.path.join(folder, os.path.basename(rel))
        record = self.previous.output_record(rel) if self.previous else None
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return "gone"
        except OSError:
            return "kept"
        if record is None or not st.S_ISREG(info.st_mode):
            return "kept"
        if not self._matches(path, None, record.digest):
            return "kept"
        os.unlink(path)
        self._prune(folder)
        return "removed"

    def _prune(self, folder: str) -> None:
        out = next((o for o in self.outs if folder.startswith(o + os.sep)), None)
        if out is None:  # in a plugin's folder: the plugin's folder goes too when empty
            rel = self._rel(folder) + "/"
            plugin = next((r for r in self.plugin_rels if rel.startswith(r + "/")), None)
            out = os.path.dirname(self.path(plugin)) if plugin is not None else None
        if out is not None:
            top = out
            self._remove_empty(folder, lambda f: f != top and f.startswith(top + os.sep))

    def _remove_empty(self, folder: str, within: Callable[[str], bool]) -> None:
        """Remove `folder`, then the folders above it, while `within` holds and each is empty."""
        while within(folder):
            try:
                os.rmdir(folder)
            except OSError:
                return
            self._safe_folders.discard(folder)
            self._made.discard(folder)
            folder = os.path.dirname(folder)


def _made(folder: str) -> bool:
    """Make `folder`; False when it cannot be (it is there, or an error the long way names)."""
    try:
        os.mkdir(folder)
    except OSError:
        return False
    return True


def _sweep(folder: str) -> None:
    """Remove temp files a killed build left in an output folder (only skillforge's pattern).

    Builds hold the project lock, so no other writer's temp file can be in flight here.
    """
    mine = f"{TEMP_MARK}{os.getpid()}.tmp"
    try:
        names = os.listdir(folder)
    except OSError:
        return
    # a skill's folder is one of 10,000 in the skills folder: the names that can be temp
    # files first, in C (`filter`), then the pattern
    for name in filter(_TEMP.match, [n for n in names if TEMP_MARK in n]):
        if not name.endswith(mine):
            unlink_quietly(os.path.join(folder, name))
