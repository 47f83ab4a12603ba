"""`skillforge init`: copy the starter project (skillforge/scaffold/) without overwriting."""

from __future__ import annotations

import shutil
from pathlib import Path

from skillforge.errors import UsageError

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
IGNORE_LINE = ".skillforge/"


def scaffold(directory: Path) -> list[str]:
    """Create a working project in `directory`; return one line per file created or kept."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for source in sorted(p for p in SCAFFOLD.rglob("*") if p.is_file()):
        rel = source.relative_to(SCAFFOLD)
        if "__pycache__" in rel.parts:
            continue
        target = directory / rel
        if target.exists():
            lines.append(f"kept    {rel.as_posix()} (already exists)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        lines.append(f"created {rel.as_posix()}")
    gitignore = directory / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if IGNORE_LINE not in existing.split():
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        with open(gitignore, "a", encoding="utf-8") as f:
            f.write(f"{prefix}# skillforge cache and manifest\n{IGNORE_LINE}\n")
        lines.append(f"updated .gitignore (ignores {IGNORE_LINE})")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    lines.append(f"next: {where}skillforge build")
    return lines
