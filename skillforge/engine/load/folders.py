"""The check of a config's cache folder: a folder of its own inside the project."""

from __future__ import annotations

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
