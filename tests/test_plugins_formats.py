"""Plugin formats beyond Claude Code (DESIGN §4.1): Agent Plugins 1.0 for `agents`, Codex for
`codex`, and dual-manifest plugins whose skills/ serve several formats (the shared-path rule).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, build_json, run

from skillforge.targets.plugin_codex import codex_manifest
from skillforge.targets.plugin_formats import (
    AGENT_PLUGINS_SCHEMA,
    ManifestProblem,
    agent_plugins_manifest,
    check_marketplace,
)
from skillforge.targets.plugins import Marketplace, Person, Plugin

STEPS = "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}"
SKILL = """
kind: skill
name: {name}
description: Does {name} things. Use when the user asks for {name}.
when_to_use: When {name} is asked for.
argument-hint: "[file]"
sections:
  - id: steps
    title: Steps
    template: sections/steps.md.j2
    with: {{steps: [Read the input, Write the output]}}
"""
CODEX = """
[plugins.pack.codex]
category = "Productivity"
capabilities = ["Read", "Write"]
default_prompt = ["Summarise this file"]
"""


def make(root: Path, targets: str, codex: str = CODEX, extra: dict[str, str] | None = None) -> None:
    config = f"""\
targets = [{targets}]

[marketplace]
name = "acme-tools"
owner = "Acme"

[plugins.pack]
description = "Two skills"
version = "2.0.0"
author = {{ name = "Jane Doe", url = "https://example.com/jane" }}
homepage = "https://example.com/pack"
skills = ["s-*"]
{codex}"""
    files = {
        ".skillforge.toml": config,
        "templates/sections/steps.md.j2": STEPS,
        "specs/s-one.yaml": SKILL.format(name="s-one"),
        "specs/s-two.yaml": SKILL.format(name="s-two"),
    }
    files.update(extra or {})
    build_file_tree(root, files)


def read(root: Path, rel: str) -> Any:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def test_agent_plugins_manifest_and_portable_skills(tmp_path: Path) -> None:
    make(tmp_path, '"agents"', codex="")
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    manifest = read(tmp_path, "plugins/pack/plugin.json")
    assert manifest["$schema"] == AGENT_PLUGINS_SCHEMA
    assert list(manifest) == ["$schema", "name", "version", "description", "author", "homepage"]
    assert manifest["author"] == {"name": "Jane Doe", "url": "https://example.com/jane"}
    # skills/ holds the immediate children only, each the portable skill itself
    skills = sorted(p.name for p in (tmp_path / "plugins/pack/skills").iterdir())
    assert skills == ["s-one", "s-two"]
    copy = (tmp_path / "plugins/pack/skills/s-one/SKILL.md").read_bytes()
    assert copy == (tmp_path / ".agents/skills/s-one/SKILL.md").read_bytes()
    assert b"argument-hint" not in copy and b"when_to_use" not in copy
    # no Claude Code files: the claude target is not built
    assert not (tmp_path / "plugins/pack/.claude-plugin").exists()
    assert not (tmp_path / ".claude-plugin").exists()


def test_dual_manifest_plugin_shares_its_skills(tmp_path: Path) -> None:
    make(tmp_path, '"claude", "agents"', codex="")
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    root = tmp_path / "plugins/pack"
    assert (root / ".claude-plugin/plugin.json").is_file() and (root / "plugin.json").is_file()
    # one skills/ for both formats: the version every one of them accepts
    copy = (root / "skills/s-one/SKILL.md").read_bytes()
    assert copy == (tmp_path / ".agents/skills/s-one/SKILL.md").read_bytes()
    assert b"argument-hint" in (tmp_path / ".claude/skills/s-one/SKILL.md").read_bytes()
    # what the shared file lacks is reported, never silently lost
    assert "argument-hint" in report["dropped"]["plugins/pack/skills/s-one/SKILL.md"]
    assert run(tmp_path, "check").code == 0


def test_codex_manifest_and_marketplace(tmp_path: Path) -> None:
    make(tmp_path, '"codex"')
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    manifest = read(tmp_path, "plugins/pack/.codex-plugin/plugin.json")
    assert list(manifest) == [
        "name",
        "version",
        "description",
        "skills",
        "interface",
        "author",
        "homepage",
    ]
    assert manifest["skills"] == "./skills/"
    assert manifest["interface"] == {
        "displayName": "Pack",
        "shortDescription": "Two skills",
        "longDescription": "Two skills",
        "developerName": "Jane Doe",
        "category": "Productivity",
        "capabilities": ["Read", "Write"],
        "defaultPrompt": ["Summarise this file"],
    }
    market = read(tmp_path, ".agents/plugins/marketplace.json")
    assert market == {
        "name": "acme-tools",
        "interface": {"displayName": "acme-tools"},
        "plugins": [
            {
                "name": "pack",
                "source": {"source": "local", "path": "./plugins/pack"},
                "policy": {"installation": "AVAILABLE", "authentication": "ON_INSTALL"},
                "category": "Productivity",
            }
        ],
    }
    assert (tmp_path / "plugins/pack/skills/s-two/SKILL.md").is_file()
    assert run(tmp_path, "check").code == 0


def test_codex_needs_its_interface(tmp_path: Path) -> None:
    make(tmp_path, '"claude", "codex"', codex="")
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'plugins.pack.codex.category' is required by Codex" in result.err
    assert not (tmp_path / "plugins").exists()


def test_codex_refuses_http_urls_with_the_line(tmp_path: Path) -> None:
    make(tmp_path, '"codex"')
    config = (tmp_path / ".skillforge.toml").read_text()
    config = config.replace("https://example.com/pack", "http://example.com/pack")
    (tmp_path / ".skillforge.toml").write_text(config)
    result = run(tmp_path, "build")
    assert result.code == 2
    assert ".skillforge.toml:11: 'plugins.pack.homepage'" in result.err
    assert "https:// URLs only" in result.err


def test_a_portable_plugin_refuses_a_skill_built_for_claude_only(tmp_path: Path) -> None:
    opted_out = SKILL.format(name="s-two") + "targets: {agents: false}\n"
    make(tmp_path, '"claude", "agents"', codex="", extra={"specs/s-two.yaml": opted_out})
    report = build_json(tmp_path)
    assert not report["ok"]
    (error,) = [e for e in report["errors"] if e["file"] == "specs/s-two.yaml"]
    assert error["field"] == "targets" and "portable" in error["message"]
    assert error["line"] == 11
    assert not (tmp_path / "plugins/pack/skills/s-two").exists()


def test_dropping_a_format_removes_its_manifests(tmp_path: Path) -> None:
    make(tmp_path, '"claude", "codex"')
    assert build_json(tmp_path)["ok"]
    make(tmp_path, '"claude"')
    report = build_json(tmp_path)
    assert ".agents/plugins/marketplace.json" in report["removed"]
    assert "plugins/pack/.codex-plugin/plugin.json" in report["removed"]
    assert (tmp_path / "plugins/pack/.claude-plugin/plugin.json").is_file()
    assert not (tmp_path / ".agents/plugins").exists()


def plugin(**kwargs: Any) -> Plugin:
    base: dict[str, Any] = {"name": "pack", "out": "plugins/pack", "description": "d"}
    base.update(kwargs)
    return Plugin(**base)


@pytest.mark.parametrize("name", ["-pack", "pack.", "a..b", "a--b", "Pack", "x" * 65])
def test_agent_plugins_name_rules(name: str) -> None:
    with pytest.raises(ManifestProblem, match="not an Agent Plugins name"):
        agent_plugins_manifest(plugin(name=name))
    assert json.loads(agent_plugins_manifest(plugin(name="a.b-c")))["name"] == "a.b-c"


def test_codex_required_keys() -> None:
    codex = {"category": "c", "capabilities": ["x"], "default_prompt": "p"}
    for missing in ("version", "author"):
        given: dict[str, Any] = {"version": "1.0.0", "author": Person("J"), "codex": codex}
        given.pop(missing)
        with pytest.raises(ManifestProblem) as caught:
            codex_manifest(plugin(**given))
        assert caught.value.key == missing
    with pytest.raises(ManifestProblem, match="strict semantic"):
        codex_manifest(plugin(version="01.0.0", author=Person("J"), codex=codex))


@pytest.mark.parametrize(
    "name", ["anthropic-plugins", "claude-official-tools", "inline", "my/market", "two words"]
)
def test_refused_marketplace_names(name: str) -> None:
    with pytest.raises(ManifestProblem):
        check_marketplace(Marketplace(name, Person("Acme")))
    check_marketplace(Marketplace("acme-tools", Person("Acme")))


def test_build_target_keeps_the_plugin_files_of_other_targets(tmp_path: Path) -> None:
    make(tmp_path, '"claude", "codex"')
    assert build_json(tmp_path)["ok"]
    before = {
        p.relative_to(tmp_path): p.read_bytes()
        for p in (tmp_path / "plugins").rglob("*")
        if p.is_file()
    }
    report = build_json(tmp_path, "--target", "claude")
    assert report["ok"] and report["removed"] == []
    after = {
        p.relative_to(tmp_path): p.read_bytes()
        for p in (tmp_path / "plugins").rglob("*")
        if p.is_file()
    }
    assert after == before  # the skills stay the portable ones; both manifests stay
    assert build_json(tmp_path)["written"] == []
    assert run(tmp_path, "check").code == 0
