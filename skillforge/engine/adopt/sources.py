"""Find the files to import, one reader per source format (`formats`, `agent_formats`).

Each format's folders are walked (or the PATHS given); a file is read by the format whose
target's out folder holds it, Claude Code's for anything outside every other one. A new
format is one more entry in `FORMATS`.
"""

from __future__ import annotations

import os

from skillforge.engine.adopt.agent_formats import CodexSource, OpenCodeSource
from skillforge.engine.adopt.formats import (
    SKILL_FILE,
    ClaudeCodeSource,
    CopilotSource,
    SkillFolderSource,
    Source,
    SourceFormat,
)

__all__ = ["FORMATS", "Source", "SourceFormat", "find_sources", "reader_of"]

FORMATS: tuple[SourceFormat, ...] = (
    ClaudeCodeSource(),
    SkillFolderSource("agents", "Agent Skills"),
    SkillFolderSource("cursor", "Cursor", ("skill", "agent")),
    OpenCodeSource(),
    CopilotSource(),
    CodexSource(),
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
                    if name.endswith((".md", ".toml")):
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
    elif why := reader.legacy(parts):
        source = Source(path, rel, "agent", parts[-1], reader, legacy=why)
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
