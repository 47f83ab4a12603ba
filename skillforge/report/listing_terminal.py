"""`skillforge list` on a terminal: the rows of listing.py as a Rich table."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skillforge.report.listing import ESTIMATE, cells, summary

_STYLE = {"up to date": "green", "stale": "yellow", "failing": "red", "not built": "dim"}


def print_table(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Print one row per spec, coloured by state, then the summary."""
    console = console or Console(highlight=False)
    table = Table(box=None)
    for name, justify in (
        ("spec", "left"),
        ("kind", "left"),
        ("state", "left"),
        ("desc\nchars", "right"),
        ("meta\ntokens", "right"),
        ("body\ntokens", "right"),
        ("outputs", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        values = [escape(cell) for cell in cells(row)]
        style = _STYLE.get(row["state"], "")
        values[2] = f"[{style}]{values[2]}[/]" if style else values[2]
        table.add_row(*values)
    console.print(table)
    console.print(f"{summary(rows)} [dim]({ESTIMATE})[/]")
