"""What every command does with the project first: load its config, read PATHS, take its lock."""

from __future__ import annotations

import os
import sys

from skillforge.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import Any

    from skillforge.engine.load.config import Config


def project_config(
    config_file: str | Path | None, remembered: tuple[str, dict[str, Any]] | None = None
) -> Config:
    """Load the config; its folders must exist (without one, the working folder holds `specs/`)."""
    from pathlib import Path

    from skillforge.engine.load.config import check_folders, load_config

    explicit = Path(config_file) if config_file is not None else None
    config = load_config(explicit, remembered=remembered)
    if config.path is None and not any(folder.is_dir() for folder in config.specs):
        raise UsageError(
            "no .skillforge.toml (or [tool.skillforge] in pyproject.toml) here or above, and no "
            "specs/ folder: run `skillforge init` to create a project"
        )
    if config.path is not None:
        check_folders(config)
    return config


def relative_paths(config: Config, paths: list[str] | None) -> list[str] | None:
    """Turn PATHS given on the command line into paths relative to the project root."""
    if not paths:
        return None
    found = []
    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.exists(path):
            raise UsageError(f"{raw}: no such file or folder")
        rel = config.rel(path)
        if rel == ".." or rel.startswith("../"):
            raise UsageError(f"{raw}: outside the project")
        if not any(_overlaps(path, str(folder)) for folder in config.specs):
            folders = ", ".join(config.rel(folder) + "/" for folder in config.specs)
            raise UsageError(
                f"{raw}: not in a spec folder ({folders}); give spec files or the folders "
                "holding them"
            )
        found.append(rel)
    return found


def _overlaps(path: str, folder: str) -> bool:
    """Is `path` inside `folder`, or `folder` inside `path` (`build .`)?"""
    return (
        path == folder
        or path.startswith(folder.rstrip(os.sep) + os.sep)
        or folder.startswith(path.rstrip(os.sep) + os.sep)
    )


def hold_project(
    config: Config, timeout: float, command: str, notes: list[str], quiet: bool = False
) -> AbstractContextManager[None]:
    """The project lock for a command that writes; says on stderr when it has to wait."""
    from skillforge.state.lock import project_lock

    return project_lock(
        config.cache_dir,
        timeout,
        f"skillforge {command}",
        warn=notes.append,
        waiting=waiting(timeout, quiet),
        shown=config.rel(config.cache_dir),
    )


def waiting(timeout: float, quiet: bool = False) -> Callable[[str], None] | None:
    """What to say on stderr while another process holds the project (nothing when quiet)."""
    if quiet:
        return None

    def say(holder: str) -> None:
        print(f"waiting for {holder} to finish (up to {timeout:g}s)", file=sys.stderr)

    return say
