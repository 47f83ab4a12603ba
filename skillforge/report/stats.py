"""`skillforge stats` as text and as Prometheus lines, from what `engine/stats.gather` makes."""

from __future__ import annotations

from typing import Any

from skillforge.state.buildlog import LAYERS

ESTIMATE = "token counts are estimates: cl100k_base, not Claude's tokenizer"


def render_text(data: dict[str, Any], top: int = 10) -> list[str]:
    """Plain lines for logs and CI."""
    lines: list[str] = []
    last, all_time = data["last_build"], data["all_time"]
    if last is None:
        lines.append("no builds recorded yet: run `skillforge build`")
    else:
        lines.append(
            f"last build: {last['time']}, {last['kind']}, {last['duration_ms']:,.1f} ms, "
            f"{last['outputs']['written']} written, {last['outputs']['unchanged']} unchanged, "
            f"{last['outputs']['removed']} removed"
        )
    lines.append(
        f"all time: {all_time['builds']} builds and {all_time['noop_builds']} no-op builds "
        f"recorded (last {data['records_kept']} kept)"
    )
    lines.append("")
    lines.append(f"{'cache hit ratio':<16}{'last build':>24}{'all time':>24}")
    for layer in LAYERS:
        here = _ratio(last[layer]) if last else "-"
        lines.append(f"  {layer:<14}{here:>24}{_ratio(all_time[layer]):>24}")
    lines += remote_lines(last, all_time)
    cache = data["cache"]
    layers = ", ".join(f"{k} {v:,}" for k, v in cache["by_layer"].items())
    lines.append(
        f"cache: {_size(cache['bytes'])} on disk, {cache['entries']:,} entries"
        + (f" ({layers})" if layers else "")
    )
    if last and last["timings"]:
        phases = ", ".join(
            f"{k.removesuffix('_ms')} {v:,.1f} ms" for k, v in last["timings"].items()
        )
        lines.append(f"last build phases: {phases}")
    lines.append("")
    lines.append("slowest templates (all time)")
    lines += table(
        ["template", "renders", "total ms", "mean ms", "max ms", "cache potential"],
        [
            [
                row["name"],
                f"{row['renders']:,}",
                f"{row['total_ms']:,.1f}",
                f"{row['mean_ms']:,.2f}",
                f"{row['max_ms']:,.2f}",
                f"{row['cache_potential']:.0%}",
            ]
            for row in data["templates"]
        ],
        (40, 9, 11, 9, 9, 17),
    )
    if not data["templates"]:
        lines.append("  (none recorded)")
    lines.append("")
    tokens = data["tokens"]
    lines.append(f"tokens per output, largest first ({ESTIMATE})")
    lines += table(
        ["output", "metadata", "body", "files", "lines"],
        [
            [
                row["path"],
                f"{row['metadata_tokens']:,}",
                f"{row['body_tokens']:,}",
                f"{row['files_tokens']:,}",
                f"{row['body_lines']:,}",
            ]
            for row in largest_outputs(data["outputs"], top)
        ],
        (52, 10, 9, 9, 7),
    )
    lines.append(
        f"  all {tokens['outputs']:,} outputs: metadata {tokens['metadata']:,} (every "
        f"session), body {tokens['body']:,} (when loaded), files {tokens['files']:,} (estimate)"
    )
    lines.append("")
    lines.extend(budget_lines(data["budgets"]))
    lines.extend(dropped_lines(data))
    return lines


def remote_lines(last: dict[str, Any] | None, all_time: dict[str, Any]) -> list[str]:
    """The remote cache as its own layer: hits, misses, bytes, time, errors (DESIGN §5.1)."""
    lines = []
    for label, layer in (("last build", (last or {}).get("remote")), ("kept", None)):
        if label == "kept":
            layer = all_time.get("remote")
            label = f"{layer['builds']} builds kept" if layer else label
        if not layer:
            continue
        lines.append(
            f"remote cache ({label}): {layer['hits']:,} hits, {layer['misses']:,} misses, "
            f"{_size(layer['bytes_read'])} read, {layer['writes']:,} writes "
            f"({_size(layer['bytes_written'])}), {layer['ms']:,.1f} ms, "
            f"{layer['errors']:,} errors"
        )
    return lines


def largest_outputs(outputs: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    def weight(row: dict[str, Any]) -> tuple[int, str]:
        return (-(row["metadata_tokens"] + row["body_tokens"] + row["files_tokens"]), row["path"])

    return sorted(outputs, key=weight)[:top]


def budget_lines(budgets: dict[str, Any]) -> list[str]:
    limits = budgets["limits"]
    lines = [
        f"budgets: body_lines {limits['body_lines']:,}, body_tokens {limits['body_tokens']:,} "
        f"(warnings), description_chars {limits['description_chars']:,} (error)"
        + (", strict" if limits.get("strict") else "")
    ]
    over = budgets["over"]
    lines.append(f"  outputs over budget: {len({o['path'] for o in over}):,}")
    for item in over[:10]:
        lines.append(f"  {item['severity']}: {item['file']}: {item['field']}: {item['message']}")
    listing = budgets["listing"]
    lines.append(
        f"skill listing: about {listing['needed_tokens']:,} tokens (estimate) needed for "
        f"{listing['skills']:,} skills, budget {listing['budget_tokens']:,} "
        f"({limits['listing_fraction']:g} of {limits['context_tokens']:,})"
    )
    if listing["cut"]:
        lines.append(f"  cut at 1,536 characters: {len(listing['cut']):,}")
        for cut in listing["cut"][:10]:
            lines.append(
                f"    {cut['name']}: {cut['entry_chars']:,} characters, loses from "
                f"'{cut['lost_from']}...'"
            )
    if listing["dropped"]:
        names = ", ".join(listing["dropped"][:10])
        more = f" and {len(listing['dropped']) - 10:,} more" if len(listing["dropped"]) > 10 else ""
        lines.append(
            f"  descriptions dropped: {len(listing['dropped']):,} (least used first; for "
            f"example {names}{more})"
        )
    if not listing["cut"] and not listing["dropped"]:
        lines.append("  every description fits")
    for name, sim in budgets.get("listings", {}).items():  # per target, in characters
        over_names = sim["over_budget"]
        verdict = (
            f"{len(over_names):,} past the budget (e.g. {', '.join(over_names[:5])})"
            if over_names
            else "all fit"
        )
        lines.append(
            f"  {sim['tool']} ({name}): {sim['needed_chars']:,} of {sim['budget_chars']:,} "
            f"characters; {verdict}"
        )
    return lines


def dropped_lines(data: dict[str, Any]) -> list[str]:
    """What the targets dropped (DESIGN §4): a count, and the first outputs."""
    dropped = data.get("dropped") or {}
    if not dropped:
        return []
    fields = sum(len(v) for v in dropped.values())
    lines = [
        f"targets {', '.join(data.get('targets', []))}: {fields:,} fields dropped in "
        f"{len(dropped):,} outputs (the tool has no such key)"
    ]
    lines.extend(f"  {path}: {', '.join(keys)}" for path, keys in list(dropped.items())[:10])
    return lines


# -- Prometheus text exposition -------------------------------------------------------------


def render_prometheus(data: dict[str, Any]) -> list[str]:
    """The Prometheus text format, for a CI textfile collector."""
    out: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, Any]]) -> None:
        out.append(f"# HELP skillforge_{name} {help_text}")
        out.append(f"# TYPE skillforge_{name} {kind}")
        for labels, value in samples:
            out.append(f"skillforge_{name}{labels} {_number(value)}")

    all_time, last = data["all_time"], data["last_build"]
    layers = list(LAYERS)
    metric(
        "cache_hits_total",
        "counter",
        "Cache hits per layer, all recorded builds.",
        [(_labels(layer=x), all_time[x]["hits"]) for x in layers],
    )
    metric(
        "cache_misses_total",
        "counter",
        "Cache misses (renders, compiles) per layer, all recorded builds.",
        [(_labels(layer=x), all_time[x]["misses"]) for x in layers],
    )
    metric(
        "cache_hit_ratio",
        "gauge",
        "Cache hit ratio per layer (1 when a layer had no lookups).",
        [(_labels(layer=x, scope="all_time"), all_time[x]["hit_ratio"]) for x in layers]
        + [(_labels(layer=x, scope="last_build"), last[x]["hit_ratio"]) for x in layers if last],
    )
    metric(
        "builds_total",
        "counter",
        "Recorded builds.",
        [
            (_labels(kind="full"), all_time["builds"]),
            (_labels(kind="noop"), all_time["noop_builds"]),
        ],
    )
    if last:
        metric(
            "last_build_duration_seconds",
            "gauge",
            "Wall time of the last build.",
            [("", last["duration_ms"] / 1000)],
        )
        metric(
            "last_build_outputs",
            "gauge",
            "Documents written, unchanged and removed by the last build.",
            [(_labels(state=k), last["outputs"][k]) for k in ("written", "unchanged", "removed")],
        )
    cache = data["cache"]
    metric("cache_bytes", "gauge", "Bytes on disk under the cache folder.", [("", cache["bytes"])])
    metric("cache_entries", "gauge", "Entries in the cache.", [("", cache["entries"])])
    metric(
        "template_render_seconds_total",
        "counter",
        "Render time per template (the slowest), all recorded builds.",
        [(_labels(template=r["name"]), r["total_ms"] / 1000) for r in data["templates"]],
    )
    metric(
        "template_renders_total",
        "counter",
        "Renders per template (the slowest), all recorded builds.",
        [(_labels(template=r["name"]), r["renders"]) for r in data["templates"]],
    )
    tokens = data["tokens"]
    metric(
        "tokens_estimate",
        "gauge",
        "Estimated tokens (cl100k_base) of all outputs: metadata, body, supporting files.",
        [(_labels(part=k), tokens[k]) for k in ("metadata", "body", "files")],
    )
    listing = data["budgets"]["listing"]
    metric(
        "listing_tokens_estimate",
        "gauge",
        "Estimated tokens of the full skill listing, and its budget.",
        [
            (_labels(kind="needed"), listing["needed_tokens"]),
            (_labels(kind="budget"), listing["budget_tokens"]),
        ],
    )
    metric(
        "listing_skills",
        "gauge",
        "Skills in the listing, and those whose descriptions are cut or dropped.",
        [
            (_labels(state="all"), listing["skills"]),
            (_labels(state="cut"), len(listing["cut"])),
            (_labels(state="dropped"), len(listing["dropped"])),
        ],
    )
    over = data["budgets"]["over"]
    metric(
        "budget_problems",
        "gauge",
        "Outputs over a budget, by severity.",
        [
            (_labels(severity=s), sum(1 for o in over if o["severity"] == s))
            for s in ("warning", "error")
        ],
    )
    return out


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def table(headers: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> list[str]:
    """Indented lines of a table: the first column left-aligned, the others right-aligned.

    `widths` are the usual widths; a wider cell widens its column, and columns are always
    apart by at least two spaces, so that numbers never run together.
    """
    sizes = [
        max([widths[i] - (2 if i else 0), len(headers[i])] + [len(r[i]) for r in rows])
        for i in range(len(headers))
    ]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(sizes[0])
        rest = "".join("  " + cell.rjust(sizes[i + 1]) for i, cell in enumerate(cells[1:]))
        return f"  {first}{rest}".rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _ratio(layer: dict[str, Any]) -> str:
    lookups = layer["hits"] + layer["misses"]
    if not lookups:
        return "- (no lookups)"
    return f"{layer['hit_ratio']:.1%} ({layer['hits']:,}/{lookups:,})"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{n:,} B"
        size /= 1024
    return f"{n:,} B"
