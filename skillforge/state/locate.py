"""Find a project's config file by walking up from a folder (standard library only).

Shared by the no-op fast path and `config.load_config`.
"""

from __future__ import annotations

import os

CONFIG_NAME = ".skillforge.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_CACHE = ".skillforge"


def find_config_file(start: str) -> str | None:
    """Walk up from `start` to the first `.skillforge.toml` or pyproject with [tool.skillforge]."""
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
        pyproject = os.path.join(folder, PYPROJECT)
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as f:
                    if b"tool.skillforge" in f.read():
                        return pyproject
            except OSError:
                pass
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def user_cache_folder() -> str:
    """The user's own skillforge folder, outside every project: the cache key and the
    compiled regular expressions live there (`$XDG_CACHE_HOME/skillforge`, else
    `~/.cache/skillforge`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "skillforge")
