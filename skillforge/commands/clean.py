"""`skillforge clean`: remove generated outputs listed in the manifest, never other files."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from skillforge.commands.project import hold_project, project_config
from skillforge.engine.interrupts import terminate_as_interrupt
from skillforge.engine.load.config import Config
from skillforge.engine.publish.writer import Writer
from skillforge.report.plain import PlainReporter
from skillforge.state.manifest import manifest_path, read_manifest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.commands.options import CleanOptions

# What skillforge creates in its cache folder, by name: `clean --cache` removes these and
# nothing else, then the folder itself only when that leaves it empty.
_CACHE_FILE = re.compile(
    r"(manifest\.bin(\.corrupt-[\w-]+|\.\d+\.tmp)?|lock(\.corrupt-[\w-]+)?"
    r"|dropped\.json(\.skillforge-\d+\.tmp)?)\Z"  # dropped.json: engine/documents.py
)
_CACHE_TREES: dict[re.Pattern[str], re.Pattern[str]] = {
    # the diskcache folder (and folders it was moved aside to): its database and value files
    re.compile(r"cache(\.corrupt-[\w-]+)?\Z"): re.compile(
        r"(cache\.db(-wal|-shm|-journal)?|[0-9a-f]{2}|[0-9a-f]{28,32}\.val)\Z"
    ),
    re.compile(r"stats\Z"): re.compile(
        r"(records\.bin|outputs\.bin|noops\.log(\.\d+\.fold)?|listing\.failed)(\.\d+\.tmp)?\Z"
    ),
    re.compile(r"tokens\Z"): re.compile(r"(cl100k_base\.ranks|pieces\.bin)(\.\d+\.tmp)?\Z"),
}


def clean_command(options: CleanOptions, config_file: str | None) -> int:
    """Run `skillforge clean` under the project lock; print what was removed and kept."""
    project = project_config(config_file)
    notes: list[str] = []
    with terminate_as_interrupt(), hold_project(project, options.lock_timeout, "clean", notes):
        lines = clean_project(project, cache=options.cache)
    reporter = PlainReporter()
    for line in [f"warning: {note}" for note in notes] + lines:
        reporter.say(line)
    return 0


def clean_project(config: Config, cache: bool = False) -> list[str]:
    """Remove outputs skillforge wrote (edited ones are kept); return report lines."""
    lines: list[str] = []
    try:
        manifest = read_manifest(str(config.cache_dir))
    except ValueError as exc:
        manifest = None
        lines.append(f"warning: {exc}; no outputs removed")
    removed = kept = 0
    if manifest is not None:
        writer = Writer(config, manifest, force=False)
        for rel in sorted(manifest.outputs):
            outcome = writer.remove(rel)
            if outcome == "removed":
                removed += 1
            elif outcome == "kept":
                kept += 1
                lines.append(f"kept {rel}: edited by hand since skillforge wrote it")
            elif outcome == "unsafe":
                lines.append(
                    f"warning: {rel}: not inside the output folder (a symlink, or a damaged "
                    "manifest); left in place"
                )
        Path(manifest_path(str(config.cache_dir))).unlink(missing_ok=True)
    if cache and os.path.isdir(config.cache_dir) and not os.path.islink(config.cache_dir):
        left = _clean_cache(str(config.cache_dir))
        where = config.rel(config.cache_dir)
        if left:
            lines.append(
                f"removed the cache from {where}/ (kept {left} files skillforge did not create)"
            )
        else:
            lines.append(f"removed the cache {where}/")
    lines.append(f"cleaned: {removed} files removed, {kept} kept")
    return lines


def _clean_cache(folder: str) -> int:
    """Remove what skillforge created in its cache folder; return how many entries are left."""
    left = 0
    for entry in _entries(folder):
        if _CACHE_FILE.match(entry.name) and not entry.is_dir(follow_symlinks=False):
            os.unlink(entry.path)
            continue
        known = next((inner for top, inner in _CACHE_TREES.items() if top.match(entry.name)), None)
        if known is not None and entry.is_dir(follow_symlinks=False):
            left += _clean_tree(entry.path, known)
        else:
            left += 1
    if not left:
        _rmdir(folder)
    return left


def _clean_tree(folder: str, known: re.Pattern[str]) -> int:
    """Remove the entries of `folder` whose names match `known` (recursively); count the rest."""
    left = 0
    for entry in _entries(folder):
        if not known.match(entry.name):
            left += 1
        elif entry.is_dir(follow_symlinks=False):
            left += _clean_tree(entry.path, known)
        else:
            os.unlink(entry.path)
    if not left:
        _rmdir(folder)
    return left


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _rmdir(folder: str) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(folder)
