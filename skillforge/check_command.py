"""`skillforge check` from the command line: parse its options, run the check, print.

Parsed without Typer (like `build` in `entry.py`), so that a clean check of a large project
costs no more than the stats and hashes it needs; `--help` and mistakes go to the Typer app.
"""

from __future__ import annotations

import time
from typing import IO

from skillforge.check import FORMATS, CheckOptions, run_check
from skillforge.entry import EXIT_FAILED, EXIT_OK, project_config, relative_paths

_FLAGS = {
    "--diff": ("diff", True),
    "--no-diff": ("diff", False),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "-v": ("verbose", True),
    "--verbose": ("verbose", True),
}


def parse_check_args(args: list[str]) -> tuple[CheckOptions, str | None] | None:
    """Parse `check`'s options; None when Typer should handle them (help, mistakes)."""
    options = CheckOptions()
    config: str | None = None
    paths: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        if arg in _FLAGS and value is None:
            name, flag = _FLAGS[arg]
            setattr(options, name, flag)
        elif arg in ("--config", "--format", "--jobs", "-j"):
            if value is None:
                i += 1
                if i >= len(args):
                    return None
                value = args[i]
            if arg == "--config":
                config = value
            elif arg == "--format":
                if value not in FORMATS:
                    return None
                options.format = value
            elif value.isdigit() and int(value) >= 1:
                options.jobs = int(value)
            else:
                return None
        elif arg == "--":
            paths.extend(args[i + 1 :])
            break
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
        i += 1
    options.paths = paths or None
    return options, config


def check_command(
    options: CheckOptions,
    config_file: str | None,
    started: float | None = None,
    stream: IO[str] | None = None,
) -> int:
    """Run `skillforge check`; exit 0 when every output is up to date, 1 otherwise."""
    from skillforge.check_format import print_report

    started = time.perf_counter() if started is None else started
    config = project_config(config_file)
    options.paths = relative_paths(config, options.paths)
    report = run_check(config, options, started)
    print_report(report, options, config, stream)
    return EXIT_OK if report.ok else EXIT_FAILED
