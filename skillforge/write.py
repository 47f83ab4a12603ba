"""Publish outputs: atomic writes only when bytes change, hand-edit protection, removals."""

from __future__ import annotations

import os
import stat as st
from dataclasses import dataclass

from skillforge.config import Config
from skillforge.fingerprint import digest_bytes
from skillforge.manifest import Manifest
from skillforge.marker import read_marker, read_marker_of


@dataclass
class Decision:
    """What to do with one output: 'unchanged', 'write', or 'conflict' (with why)."""

    action: str
    why: str = ""


class OutputError(Exception):
    """An output cannot be written (unsafe path, disk full, permission denied)."""


class Writer:
    """Writes and removes outputs under the output root of a project."""

    def __init__(self, config: Config, previous: Manifest | None, force: bool) -> None:
        self.root = str(config.root)
        self.out = str(config.out)
        self.previous = previous
        self.force = force
        self.out_root = os.path.realpath(config.out)
        self._safe_folders: set[str] = set()

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def decide(self, rel: str, data: bytes) -> Decision:
        """Compare a rendered output with the disk and with what skillforge last wrote."""
        path = self._path(rel)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return Decision("write", "output missing")
        except OSError as exc:
            return Decision("conflict", f"cannot be read ({exc.strerror})")
        if st.S_ISLNK(info.st_mode):
            return Decision("conflict", "is a symbolic link; skillforge writes only regular files")
        if info.st_size == len(data):
            try:
                with open(path, "rb") as f:
                    existing = f.read()
            except OSError as exc:
                return Decision("conflict", f"cannot be read ({exc.strerror})")
            if existing == data:
                return Decision("unchanged")
        else:
            existing = None
        record = self.previous.outputs.get(rel) if self.previous else None
        if record is None:
            # no manifest entry (a fresh clone): the file's marker says whose it is
            marker = read_marker(existing) if existing is not None else read_marker_of(path)
            if marker is not None and marker[1]:
                return Decision("write")
            why = (
                "exists and was not written by skillforge"
                if marker is None
                else "was edited by hand (it no longer matches its marker's digest)"
            )
        elif not self._matches(path, existing, record.digest):
            why = "was edited by hand since skillforge wrote it"
        else:
            return Decision("write")
        if self.force:
            return Decision("write", "output edited")
        return Decision("conflict", f"{why}; rerun with --force to overwrite it, or edit the spec")

    @staticmethod
    def _matches(path: str, existing: bytes | None, digest: str) -> bool:
        if existing is None:
            try:
                with open(path, "rb") as f:
                    existing = f.read()
            except OSError:
                return False
        return digest_bytes(existing) == digest

    def write(self, rel: str, data: bytes) -> os.stat_result:
        """Write `data` atomically (temp file in the same folder, then rename)."""
        path = self._path(rel)
        folder = os.path.dirname(path)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.skillforge-{os.getpid()}.tmp")
        try:
            if folder not in self._safe_folders:
                os.makedirs(folder, exist_ok=True)
                self._check_inside(folder, rel)
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
                raise
            return os.stat(path)
        except OSError as exc:
            raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None

    def _check_inside(self, folder: str, rel: str) -> None:
        """Refuse a folder that resolves outside the output root (through a symlink).

        A folder is safe when its parent is safe and it is not itself a symlink; the output
        root's own real path is the base case. Results are kept, so each folder costs one
        `lstat` per build instead of a `realpath` per file.
        """
        if folder in self._safe_folders:
            return
        parent = os.path.dirname(folder)
        if folder == self.out or parent == folder:
            real = os.path.realpath(folder)
        elif not folder.startswith(self.out + os.sep):
            raise OutputError(f"{rel}: outside the output folder")
        else:
            self._check_inside(parent, rel)
            if not os.path.islink(folder):
                self._safe_folders.add(folder)
                return
            real = os.path.realpath(folder)
        if real != self.out_root and not real.startswith(self.out_root + os.sep):
            raise OutputError(f"{rel}: resolves outside the output folder (through a symlink?)")
        self._safe_folders.add(folder)

    def remove(self, rel: str) -> str:
        """Remove an output skillforge wrote; return 'removed', 'gone' or 'kept' (edited)."""
        path = self._path(rel)
        record = self.previous.outputs.get(rel) if self.previous else None
        if not os.path.lexists(path):
            return "gone"
        if record is None or os.path.islink(path) or not self._matches(path, None, record.digest):
            return "kept"
        os.unlink(path)
        self._prune(os.path.dirname(path))
        return "removed"

    def _prune(self, folder: str) -> None:
        while folder != self.out and folder.startswith(self.out + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = os.path.dirname(folder)
