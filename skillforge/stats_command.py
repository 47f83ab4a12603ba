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
    from skillforge.stats import gather, render_prometheus, render_text

    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{format}'")
    data = gather(config, top)
    out = stream or sys.stdout
    if format == "json":
        import json

        print(json.dumps(data, indent=None), file=out)
    elif format == "prometheus":
        out.write("\n".join(render_prometheus(data)) + "\n")
    elif stream is None and out.isatty() and os.environ.get("TERM") != "dumb":
        from skillforge.stats_rich import print_stats

        print_stats(data, top)
    else:
        out.write("\n".join(render_text(data, top)) + "\n")
    return 0
