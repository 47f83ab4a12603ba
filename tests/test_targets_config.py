"""`targets` in the config, `build --target`, per-spec `targets:` and the rules per target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import build_file_tree, build_json, run

SKILL = """
kind: skill
name: {name}
description: Does {name} things.
sections:
  - id: overview
    body: The {name} skill.
"""


def make(root: Path, config: str, specs: dict[str, str] | None = None) -> None:
    files = {".skillforge.toml": config, "specs/one.yaml": SKILL.format(name="one")}
    files.update(specs or {})
    build_file_tree(root, files)


def test_default_is_claude_only(tmp_path: Path) -> None:
    make(tmp_path, "")
    report = build_json(tmp_path)
    assert report["written"] == [".claude/skills/one/SKILL.md"]
    assert not (tmp_path / ".agents").exists()


def test_list_and_tables_with_out(tmp_path: Path) -> None:
    make(tmp_path, 'targets = ["claude", "cursor"]\n')
    assert sorted(build_json(tmp_path)["written"]) == [
        ".claude/skills/one/SKILL.md",
        ".cursor/skills/one/SKILL.md",
    ]
    (tmp_path / ".skillforge.toml").write_text('[targets.cursor]\nout = "tools/cursor"\n')
    report = build_json(tmp_path)
    assert report["written"] == ["tools/cursor/skills/one/SKILL.md"]
    assert ".cursor/skills/one/SKILL.md" in report["removed"]  # its target is gone
    assert ".claude/skills/one/SKILL.md" in report["removed"]


def test_list_and_tables_together_is_a_config_error(tmp_path: Path) -> None:
    make(tmp_path, 'targets = ["claude"]\n[targets.codex]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "cannot both be given" in result.err


def test_unknown_target_in_config_lists_the_known_ones(tmp_path: Path) -> None:
    make(tmp_path, 'targets = ["claude", "cusor"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "unknown target 'cusor' (did you mean 'cursor'?)" in result.err
    assert "known: claude, agents, codex, cursor, copilot, opencode" in result.err
    make(tmp_path, "[targets.codex]\nmodel = {}\n")
    result = run(tmp_path, "build")
    assert (
        result.code == 2
        and "unknown key 'targets.codex.model' (did you mean 'models'?)" in result.err
    )


def test_build_target_option(tmp_path: Path) -> None:
    make(tmp_path, 'targets = ["claude", "agents"]\n')
    report = build_json(tmp_path, "--target", "opencode", "--target", "agents")
    assert sorted(report["written"]) == [
        ".agents/skills/one/SKILL.md",
        ".opencode/skills/one/SKILL.md",
    ]
    assert (tmp_path / ".claude/skills/one/SKILL.md").exists() is False
    result = run(tmp_path, "build", "--target", "vscode")
    assert result.code == 2
    assert "--target: unknown target 'vscode'" in result.err and "known: claude" in result.err


def test_build_target_through_the_real_cli(tmp_path: Path) -> None:
    make(tmp_path, "")
    done = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--target=codex", "--target", "cursor"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".agents/skills/one/SKILL.md").is_file()
    assert (tmp_path / ".cursor/skills/one/SKILL.md").is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--target", "nope"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "unknown target 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_spec_opts_out_and_overrides_per_target(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: two
    description: Shared description.
    targets:
      copilot: false
      cursor: {description: "Cursor's own description."}
    sections:
      - id: overview
        body: Two.
    """
    make(tmp_path, 'targets = ["claude", "cursor", "copilot"]\n', {"specs/two.yaml": spec})
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    assert not (tmp_path / ".github/skills/two").exists()
    assert (tmp_path / ".github/skills/one/SKILL.md").exists()
    cursor = (tmp_path / ".cursor/skills/two/SKILL.md").read_text()
    assert 'description: "Cursor\'s own description."' in cursor
    assert (
        'description: "Shared description."'
        in (tmp_path / ".claude/skills/two/SKILL.md").read_text()
    )


def test_spec_targets_are_validated(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: two
    description: D.
    targets:
      cursr: false
      codex: {sections: []}
      agents: {descriptoin: x}
      copilot: yes please
    """
    make(tmp_path, "", {"specs/two.yaml": spec})
    report = build_json(tmp_path)
    messages = {e["field"]: e["message"] for e in report["errors"]}
    assert "unknown target 'cursr' (did you mean 'cursor'?)" in messages["targets.cursr"]
    assert "cannot differ per target" in messages["targets.codex.sections"]
    assert "did you mean 'description'?" in messages["targets.agents.descriptoin"]
    assert "must be false" in messages["targets.copilot"]
    assert all(e["line"] for e in report["errors"])


def test_portable_rules_are_errors_for_agents_warnings_for_claude(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: PDF Tools
    folder: pdf-tools
    description: Handles <PDF> files.
    metadata: {version: 2}
    """
    make(tmp_path, "", {"specs/two.yaml": spec})
    report = build_json(tmp_path)
    assert report["ok"]
    warnings = [w["message"] for w in report["warnings"]]
    assert any(w.startswith("not portable: skill name 'PDF Tools' is a label") for w in warnings)
    make(tmp_path, 'targets = ["claude", "agents"]\n', {"specs/two.yaml": spec})
    report = build_json(tmp_path)
    errors = {e["field"]: e["message"] for e in report["errors"]}
    assert "portable loaders want the folder name" in errors["name"]
    assert "'<' or '>'" in errors["description"]
    assert "metadata.version must be a string" in errors["metadata"]
    assert not (tmp_path / ".agents/skills/pdf-tools").exists()
    # an override for the portable target fixes its name there (Claude Code keeps the label)
    fixed = (
        spec.replace("metadata: {version: 2}", 'metadata: {version: "2"}')
        .replace("<PDF>", "PDF")
        .rstrip()
        + "\n    targets:\n      agents: {name: pdf-tools}\n"
    )
    make(tmp_path, 'targets = ["claude", "agents"]\n', {"specs/two.yaml": fixed})
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    assert "name: pdf-tools" in (tmp_path / ".agents/skills/pdf-tools/SKILL.md").read_text()
    assert "name: PDF Tools" in (tmp_path / ".claude/skills/pdf-tools/SKILL.md").read_text()


def test_codex_rules_and_opencode_model_rule(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: three
    description: "{long}"
    """.replace("{long}", "x" * 1100)
    make(tmp_path, 'targets = ["codex"]\n', {"specs/three.yaml": spec})
    report = build_json(tmp_path)
    assert any("portable limit is 1024" in e["message"] for e in report["errors"])
    agent = """
    kind: agent
    name: helper
    description: Helps.
    model: sonnet
    """
    make(tmp_path, '[targets.opencode.models]\nsonnet = "claude-sonnet"\n', {"specs/a.yaml": agent})
    report = build_json(tmp_path)
    problem = next(e for e in report["errors"] if e["file"] == "specs/a.yaml")
    assert (
        problem["field"] == "model" and "must be 'provider/id' for OpenCode" in problem["message"]
    )


def test_kind_command_is_validated(tmp_path: Path) -> None:
    spec = """
    kind: command
    name: deploy
    description: Deploy.
    tools: [Read]
    files: [{src: a.md, dest: a.md}]
    """
    make(tmp_path, "", {"specs/c.yaml": spec, "specs/a.md": "a"})
    report = build_json(tmp_path)
    fields = {e["field"] for e in report["errors"]}
    assert {"tools", "files"} <= fields


def test_a_model_set_for_one_target_is_used_as_is(tmp_path: Path) -> None:
    agent = """
    kind: agent
    name: helper
    description: Helps.
    tools: [Read, Grep]
    model: sonnet
    targets:
      codex: {model: gpt-5.1-codex}
    """
    make(tmp_path, 'targets = ["claude", "codex"]\n', {"specs/a.yaml": agent})
    report = build_json(tmp_path)
    assert report["ok"] and report["warnings"] == []
    text = (tmp_path / ".codex/agents/helper.toml").read_text()
    assert 'model = "gpt-5.1-codex"' in text
    assert 'sandbox_mode = "read-only"' in text  # only read-only tools
    assert "model: sonnet" in (tmp_path / ".claude/agents/helper.md").read_text()


def test_a_layout_writing_a_bom_is_an_error(tmp_path: Path) -> None:
    layout = '\ufeff---\n{{ frontmatter }}---\n\n{{ sections|join("\\n\\n") }}{{ "\\n" }}'
    make(tmp_path, 'targets = ["cursor"]\n', {"templates/base/skill.md.j2": layout})
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "byte order mark" in result.err
    assert not (tmp_path / ".cursor/skills/one/SKILL.md").exists()


def test_stats_text_names_the_drops_and_listings(tmp_path: Path) -> None:
    spec = SKILL.format(name="two") + "license: MIT\n"
    make(tmp_path, 'targets = ["claude", "copilot", "codex"]\n', {"specs/two.yaml": spec})
    build_file_tree(
        tmp_path, {"specs/two.yaml": spec.replace("sections", "compatibility: x\nsections", 1)}
    )
    assert build_json(tmp_path)["ok"]
    out = run(tmp_path, "stats").out
    assert "Claude Code (claude):" in out and "Codex (codex):" in out
    assert "fields dropped in" in out and ".github/skills/two/SKILL.md: compatibility" in out


def test_a_spec_no_target_builds_is_a_warning(tmp_path: Path) -> None:
    command = "kind: command\nname: deploy\ndescription: Deploy.\n"
    make(tmp_path, 'targets = ["agents"]\n', {"specs/c.yaml": command})
    report = build_json(tmp_path)
    assert report["ok"]
    assert any(
        w["file"] == "specs/c.yaml"
        and "no target of this build (agents) writes a command;" in w["message"]
        for w in report["warnings"]
    )
    assert run(tmp_path, "check").code == 0


def test_build_target_leaves_the_other_targets_outputs(tmp_path: Path) -> None:
    make(tmp_path, 'targets = ["claude", "cursor"]\n')
    assert build_json(tmp_path)["ok"]
    report = build_json(tmp_path, "--target", "cursor")
    assert report["ok"] and report["removed"] == []
    assert (tmp_path / ".claude/skills/one/SKILL.md").exists()
    report = build_json(tmp_path)  # the whole config again: the claude output is adopted
    assert report["ok"] and report["removed"] == []
    assert run(tmp_path, "check").code == 0


def test_when_to_use_appended_past_the_portable_limit_is_an_error(tmp_path: Path) -> None:
    spec = f"kind: skill\nname: two\ndescription: {'d' * 1000}\nwhen_to_use: {'w' * 100}\n"
    make(tmp_path, 'targets = ["claude"]\n', {"specs/two.yaml": spec})
    assert build_json(tmp_path)["ok"]
    make(tmp_path, 'targets = ["claude", "agents"]\n', {"specs/two.yaml": spec})
    report = build_json(tmp_path)
    assert any(
        e["field"] == "when_to_use" and "1101 characters" in e["message"] for e in report["errors"]
    )


def test_out_folders_resolve_as_the_path_library_does(tmp_path: Path) -> None:
    # config.py resolves a one-part folder name with one lstat (folders.resolved_under); every
    # kind of entry gives what Path.resolve() gives
    from skillforge.engine.load.folders import resolved_under

    root = (tmp_path / "project").resolve()
    elsewhere = tmp_path / "elsewhere"
    (root / "real").mkdir(parents=True)
    (root / "file").write_text("x")
    elsewhere.mkdir()
    (root / "link").symlink_to(elsewhere)
    (root / "dangling").symlink_to(tmp_path / "missing")
    (root / "loop").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop")
    (root / "chain").symlink_to(root / "link")
    names = ["real", "file", "link", "dangling", "chain", "missing", ".", "..", "a/b", "real/x"]
    names += ["link/x", "../project/real", str(elsewhere), ".hidden", "..."]
    for name in names:
        assert resolved_under(root, name) == (root / name).resolve(), name
    assert resolved_under(root, "link") == elsewhere.resolve()
    for name in ("loop",):  # the long way's own answer, error or not
        try:
            expected: object = (root / name).resolve()
        except RuntimeError as exc:
            expected = type(exc)
        try:
            found: object = resolved_under(root, name)
        except RuntimeError as exc:
            found = type(exc)
        assert found == expected


def test_an_out_folder_that_is_a_symlink_is_followed(tmp_path: Path) -> None:
    make(tmp_path / "p", 'targets = ["claude", "agents"]\n')
    (tmp_path / "shared").mkdir()
    (tmp_path / "p" / ".agents").symlink_to(tmp_path / "shared")
    from skillforge.engine.load.config import load_config

    config = load_config(tmp_path / "p" / ".skillforge.toml")
    assert (tmp_path / "shared").resolve() in config.outs()
    assert config.out_of("agents") == (tmp_path / "shared").resolve()
