"""The agents of OpenCode (`.opencode/agents/*.md`) and Codex (`.codex/agents/*.toml`) as specs.

Each is read for its own target, so that its build writes the file back with equal values
and body text (FORMATS.md §2.2): what Claude Code has a field for becomes that field (the
description; OpenCode's `tools` map as `tools` / `disallowedTools`, a Claude colour as
`color`; Codex's `model_reasoning_effort` as `effort`), the model goes to `targets:
{<target>: {model: ...}}`, and every other key is that tool's own: `targets: {<target>:
{frontmatter: ...}}`, which only its build writes. What the build cannot write back is a
problem naming the key.
"""

from __future__ import annotations

import os
from typing import Any

from skillforge.engine.adopt.formats import Fields, SkillFolderSource, SourceFormat
from skillforge.targets.claude import ENUMS
from skillforge.targets.codex import toml_value, unwritable
from skillforge.targets.translate import OPENCODE_TOOLS

# OpenCode's tool names -> the Claude Code tool the build writes as each (translate.py)
CLAUDE_TOOL: dict[str, str] = {}
for _claude, _opencode in OPENCODE_TOOLS.items():
    CLAUDE_TOOL.setdefault(_opencode, _claude)
# Codex's model_reasoning_effort values that are Claude Code's `effort` values too
EFFORTS = ("low", "medium", "high", "xhigh")


class OpenCodeSource(SkillFolderSource):
    """OpenCode: skills, commands (`model` to `targets: {opencode: ...}`), and agents."""

    names_agents = False  # OpenCode names an agent by its file; its build writes no `name`

    def __init__(self) -> None:
        super().__init__("opencode", "OpenCode", ("skill", "agent", "command"))

    def legacy(self, parts: tuple[str, ...]) -> str | None:
        if len(parts) >= 3 and parts[-2] == "agent" and parts[-1].endswith(".md"):
            where = "/".join((*parts[:-2], "agents", parts[-1]))
            return (
                f"is in OpenCode's legacy agent/ folder; skillforge writes {where}: move it "
                "there and import it from there"
            )
        return None

    def spec_values(self, kind: str, values: dict[str, Any]) -> Fields:
        if kind != "agent":
            return super().spec_values(kind, values)
        spec: dict[str, Any] = {}
        own: dict[str, Any] = {}
        front: dict[str, Any] = {}
        fields = Fields(spec, own)
        if "mode" not in values:  # the file's values, then what OpenCode reads it as
            front["mode"] = "all"
            fields.notes.append("no mode: written as OpenCode's default, mode: all")
        for key, value in values.items():
            if key == "description":
                spec[key] = value
            elif key == "name":  # the file's own; Claude Code's agent is named by it too
                spec[key] = front[key] = value
            elif key == "mode" and value == "subagent":
                continue  # what the build writes for every agent
            elif key == "model" and isinstance(value, str):
                own["model"] = value
            elif key == "tools" and (tools := _claude_tools(value)) is not None:
                spec.update(tools)
            elif key == "color" and value in ENUMS["color"]:
                spec[key] = value
            else:
                if key == "tools":
                    fields.notes.append(
                        "its tools map names a tool Claude Code has no name for: kept for "
                        "OpenCode only (the Claude Code agent gets no tools list)"
                    )
                front[key] = value
        if front:
            own["frontmatter"] = front
        return fields


def _claude_tools(value: Any) -> dict[str, list[str]] | None:
    """OpenCode's `tools` map as Claude Code's `tools` and `disallowedTools` (the build writes
    `{name: true}` and `{name: false}` back), or None when an entry has no Claude name."""
    if not isinstance(value, dict) or not value:
        return None
    allowed: list[str] = []
    denied: list[str] = []
    for name, on in value.items():
        tool = CLAUDE_TOOL.get(name) if isinstance(name, str) else None
        if tool is None or not isinstance(on, bool):
            return None
        (allowed if on else denied).append(tool)
    found: dict[str, list[str]] = {}
    if allowed:
        found["tools"] = allowed
    if denied:
        found["disallowedTools"] = denied
    return found


class CodexSource(SourceFormat):
    """Codex's custom agents, `.codex/agents/*.toml` (its skills are the Agent Skills folder's)."""

    name = "codex"
    title = "Codex"
    target = "codex"
    kinds = ("agent",)
    toml = True
    files = {"agent": ("agents", ".toml")}  # noqa: RUF012

    def folders(self, out: str) -> list[str]:
        return [os.path.join(out, "agents")]

    def spec_values(self, kind: str, values: dict[str, Any]) -> Fields:
        spec: dict[str, Any] = {}
        own: dict[str, Any] = {}
        front: dict[str, Any] = {}
        fields = Fields(spec, own)
        for key, value in values.items():
            if key in ("name", "description"):
                spec[key] = value
            elif key == "model" and isinstance(value, str):
                own["model"] = value
            elif key == "model_reasoning_effort" and value in EFFORTS:
                spec["effort"] = value  # the build writes Claude Code's effort back as it
            elif toml_value(value) is None:
                why = f"'{key}' {unwritable(value)}; its build leaves it out"
                fields.problems.append((key, why))
            else:
                front[key] = value
        if front:
            own["frontmatter"] = front
        return fields
