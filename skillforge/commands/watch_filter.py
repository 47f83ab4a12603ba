"""What `skillforge watch` watches: the folders, and the filter that admits only the saves
of files skillforge reads (commands/watch.py runs it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from skillforge.state.inventory import SPEC_SUFFIXES
from skillforge.state.locate import CONFIG_NAME, PYPROJECT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.engine.load.config import Config
    from skillforge.engine.warm import WarmState

_READ = ("s:", "f:")  # the deps naming files a spec reads (supporting files, outside bases)


class Targets(NamedTuple):
    """The folders to watch: recursively, and the project root alone."""

    deep: tuple[str, ...]
    root: str


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class SaveFilter:
    """Admit only changes to files skillforge reads (and folders that held or hold some)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = str(config.root)
        self.specs = [str(p) for p in config.specs]
        self.traits = [str(p) for p in config.traits]
        self.templates = [str(p) for p in config.templates]
        self.ignored = [*(str(out) for out in config.outs()), str(config.cache_dir)]
        self.config_names = {str(config.path)} if config.path else set()
        if config.path is None:  # a config file created later turns the defaults into it
            self.config_names = {os.path.join(self.root, n) for n in (CONFIG_NAME, PYPROJECT)}
        folders = self.specs + self.traits + self.templates
        self.folders = {str(p) for f in folders for p in (Path(f), *Path(f).parents)}
        self.known_dirs: frozenset[str] = frozenset()
        self.supporting: frozenset[str] = frozenset()
        self._read: dict[int, tuple[object, tuple[str, ...]]] = {}  # deps -> files read
        self._dirs: tuple[list[str], set[str]] = ([], set())  # specs -> their folders

    def update(self, session: WarmState) -> None:
        """Learn which folders hold specs and which supporting files (and bases) are read."""
        specs = session.inventory.specs
        if specs != self._dirs[0]:  # the same specs (most rebuilds): the same folders
            self._dirs = (list(specs), {os.path.dirname(session.inventory.path(s)) for s in specs})
        dirs = self._dirs[1]
        files: set[str] = set()
        if session.manifest is not None:
            read: dict[int, tuple[object, tuple[str, ...]]] = {}
            for record in session.manifest.specs.values():  # a kept record: worked out once
                known = self._read.get(id(record.deps))
                if known is None or known[0] is not record.deps:  # supporting files, bases
                    known = (record.deps, tuple(d[2:] for d in record.deps if d[:2] in _READ))
                files.update((read.setdefault(id(record.deps), known))[1])
            self._read = read
            files.difference_update(session.inventory.specs)
        self.known_dirs = frozenset(dirs)  # replaced whole: watcher threads read them
        self.supporting = frozenset(os.path.join(self.root, f) for f in files)

    def is_config(self, path: str) -> bool:
        return path in self.config_names

    def __call__(self, change: Any, path: str) -> bool:
        if path in self.config_names or path in self.supporting:
            return True
        if any(_inside(path, folder) for folder in self.ignored):
            return False
        if os.path.dirname(path) == self.root and path in self.folders:
            return True  # a configured folder appeared or vanished
        name = os.path.basename(path)
        if name.startswith(".") or name == "__pycache__":
            return False  # editor temp files, like the scan skips them
        for folder in self.specs:
            if _inside(path, folder):
                if name.endswith(SPEC_SUFFIXES) or path in self.known_dirs:
                    return True
                return os.path.isdir(path)
        for folder in self.traits:
            if _inside(path, folder):
                return name.endswith(SPEC_SUFFIXES) or os.path.isdir(path)
        return any(_inside(path, folder) for folder in self.templates)

    def targets(self) -> Targets:
        """Existing folders to watch recursively (none inside another), and the root.

        Folders of supporting files outside the configured ones are added unless they hold
        the output or cache folder; supporting files in the root are seen by the root watch.
        """
        extra = {os.path.dirname(p) for p in self.supporting} - {self.root}
        extra = {f for f in extra if not any(_inside(i, f) for i in self.ignored)}
        wanted = sorted({*self.specs, *self.traits, *self.templates, *extra})
        existing = [f for f in wanted if os.path.isdir(f)]
        deep = [f for f in existing if not any(f != g and _inside(f, g) for g in existing)]
        return Targets(tuple(deep), self.root)
