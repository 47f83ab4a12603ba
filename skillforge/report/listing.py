"""`skillforge list` as plain text (piped) and JSON; the Rich table is listing_terminal.py."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

COLUMNS = ("spec", "kind", "state", "desc", "meta", "body", "outputs")
ESTIMATE = "token counts are estimates (cl100k_base)"


def cells(row: dict[str, Any]) -> list[str]:
    """The cells of one row, as text: "-" for what no build has recorded."""

    def number(key: str) -> str:
        value = row[key]
        return "-" if value is None else f"{value:,}"

    state = row["state"]
    if row["reasons"]:
        state += f" ({', '.join(row['reasons'])})"
    return [
        row["spec"],
        row["kind"] or "-",
        state,
        number("description_chars"),
        number("metadata_tokens"),
        number("body_tokens"),
        ", ".join(row["outputs"]) or "-",
    ]


def summary(rows: list[dict[str, Any]]) -> str:
    """The last line: how many specs in each state."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    noun = "spec" if len(rows) == 1 else "specs"
    return f"{len(rows)} {noun}" + (f": {states}" if states else "")


def render_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned columns, a header, one line per spec, then the summary."""
    table = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    lines = []
    for line in table:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        lines.append("  ".join([*padded, line[-1]]).rstrip())
    lines.append(f"{summary(rows)}; desc: description characters, meta/body: {ESTIMATE}")
    return lines


def render_json(rows: list[dict[str, Any]]) -> str:
    """One JSON object: {"specs": [...], "total": n, "states": {state: n}}."""
    import json

    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return json.dumps({"total": len(rows), "states": states, "specs": rows})
