"""The plugin formats of Claude Code and Agent Plugins (DESIGN §4.1): each manifest's path,
keys, order and rules (Codex's are in plugin_codex.py).

Every manifest is rendered from the config's `PluginSet` (plugins.py) as deterministic JSON:
keys in the order the format's schema lists them, two-space indent, non-ASCII kept, LF line
endings, one final newline. Each is checked against its format's published rules before it
is written; a problem names the config table whose value breaks the rule. The rules were
written from these sources (read 2026-12):

- Claude Code: SchemaStore `claude-code-plugin-manifest.json` (required `name`; `author` needs
  `name`) and `claude-code-marketplace.json` (required `name`, `owner` with `name`, `plugins`;
  each entry `name` and `source`, a relative source starts with `./`); code.claude.com
  "Marketplace reference" for the reserved marketplace names and the name rules (no spaces,
  no path separators or `..`, not `inline` or `builtin`).
- Agent Plugins 1.0.0 (`spec/1.0.0.md`): `plugin.json` with a closed key set, the exact
  `$schema`, `name` of 1-64 lowercase letters, digits, `-` and `.`, alphanumeric at both ends,
  no `--` or `..`; paths must resolve inside the plugin root.

Standard library only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from skillforge.targets.plugins import Marketplace, Plugin, PluginSet

CLAUDE_MANIFEST = ".claude-plugin/plugin.json"  # at the plugin root
CLAUDE_MARKETPLACE = ".claude-plugin/marketplace.json"  # at the project root
AGENT_PLUGINS_MANIFEST = "plugin.json"  # at the plugin root
AGENT_PLUGINS_SCHEMA = "https://agent-plugins.org/schemas/1.0.0/plugin.schema.json"

# SchemaStore claude-code-plugin-manifest.json, in its order (the metadata skillforge writes)
CLAUDE_PLUGIN_KEYS = (
    "name",
    "version",
    "description",
    "author",
    "homepage",
    "repository",
    "license",
    "keywords",
)
# SchemaStore claude-code-marketplace.json: a plugin entry, in its order
CLAUDE_ENTRY_KEYS = (*CLAUDE_PLUGIN_KEYS, "source", "strict")
# Agent Plugins 1.0.0: the closed set of top-level keys, in the spec's order (its metadata
# keys are Claude Code's, in the same order)
AGENT_PLUGINS_KEYS = ("$schema", *CLAUDE_PLUGIN_KEYS, "extensions")
_AGENT_PLUGIN_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?\Z")
# code.claude.com Marketplace reference, "Reserved names": official, community and directory
# names, reserved unless the marketplace comes from github.com/anthropics/
RESERVED_MARKETPLACES = frozenset(
    {
        "claude-code-marketplace",
        "claude-code-plugins",
        "claude-plugins-official",
        "anthropic-marketplace",
        "anthropic-plugins",
        "agent-skills",
        "anthropic-agent-skills",
        "life-sciences",
        "knowledge-work-plugins",
        "claude-for-legal",
        "claude-for-financial-services",
        "financial-services-plugins",
        "first-party-plugins",
        "claude-tag-plugins",
        "claude-community",
        "claude-plugins-community",
        "healthcare",
        "anthropic-plugin-directory",
        "claude-plugin-directory",
        "inline",  # --plugin-dir session plugins
        "builtin",
    }
)


def impersonates(name: str) -> bool:
    """A name that passes for an official marketplace ("official-claude-plugins"): refused."""
    words = set(name.lower().replace("_", "-").split("-"))
    return "anthropic" in words or ("official" in words and "claude" in words)


class ManifestProblem(Exception):
    """A manifest a client would refuse: the config table and key to blame, and why."""

    def __init__(self, table: str, key: str | None, message: str) -> None:
        super().__init__(message)
        self.table = table
        self.key = key
        self.message = message


def dump(data: dict[str, Any]) -> bytes:
    """Deterministic JSON: the keys in the order given, two-space indent, LF, final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def metadata(plugin: Plugin, keys: tuple[str, ...]) -> dict[str, Any]:
    """The shared metadata of a plugin, in the order `keys` lists them; empty values left out."""
    values: dict[str, Any] = {
        "name": plugin.name,
        "version": plugin.version,
        "description": plugin.description,
        "author": plugin.author.as_json() if plugin.author else None,
        "homepage": plugin.homepage,
        "repository": plugin.repository,
        "license": plugin.license,
        "keywords": list(plugin.keywords),
    }
    return {k: values[k] for k in keys if values.get(k)}


# -- Claude Code ------------------------------------------------------------------------------


def claude_manifest(plugin: Plugin) -> bytes:
    """`.claude-plugin/plugin.json`: the metadata; skills/, agents/, commands/ are found beside
    it at their default places, so the manifest names no component paths."""
    data = metadata(plugin, CLAUDE_PLUGIN_KEYS)
    _check_claude_name(plugin.name, f"plugins.{plugin.name}")
    return dump(data)


def claude_marketplace(plugins: PluginSet) -> bytes:
    """`.claude-plugin/marketplace.json` at the project root: every plugin, with a relative
    `source` and `strict: false` (the entry is the plugin's definition, as in Anthropic's own
    skills repository; the plugin's own plugin.json holds the same metadata)."""
    market = plugins.marketplace
    check_marketplace(market)
    entries = []
    for plugin in plugins.plugins:
        entry = metadata(plugin, CLAUDE_PLUGIN_KEYS)
        entry["source"] = market.source(plugin)
        entry["strict"] = False
        entries.append(entry)
    data: dict[str, Any] = {"name": market.name}
    if market.description:
        data["description"] = market.description
    assert market.owner is not None  # check_marketplace refused a missing owner
    data["owner"] = market.owner.as_json()
    data["plugins"] = entries
    return dump(data)


def _check_claude_name(name: str, table: str) -> None:
    if not name or " " in name or "/" in name or "\\" in name or ".." in name or ":" in name:
        raise ManifestProblem(table, None, f"'{name}' cannot name a Claude Code plugin")


def check_marketplace(market: Marketplace) -> None:
    """The rules of a Claude Code marketplace's name and owner (Marketplace reference)."""
    name = market.name
    if not name:
        raise ManifestProblem("marketplace", "name", "must not be empty")
    if " " in name:
        raise ManifestProblem(
            "marketplace", "name", f"'{name}' contains spaces; use kebab-case like 'acme-tools'"
        )
    if "/" in name or "\\" in name or ".." in name or name == ".":
        raise ManifestProblem(
            "marketplace", "name", f"'{name}' must not hold path separators or '..'"
        )
    lowered = name.lower()
    if lowered in RESERVED_MARKETPLACES or impersonates(lowered):
        raise ManifestProblem(
            "marketplace",
            "name",
            f"'{name}' is reserved by Claude Code (official marketplace names, and names that "
            "pass for one); Claude Code refuses the marketplace: choose a name of your own",
        )
    if market.owner is None:
        raise ManifestProblem(
            "marketplace",
            "owner",
            'is required by .claude-plugin/marketplace.json: set owner = "<name>" (or a table '
            "{name, email, url}) in [marketplace], or give the plugins one common author",
        )


# -- Agent Plugins 1.0.0 ----------------------------------------------------------------------


def agent_plugins_manifest(plugin: Plugin) -> bytes:
    """`plugin.json` at the plugin root, with the exact `$schema` of Agent Plugins 1.0.0."""
    table = f"plugins.{plugin.name}"
    name = plugin.name
    if not _AGENT_PLUGIN_NAME.match(name) or "--" in name or ".." in name:
        raise ManifestProblem(
            table,
            None,
            f"'{name}' is not an Agent Plugins name (1-64 lowercase letters, digits, '-' and "
            "'.', alphanumeric at both ends, no '--' or '..')",
        )
    data: dict[str, Any] = {"$schema": AGENT_PLUGINS_SCHEMA}
    data.update(metadata(plugin, AGENT_PLUGINS_KEYS[1:]))
    unknown = set(data) - set(AGENT_PLUGINS_KEYS)
    if unknown:  # the closed key set: a manifest with another key is reported by clients
        raise ManifestProblem(table, None, f"keys outside Agent Plugins 1.0.0: {sorted(unknown)}")
    return dump({k: data[k] for k in AGENT_PLUGINS_KEYS if k in data})


def inside_root(path: str) -> bool:
    """Whether a manifest's relative path stays inside the plugin root (no '..', not absolute)."""
    if not path or path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path):
        return False
    return ".." not in path.replace("\\", "/").split("/")


def json_claim(existing: bytes, fresh: bytes) -> bool:
    """Whether a JSON manifest on disk is the one skillforge writes here, though older.

    JSON has no comments, so a manifest carries no marker: without the cache's record (a
    fresh clone) a file at a manifest's path is taken as skillforge's when it is a JSON object
    with the same `name` as the fresh render -- the config claims the plugin of that name.
    """
    try:
        old, new = json.loads(existing), json.loads(fresh)
    except ValueError:
        return False
    return isinstance(old, dict) and isinstance(new, dict) and old.get("name") == new.get("name")
