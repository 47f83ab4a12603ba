"""Plugins and the marketplace of the config (DESIGN §4.1): `[plugins.<name>]`, `[marketplace]`.

Each plugin table holds the metadata every plugin format shares (description, version, author,
homepage, repository, license, keywords), its members (`skills`, `agents`, `commands`: spec
names or globs of names) and optionally `out`, its folder (`plugins/<name>` by default). The
`[marketplace]` table names the repository's marketplace (`name`, `owner`, `description`).

This module is the model; `plugin_config.py` reads and checks the tables into it when the
config is loaded, and the formats (what each manifest holds, its own rules) are in
`plugin_formats.py` and `plugin_codex.py`, registered by target in `plugin_manifests.py`.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

from skillforge.errors import SpecError

# the member keys of a plugin table, and the kind of spec each one names
MEMBER_KINDS = {"skills": "skill", "agents": "agent", "commands": "command"}
PLUGIN_KEYS = (
    "description",
    "version",
    "homepage",
    "repository",
    "license",
    "author",
    "keywords",
    *MEMBER_KINDS,
    "out",
    "codex",
)
MARKETPLACE_KEYS = ("name", "owner", "description", "display_name", "out")
# where each format's marketplace file lives in the marketplace's folder (the project root
# unless [marketplace] out moves it), read by plugin_manifests.py and the writer
MARKETPLACE_FILES = (".claude-plugin/marketplace.json", ".agents/plugins/marketplace.json")
# [plugins.<name>.codex]: the `interface` of a Codex plugin (snake_case here, camelCase there)
CODEX_KEYS: dict[str, type | tuple[type, ...]] = {
    "display_name": str,
    "short_description": str,
    "long_description": str,
    "developer_name": str,
    "category": str,
    "capabilities": list,
    "default_prompt": (str, list),
    "brand_color": str,
    "website_url": str,
}
PERSON_KEYS = ("name", "email", "url")
DEFAULT_FOLDER = "plugins"
# A plugin's name is its folder, its namespace in Claude Code (`/<plugin>:<skill>`) and its
# id in every format: lowercase letters and digits in words joined by single hyphens, which
# each format's own name rule accepts (see plugin_formats.py). At most 64 characters.
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
NAME_MAX = 64


class Layout(Protocol):
    """What a plugin needs of the config (engine's `Config`): targets and their folders."""

    @property
    def targets(self) -> tuple[str, ...]: ...
    @property
    def configured(self) -> tuple[str, ...]: ...
    def rel(self, path: Any) -> str: ...
    def out_of(self, target: str, kind: str = ...) -> Any: ...


@dataclass(frozen=True)
class Person:
    """An author or an owner: `name` (required), `email`, `url`."""

    name: str
    email: str = ""
    url: str = ""

    def as_json(self) -> dict[str, str]:
        data = {"name": self.name, "email": self.email, "url": self.url}
        return {k: v for k, v in data.items() if v}


@dataclass(frozen=True)
class Plugin:
    """One `[plugins.<name>]` table, checked."""

    name: str
    out: str  # its folder, relative to the project root
    description: str = ""
    version: str = ""
    author: Person | None = None
    homepage: str = ""
    repository: str = ""
    license: str = ""
    keywords: tuple[str, ...] = ()
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> patterns
    codex: dict[str, Any] = field(default_factory=dict)  # [plugins.<name>.codex], checked

    def has_member(self, kind: str, name: str) -> bool:
        """Whether the spec of `kind` called `name` belongs to this plugin."""
        return any(fnmatchcase(name, p) for p in self.members.get(kind, ()))


@dataclass(frozen=True)
class Marketplace:
    """The `[marketplace]` table (or what it defaults to)."""

    name: str
    owner: Person | None
    description: str = ""
    display_name: str = ""
    out: str = ""  # its folder (the marketplace root), relative to the project root; "": the root

    def path(self, file: str) -> str:
        """A file of the marketplace, relative to the project root."""
        return f"{self.out}/{file}" if self.out else file

    def source(self, plugin: Plugin) -> str:
        """A plugin's folder relative to the marketplace root: `./plugins/x`."""
        return "./" + (plugin.out[len(self.out) + 1 :] if self.out else plugin.out)


@dataclass(frozen=True)
class PluginSet:
    """Every plugin of the config, by name, and the marketplace that lists them."""

    plugins: tuple[Plugin, ...]
    marketplace: Marketplace

    def of(self, kind: str, name: str) -> list[Plugin]:
        """The plugins a spec of `kind` called `name` belongs to."""
        return [p for p in self.plugins if p.has_member(kind, name)]

    def roots(self) -> list[str]:
        """The plugin folders, relative to the project root."""
        return [p.out for p in self.plugins]

    def folders(self) -> list[str]:
        """Every folder plugin outputs go to: the plugins' and the marketplace files'."""
        files = [self.marketplace.path(f).rpartition("/")[0] for f in MARKETPLACE_FILES]
        return [*self.roots(), *files]

    def member_files(
        self,
        spec: Any,
        outputs: Sequence[Any],
        config: Layout,
        notes: tuple[dict[str, list[str]], ...] = (),
    ) -> list[tuple[int, str]]:
        """(index in `outputs`, path in a plugin) of a member spec's outputs held by its
        plugins (`copies`); SpecError for a skill a portable plugin format needs portable.

        `spec` has a `kind`, a `name` and `origin(field)`; `outputs` have a `path`; `config`
        says the configured targets and their out folders. `notes` (what was dropped or
        approximated, by output path) get an entry for each copy: what its source lacks, it
        lacks too.
        """
        # the formats follow the config's targets, also when `build --target` narrows a build
        kind, name, targets = spec.kind, spec.name, config.configured or config.targets
        narrowed = set(targets) != set(config.targets)
        paths = [o.path for o in outputs]

        def out_of(target: str, kind: str) -> str:
            return config.rel(config.out_of(target, kind))

        claude = out_of("claude", kind) if "claude" in targets else None
        portable = next((out_of(t, "skill") for t in ("agents", "codex") if t in targets), None)
        found = self.copies(kind, name, paths, claude, portable)
        if portable and kind == "skill" and not narrowed and self.of(kind, name) and not found:
            file, line = spec.origin("targets")
            raise SpecError.one(
                file,
                line,
                "targets",
                f"skill {name} belongs to a plugin in a portable format (Agent Plugins or "
                "Codex), whose clients skip a skill that is not portable: build it for the "
                "agents or codex target too",
            )
        for table in notes:
            for i, dest, _ in found:
                if paths[i] in table:
                    table[dest] = list(table[paths[i]])
        return [(i, dest) for i, dest, _ in found]

    def copies(
        self, kind: str, name: str, paths: list[str], claude: str | None, portable: str | None
    ) -> list[tuple[int, str, bool]]:
        """(index in `paths`, path in a plugin, whether portable) of each output of a member
        spec that its plugins hold too.

        A plugin's root has the Claude Code layout (skills/, agents/, commands/), taken from
        the outputs under `claude`, the out folder of the `claude` target (None: not built).
        Its skills/ serve every plugin format at once (DESIGN §4 "Shared paths"): when the
        portable skills are built (`portable`: the out folder of `agents` or `codex`), a
        skill's files come from there only, the version every format accepts.
        """
        chosen: list[tuple[int, str, bool]] = []
        for i, path in enumerate(paths):
            for out, is_portable in ((portable, True), (claude, False)):
                prefix = "" if out in ("", ".") else f"{out}/"
                if out is None or not path.startswith(prefix):
                    continue
                rel = path[len(prefix) :]
                # skills/ from the portable skills alone when they are built, the rest from
                # Claude Code's layout
                if rel.startswith("skills/") == is_portable or (not is_portable and not portable):
                    chosen.append((i, rel, is_portable))
                    break
        return [
            (i, f"{plugin.out}/{rel}", is_portable)
            for plugin in self.of(kind, name)
            for i, rel, is_portable in chosen
        ]
