"""`skillforge check`: load the project, render in memory, compare with the disk, print."""

from __future__ import annotations

import time

from skillforge.commands.project import project_config, relative_paths, waiting
from skillforge.engine.check import run_check
from skillforge.errors import SkillforgeError
from skillforge.state.lock import reading_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from skillforge.engine.options import CheckOptions


def check_command(
    options: CheckOptions,
    config_file: str | None,
    started: float | None = None,
    stream: IO[str] | None = None,
) -> int:
    """Run `skillforge check`; exit 0 when every output is up to date, 1 otherwise."""
    from skillforge.report.check import print_report

    started = time.perf_counter() if started is None else started
    try:
        config = project_config(config_file)
        options.paths = relative_paths(config, options.paths)
    except SkillforgeError as exc:
        if options.format == "text":
            raise
        # JSON readers and GitHub annotations must see a bad config too, not only stderr
        from skillforge.report.check import print_setup_error

        print_setup_error(str(exc), options, stream)
        return exc.exit_code
    # shared: a build, clean or watch rebuild publishing now is waited for (and waits for us)
    with reading_lock(
        config.cache_dir,
        options.lock_timeout,
        waiting=waiting(options.lock_timeout, options.quiet),
    ):
        report = run_check(config, options, started)
    print_report(report, options, config, stream)
    return 0 if report.ok else 1
