"""`skillforge clean`: remove generated outputs listed in the manifest, never other files."""

from __future__ import annotations

import shutil
from pathlib import Path

from skillforge.config import Config
from skillforge.manifest import manifest_path, read_manifest
from skillforge.write import Writer


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
        Path(manifest_path(str(config.cache_dir))).unlink(missing_ok=True)
    if cache and config.cache_dir.exists():
        shutil.rmtree(config.cache_dir)
        lines.append(f"removed the cache {config.rel(config.cache_dir)}/")
    lines.append(f"cleaned: {removed} files removed, {kept} kept")
    return lines
