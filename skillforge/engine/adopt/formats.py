"""The source formats import reads: one class per tool's layout of skills, agents, commands.

A `SourceFormat` knows where its tool keeps skills, agents and commands, which target builds
them back, and how a document's frontmatter becomes a spec's fields (`Fields`): Claude Code's
`.claude/` is read whole; the skill folders of Agent Skills, Cursor, OpenCode and Copilot are
the same SKILL.md format, read for their targets, and so are Cursor's agents, OpenCode's
commands and Copilot's agents and prompt files. OpenCode's agents and Codex's TOML agents are
in `agent_formats`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

SKILL_FILE = "SKILL.md"


@dataclass
class Source:
    """One file to import: what it is, and where the build would write it back."""

    path: str  # absolute
    rel: str  # relative to the project root, with forward slashes
    kind: str  # skill, agent or command
    name: str  # the skill's folder or the file's stem
    reader: SourceFormat
    nested: bool = False  # an agent (command) in a subfolder of agents/ (commands/)
    legacy: str = ""  # why its folder is one skillforge does not write (it is skipped)
    # (path relative to the skill folder, absolute path) of each supporting file
    files: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # symlinks in the skill folder (not copied)


@dataclass
class Fields:
    """A document's frontmatter as a spec: Claude Code's fields, the fields only the file's
    own target uses (`targets: {<target>: ...}`), and what its build cannot write back."""

    spec: dict[str, Any]
    own: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key, why): broken
    notes: list[str] = field(default_factory=list)  # said with the file; not problems


class SourceFormat:
    """One tool's layout of skills, agents and commands, built back by `target`."""

    name = ""
    title = ""
    target = ""  # the target that writes these files back
    kinds: tuple[str, ...] = ()  # the kinds read from its files (others are reported, not read)
    names_agents = True  # its build writes an agent's `name` (OpenCode names it by its file)
    toml = False  # its one-file documents are TOML (Codex agents), not Markdown

    # kind -> (folder, suffix) of the documents that are one file each
    files: dict[str, tuple[str, str]] = {"agent": ("agents", ".md"), "command": ("commands", ".md")}  # noqa: RUF012

    def folders(self, out: str) -> list[str]:
        """The folders to read when no PATHS are given; `out` is the target's out folder."""
        return [os.path.join(out, "skills")]

    def file_kind(self, parts: tuple[str, ...]) -> tuple[str, str, str] | None:
        """(kind, folder, suffix) of a one-file document at `parts` (in a subfolder of its
        folder, too), else None."""
        for kind, (folder, suffix) in self.files.items():
            if folder in parts[:-1] and parts[-1].endswith(suffix) and parts[-1] != suffix:
                return kind, folder, suffix
        return None

    def legacy(self, parts: tuple[str, ...]) -> str | None:
        """Why a file at `parts` is in a folder its tool reads but skillforge does not write
        (a legacy folder), else None."""
        return None

    def spec_values(self, kind: str, values: dict[str, Any]) -> Fields:
        """The spec's fields (Claude Code's) for a document's frontmatter `values`."""
        return Fields(values)


class ClaudeCodeSource(SourceFormat):
    """`.claude/skills/*/SKILL.md`, `.claude/agents/**/*.md`, `.claude/commands/*.md`; also
    any file given as a PATH outside every other format's folder."""

    name = title = "Claude Code"
    target = "claude"
    kinds = ("skill", "agent", "command")

    def folders(self, out: str) -> list[str]:
        return [os.path.join(out, sub) for sub in ("skills", "agents", "commands")]


class SkillFolderSource(SourceFormat):
    """A tool whose skills are `<out>/skills/*/SKILL.md` in the Agent Skills format, read for
    its own target; with `kinds`, also its one-file agents or commands (`<out>/agents/*.md`,
    `<out>/commands/*.md`), whose `model` (the tool's own model name) goes to the spec's
    `targets: {<target>: {model: ...}}` (Claude Code's build leaves it out)."""

    def __init__(self, target: str, title: str, kinds: tuple[str, ...] = ("skill",)) -> None:
        self.name = self.target = target
        self.title = title
        self.kinds = kinds

    def folders(self, out: str) -> list[str]:
        subs = ["skills", *(self.files[k][0] for k in self.kinds if k != "skill")]
        return [os.path.join(out, sub) for sub in subs]

    def spec_values(self, kind: str, values: dict[str, Any]) -> Fields:
        if kind == "skill" or not isinstance(values.get("model"), str):
            return Fields(values)
        return Fields({k: v for k, v in values.items() if k != "model"}, {"model": values["model"]})


class CopilotSource(SourceFormat):
    """GitHub Copilot: `.github/skills/*/SKILL.md`, `.github/agents/*.agent.md`,
    `.github/prompts/*.prompt.md` (the files Copilot reads there). Its tool aliases become
    Claude Code's tool names that the build turns back into them; its model names (which
    name no Claude model) go to the spec's `targets: {copilot: {model: ...}}`."""

    name = "copilot"
    title = "GitHub Copilot"
    target = "copilot"
    kinds = ("skill", "agent", "command")
    files = {"agent": ("agents", ".agent.md"), "command": ("prompts", ".prompt.md")}  # noqa: RUF012

    def folders(self, out: str) -> list[str]:
        return [os.path.join(out, sub) for sub in ("skills", "agents", "prompts")]

    def spec_values(self, kind: str, values: dict[str, Any]) -> Fields:
        if kind == "skill":
            return Fields(values)
        out: dict[str, Any] = {}
        own: dict[str, Any] = {}
        tools_field = "tools" if kind == "agent" else "allowed-tools"
        for key, value in values.items():
            if key == "tools" and isinstance(value, list):
                out[tools_field] = [
                    CLAUDE_TOOL.get(t, t) if isinstance(t, str) else t for t in value
                ]
            elif key == "model" and isinstance(value, str):
                own["model"] = value
            elif key == "mcp-servers" and kind == "agent":
                out["mcpServers"] = value
            else:
                out[key] = value
        return Fields(out, own)


# Copilot's tool aliases -> the Claude Code tool the build writes as each alias (translate.py)
CLAUDE_TOOL = {
    "read": "Read",
    "search": "Grep",
    "edit": "Edit",
    "execute": "Bash",
    "web": "WebFetch",
    "todo": "TodoWrite",
    "agent": "Task",
}
