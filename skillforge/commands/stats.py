"""`skillforge stats`: gather the project's stats, print them (Rich on a terminal)."""

from __future__ import annotations

import sys

from skillforge.commands.options import STATS_FORMATS
from skillforge.commands.project import project_config
from skillforge.errors import UsageError
from skillforge.report.console import is_terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from skillforge.commands.options import StatsOptions


def stats_command(
    options: StatsOptions,
    config_file: str | None,
    started: float | None = None,
    stream: IO[str] | None = None,
) -> int:
    """Print the stats of the project in the style asked for; return the exit code."""
    from skillforge.engine.stats import gather
    from skillforge.report.plain import write_line
    from skillforge.report.stats import render_prometheus, render_text

    config = project_config(config_file)
    format, top = options.style, options.top
    if format not in STATS_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(STATS_FORMATS)}, not '{format}'")
    data = gather(config, top, lambda message: write_line(f"warning: {message}", sys.stderr))
    out = stream or sys.stdout
    if format == "json":
        import json

        write_line(json.dumps(data, indent=None), out)
    elif format == "prometheus":
        write_line("\n".join(render_prometheus(data)), out)
    elif is_terminal(stream):
        from skillforge.report.stats_terminal import print_stats

        print_stats(data, top)
    else:
        write_line("\n".join(render_text(data, top)), out)
    return 0
