"""The Codex plugin format (DESIGN §4.1): `.codex-plugin/plugin.json` and the repository's
`.agents/plugins/marketplace.json`.

Written from SchemaStore `codex-plugin-manifest.json` (required name, version as strict
semver, description, author and interface; a closed key set; https URLs; unique keywords;
relative paths inside the plugin root) and the marketplace shape Codex reads (name,
interface.displayName, and per plugin a local source, a policy and a category).

Standard library only.
"""

from __future__ import annotations

import re
from typing import Any

from skillforge.targets.plugin_formats import ManifestProblem, dump, inside_root, metadata
from skillforge.targets.plugins import Plugin, PluginSet

CODEX_MANIFEST = ".codex-plugin/plugin.json"  # at the plugin root
CODEX_MARKETPLACE = ".agents/plugins/marketplace.json"  # at the project root

# SchemaStore codex-plugin-manifest.json: the keys skillforge writes, in the schema's order
CODEX_PLUGIN_KEYS = (
    "name",
    "version",
    "description",
    "skills",
    "interface",
    "author",
    "homepage",
    "repository",
    "license",
    "keywords",
)
# its `interface`: config key -> manifest key, in the schema's order; the first seven required
CODEX_INTERFACE = {
    "display_name": "displayName",
    "short_description": "shortDescription",
    "long_description": "longDescription",
    "developer_name": "developerName",
    "category": "category",
    "capabilities": "capabilities",
    "website_url": "websiteURL",
    "default_prompt": "defaultPrompt",
    "brand_color": "brandColor",
}
_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}\Z")
_STRICT_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z"
)


def codex_interface(plugin: Plugin) -> dict[str, Any]:
    """A Codex plugin's `interface`: `[plugins.<name>.codex]`, the rest from the metadata."""
    table = f"plugins.{plugin.name}"
    given = dict(plugin.codex)
    given.setdefault("display_name", " ".join(w.capitalize() for w in plugin.name.split("-")))
    given.setdefault("short_description", plugin.description)
    given.setdefault("long_description", plugin.description)
    given.setdefault("developer_name", plugin.author.name if plugin.author else "")
    for key, source in (("short_description", "description"), ("developer_name", "author")):
        if not given.get(key):
            raise ManifestProblem(
                table, source, f"is required by Codex's plugin interface ({CODEX_INTERFACE[key]})"
            )
    for key in ("category", "capabilities", "default_prompt"):
        if not given.get(key):
            raise ManifestProblem(
                f"{table}.codex",
                key,
                f"is required by Codex's .codex-plugin/plugin.json (interface."
                f"{CODEX_INTERFACE[key]}); set it in [{table}.codex]",
            )
    prompt = given["default_prompt"]
    if isinstance(prompt, list) and not 1 <= len(prompt) <= 3:
        raise ManifestProblem(f"{table}.codex", "default_prompt", "holds 1 to 3 prompts")
    if "brand_color" in given and not _HEX_COLOR.match(given["brand_color"]):
        raise ManifestProblem(f"{table}.codex", "brand_color", "must be a color like #1a2b3c")
    if "website_url" in given and not given["website_url"].startswith("https://"):
        raise ManifestProblem(f"{table}.codex", "website_url", "must be an https:// URL")
    return {CODEX_INTERFACE[k]: given[k] for k in CODEX_INTERFACE if k in given}


def codex_manifest(plugin: Plugin) -> bytes:
    """`.codex-plugin/plugin.json`: name, version, description, author and interface are
    required, the key set is closed, URLs are https, keywords unique."""
    table = f"plugins.{plugin.name}"
    for key, value in (
        ("version", plugin.version),
        ("description", plugin.description),
        ("author", plugin.author),
    ):
        if not value:
            raise ManifestProblem(
                table, key, "is required by Codex's .codex-plugin/plugin.json; set it"
            )
    if not _STRICT_SEMVER.match(plugin.version):
        raise ManifestProblem(table, "version", "must be a strict semantic version for Codex")
    for key, url in (
        ("homepage", plugin.homepage),
        ("repository", plugin.repository),
        ("author", plugin.author.url if plugin.author else ""),
    ):
        if url and not url.startswith("https://"):
            raise ManifestProblem(table, key, f"'{url}': Codex accepts https:// URLs only")
    if len(set(plugin.keywords)) != len(plugin.keywords):
        raise ManifestProblem(table, "keywords", "holds a keyword twice (Codex: unique)")
    data = metadata(plugin, CODEX_PLUGIN_KEYS)
    if plugin.members.get("skill"):
        skills = "./skills/"
        assert inside_root(skills)  # paths must stay inside the plugin root
        data["skills"] = skills
    data["interface"] = codex_interface(plugin)
    return dump({k: data[k] for k in CODEX_PLUGIN_KEYS if k in data})


def codex_marketplace(plugins: PluginSet) -> bytes:
    """`.agents/plugins/marketplace.json`: name, interface.displayName, and per plugin its
    name, a local source, the default policy and its category."""
    market = plugins.marketplace
    entries = [
        {
            "name": p.name,
            "source": {"source": "local", "path": market.source(p)},
            "policy": {"installation": "AVAILABLE", "authentication": "ON_INSTALL"},
            "category": codex_interface(p)["category"],
        }
        for p in plugins.plugins
    ]
    display = market.display_name or market.name
    return dump({"name": market.name, "interface": {"displayName": display}, "plugins": entries})
