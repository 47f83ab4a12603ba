"""Publish outputs: atomic writes only when bytes change, hand-edit protection, removals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from skillforge.config import Config
from skillforge.fingerprint import digest_bytes
from skillforge.manifest import Manifest


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
        self.config = config
        self.previous = previous
        self.force = force
        self.out_root = os.path.realpath(config.out)

    def decide(self, rel: str, data: bytes) -> Decision:
        """Compare a rendered output with the disk and with what skillforge last wrote."""
        path = self.config.root / rel
        if path.is_symlink():
            return Decision("conflict", "is a symbolic link; skillforge writes only regular files")
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            return Decision("write", "output missing")
        except OSError as exc:
            return Decision("conflict", f"cannot be read ({exc.strerror})")
        if existing == data:
            return Decision("unchanged")
        record = self.previous.outputs.get(rel) if self.previous else None
        if record is None:
            why = "exists and was not written by skillforge"
        elif digest_bytes(existing) != record.digest:
            why = "was edited by hand since skillforge wrote it"
        else:
            return Decision("write")
        if self.force:
            return Decision("write", "output edited")
        return Decision("conflict", f"{why}; rerun with --force to overwrite it, or edit the spec")

    def write(self, rel: str, data: bytes) -> os.stat_result:
        """Write `data` atomically (temp file in the same folder, then rename)."""
        path = self.config.root / rel
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._check_inside(folder, rel)
            tmp = folder / f".{path.name}.skillforge-{os.getpid()}.tmp"
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink()
            return path.stat()
        except OSError as exc:
            raise OutputError(f"{rel}: cannot write ({exc.strerror or exc})") from None

    def _check_inside(self, folder: Path, rel: str) -> None:
        real = os.path.realpath(folder)
        if real != self.out_root and not real.startswith(self.out_root + os.sep):
            raise OutputError(f"{rel}: resolves outside the output folder (through a symlink?)")

    def remove(self, rel: str) -> str:
        """Remove an output skillforge wrote; return 'removed', 'gone' or 'kept' (edited)."""
        path = self.config.root / rel
        record = self.previous.outputs.get(rel) if self.previous else None
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            return "gone"
        except OSError:
            return "kept"
        if record is None or digest_bytes(existing) != record.digest:
            return "kept"
        path.unlink()
        self._prune(path.parent)
        return "removed"

    def _prune(self, folder: Path) -> None:
        out = Path(self.config.out)
        while folder != out and out in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent
