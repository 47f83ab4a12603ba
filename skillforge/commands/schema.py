"""`skillforge schema [spec|config]`: print a JSON Schema (draft-07) on stdout; write nothing.

The schemas are made from the validator's and the config loader's tables
(engine/load/jsonschema.py); `init` and `new` put a copy of each in the project
(`schemas/spec.schema.json`, `schemas/config.schema.json`), which specs name on their first
line (`# yaml-language-server: $schema=...`) and the scaffold's config on its first
(`#:schema ...`, for taplo). `skillforge schema > schemas/spec.schema.json` refreshes a copy.
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
# Where a project keeps its copies of the schemas, relative to its root.
PROJECT_COPY = "schemas/spec.schema.json"
CONFIG_COPY = "schemas/config.schema.json"
COPIES = {"spec": PROJECT_COPY, "config": CONFIG_COPY}


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


def write_project_copies(root: Path) -> list[tuple[str, bool]]:
    """Write the project's copies of the schemas that are missing; (path, written) each."""
    from skillforge.engine.load.jsonschema import schema_text

    done = []
    for which, rel in COPIES.items():
        target = root / rel
        if os.path.lexists(target):
            done.append((rel, False))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(schema_text(which))
        done.append((rel, True))
    return done
