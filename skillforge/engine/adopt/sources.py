"""Find the files to import, one reader per source format.

A `SourceFormat` knows where its tool keeps skills, agents and commands and which target
builds them back. Claude Code's `.claude/` and the portable `.agents/skills/` are the two
readers today; a reader for another tool's folders (Cursor, Copilot, OpenCode, Codex TOML
agents) is one more subclass in `FORMATS`, with its own `document` reader when its files
are not Markdown with YAML frontmatter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
    """One tool's layout of skills, agents and commands."""

    name = ""
    title = ""
    target = ""  # the target that writes these files back

    def folders(self, root: str, out: str) -> list[str]:
        """The folders to read when no PATHS are given (absolute)."""
        raise NotImplementedError

    def claims(self, parts: tuple[str, ...]) -> bool:
        """Whether a path (its parts relative to the root) is in this format's layout."""
        raise NotImplementedError


class ClaudeCodeSource(SourceFormat):
    """`.claude/skills/*/SKILL.md`, `.claude/agents/**/*.md`, `.claude/commands/*.md`."""

    name = "claude"
    title = "Claude Code"
    target = "claude"

    def folders(self, root: str, out: str) -> list[str]:
        return [os.path.join(out, sub) for sub in ("skills", "agents", "commands")]

    def claims(self, parts: tuple[str, ...]) -> bool:
        return not AgentSkillsSource().claims(parts)


class AgentSkillsSource(SourceFormat):
    """The portable Agent Skills layout: `.agents/skills/*/SKILL.md`."""

    name = "agents"
    title = "Agent Skills"
    target = "agents"

    def folders(self, root: str, out: str) -> list[str]:
        return [os.path.join(root, ".agents", "skills")]

    def claims(self, parts: tuple[str, ...]) -> bool:
        return len(parts) >= 2 and ".agents" in parts[:-1]


FORMATS: tuple[SourceFormat, ...] = (ClaudeCodeSource(), AgentSkillsSource())


def reader_of(parts: tuple[str, ...]) -> SourceFormat:
    """The source format whose layout holds this path."""
    return next(f for f in reversed(FORMATS) if f.claims(parts))


_NEVER = frozenset({".git", ".hg", ".svn", "node_modules"})


def find_sources(
    root: str, out: str, paths: list[str] | None, skip: tuple[str, ...] = ()
) -> tuple[list[Source], list[str]]:
    """Every file to import under `paths` (default: each format's folders), sorted; and the
    paths given that hold nothing to import. Folders in `skip` (the project's own spec,
    trait, template and cache folders) are never read."""
    tops = paths if paths else [f for fmt in FORMATS for f in fmt.folders(root, out)]
    found: dict[str, Source] = {}
    empty: list[str] = []
    skipped = {os.path.abspath(p) for p in skip}
    for top in tops:
        before = len(found)
        if os.path.isfile(top):
            _add_file(root, top, found, explicit=True)
        else:
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(
                    d for d in dirs if d not in _NEVER and os.path.join(folder, d) not in skipped
                )
                if SKILL_FILE in files and _is_skill_folder(root, folder):
                    _add_file(root, os.path.join(folder, SKILL_FILE), found, explicit=True)
                    dirs[:] = []  # the rest of a skill folder is its supporting files
                    continue
                for name in sorted(files):
                    if name.endswith(".md"):
                        _add_file(root, os.path.join(folder, name), found, explicit=False)
        if paths and len(found) == before:
            empty.append(top)
    # Claude Code's files first: a skill also copied to .agents/skills/ is imported from there
    return sorted(found.values(), key=lambda s: (FORMATS.index(s.reader), s.rel)), empty


def _parts(root: str, path: str) -> tuple[str, ...]:
    return tuple(os.path.relpath(path, root).replace(os.sep, "/").split("/"))


def _is_skill_folder(root: str, folder: str) -> bool:
    parts = _parts(root, folder)
    return len(parts) >= 2 and parts[-2] == "skills"


def _add_file(root: str, path: str, found: dict[str, Source], explicit: bool) -> None:
    parts = _parts(root, path)
    rel = "/".join(parts)
    if rel in found or os.path.islink(path):
        return
    reader = reader_of(parts)
    if parts[-1] == SKILL_FILE and len(parts) >= 3 and parts[-3] == "skills":
        source = Source(path, rel, "skill", parts[-2], reader)
        _supporting(source)
    elif "agents" in parts[:-1] and parts[-1].endswith(".md"):
        at = len(parts) - 1 - parts[::-1].index("agents")
        source = Source(path, rel, "agent", parts[-1][:-3], reader, nested=at < len(parts) - 2)
    elif "commands" in parts[:-1] and parts[-1].endswith(".md"):
        at = len(parts) - 1 - parts[::-1].index("commands")
        source = Source(path, rel, "command", parts[-1][:-3], reader, nested=at < len(parts) - 2)
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
