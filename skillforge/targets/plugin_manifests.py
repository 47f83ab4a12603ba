"""Every plugin format by target, and the plugins of a config read and checked (DESIGN §4.1).

`load_plugins` is the config loader's hook; `manifests` renders every manifest a build
writes; `is_manifest`, `claimed` and `plugin_roots` tell the writer about those files.

Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillforge.errors import ConfigError
from skillforge.state.plan import PLUGINS
from skillforge.targets.plugin_codex import (
    CODEX_MANIFEST,
    CODEX_MARKETPLACE,
    codex_manifest,
    codex_marketplace,
)
from skillforge.targets.plugin_config import PluginProblems, read_plugins
from skillforge.targets.plugin_formats import (
    AGENT_PLUGINS_MANIFEST,
    CLAUDE_MANIFEST,
    CLAUDE_MARKETPLACE,
    ManifestProblem,
    agent_plugins_manifest,
    claude_manifest,
    claude_marketplace,
    json_claim,
)
from skillforge.targets.plugins import MARKETPLACE_FILES, PluginSet

# the plugin formats of each target (DESIGN §4.1): a target not listed writes no plugin files
FORMATS = {"claude": "claude", "agents": "agents", "codex": "codex"}


def load_plugins(
    data: dict[str, Any],
    root: Path,
    path: Path | None,
    prefix: str,
    outs: list[Path],
    targets: tuple[str, ...] = ("claude",),
) -> PluginSet | None:
    """Read and check `[plugins.*]` and `[marketplace]`, and every manifest they make.

    `outs`: the configured out folders. Raise ConfigError listing every problem with its
    config line; None: no plugins.
    """
    if "plugins" not in data and "marketplace" not in data:
        return None
    out_folders = [os.path.relpath(o, root).replace(os.sep, "/") for o in outs]
    file = path.name if path is not None else ".skillforge.toml"
    problems = PluginProblems(file, prefix)
    from skillforge.targets import get_target

    for name in targets:  # the conventional folders of the configured targets too
        target = get_target(name)
        if name != "claude":
            out_folders = [*out_folders, target.out]
    found = read_plugins(data, root.name, problems, out_folders)
    if found is not None and not problems.items:
        for kind in formats(targets):
            try:
                for plugin in found.plugins:
                    MANIFESTS[kind](plugin)
                if kind in MARKETPLACES and found.plugins:
                    MARKETPLACES[kind][1](found)
            except ManifestProblem as exc:
                problems.add(exc.table, exc.key, exc.message)
    if problems.items:
        try:
            text = path.read_text(encoding="utf-8") if path is not None else None
        except (OSError, UnicodeDecodeError):
            text = None
        raise ConfigError("\n".join(problems.messages(text)))
    return found


def formats(targets: tuple[str, ...]) -> list[str]:
    """The plugin formats the configured targets call for, in a stable order."""
    return sorted({FORMATS[t] for t in targets if t in FORMATS})


def manifests(plugins: PluginSet, targets: tuple[str, ...] = ("claude",)) -> dict[str, bytes]:
    """Every plugin manifest of the project: path relative to the root -> its bytes."""
    found: dict[str, bytes] = {}
    for kind in formats(targets):
        for plugin in plugins.plugins:
            found[f"{plugin.out}/{MANIFEST_PATHS[kind]}"] = MANIFESTS[kind](plugin)
        if kind in MARKETPLACES and plugins.plugins:
            path, make = MARKETPLACES[kind]
            found[plugins.marketplace.path(path)] = make(plugins)
    return dict(sorted(found.items()))


MANIFESTS = {"claude": claude_manifest, "agents": agent_plugins_manifest, "codex": codex_manifest}
MANIFEST_PATHS = {
    "claude": CLAUDE_MANIFEST,
    "agents": AGENT_PLUGINS_MANIFEST,
    "codex": CODEX_MANIFEST,
}
MARKETPLACES = {
    "claude": (CLAUDE_MARKETPLACE, claude_marketplace),
    "codex": (CODEX_MARKETPLACE, codex_marketplace),
}


def is_manifest(path: str) -> bool:
    """Whether an output path is a plugin manifest's (a JSON file with no room for a marker)."""
    files = (CLAUDE_MARKETPLACE, CODEX_MARKETPLACE)
    return (
        path in files
        or path.endswith(tuple(f"/{f}" for f in files))
        or path.endswith(tuple(f"/{p}" for p in MANIFEST_PATHS.values()))
    )


def claimed(path: str, rel: str, existing: bytes | None, data: bytes) -> bool:
    """A plugin manifest on disk (no marker: JSON) that is the config's plugin's, though stale;
    `existing`: its bytes when already read."""
    if not is_manifest(rel):
        return False
    if existing is None:
        try:
            with open(path, "rb") as f:
                existing = f.read()
        except OSError:
            return False
    return json_claim(existing, data)


def plugin_roots(
    plugins: PluginSet | None, previous: Any, safe: Callable[[object], bool]
) -> list[str]:
    """The folders plugin outputs are written to or removed from: the configured plugins' and
    marketplace's, and those the last build wrote manifests in (`previous`, its manifest:
    a dropped plugin's files go; each folder `safe`)."""
    roots = plugins.folders() if plugins is not None else []
    record = previous.specs.get(PLUGINS) if previous is not None else None
    for path in record.outputs if record is not None else ():
        folder = next((path[: -len(m) - 1] for m in _MANIFEST_FILES if path.endswith(f"/{m}")), "")
        if path.endswith(MARKETPLACE_FILES):  # a marketplace file: its own folder
            folder = path.rpartition("/")[0]
        if folder and safe(folder) and folder not in roots:
            roots.append(folder)
    return roots


# every manifest file by its path in its folder (a plugin's, or the marketplace's), longest first
_MANIFEST_FILES = sorted(
    {CLAUDE_MANIFEST, AGENT_PLUGINS_MANIFEST, CODEX_MANIFEST}, key=len, reverse=True
)
