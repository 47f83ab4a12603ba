"""Find the files to import, one reader per source format.

A `SourceFormat` knows where its tool keeps skills, agents and commands and which target
builds them back. Claude Code's `.claude/` is read whole; the skill folders of Agent Skills
(`.agents/skills/`), Cursor (`.cursor/skills/`), OpenCode (`.opencode/skills/`) and Copilot
(`.github/skills/`) are read for their targets (the same SKILL.md format), and so are Cursor's
agents, OpenCode's commands and Copilot's agents and prompt files. A reader for another tool's
files (OpenCode's agents, Codex TOML agents) is one more entry in `FORMATS`, with its own
`document` reader when its files are not Markdown with YAML frontmatter.
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
    # (path relative to the skill folder, absolute path) of each supporting file
    files: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # symlinks in the skill folder (not copied)


class SourceFormat:
    """One tool's layout of skills, agents and commands, built back by `target`."""

    name = ""
    title = ""
    target = ""  # the target that writes these files back
    kinds: tuple[str, ...] = ()  # the kinds read from its files (others are reported, not read)

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

    def spec_values(
        self, kind: str, values: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The spec's fields (Claude Code's) for a document's frontmatter `values`, and the
        fields only this target's build uses (`targets: {<target>: ...}`)."""
        return values, {}


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

    def spec_values(
        self, kind: str, values: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if kind == "skill" or not isinstance(values.get("model"), str):
            return values, {}
        return {k: v for k, v in values.items() if k != "model"}, {"model": values["model"]}


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

    def spec_values(
        self, kind: str, values: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if kind == "skill":
            return values, {}
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
        return out, own


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

FORMATS: tuple[SourceFormat, ...] = (
    ClaudeCodeSource(),
    SkillFolderSource("agents", "Agent Skills"),
    SkillFolderSource("cursor", "Cursor", ("skill", "agent")),
    SkillFolderSource("opencode", "OpenCode", ("skill", "command")),
    CopilotSource(),
)


def reader_of(rel: str, outs: dict[str, str]) -> SourceFormat:
    """The source format whose out folder (root-relative, in `outs`) holds the path `rel`."""
    for fmt in reversed(FORMATS):
        out = outs.get(fmt.target, "")
        if fmt.target != "claude" and out and rel.startswith(out + "/"):
            return fmt
    return FORMATS[0]


_NEVER = frozenset({".git", ".hg", ".svn", "node_modules"})


def find_sources(
    root: str, outs: dict[str, str], paths: list[str] | None, skip: tuple[str, ...] = ()
) -> tuple[list[Source], list[str]]:
    """Every file to import under `paths` (default: each format's folders), sorted; and the
    paths given that hold nothing to import. `outs` maps each target to its out folder
    (absolute). Folders in `skip` (the project's own spec, trait, template and cache
    folders) are never read."""
    tops = paths or [
        f for fmt in FORMATS if fmt.target in outs for f in fmt.folders(outs[fmt.target])
    ]
    rels = {t: "/".join(_parts(root, out)) for t, out in outs.items()}
    found: dict[str, Source] = {}
    empty: list[str] = []
    skipped = {os.path.abspath(p) for p in skip}
    for top in tops:
        before = len(found)
        if os.path.isfile(top):
            _add_file(root, rels, top, found, explicit=True)
        else:
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(
                    d for d in dirs if d not in _NEVER and os.path.join(folder, d) not in skipped
                )
                if SKILL_FILE in files and _is_skill_folder(root, folder):
                    _add_file(root, rels, os.path.join(folder, SKILL_FILE), found, explicit=True)
                    dirs[:] = []  # the rest of a skill folder is its supporting files
                    continue
                for name in sorted(files):
                    if name.endswith(".md"):
                        _add_file(root, rels, os.path.join(folder, name), found, explicit=False)
        if paths and len(found) == before:
            empty.append(top)
    # Claude Code's files first: a skill also copied to .agents/skills/ is imported from there
    return sorted(found.values(), key=lambda s: (FORMATS.index(s.reader), s.rel)), empty


def _parts(root: str, path: str) -> tuple[str, ...]:
    return tuple(os.path.relpath(path, root).replace(os.sep, "/").split("/"))


def _is_skill_folder(root: str, folder: str) -> bool:
    parts = _parts(root, folder)
    return len(parts) >= 2 and parts[-2] == "skills"


def _add_file(
    root: str, outs: dict[str, str], path: str, found: dict[str, Source], explicit: bool
) -> None:
    parts = _parts(root, path)
    rel = "/".join(parts)
    if rel in found or os.path.islink(path):
        return
    reader = reader_of(rel, outs)
    if parts[-1] == SKILL_FILE and len(parts) >= 3 and parts[-3] == "skills":
        source = Source(path, rel, "skill", parts[-2], reader)
        _supporting(source)
    elif found_file := reader.file_kind(parts):
        kind, folder, suffix = found_file
        at = len(parts) - 1 - parts[::-1].index(folder)
        name = parts[-1][: -len(suffix)]
        source = Source(path, rel, kind, name, reader, nested=at < len(parts) - 2)
    elif explicit:
        source = Source(path, rel, "unknown", parts[-1], reader)
    else:
        return
    found[rel] = source


def _supporting(source: Source) -> None:
    """The supporting files of a skill: everything in its folder but SKILL.md, sorted."""
    folder = os.path.dirname(source.path)
    for here, dirs, files in os.walk(folder):
        dirs.sort()
        for d in list(dirs):
            if os.path.islink(os.path.join(here, d)):
                source.links.append(os.path.relpath(os.path.join(here, d), folder))
                dirs.remove(d)
        for name in sorted(files):
            path = os.path.join(here, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            if rel == SKILL_FILE:
                continue
            if os.path.islink(path) or not os.path.isfile(path):
                source.links.append(rel)
                continue
            source.files.append((rel, path))
