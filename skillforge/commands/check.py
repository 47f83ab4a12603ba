"""`skillforge check` from the command line: parse its options, run the check, print.

Parsed without Typer (like `build` in `entry.py`), so that a clean check of a large project
costs no more than the stats and hashes it needs; `--help` and mistakes go to the Typer app.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

from skillforge.cli.main import EXIT_FAILED, EXIT_OK, project_config, relative_paths
from skillforge.engine.check import FORMATS, CheckOptions, run_check
from skillforge.errors import SkillforgeError
from skillforge.state.lock import reading_lock

_FLAGS = {"--diff": ("diff", True), "--no-diff": ("diff", False)}


def parse_check_args(args: list[str]) -> tuple[CheckOptions, str | None] | None:
    """Parse `check`'s options; None when Typer should handle them (help, mistakes)."""
    from skillforge.cli import fastparse as argv

    formats = {"--format": ("format", argv.one_of(*FORMATS))}
    return argv.parse_into(args, CheckOptions(), _FLAGS, formats)


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
    with reading_lock(config.cache_dir, options.lock_timeout, waiting=_waiting(options)):
        report = run_check(config, options, started)
    print_report(report, options, config, stream)
    return EXIT_OK if report.ok else EXIT_FAILED


def _waiting(options: CheckOptions) -> Callable[[str], None] | None:
    if options.quiet:
        return None

    def say(holder: str) -> None:
        print(f"waiting for {holder} to finish (up to {options.lock_timeout:g}s)", file=sys.stderr)

    return say
