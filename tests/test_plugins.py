"""Plugins and marketplaces (DESIGN §4.1): the Claude Code format end to end.

Config tables in, files on disk out: the manifests' exact JSON, members by name and glob,
refused names with their config line, incremental builds, `check` on a fresh clone, `clean`,
and the removal of a dropped plugin's outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import SKILL, build_file_tree, build_json, project, run

STEPS = {
    "templates/sections/steps.md.j2": "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}"
}
CONFIG = """\
[vars]
org = "Acme"

[marketplace]
name = "acme-tools"
owner = { name = "Acme", email = "tools@example.com" }

[plugins.skill-pack]
description = "Every skill of the project"
version = "1.2.0"
author = "Jane Doe"
license = "MIT"
keywords = ["demo", "skills"]
skills = ["skill-*"]
agents = ["agent-0"]
"""
PLUGIN = "plugins/skill-pack"
MANIFEST = f"{PLUGIN}/.claude-plugin/plugin.json"
MARKETPLACE = ".claude-plugin/marketplace.json"


def plugin_project(root: Path, config: str = CONFIG, **kwargs: Any) -> Path:
    extra = {**STEPS, **kwargs.pop("extra", {})}
    project(root, extra=extra, **kwargs)
    (root / ".skillforge.toml").write_text(config, encoding="utf-8")
    return root


def check_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run(root, "check", "--format", "json", *args)
    report: dict[str, Any] = json.loads(result.out)
    return result.code, report


def test_claude_code_plugin_and_marketplace(tmp_path: Path) -> None:
    plugin_project(tmp_path, extra={"specs/other.yaml": SKILL.format(name="other")})
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    # the manifest: the metadata in the schema's key order, LF, two-space indent, final newline
    raw = (tmp_path / MANIFEST).read_bytes()
    assert raw == (
        b'{\n  "name": "skill-pack",\n  "version": "1.2.0",\n'
        b'  "description": "Every skill of the project",\n  "author": {\n    "name": "Jane Doe"\n'
        b'  },\n  "license": "MIT",\n  "keywords": [\n    "demo",\n    "skills"\n  ]\n}\n'
    )
    market = json.loads((tmp_path / MARKETPLACE).read_text())
    assert list(market) == ["name", "owner", "plugins"]
    assert market["name"] == "acme-tools"
    assert market["owner"] == {"name": "Acme", "email": "tools@example.com"}
    (entry,) = market["plugins"]
    assert entry["source"] == "./plugins/skill-pack" and entry["strict"] is False
    assert list(entry)[:3] == ["name", "version", "description"]
    # members by glob and by name, beside the manifest, byte for byte the target's files
    for rel in ("skills/skill-0/SKILL.md", "skills/skill-1/SKILL.md", "agents/agent-0.md"):
        copy = tmp_path / PLUGIN / rel
        assert copy.read_bytes() == (tmp_path / ".claude" / rel).read_bytes()
    assert not (tmp_path / PLUGIN / "skills/other").exists()  # skill-* does not match it
    assert (tmp_path / ".claude/skills/other/SKILL.md").is_file()
    assert MANIFEST in report["written"] and MARKETPLACE in report["written"]


def test_noop_and_missing_manifest(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    again = build_json(tmp_path)
    assert again["written"] == [] and again["outputs"]["unchanged"] == 8
    (tmp_path / MANIFEST).unlink()
    rebuilt = build_json(tmp_path, "--explain")
    assert rebuilt["written"] == [MANIFEST]
    assert (tmp_path / MANIFEST).is_file()
    code, checked = check_json(tmp_path)
    assert code == 0 and checked["outputs"]["checked"] == 8


def test_config_change_rewrites_only_the_manifests(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    config = CONFIG.replace('version = "1.2.0"', 'version = "1.3.0"')
    (tmp_path / ".skillforge.toml").write_text(config)
    report = build_json(tmp_path)
    assert sorted(report["written"]) == [MARKETPLACE, MANIFEST]
    assert json.loads((tmp_path / MANIFEST).read_text())["version"] == "1.3.0"


def test_a_new_spec_matching_a_glob_joins_the_plugin(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    build_file_tree(tmp_path, {"specs/skill-9.yaml": SKILL.format(name="skill-9")})
    report = build_json(tmp_path)
    assert sorted(report["written"]) == [
        ".claude/skills/skill-9/SKILL.md",
        f"{PLUGIN}/skills/skill-9/SKILL.md",
    ]


def test_refused_plugin_name_names_the_line(tmp_path: Path) -> None:
    config = CONFIG.replace("[plugins.skill-pack]", '[plugins."Skill Pack"]')
    plugin_project(tmp_path, config)
    result = run(tmp_path, "build")
    assert result.code == 2
    assert ".skillforge.toml:8: 'plugins.Skill Pack' is not a valid plugin name" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / ".claude").exists() and not (tmp_path / "plugins").exists()


def test_reserved_marketplace_name_is_refused(tmp_path: Path) -> None:
    for name in ("claude-plugins-official", "official-claude-tools", "my tools"):
        config = CONFIG.replace('name = "acme-tools"', f'name = "{name}"')
        plugin_project(tmp_path, config)
        result = run(tmp_path, "build")
        assert result.code == 2, name
        assert ".skillforge.toml:5: 'marketplace.name'" in result.err, result.err
    assert not (tmp_path / MARKETPLACE).exists()


def test_bad_tables_are_config_errors_with_lines(tmp_path: Path) -> None:
    config = CONFIG.replace('license = "MIT"', 'licence = "MIT"\nout = "../elsewhere"')
    config = config.replace('version = "1.2.0"', 'version = "v1"')
    plugin_project(tmp_path, config)
    result = run(tmp_path, "build")
    assert result.code == 2
    assert (
        ".skillforge.toml:12: 'plugins.skill-pack.licence' is not a plugin key (did you mean "
        "'license'?)" in result.err
    )
    assert ".skillforge.toml:13: 'plugins.skill-pack.out' must be a folder inside" in result.err
    assert ".skillforge.toml:10: 'plugins.skill-pack.version' 'v1' is not a semantic" in result.err


def test_marketplace_needs_an_owner(tmp_path: Path) -> None:
    config = CONFIG.replace('owner = { name = "Acme", email = "tools@example.com" }\n', "")
    config = config.replace('author = "Jane Doe"\n', "")
    plugin_project(tmp_path, config)
    result = run(tmp_path, "build")
    assert result.code == 2 and "'marketplace.owner' is required" in result.err
    # the plugins' one author is the owner when [marketplace] names none
    plugin_project(
        tmp_path, config.replace("[plugins.skill-pack]\n", '[plugins.skill-pack]\nauthor = "Jo"\n')
    )
    assert run(tmp_path, "build").code == 0
    assert json.loads((tmp_path / MARKETPLACE).read_text())["owner"] == {"name": "Jo"}


def test_unknown_member_and_empty_glob(tmp_path: Path) -> None:
    config = CONFIG.replace('agents = ["agent-0"]', 'agents = ["agent-7"]\ncommands = ["x-*"]')
    plugin_project(tmp_path, config)
    report = build_json(tmp_path)
    assert not report["ok"]
    found = {(e["file"], e["line"], e["field"]) for e in report["errors"]}
    assert (".skillforge.toml", 15, "plugins.skill-pack.agents") in found
    assert (".skillforge.toml", 16, "plugins.skill-pack.commands") in found
    messages = " ".join(e["message"] for e in report["errors"])
    assert "'agent-7' names no agent" in messages and "'x-*' matches no command" in messages
    assert not (tmp_path / MANIFEST).exists()
    code, checked = check_json(tmp_path)
    assert code == 1 and any(e["field"] == "plugins.skill-pack.agents" for e in checked["errors"])


def test_hand_edited_manifest_is_refused_then_forced(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    (tmp_path / MANIFEST).write_text('{"name": "skill-pack", "version": "9.9.9"}\n')
    code, checked = check_json(tmp_path)
    assert code == 1 and [f["path"] for f in checked["edited"]] == [MANIFEST]
    result = run(tmp_path, "build")
    assert result.code == 1 and "was edited by hand" in result.err
    assert "9.9.9" in (tmp_path / MANIFEST).read_text()
    assert run(tmp_path, "build", "--force").code == 0
    assert json.loads((tmp_path / MANIFEST).read_text())["version"] == "1.2.0"


def test_fresh_clone_check_reports_a_stale_manifest(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")  # a fresh clone: JSON has no marker, no manifest
    code, checked = check_json(tmp_path)
    assert code == 0, checked
    (tmp_path / ".skillforge.toml").write_text(CONFIG.replace("Every skill", "All skills"))
    code, checked = check_json(tmp_path)
    assert code == 1
    assert sorted(f["path"] for f in checked["stale"]) == [MARKETPLACE, MANIFEST]
    assert checked["edited"] == []
    # a JSON file of another name is not skillforge's: edited, and the build refuses it
    (tmp_path / MANIFEST).write_text('{"name": "someone-else"}\n')
    code, checked = check_json(tmp_path)
    assert [f["path"] for f in checked["edited"]] == [MANIFEST]
    assert run(tmp_path, "build").code == 1
    (tmp_path / MANIFEST).write_text('{"name": "skill-pack"}\n')
    assert run(tmp_path, "build").code == 0  # a stale one is adopted and rewritten
    assert "All skills" in (tmp_path / MANIFEST).read_text()


def test_dropped_plugin_outputs_are_removed(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    (tmp_path / ".skillforge.toml").write_text('[vars]\norg = "Acme"\n')
    code, checked = check_json(tmp_path)
    assert code == 1 and len(checked["orphaned"]) == 5
    report = build_json(tmp_path)
    assert report["ok"]
    assert sorted(report["removed"]) == sorted(
        [
            MARKETPLACE,
            MANIFEST,
            f"{PLUGIN}/agents/agent-0.md",
            f"{PLUGIN}/skills/skill-0/SKILL.md",
            f"{PLUGIN}/skills/skill-1/SKILL.md",
        ]
    )
    assert not (tmp_path / "plugins/skill-pack").exists()
    assert not (tmp_path / ".claude-plugin").exists()
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").is_file()
    assert check_json(tmp_path)[0] == 0
    assert build_json(tmp_path)["written"] == []


def test_fresh_clone_check_finds_members_of_a_dropped_plugin(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    (tmp_path / ".skillforge.toml").write_text('[vars]\norg = "Acme"\n')
    code, checked = check_json(tmp_path)
    assert code == 1
    orphaned = sorted(f["path"] for f in checked["orphaned"])
    assert f"{PLUGIN}/skills/skill-0/SKILL.md" in orphaned  # their marker names the spec


def test_a_member_leaving_the_plugin(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    build_json(tmp_path)
    (tmp_path / ".skillforge.toml").write_text(
        CONFIG.replace('skills = ["skill-*"]', 'skills = ["skill-1"]')
    )
    report = build_json(tmp_path)
    assert report["removed"] == [f"{PLUGIN}/skills/skill-0/SKILL.md"]
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").is_file()


def test_custom_out_and_clean(tmp_path: Path) -> None:
    config = CONFIG.replace('license = "MIT"', 'license = "MIT"\nout = "dist/pack"')
    plugin_project(tmp_path, config)
    assert run(tmp_path, "build").code == 0
    market = json.loads((tmp_path / MARKETPLACE).read_text())
    assert market["plugins"][0]["source"] == "./dist/pack"
    assert (tmp_path / "dist/pack/.claude-plugin/plugin.json").is_file()
    (tmp_path / "dist/notes.txt").write_text("mine")
    result = run(tmp_path, "clean")
    assert result.code == 0, result.err
    assert not (tmp_path / "dist/pack").exists() and not (tmp_path / MARKETPLACE).exists()
    assert (tmp_path / "dist/notes.txt").read_text() == "mine"  # nothing else is touched


def test_real_cli_builds_and_checks_a_plugin(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    cli = [sys.executable, "-m", "skillforge"]
    first = subprocess.run([*cli, "build"], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert f"wrote {MANIFEST}" in first.stdout
    checked = subprocess.run([*cli, "check"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (tmp_path / MARKETPLACE).unlink()
    checked = subprocess.run([*cli, "check"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 1 and f"missing: {MARKETPLACE}" in checked.stdout


def test_marketplace_folder_and_plugins_inside_it(tmp_path: Path) -> None:
    config = CONFIG.replace("owner = {", 'out = "site"\nowner = {')
    plugin_project(tmp_path, config.replace("agents = [", 'out = "site/pack"\nagents = ['))
    assert run(tmp_path, "build").code == 0
    market = json.loads((tmp_path / "site/.claude-plugin/marketplace.json").read_text())
    assert market["plugins"][0]["source"] == "./pack"  # relative to the marketplace root
    assert (tmp_path / "site/pack/skills/skill-0/SKILL.md").is_file()
    plugin_project(tmp_path, config)  # the plugin's default folder is outside site/
    result = run(tmp_path, "build")
    assert result.code == 2 and "is outside the marketplace folder 'site'" in result.err


def test_clean_check_with_plugins_imports_nothing_heavy(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    assert run(tmp_path, "build").code == 0
    code = (
        "import sys\n"
        "from skillforge.cli.main import main\n"
        "code = main(['check'])\n"
        "heavy = ('typer', 'rich', 'jinja2', 'yaml', 'diskcache', 'tiktoken', 'click')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules], code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY [] 0" in out


def test_stats_count_plugin_files_and_removal_says_why(tmp_path: Path) -> None:
    plugin_project(tmp_path)
    assert run(tmp_path, "build").code == 0
    result = run(tmp_path, "stats", "--format", "json")
    assert result.code == 0, result.err
    last = json.loads(result.out)["last_build"]
    assert last["outputs"]["written"] == 8  # 3 documents, their 3 plugin copies, 2 manifests
    (tmp_path / ".skillforge.toml").write_text('[vars]\norg = "Acme"\n')
    removed = run(tmp_path, "build")
    assert f"removed {MANIFEST} (no plugin of the config makes it)" in removed.out
    assert f"removed {PLUGIN}/skills/skill-0/SKILL.md (its spec no longer" in removed.out
    last = json.loads(run(tmp_path, "stats", "--format", "json").out)["last_build"]
    assert last["outputs"]["removed"] == 5
