"""`skillforge stats` as the CLI runs it: pick the output style, print (Rich on a terminal)."""

from __future__ import annotations

import os
import sys
from typing import IO

from skillforge.config import Config
from skillforge.errors import UsageError

FORMATS = ("text", "json", "prometheus")


def stats_command(config: Config, format: str, top: int, stream: IO[str] | None = None) -> int:
    """Print the stats of `config`'s project in `format`; return the exit code."""
    from skillforge.report import write_line
    from skillforge.stats import gather, render_prometheus, render_text

    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{format}'")
    data = gather(config, top, lambda message: write_line(f"warning: {message}", sys.stderr))
    out = stream or sys.stdout
    if format == "json":
        import json

        write_line(json.dumps(data, indent=None), out)
    elif format == "prometheus":
        write_line("\n".join(render_prometheus(data)), out)
    elif stream is None and out.isatty() and os.environ.get("TERM") != "dumb":
        from skillforge.stats_rich import print_stats

        print_stats(data, top)
    else:
        write_line("\n".join(render_text(data, top)), out)
    return 0


def parse_stats_args(args: list[str]) -> tuple[str, int, str | None, bool] | None:
    """Parse `stats`'s options (format, top, config, verbose) without Typer, whose import
    would be most of the command's time; None when Typer should handle them."""
    from skillforge import argv

    parsed = argv.parse(
        args,
        {"--json": ("json", True), "-v": ("verbose", True), "--verbose": ("verbose", True)},
        {
            "--format": ("format", argv.text),
            "--top": ("top", argv.positive_int),
            "--config": ("config", argv.text),
        },
        paths=False,
    )
    if parsed is None:
        return None
    values = parsed[0]
    fmt = "json" if values.get("json") else str(values.get("format", "text"))
    top = values.get("top", 10)
    config = values.get("config")
    return (
        fmt,
        top if isinstance(top, int) else 10,
        config if isinstance(config, str) else None,
        bool(values.get("verbose")),
    )


def stats_main(fmt: str, top: int, config_file: str | None) -> int:
    """`skillforge stats` from the fast entry point: find the project, print its stats."""
    from skillforge.entry import project_config

    return stats_command(project_config(config_file), fmt, top)
