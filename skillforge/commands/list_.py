"""`skillforge list`: every spec with its kind, targets, outputs, sizes and state; no render.

Served from what the last build kept: the manifest (each spec's outputs, whether it failed)
and the build records' cost rows (kind, name, description length, token estimates), plus a
plan against the files on disk (stats, and a hash only for a file whose stat moved) for the
state: up to date, stale (an input or an output changed since), failing (the last build
failed) or not built (no build has seen it). Writes nothing.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from skillforge.commands.options import ListOptions
    from skillforge.engine.load.config import Config
    from skillforge.state.inventory import Inventory
    from skillforge.state.manifest import Manifest

UP_TO_DATE, STALE, FAILING, NOT_BUILT = "up to date", "stale", "failing", "not built"
# `skillforge.targets.DEFAULT`, here so that `list` need not import the targets (a test
# proves the two agree)
DEFAULT_TARGETS = ("claude",)
# The kinds each target writes (`Target.kinds`), here for the same reason (a test compares)
TARGET_KINDS = {
    "claude": ("skill", "agent", "command"),
    "agents": ("skill",),
    "codex": ("skill", "agent"),
    "cursor": ("skill", "agent"),
    "copilot": ("skill", "agent", "command"),
    "opencode": ("skill", "agent", "command"),
}


def list_command(
    options: ListOptions, config_file: str | None, stream: IO[str] | None = None
) -> int:
    """Print the specs of the project (a table on a terminal, lines when piped, or JSON)."""
    from skillforge.report.console import is_terminal
    from skillforge.report.listing import render_json, render_lines
    from skillforge.report.plain import write_line

    rows = quick_rows(config_file)
    if rows is None:
        from skillforge.commands.project import project_config

        rows = gather(project_config(config_file))
    out = stream or sys.stdout
    if options.json:
        write_line(render_json(rows), out)
    elif is_terminal(stream):
        from skillforge.report.listing_terminal import print_table

        print_table(rows)
    else:
        write_line("\n".join(render_lines(rows)), out)
    return 0


def quick_rows(config_file: str | None) -> list[dict[str, Any]] | None:
    """The rows from what the last build kept, when it read exactly this config; else None."""
    start = quick_start(config_file)
    if start is None:
        return None
    inventory, manifest, cache_dir = start
    targets = (manifest.config_data or {}).get("targets")
    return _rows(inventory, manifest, cache_dir, targets, config_changed=False)


def quick_start(config_file: str | None) -> tuple[Inventory, Manifest, str] | None:
    """The scan, the manifest and the cache folder, when the last build read exactly this
    config: its folders come from the manifest, as on the no-op path (no TOML parse, no
    config object, no engine). None: the caller loads the config (and reports its errors)."""
    from skillforge.commands.noop import cache_dir_of
    from skillforge.state.digest import digest_bytes
    from skillforge.state.inventory import scan
    from skillforge.state.locate import DEFAULT_CACHE, find_config_file
    from skillforge.state.manifest import read_manifest

    path = find_config_file(os.getcwd()) if config_file is None else os.path.abspath(config_file)
    if path is None:
        return None
    root = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            text = f.read()
        cache_dir = os.path.join(root, cache_dir_of(text, path) or DEFAULT_CACHE)
        manifest = read_manifest(cache_dir)
    except (OSError, ValueError):
        return None
    if manifest is None or manifest.config_raw != digest_bytes(text) or not manifest.layout:
        return None
    owner = os.path.relpath(path, cache_dir).replace(os.sep, "/")
    if manifest.owner and manifest.owner != owner:
        return None  # another config's build (Config.owner)

    def folders(key: str) -> list[str]:
        return [os.path.join(root, p) for p in manifest.layout[key]]

    inventory = scan(root, folders("specs"), folders("traits"), folders("templates"))
    return inventory, manifest, cache_dir


def gather(config: Config) -> list[dict[str, Any]]:
    """One row per spec: what `list --json` prints under "specs"."""
    from skillforge.engine.start import scan_project
    from skillforge.state.manifest import read_manifest

    cache_dir = str(config.cache_dir)
    inventory = scan_project(config)
    try:
        manifest = read_manifest(cache_dir)
    except ValueError:
        manifest = None
    if manifest is not None and manifest.owner and manifest.owner != config.owner():
        manifest = None  # another config's build: its records say nothing about this one
    changed = manifest is not None and manifest.config != config.digest
    targets = getattr(config, "targets", None)
    return _rows(inventory, manifest, cache_dir, targets, config_changed=changed)


# Where `OutputCost.to_raw` (engine/costs.py) puts each figure in a row of the build records;
# read by position so that `list` need not import the engine (tests/test_authoring_list.py).
COST_SPEC, COST_KIND, COST_NAME, COST_META, COST_BODY, COST_DESC = 0, 1, 2, 3, 4, 7


def _rows(
    inventory: Inventory,
    manifest: Manifest | None,
    cache_dir: str,
    targets: Any,
    config_changed: bool,
) -> list[dict[str, Any]]:
    from skillforge.state.buildlog import read_cost_rows
    from skillforge.state.plan import make_plan

    plan = make_plan(inventory, manifest, config_changed=config_changed)
    costs = read_cost_rows(cache_dir) if manifest is not None else {}
    if isinstance(targets, (dict, tuple)):  # one [targets.<name>] table each, Config.targets
        targets = list(targets)
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        targets = list(DEFAULT_TARGETS)
    rows = []
    for spec in inventory.specs:
        record = manifest.specs.get(spec) if manifest is not None else None
        outputs = list(record.outputs) if record is not None else []
        documents = [
            p
            for p in outputs
            if manifest is not None and p in manifest.outputs and manifest.outputs[p].document
        ]
        cost = next((costs[p] for p in documents if p in costs), None)
        if record is None:
            state = NOT_BUILT
        elif record.failed:
            state = FAILING
        elif spec in plan.dirty:
            state = STALE
        else:
            state = UP_TO_DATE
        rows.append(
            {
                "spec": spec,
                "name": cost[COST_NAME] if cost else os.path.splitext(os.path.basename(spec))[0],
                "kind": cost[COST_KIND] if cost else None,
                "targets": [
                    t
                    for t in targets
                    if cost is None or cost[COST_KIND] in TARGET_KINDS.get(t, (cost[COST_KIND],))
                ],
                "outputs": outputs,
                "description_chars": cost[COST_DESC] if cost else None,
                "metadata_tokens": cost[COST_META] if cost else None,
                "body_tokens": cost[COST_BODY] if cost else None,
                "state": state,
                "reasons": plan.dirty.get(spec, []) if state == STALE else [],
            }
        )
    return rows


def spec_names(cwd: str | None = None) -> list[str]:
    """The names (file stems) and files of the specs of the project here, for completion.

    Never raises: a shell completing a word must not see an error.
    """
    try:
        from pathlib import Path

        from skillforge.engine.load.config import load_config
        from skillforge.engine.start import scan_project

        config = load_config(cwd=Path(cwd) if cwd else None)
        specs = scan_project(config).specs
    except Exception:
        return []
    names = [os.path.splitext(os.path.basename(s))[0] for s in specs]
    return sorted(set(names)) + specs
