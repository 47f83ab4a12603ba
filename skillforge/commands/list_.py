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

from skillforge.commands.project import project_config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from skillforge.commands.options import ListOptions
    from skillforge.engine.load.config import Config

UP_TO_DATE, STALE, FAILING, NOT_BUILT = "up to date", "stale", "failing", "not built"


def list_command(
    options: ListOptions, config_file: str | None, stream: IO[str] | None = None
) -> int:
    """Print the specs of the project (a table on a terminal, lines when piped, or JSON)."""
    from skillforge.report.console import is_terminal
    from skillforge.report.listing import render_json, render_lines

    config = project_config(config_file)
    rows = gather(config)
    out = stream or sys.stdout
    from skillforge.report.plain import write_line

    if options.json:
        write_line(render_json(rows), out)
    elif is_terminal(stream):
        from skillforge.report.listing_terminal import print_table

        print_table(rows)
    else:
        write_line("\n".join(render_lines(rows)), out)
    return 0


def gather(config: Config) -> list[dict[str, Any]]:
    """One row per spec: what `list --json` prints under "specs"."""
    from skillforge.engine.costs import OutputCost
    from skillforge.engine.start import scan_project
    from skillforge.state.buildlog import read_cost_rows
    from skillforge.state.manifest import read_manifest
    from skillforge.state.plan import make_plan

    cache_dir = str(config.cache_dir)
    inventory = scan_project(config)
    try:
        manifest = read_manifest(cache_dir)
    except ValueError:
        manifest = None
    if manifest is not None and manifest.owner and manifest.owner != config.owner():
        manifest = None  # another config's build: its records say nothing about this one
    plan = make_plan(
        inventory,
        manifest,
        config_changed=manifest is not None and manifest.config != config.digest,
    )
    costs = read_cost_rows(cache_dir) if manifest is not None else {}
    targets = list(getattr(config, "targets", None) or _default_targets())
    rows = []
    for spec in inventory.specs:
        record = manifest.specs.get(spec) if manifest is not None else None
        outputs = list(record.outputs) if record is not None else []
        documents = [
            p
            for p in outputs
            if manifest is not None and p in manifest.outputs and manifest.outputs[p].document
        ]
        cost = next((OutputCost.from_raw(p, costs[p]) for p in documents if p in costs), None)
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
                "name": cost.name if cost else os.path.splitext(os.path.basename(spec))[0],
                "kind": cost.kind if cost else None,
                "targets": targets,
                "outputs": outputs,
                "description_chars": cost.description_chars if cost else None,
                "metadata_tokens": cost.metadata_tokens if cost else None,
                "body_tokens": cost.body_tokens if cost else None,
                "state": state,
                "reasons": plan.dirty.get(spec, []) if state == STALE else [],
            }
        )
    return rows


def _default_targets() -> tuple[str, ...]:
    from skillforge.targets import DEFAULT

    return DEFAULT


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
