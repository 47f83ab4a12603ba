"""Plugins and the marketplace of the config (DESIGN §4.1): `[plugins.<name>]`, `[marketplace]`.

Each plugin table holds the metadata every plugin format shares (description, version, author,
homepage, repository, license, keywords), its members (`skills`, `agents`, `commands`: spec
names or globs of names) and optionally `out`, its folder (`plugins/<name>` by default). The
`[marketplace]` table names the repository's marketplace (`name`, `owner`, `description`).

`read_plugins` checks the tables when the config is loaded and returns a `PluginSet`; every
problem names the config file, the line of the table or key and what to do. The formats
themselves (what each manifest holds, its own rules) are in `plugin_formats.py`.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from skillforge.errors import hint

# the member keys of a plugin table, and the kind of spec each one names
MEMBER_KINDS = {"skills": "skill", "agents": "agent", "commands": "command"}
_TEXT_KEYS = ("description", "version", "homepage", "repository", "license")
PLUGIN_KEYS = (*_TEXT_KEYS, "author", "keywords", *MEMBER_KINDS, "out", "codex")
MARKETPLACE_KEYS = ("name", "owner", "description", "display_name")
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
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z")
_URL = re.compile(r"https?://[^\s/]+\S*\Z")


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

    def member_files(
        self,
        kind: str,
        name: str,
        paths: list[str],
        built: Sequence[str],
        configured: Sequence[str],
        out_of: Callable[[str, str], str],
    ) -> list[tuple[int, str]]:
        """(index in `paths`, path in a plugin) of a member spec's outputs held by its plugins
        (`copies`); ValueError for a skill that a portable plugin format needs portable.

        `built`: the spec's targets; `configured`: the config's; `out_of(target, kind)`: a
        target's out folder, relative to the root.
        """
        claude = out_of("claude", kind) if "claude" in built else None
        portable = next((out_of(t, "skill") for t in ("agents", "codex") if t in configured), None)
        found = self.copies(kind, name, paths, claude, portable)
        if portable is not None and kind == "skill" and found and not any(p for *_, p in found):
            raise ValueError(
                f"skill {name} belongs to a plugin in a portable format (Agent Plugins or "
                "Codex), whose clients skip a skill that is not portable: build it for the "
                "agents or codex target too"
            )
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
        skill's files come from there, the version every format accepts.
        """
        best: dict[str, tuple[int, int]] = {}  # plugin-relative path -> (rank, index)
        for i, path in enumerate(paths):
            for rank, out in ((0, portable), (1, claude)):
                prefix = "" if out in ("", ".") else f"{out}/"
                if out is None or not path.startswith(prefix):
                    continue
                rel = path[len(prefix) :]
                if rank == 0 and not rel.startswith("skills/"):
                    continue
                if rel not in best or best[rel][0] > rank:
                    best[rel] = (rank, i)
        found = []
        for plugin in self.of(kind, name):
            for rel, (rank, i) in sorted(best.items()):
                found.append((i, f"{plugin.out}/{rel}", rank == 0))
        return found


class PluginProblems:
    """Collects the problems of the plugin tables; `messages` finds each one's config line."""

    def __init__(self, file: str, prefix: str) -> None:
        self.file = file
        self.prefix = prefix
        self.items: list[tuple[str, str | None, str]] = []

    def add(self, table: str, key: str | None, message: str) -> None:
        self.items.append((table, key, message))

    def messages(self, text: str | None) -> list[str]:
        """One line per problem: `file:line: 'plugins.x.key' what is wrong, what to do`."""
        found = []
        for table, key, message in self.items:
            line = config_line(text, f"{self.prefix}{table}", key)
            where = f"{self.file}:{line}" if line else self.file
            dotted = f"{self.prefix}{table}" + (f".{key}" if key else "")
            found.append(f"{where}: '{dotted}' {message}")
        return found


def read_plugins(
    data: dict[str, Any], root_name: str, problems: PluginProblems, out_folders: list[str]
) -> PluginSet | None:
    """Check `[plugins.*]` and `[marketplace]` of a parsed config; None when there are none.

    `out_folders` are the target folders (relative to the root): no plugin may live inside one.
    """
    tables = data.get("plugins", {})
    plugins: list[Plugin] = []
    if not isinstance(tables, dict):
        problems.add("plugins", None, "must be a table of [plugins.<name>] tables")
        return None
    for name, table in sorted(tables.items()):
        where = f"plugins.{name}"
        if not isinstance(table, dict):
            problems.add(where, None, "must be a table ([plugins.<name>] with its keys)")
            continue
        plugin = _plugin(name, table, where, problems)
        if plugin is not None:
            plugins.append(plugin)
    _check_folders(plugins, out_folders, problems)
    market = _marketplace(data.get("marketplace"), root_name, plugins, problems)
    if not plugins and "marketplace" not in data:
        return None
    return PluginSet(tuple(plugins), market)


def _plugin(
    name: str, table: dict[str, Any], where: str, problems: PluginProblems
) -> Plugin | None:
    before = len(problems.items)
    if not NAME.match(name) or len(name) > NAME_MAX:
        problems.add(
            where,
            None,
            "is not a valid plugin name: use lowercase letters, digits and single hyphens "
            f"(kebab-case, at most {NAME_MAX} characters), e.g. 'pdf-tools'",
        )
    for key in table:
        if key not in PLUGIN_KEYS:
            problems.add(
                where,
                key,
                f"is not a plugin key{hint(key, PLUGIN_KEYS)}; known: " + ", ".join(PLUGIN_KEYS),
            )
    texts: dict[str, str] = {}
    for key in _TEXT_KEYS:
        value = table.get(key, "")
        if not isinstance(value, str):
            problems.add(where, key, "must be a string")
            continue
        texts[key] = value.strip()
    version = texts.get("version", "")
    if version and not _SEMVER.match(version):
        problems.add(where, "version", f"'{version}' is not a semantic version like 1.2.0")
    for key in ("homepage", "repository"):
        url = texts.get(key, "")
        if url and not _URL.match(url):
            problems.add(where, key, f"'{url}' is not an http(s) URL")
    author = person(table.get("author"), where, "author", problems)
    keywords = _strings(table.get("keywords", []), where, "keywords", problems)
    members: dict[str, tuple[str, ...]] = {}
    for key, kind in MEMBER_KINDS.items():
        patterns = _strings(table.get(key, []), where, key, problems)
        if any(not p.strip() for p in patterns):
            problems.add(where, key, "holds an empty name; give spec names or globs like 'pdf-*'")
        members[kind] = tuple(p.strip() for p in patterns)
    if not any(members.values()) and len(problems.items) == before:
        problems.add(
            where, None, "has no members; list spec names or globs in skills, agents or commands"
        )
    codex = _codex(table.get("codex", {}), where, problems)
    out = table.get("out", f"{DEFAULT_FOLDER}/{name}")
    if not isinstance(out, str) or not _inside(out):
        problems.add(where, "out", "must be a folder inside the project (a relative path)")
        out = f"{DEFAULT_FOLDER}/{name}"
    if len(problems.items) != before:
        return None
    return Plugin(
        name=name,
        out=str(PurePosixPath(out)),
        description=texts.get("description", ""),
        version=version,
        author=author,
        homepage=texts.get("homepage", ""),
        repository=texts.get("repository", ""),
        license=texts.get("license", ""),
        keywords=tuple(keywords),
        members=members,
        codex=codex,
    )


def _check_folders(plugins: list[Plugin], out_folders: list[str], problems: PluginProblems) -> None:
    """Plugin folders must not overlap one another or a target's folder."""
    seen: dict[str, str] = {}
    for plugin in plugins:
        where = f"plugins.{plugin.name}"
        for other, folder in seen.items():
            if _overlap(plugin.out, folder):
                problems.add(where, "out", f"'{plugin.out}' overlaps the folder of plugin {other}")
        for folder in out_folders:
            if _overlap(plugin.out, folder):
                problems.add(where, "out", f"'{plugin.out}' overlaps the output folder '{folder}'")
        if plugin.out == ".claude-plugin" or plugin.out.startswith(".claude-plugin/"):
            problems.add(where, "out", "must not be .claude-plugin (the marketplace's folder)")
        seen[plugin.name] = plugin.out


def _marketplace(
    table: Any, root_name: str, plugins: list[Plugin], problems: PluginProblems
) -> Marketplace:
    if table is None:
        table = {}
    if not isinstance(table, dict):
        problems.add("marketplace", None, "must be a table (name, owner, description)")
        table = {}
    for key in table:
        if key not in MARKETPLACE_KEYS:
            problems.add(
                "marketplace",
                key,
                f"is not a marketplace key{hint(key, MARKETPLACE_KEYS)}; "
                "known: " + ", ".join(MARKETPLACE_KEYS),
            )
    name = table.get("name")
    if name is None:
        name = re.sub(r"[^a-z0-9]+", "-", root_name.lower()).strip("-") or "plugins"
    elif not isinstance(name, str):
        problems.add("marketplace", "name", "must be a string")
        name = ""
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.add("marketplace", "description", "must be a string")
        description = ""
    owner = person(table.get("owner"), "marketplace", "owner", problems)
    if owner is None:  # the author of the plugins, when they share one
        authors = {p.author for p in plugins if p.author is not None}
        owner = authors.pop() if len(authors) == 1 else None
    display = table.get("display_name", "")
    if not isinstance(display, str):
        problems.add("marketplace", "display_name", "must be a string")
        display = ""
    return Marketplace(name, owner, description.strip(), display.strip())


def _codex(table: Any, where: str, problems: PluginProblems) -> dict[str, Any]:
    """`[plugins.<name>.codex]`: the keys of a Codex plugin's interface, by type."""
    if not isinstance(table, dict):
        problems.add(where, "codex", "must be a table ([plugins.<name>.codex])")
        return {}
    found: dict[str, Any] = {}
    for key, value in table.items():
        wanted = CODEX_KEYS.get(key)
        if wanted is None:
            problems.add(
                f"{where}.codex",
                key,
                f"is not a Codex interface key{hint(key, list(CODEX_KEYS))}"
                "; known: " + ", ".join(CODEX_KEYS),
            )
        elif not isinstance(value, wanted) or (
            isinstance(value, list) and not all(isinstance(v, str) and v.strip() for v in value)
        ):
            what = "a list of strings" if wanted is list else "a string (or a list of strings)"
            problems.add(
                f"{where}.codex", key, f"must be {what if wanted is not str else 'a string'}"
            )
        else:
            found[key] = value
    return found


def person(value: Any, where: str, key: str, problems: PluginProblems) -> Person | None:
    """An author or owner: a name, or a table of name (required), email and url."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        problems.add(where, key, "must be a name or a table {name, email, url}")
        return None
    for sub in value:
        if sub not in PERSON_KEYS:
            problems.add(where, f"{key}.{sub}", f"is not a key of {key} (name, email, url)")
    texts = {k: value.get(k, "") for k in PERSON_KEYS}
    if not all(isinstance(v, str) for v in texts.values()):
        problems.add(where, key, "must hold strings (name, email, url)")
        return None
    if not texts["name"].strip():
        problems.add(where, key, "needs a name")
        return None
    url = texts["url"].strip()
    if url and not _URL.match(url):
        problems.add(where, f"{key}.url", f"'{url}' is not an http(s) URL")
    return Person(texts["name"].strip(), texts["email"].strip(), url)


def _strings(value: Any, where: str, key: str, problems: PluginProblems) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, key, "must be a list of strings")
        return []
    return list(value)


def _inside(path: str) -> bool:
    """A relative folder that stays inside the project: no '..', no root, no '.'."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return bool(parts) and ".." not in parts


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return b in (".", "") or a == b or a.startswith(b + "/") or b.startswith(a + "/")


def config_line(text: str | None, table: str, key: str | None = None) -> int | None:
    """The 1-based line of `[table]` (or of `key = ...` inside it) in a TOML text.

    TOML parsers keep no positions; a table header and a key at the start of a line are
    what people write, and a quoted name (`[plugins."x"]`) is matched as well.
    """
    if text is None:
        return None
    wanted = [p.strip('"') for p in table.split(".")]
    found: int | None = None
    current: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("["):
            inner = line.strip("[]").split("#")[0].strip().rstrip("]").strip()
            current = [p.strip().strip("\"'") for p in inner.split(".")]
            if current == wanted and found is None:
                found = number
                if key is None:
                    return number
            continue
        if key is not None and current == wanted:
            head = key.split(".")[0]
            name = line.split("=", 1)[0].strip().strip("\"'")
            if "=" in line and name == head:
                return number
    return found
