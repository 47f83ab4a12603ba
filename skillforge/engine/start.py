"""Gather what a build starts from: a fresh scan and the last manifest, or the no-op scan."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from skillforge.engine.load.config import Config
from skillforge.state.files import move_aside
from skillforge.state.inventory import Inventory, scan
from skillforge.state.manifest import Manifest, manifest_path, read_manifest
from skillforge.state.scan import Scanned, Start


def scan_project(config: Config) -> Inventory:
    """Scan the folders `config` names."""
    return scan(
        str(config.root),
        [str(p) for p in config.specs],
        [str(p) for p in config.traits],
        [str(p) for p in config.templates],
    )


def begin(config: Config, dry_run: bool, scanned: Scanned | None = None) -> Start:
    """The start of a build: what the no-op path read when it describes this config, else a
    fresh scan and the manifest on disk."""
    if scanned is not None and _describes(scanned, config):
        return Start(scanned.inventory, scanned.manifest, scanned.scan_ns, plan=scanned.plan)
    notes: list[str] = []
    scan_ns = time.time_ns()
    inventory = scan_project(config)
    previous = read_previous(config, notes.append, dry_run)
    return Start(inventory, previous, scan_ns, notes=notes)


def _describes(scanned: Scanned, config: Config) -> bool:
    from skillforge.engine.jinja.templating import environment_digest

    return (
        scanned.root == str(config.root)
        and scanned.manifest.config == config.digest
        and scanned.manifest.layout == config.layout()
        and scanned.manifest.owner in ("", config.owner())
        and scanned.manifest.env == environment_digest()
    )


def read_previous(config: Config, warn: Callable[[str], None], dry_run: bool) -> Manifest | None:
    """Read the manifest; a corrupt one is moved aside (left in place by a dry run)."""
    cache_dir = str(config.cache_dir)
    try:
        manifest = read_manifest(cache_dir)
    except ValueError as exc:
        if dry_run:  # a dry run writes nothing under the cache folder
            warn(f"{exc}; building as if cold")
            return None
        moved = move_aside(manifest_path(cache_dir))
        warn(f"{exc}; moved to {config.rel(moved)}, building cold")
        return None
    if manifest is not None and manifest.owner and manifest.owner != config.owner():
        # another config's outputs are not this one's orphans: leave them alone
        other = config.rel(os.path.normpath(os.path.join(cache_dir, manifest.owner)))
        warn(
            f"the manifest here was written by the build of another config ({other}); "
            "building as if cold and leaving that config's outputs alone (give each config "
            "its own cache_dir)"
        )
        return None
    return manifest
