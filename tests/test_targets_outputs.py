"""Each target's paths, keys, translations and drops (DESIGN §4), checked by offline validators."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from helpers import build_file_tree, build_json, run
from targets_rules import (
    agent_skill,
    codex_agent,
    codex_sidecar,
    codex_skill,
    copilot_agent,
    frontmatter,
    markdown,
    opencode_agent,
)

ALL = """
[targets.claude]
[targets.agents]
[targets.codex.models]
sonnet = "gpt-5.1-codex"
[targets.cursor]
[targets.copilot.models]
sonnet = "Claude Sonnet 4.5"
[targets.opencode.models]
sonnet = "anthropic/claude-sonnet-4-5"
"""

SKILL = """
kind: skill
name: pdf-processing
description: Extracts text from PDF files.
when_to_use: When the user works with PDFs.
license: MIT
compatibility: Needs python3 and pypdf
metadata: {version: "1.2"}
allowed-tools: [Read, Bash(python:*)]
disable-model-invocation: true
argument-hint: "[file]"
paths: ["**/*.pdf"]
model: sonnet
sections:
  - id: overview
    title: Overview
    body: Works with {{ spec.name }}.
files:
  - {src: forms.md, dest: references/forms.md}
"""

AGENT = """
kind: agent
name: code-reviewer
description: Reviews code for correctness.
tools: [Read, Grep, Glob, Bash]
disallowedTools: [Write]
model: sonnet
effort: max
permissionMode: plan
background: true
color: blue
maxTurns: 5
sections:
  - id: role
    body: You review code. A line with ''' and \\ stays as it is.
"""

COMMAND = """
kind: command
name: commit
description: Write a commit message.
argument-hint: "[scope]"
allowed-tools: [Bash(git diff:*), Read]
model: sonnet
sections:
  - id: body
    body: Commit $ARGUMENTS.
"""


def all_targets(root: Path, *args: str) -> dict[str, object]:
    build_file_tree(
        root,
        {
            ".skillforge.toml": ALL,
            "specs/pdf.yaml": SKILL,
            "specs/forms.md": "# Forms\n",
            "specs/reviewer.yaml": AGENT,
            "specs/commit.yaml": COMMAND,
        },
    )
    return build_json(root, *args)


EXPECTED = {
    ".claude/skills/pdf-processing/SKILL.md",
    ".claude/skills/pdf-processing/references/forms.md",
    ".claude/agents/code-reviewer.md",
    ".claude/commands/commit.md",
    ".agents/skills/pdf-processing/SKILL.md",
    ".agents/skills/pdf-processing/references/forms.md",
    ".agents/skills/pdf-processing/agents/openai.yaml",
    ".codex/agents/code-reviewer.toml",
    ".cursor/skills/pdf-processing/SKILL.md",
    ".cursor/skills/pdf-processing/references/forms.md",
    ".cursor/agents/code-reviewer.md",
    ".github/skills/pdf-processing/SKILL.md",
    ".github/skills/pdf-processing/references/forms.md",
    ".github/agents/code-reviewer.agent.md",
    ".github/prompts/commit.prompt.md",
    ".opencode/skills/pdf-processing/SKILL.md",
    ".opencode/skills/pdf-processing/references/forms.md",
    ".opencode/agents/code-reviewer.md",
    ".opencode/commands/commit.md",
}


def written(root: Path) -> set[str]:
    skip = (".skillforge", "specs")
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in skip and p.name != ".skillforge.toml"
    }


def test_every_target_writes_its_documented_paths(tmp_path: Path) -> None:
    report = all_targets(tmp_path)
    assert report["ok"], report["errors"]
    assert written(tmp_path) == EXPECTED
    # one document per path: the shared .agents/skills file is written once
    assert len(report["written"]) == len([p for p in EXPECTED if "references" not in p]) - 1


def test_outputs_pass_each_tools_validator(tmp_path: Path) -> None:
    assert all_targets(tmp_path)["ok"]
    skill = "skills/pdf-processing/SKILL.md"
    assert agent_skill(tmp_path / ".agents" / skill) == []
    assert codex_skill(tmp_path / ".agents" / skill) == []
    assert codex_sidecar(tmp_path / ".agents/skills/pdf-processing/agents/openai.yaml") == []
    assert codex_agent(tmp_path / ".codex/agents/code-reviewer.toml") == []
    assert copilot_agent(tmp_path / ".github/agents/code-reviewer.agent.md") == []
    assert opencode_agent(tmp_path / ".opencode/agents/code-reviewer.md") == []
    for path in EXPECTED:
        if path.endswith(".md") and "references" not in path:
            assert markdown(tmp_path / path) == [], path


def test_each_target_keeps_its_keys_and_translates(tmp_path: Path) -> None:
    assert all_targets(tmp_path)["ok"]

    def head(path: str) -> dict[str, object]:
        return frontmatter(tmp_path / path)[0]

    full = "Extracts text from PDF files. When the user works with PDFs."
    claude = head(".claude/skills/pdf-processing/SKILL.md")
    assert claude["when_to_use"] == "When the user works with PDFs."
    assert claude["description"] == "Extracts text from PDF files."
    portable = head(".agents/skills/pdf-processing/SKILL.md")
    # agents + codex share the file: only keys both accept, in the portable order
    assert list(portable) == ["name", "description", "license", "metadata", "allowed-tools"]
    assert portable["description"] == full
    assert portable["allowed-tools"] == "Read Bash(python:*)"
    sidecar = yaml.safe_load(
        (tmp_path / ".agents/skills/pdf-processing/agents/openai.yaml").read_text()
    )
    assert sidecar == {"policy": {"allow_implicit_invocation": False}}
    cursor = head(".cursor/skills/pdf-processing/SKILL.md")
    assert cursor["paths"] == ["**/*.pdf"] and cursor["disable-model-invocation"] is True
    assert "allowed-tools" not in cursor and cursor["description"] == full
    copilot = head(".github/skills/pdf-processing/SKILL.md")
    assert copilot["argument-hint"] == "[file]" and "compatibility" not in copilot
    opencode = head(".opencode/skills/pdf-processing/SKILL.md")
    assert opencode["compatibility"] == "Needs python3 and pypdf"
    assert set(opencode) == {"name", "description", "license", "compatibility", "metadata"}

    toml = tomllib.loads((tmp_path / ".codex/agents/code-reviewer.toml").read_text())
    assert toml["model"] == "gpt-5.1-codex"
    assert toml["model_reasoning_effort"] == "xhigh"  # effort: max
    assert toml["sandbox_mode"] == "read-only"  # permissionMode: plan
    assert toml["developer_instructions"] == (
        "You review code. A line with ''' and \\ stays as it is.\n"
    )
    cursor_agent = head(".cursor/agents/code-reviewer.md")
    assert cursor_agent["readonly"] is True and cursor_agent["is_background"] is True
    assert "model" not in cursor_agent  # no [targets.cursor.models]: dropped with a warning
    copilot_agent_head = head(".github/agents/code-reviewer.agent.md")
    assert copilot_agent_head["tools"] == ["read", "search", "execute"]
    assert copilot_agent_head["model"] == "Claude Sonnet 4.5"
    oc = head(".opencode/agents/code-reviewer.md")
    assert oc["mode"] == "subagent" and oc["model"] == "anthropic/claude-sonnet-4-5"
    assert oc["tools"] == {"read": True, "grep": True, "glob": True, "bash": True, "write": False}
    assert oc["permission"] == {"edit": "deny", "bash": "deny"} and oc["color"] == "blue"
    command = head(".claude/commands/commit.md")
    assert command == {
        "description": "Write a commit message.",
        "argument-hint": "[scope]",
        "allowed-tools": "Bash(git diff:*), Read",
        "model": "sonnet",
    }
    prompt = head(".github/prompts/commit.prompt.md")
    assert prompt["tools"] == ["execute", "read"]


def test_every_drop_is_reported(tmp_path: Path) -> None:
    report = all_targets(tmp_path, "--dry-run")
    explain = run(tmp_path, "build", "--explain")
    assert ".codex/agents/code-reviewer.toml: " in explain.out
    assert "permissionMode: plan as sandbox_mode read-only" in explain.out
    assert "effort: max as model_reasoning_effort xhigh" in explain.out
    assert "agents: dropped" in explain.out and "codex: dropped" in explain.out
    dropped = report["dropped"]
    assert dropped[".cursor/skills/pdf-processing/SKILL.md"] == [
        "allowed-tools",
        "argument-hint",
        "model",
    ]
    assert "compatibility" in dropped[".agents/skills/pdf-processing/SKILL.md"]
    assert "color" in dropped[".codex/agents/code-reviewer.toml"]
    assert "maxTurns" in dropped[".codex/agents/code-reviewer.toml"]
    assert ".claude/skills/pdf-processing/SKILL.md" not in dropped  # Claude Code keeps all
    warnings = [w["message"] for w in report["warnings"]]
    assert any("'sonnet' has no mapping for target 'cursor'" in w for w in warnings)
    assert all(
        w["file"] == "specs/reviewer.yaml" or w["file"] == "specs/pdf.yaml"
        for w in report["warnings"]
    )
    stats = run(tmp_path, "stats", "--json").report
    assert stats["dropped"] == dropped
    assert build_json(tmp_path, "--force")["dropped"] == dropped


def test_codex_agent_marker_is_a_toml_comment_and_edits_are_caught(tmp_path: Path) -> None:
    assert all_targets(tmp_path)["ok"]
    path = tmp_path / ".codex/agents/code-reviewer.toml"
    text = path.read_text()
    assert text.startswith("# generated by skillforge from specs/reviewer.yaml; edit the spec")
    tomllib.loads(text)
    path.write_text(text.replace("You review code.", "You review code!"))
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "code-reviewer.toml" in result.err and "edited by hand" in result.err
