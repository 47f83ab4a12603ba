"""`skillforge schema [spec|config]`: print a JSON Schema (draft-07) on stdout; write nothing.

The schema is made from the validator's tables (engine/load/jsonschema.py); `init` and `new`
put a copy in the project (`schemas/spec.schema.json`), which specs name on their first line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from skillforge.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from skillforge.commands.options import SchemaOptions

WHICH = ("spec", "config")
# Where a project keeps its copy of the spec schema, relative to its root.
PROJECT_COPY = "schemas/spec.schema.json"


def schema_command(
    options: SchemaOptions, config_file: str | None = None, stream: IO[str] | None = None
) -> int:
    """Print the schema asked for."""
    from skillforge.engine.load.jsonschema import schema_text
    from skillforge.report.plain import write_line

    if options.which not in WHICH:
        raise UsageError(f"schema: give one of {', '.join(WHICH)}, not '{options.which}'")
    write_line(schema_text(options.which).rstrip("\n"), stream or sys.stdout)
    return 0


def modeline(spec_file: Path, root: Path) -> str:
    """The first line of a spec at `spec_file` that points editors at the project's schema."""
    relative = os.path.relpath(root / PROJECT_COPY, spec_file.parent)
    return f"# yaml-language-server: $schema={Path(relative).as_posix()}\n"


def write_project_copy(root: Path) -> str | None:
    """Write the project's copy of the spec schema unless one exists; return what was done."""
    from skillforge.engine.load.jsonschema import schema_text

    target = root / PROJECT_COPY
    if os.path.lexists(target):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(schema_text("spec"))
    return f"created {PROJECT_COPY}"
