"""`skillforge stats`: gather the build records, cache and output costs.

`gather` builds the `stats --json` object (DESIGN §6); report/stats.py prints it as text or
Prometheus lines, report/stats_terminal.py as Rich tables. Reading only: `stats` writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from skillforge.cache.keys import LAYER_OF_PREFIX as _LAYER_OF_PREFIX
from skillforge.engine.budgets import (
    output_problems,
    read_costs,
    simulate_listing,
    simulate_listings,
)
from skillforge.engine.load.config import Config
from skillforge.state.buildlog import LAYERS, History, damaged_message
from skillforge.state.manifest import read_manifest


def layer_json(hits: int, misses: int) -> dict[str, Any]:
    """{hits, misses, hit_ratio}; the ratio is 1.0 when a layer had no lookups (DESIGN §6)."""
    total = hits + misses
    return {"hits": hits, "misses": misses, "hit_ratio": round(hits / total, 4) if total else 1.0}


def record_json(record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "time": _iso(record["time"]),
        "kind": record["kind"],
        "ok": record["ok"],
        "duration_ms": record["duration_ms"],
        "specs": record["specs"],
        "outputs": record["outputs"],
    }
    for layer, (hits, misses) in record["layers"].items():
        data[layer] = layer_json(hits, misses)
    remote = remote_layer(record)
    if remote is not None:
        data["remote"] = remote
    data["timings"] = record["timings"]
    data["errors"] = record["errors"]
    data["warnings"] = record["warnings"]
    return data


REMOTE_KEYS = ("hits", "misses", "bytes_read", "bytes_written", "writes", "errors", "ms")


def remote_layer(record: dict[str, Any]) -> dict[str, Any] | None:
    """The remote cache layer of a build record (DESIGN §5.1), None when it had none."""
    remote = record.get("remote")
    if not isinstance(remote, dict):
        return None
    values = {k: remote.get(k) for k in REMOTE_KEYS}
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
        return None
    return values


def _remote_totals(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    layers = [layer for layer in map(remote_layer, records) if layer is not None]
    if not layers:
        return None
    totals = {k: sum(layer[k] for layer in layers) for k in REMOTE_KEYS}
    totals["ms"] = round(totals["ms"], 2)
    totals["builds"] = len(layers)
    return totals


def gather(
    config: Config, top: int = 10, warn: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Everything `stats` shows, as the JSON object of `stats --json`.

    Damaged build records are shown as none, and `warn` is told (once per file).
    """
    cache_dir = str(config.cache_dir)
    damaged: list[str] = []
    history = History.load(cache_dir, keep=config.records_kept, damaged=damaged)
    totals = history.totals
    all_time: dict[str, Any] = {
        "builds": totals["builds"],
        "noop_builds": totals["noops"],
        "since": _iso(totals["since"]) if totals["since"] else None,
        "duration_ms": totals["duration_ms"],
        "outputs": totals["outputs"],
        "errors": totals["errors"],
        "warnings": totals["warnings"],
    }
    for layer in LAYERS:
        all_time[layer] = layer_json(*totals["layers"][layer])
    remote = _remote_totals(history.records)  # over the records kept, not all time
    if remote is not None:
        all_time["remote"] = remote
    try:
        manifest = read_manifest(cache_dir)
    except ValueError:
        manifest = None
    costs = read_costs(cache_dir, damaged)
    for path in damaged:
        if warn is not None:
            warn(f"{config.rel(path)}: {damaged_message(read_only=True)}")
    current = manifest.outputs if manifest is not None else {}
    costs = {path: cost for path, cost in costs.items() if path in current}
    budgets = config.budgets
    over = []
    for cost in sorted(costs.values(), key=lambda c: c.path):
        for problem in output_problems(budgets, cost):
            over.append({"path": cost.path, **problem.as_dict(), "severity": problem.severity})
    listing = simulate_listing(budgets, costs.values())
    outputs = [c.as_json() for c in sorted(costs.values(), key=lambda c: c.path)]
    return {
        "last_build": record_json(history.records[-1]) if history.records else None,
        "all_time": all_time,
        "records_kept": len(history.records),
        "cache": cache_size(cache_dir),
        "templates": slowest_templates(history.templates, top),
        "tokens": {
            "estimate": True,
            "encoding": "cl100k_base",
            "outputs": len(costs),
            "metadata": sum(c.metadata_tokens for c in costs.values()),
            "body": sum(c.body_tokens for c in costs.values()),
            "files": sum(c.files_tokens for c in costs.values()),
        },
        "outputs": outputs,
        "budgets": {
            "limits": {k: budgets[k] for k in sorted(budgets)},
            "over": over,
            "listing": listing.as_json(),
            "listings": simulate_listings(config, costs.values()),
        },
        "targets": list(config.targets),
        "dropped": _dropped(config, current),
    }


def _dropped(config: Config, current: Any) -> dict[str, list[str]]:
    """What each output's target dropped at its last build (DESIGN §4; `save_dropped`)."""
    from skillforge.engine.documents import DROPPED_FILE, read_dropped

    found = read_dropped(os.path.join(config.cache_dir, DROPPED_FILE))
    return {k: v for k, v in found.items() if k in current}


def slowest_templates(table: dict[str, list[Any]], top: int) -> list[dict[str, Any]]:
    """All-time render times per template, slowest (by total) first.

    `cache_potential`: the share of renders whose output repeated another render of the same
    template in the same build.
    """
    rows = []
    for name, (count, total, peak, repeats) in table.items():
        rows.append(
            {
                "name": name,
                "renders": count,
                "total_ms": round(total, 3),
                "mean_ms": round(total / count, 3) if count else 0.0,
                "max_ms": round(peak, 3),
                "cache_potential": round(repeats / count, 4) if count else 0.0,
            }
        )
    rows.sort(key=lambda r: (-r["total_ms"], r["name"]))
    return rows[:top]


def cache_size(cache_dir: str) -> dict[str, Any]:
    """Bytes of everything under the cache folder, and the entries of the diskcache by layer."""
    total = 0
    for folder, _, files in os.walk(cache_dir):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    by_layer: dict[str, int] = {}
    entries = 0
    db = os.path.join(cache_dir, "cache", "cache.db")
    if os.path.isfile(db):
        from skillforge.cache.db import sqlite3

        # straight from diskcache's table, read-only and `immutable` (no lock, no shared-memory
        # file): opening a diskcache.Cache would create or migrate files, and `stats` writes
        # nothing; a build writing at the same time can only make the count a little stale
        try:
            uri = f"file:{db}?mode=ro&immutable=1"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
                rows = conn.execute(
                    "SELECT substr(key, 1, instr(key, ':') - 1), count(*) FROM Cache GROUP BY 1"
                ).fetchall()
            for prefix, count in rows:
                layer = _LAYER_OF_PREFIX.get(prefix, prefix or "other")
                by_layer[layer] = by_layer.get(layer, 0) + count
                entries += count
        except sqlite3.Error:
            pass
    return {"bytes": total, "entries": entries, "by_layer": dict(sorted(by_layer.items()))}


# -- plain text --------------------------------------------------------------------------------


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(when))
