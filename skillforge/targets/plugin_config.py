"""Read and check the plugin tables of a config (DESIGN §4.1): `[plugins.<name>]`,
`[plugins.<name>.codex]` and `[marketplace]`, into the model of plugins.py.

Every problem names the config file, the line of its table or key (`config_line`) and what
to do; all are collected, then reported at once.

Standard library only.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from skillforge.errors import hint
from skillforge.targets.plugins import (
    CODEX_KEYS,
    DEFAULT_FOLDER,
    MARKETPLACE_KEYS,
    MEMBER_KINDS,
    NAME,
    NAME_MAX,
    PERSON_KEYS,
    PLUGIN_KEYS,
    Marketplace,
    Person,
    Plugin,
    PluginSet,
)

_TEXT_KEYS = ("description", "version", "homepage", "repository", "license")
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z")
_URL = re.compile(r"https?://[^\s/]+\S*\Z")


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
    out = table.get("out", ".")
    if not isinstance(out, str) or (out not in ("", ".") and not _inside(out)):
        problems.add("marketplace", "out", "must be a folder inside the project (a relative path)")
        out = "."
    out = "" if out in ("", ".") else str(PurePosixPath(out))
    for plugin in plugins:  # sources are relative to the marketplace root, inside it
        if out and not plugin.out.startswith(out + "/"):
            problems.add(
                f"plugins.{plugin.name}",
                "out",
                f"'{plugin.out}' is outside the marketplace folder '{out}'; a marketplace "
                f'lists plugins inside its own folder (set out = "{out}/plugins/{plugin.name}")',
            )
    return Marketplace(name, owner, description.strip(), display.strip(), out)


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
