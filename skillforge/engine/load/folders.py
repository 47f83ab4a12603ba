"""The folders of a config: resolved under the project root; the cache folder checked (a
folder of its own inside the project)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from skillforge.errors import ConfigError


def check_cache_dir(
    root: Path, cache_dir: Path, folders: dict[str, tuple[Path, ...]], what: str
) -> None:
    """Refuse a cache folder that is the root, outside it, or overlaps an input or output folder.

    `clean --cache` empties the cache folder, and every build writes there: it must be a
    folder of its own inside the project.
    """
    if cache_dir == root:
        raise ConfigError(f"{what} is the project root; name a folder of its own, like .skillforge")
    if not cache_dir.is_relative_to(root):
        raise ConfigError(
            f"{what} is outside the project; name a folder inside it, like .skillforge"
        )
    for key, paths in folders.items():
        for folder in paths:
            if (
                cache_dir == folder
                or cache_dir.is_relative_to(folder)
                or folder.is_relative_to(cache_dir)
            ):
                where = (
                    folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder
                )
                raise ConfigError(
                    f"{what} overlaps the {key} folder {where}; name a folder of its own, "
                    "like .skillforge"
                )


def resolved_under(root: Path, rel: str) -> Path:
    """`(root / rel).resolve()` for a resolved `root`: for a name of one part (`.agents`),
    one `lstat` of it instead of one of each folder from `/` down; anything else (a path of
    several parts, `..`, a symlink, Windows and its junctions) the long way."""
    if os.name == "posix" and rel and "/" not in rel and rel not in (".", ".."):
        path = root / rel
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return path  # (what resolve() makes of a missing name: the name itself)
        if not stat.S_ISLNK(mode):
            return path
    return (root / rel).resolve()
