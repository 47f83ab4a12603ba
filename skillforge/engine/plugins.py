"""Plugin outputs in a build and a check (DESIGN §4.1).

A member spec's files go into its plugins as it renders (`PluginSet.copies`, called by
render.py): they are that spec's outputs, built, checked and removed like the others. The
manifests (`.claude-plugin/plugin.json`, the marketplace, ...) come from the config alone, so
no spec owns them: they are the outputs of one record of the manifest, `PLUGINS`, made again
on every build that is not a no-op (a few small JSON texts) and published like a spec's
outputs, so that an unchanged one is not written, a hand-edited one is refused, and one no
plugin makes any more is removed. The no-op path finds them missing or edited through the
plan (`Plan.plugins`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fnmatch import fnmatchcase

from skillforge.engine.load.config import Config
from skillforge.errors import Problem
from skillforge.state.digest import digest_bytes, digest_value
from skillforge.state.manifest import Manifest
from skillforge.state.plain import Plain
from skillforge.state.plan import PLUGINS, Plan
from skillforge.targets.plugin_config import config_line
from skillforge.targets.plugin_manifests import manifests
from skillforge.targets.plugins import MEMBER_KINDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.engine.documents import RenderedSpec
    from skillforge.engine.workers import Batch

# a spec's (kind, name), as a rendered spec's cost says them
Names = set[tuple[str, str]]


class ManifestFile(Plain):
    """A plugin manifest, in memory (what `check.compare` reads of a rendered output)."""

    def __init__(self, path: str, data: bytes, document: bool = True) -> None:
        self.path = path
        self.data = data
        self.document = document


def manifest_outputs(config: Config) -> list[ManifestFile]:
    """The plugin manifests the config makes, in path order."""
    if config.plugins is None:
        return []
    made = manifests(config.plugins, config.configured or config.targets)  # not --target's
    return [ManifestFile(p, data) for p, data in made.items()]


def add_manifests(
    config: Config,
    plan: Plan,
    previous: Manifest | None,
    batch: Batch,
    specs: list[str],
    emit: Callable[[Problem], None],
) -> None:
    """Put the plugin manifests into the batch as the outputs of `PLUGINS`, to be published.

    `specs`: every spec of the project, whose names the members must match. The build calls it
    only when `plugins_wanted` (so that a project without plugins never imports this module).
    """
    if config.plugins is not None and previous is not None and config.configured:
        _spare_members(config, previous, batch)
    outputs = manifest_outputs(config)
    before = previous.specs.get(PLUGINS) if previous is not None else None
    if before is not None:  # counted when published (or removed) here
        plan.unchanged = [o for o in plan.unchanged if o not in before.outputs]
    if not outputs:  # no plugin any more: what the last build made goes
        if before is not None:
            plan.orphans.extend(before.outputs)
        return
    plan.dirty[PLUGINS] = plan.plugins or (["config changed"] if before else ["new plugin"])
    names = project_names(config, specs, previous, batch.results, bool(batch.failed))
    problems = membership(config, names) if names is not None else []
    if problems:
        for problem in problems:
            emit(problem)
        batch.failed[PLUGINS] = []  # reported already; the manifests wait for a fixed config
        return
    from skillforge.engine.documents import RenderedOutput, RenderedSpec

    key = digest_value([(o.path, o.data) for o in outputs])
    files = [RenderedOutput(o.path, o.data, True) for o in outputs]
    batch.results[PLUGINS] = RenderedSpec(PLUGINS, files, key, [], digest_bytes(b""), [])


def _spare_members(config: Config, previous: Manifest, batch: Batch) -> None:
    """`build --target`: the plugin files of targets this build leaves alone stay as they are.

    As for those targets' own outputs, the last build's records of them are kept, owned by
    no spec until the next whole build makes them again: dropped from the (in-memory) last
    record of each spec rendered here, they are not taken as stale and removed.
    """
    if set(config.configured) == set(config.targets) or config.plugins is None:
        return
    prefixes = tuple(f"{root}/" for root in config.plugins.roots())
    for spec_id, rendered in batch.results.items():
        record = previous.specs.get(spec_id)
        made = {o.path for o in rendered.outputs}
        if record is not None:
            record.outputs = [o for o in record.outputs if o in made or not o.startswith(prefixes)]


def project_names(
    config: Config,
    specs: list[str],
    previous: Manifest | None,
    results: dict[str, RenderedSpec],
    failed: bool,
) -> Names | None:
    """(kind, name) of every spec of the project: those rendered now, and the others as the
    cost table of their last build records them. None when one is not known (a spec failed,
    or the table lacks it): then the members are not checked by name."""
    if failed:
        return None
    names = {(r.cost.kind, r.cost.name) for r in results.values() if r.cost is not None}
    rest = [s for s in specs if s not in results]
    if not rest:
        return names
    if previous is None:
        return None
    from skillforge.engine.budgets import read_costs

    costs = read_costs(str(config.cache_dir))
    for spec in rest:
        record = previous.specs.get(spec)
        cost = costs.get(record.outputs[0]) if record is not None and record.outputs else None
        if cost is None:
            return None
        names.add((cost.kind, cost.name))
    return names


def membership(config: Config, names: Names) -> list[Problem]:
    """An unknown member or a glob that matches no spec is an error naming its config line."""
    if config.plugins is None:
        return []
    file = config.rel(config.path) if config.path else ".skillforge.toml"
    prefix = "tool.skillforge." if config.path and config.path.name == "pyproject.toml" else ""
    text: str | None = None
    found: list[Problem] = []
    for plugin in config.plugins.plugins:
        for key, kind in MEMBER_KINDS.items():
            for pattern in plugin.members.get(kind, ()):
                if any(k == kind and fnmatchcase(n, pattern) for k, n in names):
                    continue
                if text is None and config.path is not None:
                    try:
                        text = config.path.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        text = ""
                table = f"{prefix}plugins.{plugin.name}"
                glob = any(c in pattern for c in "*?[")
                what = "matches no" if glob else "names no"
                found.append(
                    Problem(
                        file,
                        config_line(text, table, key),
                        f"{table}.{key}",
                        f"'{pattern}' {what} {kind} of the project; give the name of a "
                        f"{kind} spec (its `name`) or a glob of names",
                    )
                )
    return found


def orphaned_manifests(
    config: Config, previous: Manifest | None, produced: dict[str, str]
) -> list[tuple[str, None, str]]:
    """`check`: the manifests the last build made that no plugin of the config makes now."""
    before = previous.specs.get(PLUGINS) if previous is not None else None
    return [
        (
            path,
            None,
            "skillforge wrote it for a plugin the config no longer declares; run "
            "`skillforge build` to remove it (or delete it)",
        )
        for path in (before.outputs if before is not None else ())
        if path not in produced and os.path.lexists(os.path.join(config.root, path))
    ]
