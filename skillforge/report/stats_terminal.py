"""`skillforge stats` on a terminal: the same figures as the plain text, as Rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skillforge.report.stats import ESTIMATE, budget_lines, largest_outputs, remote_lines
from skillforge.state.buildlog import LAYERS

WIDE = 80  # columns from which the templates table has its mean and max


def print_stats(data: dict[str, Any], top: int = 10, console: Console | None = None) -> None:
    """Print the tables of `stats` (hit ratios, cache, templates, tokens, budgets)."""
    console = console or Console(highlight=False)
    last, all_time = data["last_build"], data["all_time"]
    if last is None:
        console.print("[yellow]no builds recorded yet:[/] run `skillforge build`")
    else:
        console.print(
            f"[bold]last build[/] {last['time']} ({last['kind']}), "
            f"{last['duration_ms']:,.1f} ms: {last['outputs']['written']} written, "
            f"{last['outputs']['unchanged']} unchanged, {last['outputs']['removed']} removed"
        )
    ratios = Table(title="cache hit ratio", title_justify="left", box=None)
    ratios.add_column("layer", no_wrap=True, min_width=9)
    ratios.add_column("last build", justify="right")
    ratios.add_column(
        f"all time ({all_time['builds']} builds, {all_time['noop_builds']} no-op)", justify="right"
    )
    for layer in LAYERS:
        ratios.add_row(layer, _ratio(last[layer]) if last else "-", _ratio(all_time[layer]))
    console.print(ratios)
    for line in remote_lines(last, all_time):
        console.print(escape(line))
    cache = data["cache"]
    layers = ", ".join(f"{k} {v:,}" for k, v in cache["by_layer"].items())
    console.print(
        f"cache: {cache['bytes'] / 2**20:,.1f} MiB on disk, {cache['entries']:,} entries"
        + (f" [dim]({escape(layers)})[/]" if layers else "")
    )
    templates = Table(title="slowest templates (all time)", title_justify="left", box=None)
    # under 80 columns the mean and max make room for the totals (they are in `--json`):
    # a number is never cut, whatever the machine's render times
    wide = console.width >= WIDE
    columns = [("template", "left"), ("renders", "right"), ("total\nms", "right")]
    if wide:
        columns += [("mean\nms", "right"), ("max\nms", "right")]
    for name, justify in (*columns, ("cache\npotential", "right")):
        templates.add_column(name, **_column(justify))
    for row in data["templates"]:
        cells = [escape(row["name"]), f"{row['renders']:,}", f"{row['total_ms']:,.1f}"]
        if wide:
            cells += [f"{row['mean_ms']:,.2f}", f"{row['max_ms']:,.2f}"]
        templates.add_row(*cells, f"{row['cache_potential']:.0%}")
    console.print(templates)
    tokens = data["tokens"]
    outputs = Table(
        title="tokens per output, largest first",
        caption=ESTIMATE,
        title_justify="left",
        box=None,
    )
    for name, justify in (
        ("output", "left"),
        ("metadata", "right"),
        ("body", "right"),
        ("files", "right"),
        ("body\nlines", "right"),
    ):
        outputs.add_column(name, **_column(justify))
    for row in largest_outputs(data["outputs"], top):
        outputs.add_row(
            escape(row["path"]),
            f"{row['metadata_tokens']:,}",
            f"{row['body_tokens']:,}",
            f"{row['files_tokens']:,}",
            f"{row['body_lines']:,}",
        )
    outputs.add_row(
        f"[bold]all {tokens['outputs']:,} outputs[/]",
        f"[bold]{tokens['metadata']:,}[/]",
        f"[bold]{tokens['body']:,}[/]",
        f"[bold]{tokens['files']:,}[/]",
        "",
    )
    console.print(outputs)
    for line in budget_lines(data["budgets"]):
        console.print(escape(line))


def _column(justify: str) -> dict[str, Any]:
    """Names fold over lines (never cut to `sectio…`); numbers stay on one line."""
    if justify == "left":
        return {"justify": "left", "overflow": "fold", "min_width": 20}
    return {"justify": "right", "no_wrap": True}


def _ratio(layer: dict[str, Any]) -> str:
    lookups = layer["hits"] + layer["misses"]
    if not lookups:
        return "[dim]- (no lookups)[/]"
    return f"{layer['hit_ratio']:.1%} [dim]({layer['hits']:,}/{lookups:,})[/]"
