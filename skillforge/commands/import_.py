"""`skillforge import`: adopt an existing tree of skills, agents and commands as specs (DESIGN §6).

Exit codes: 0 when every file found was imported, 1 when any was skipped or broken (or a
path given held nothing to import), 2 for usage and configuration errors.
"""

from __future__ import annotations

import contextlib
import os

from skillforge.commands.project import hold_project, project_config
from skillforge.engine.interrupts import terminate_as_interrupt
from skillforge.engine.load.config import Config, load_config
from skillforge.errors import UsageError
from skillforge.report.plain import PlainReporter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.commands.options import ImportOptions


def import_command(options: ImportOptions, config_file: str | None) -> int:
    """Run `skillforge import` under the project lock; print one line per file and a summary."""
    from skillforge.commands.schema import modeline, write_project_copies
    from skillforge.engine.adopt.run import run_import

    project = _project(config_file)
    paths = None
    if options.paths:
        paths = []
        for raw in options.paths:
            path = os.path.abspath(raw)
            if not os.path.exists(path):
                raise UsageError(f"{raw}: no such file or folder")
            rel = project.rel(path)
            if rel == ".." or rel.startswith("../"):
                raise UsageError(f"{raw}: outside the project")
            paths.append(path)
    reporter = PlainReporter()
    notes: list[str] = []
    # a dry run writes nothing, not even the lock file in the cache folder
    lock = (
        contextlib.nullcontext()
        if options.dry_run
        else hold_project(project, options.lock_timeout, "import", notes)
    )
    with terminate_as_interrupt(), lock:
        result = run_import(
            project,
            paths,
            include_broken=options.include_broken,
            factor=options.factor,
            dry_run=options.dry_run,
            say=reporter.say,
            warn=lambda text: notes.append(text),
            header=lambda spec_rel: modeline(project.root / spec_rel, project.root),
        )
        if result.written:  # the schema the specs' first line names, as `init` and `new` write
            for rel, written in write_project_copies(project.root):
                if written:
                    reporter.say(f"created {rel}")
    for note in notes:
        reporter.say(f"warning: {note}")
    return 1 if result.failed else 0


def _project(config_file: str | None) -> Config:
    """The project; with no config and no specs/ folder, the working folder with every default.

    Unlike the other commands, import is how a repository gets its first specs: it creates
    the spec folder rather than asking for `skillforge init` (which would add a starter skill).
    """
    if config_file is None:
        config = load_config(None)
        if config.path is None:
            return config
    return project_config(config_file)
