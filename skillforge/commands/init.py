"""`skillforge init`: copy the starter project (skillforge/scaffold/) without overwriting.

Also writes the project's copies of the schemas (`schemas/spec.schema.json`,
`schemas/config.schema.json`), which the scaffold's specs and config name on their first line
for editors.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from skillforge.commands.schema import COPIES, write_project_copies
from skillforge.errors import UsageError
from skillforge.report.plain import PlainReporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.commands.options import InitOptions

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
IGNORE_LINE = ".skillforge/"


def init_command(options: InitOptions) -> int:
    """Run `skillforge init`: create the project, print one line per file."""
    reporter = PlainReporter()
    for line in scaffold(Path(options.directory)):
        reporter.say(line)
    return 0


def scaffold(directory: Path) -> list[str]:
    """Create a working project in `directory`; return one line per file created or kept."""
    try:
        return _scaffold(directory)
    except OSError as exc:
        raise UsageError(
            f"{directory}: cannot create the project there ({exc.strerror or exc})"
        ) from None


def _scaffold(directory: Path) -> list[str]:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a folder")
    sources = [
        p
        for p in sorted(SCAFFOLD.rglob("*"))
        if p.is_file() and "__pycache__" not in p.relative_to(SCAFFOLD).parts
    ]
    gitignore = directory / ".gitignore"
    # Everything is checked before anything is written: init writes only regular files in real
    # folders under `directory`, never through a symlink (dangling or not).
    copies = [Path(copy) for copy in COPIES.values()]
    for rel in [p.relative_to(SCAFFOLD) for p in sources] + [Path(".gitignore"), *copies]:
        _refuse_links(directory, rel)
    if os.path.lexists(gitignore) and not gitignore.is_file():
        raise UsageError(f"{gitignore}: exists and is not a file; remove it or rename it")
    directory.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for source in sources:
        rel = source.relative_to(SCAFFOLD)
        target = directory / rel
        if os.path.lexists(target):
            lines.append(f"kept    {rel.as_posix()} (already exists)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL and O_NOFOLLOW: a link planted since the check is not followed
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(source.read_bytes())
        lines.append(f"created {rel.as_posix()}")
    for copy, written in write_project_copies(directory):
        lines.append(f"created {copy}" if written else f"kept    {copy} (already exists)")
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if IGNORE_LINE not in existing.split():
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        fd = os.open(gitignore, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(f"{prefix}# skillforge cache and manifest\n{IGNORE_LINE}\n")
        lines.append(f"updated .gitignore (ignores {IGNORE_LINE})")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    lines.append(f"next: {where}skillforge build")
    return lines


def _refuse_links(directory: Path, rel: Path) -> None:
    """Refuse a symbolic link at `directory/rel` or at any folder on the way to it."""
    path = directory
    for part in rel.parts:
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(
                f"{path}: is a symbolic link; init writes only regular files in the project "
                "folder. Remove the link, or run init in another folder"
            )
