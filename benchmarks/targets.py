"""Benchmark six targets against one on the same corpus (issue 12; see ``benchmarks/README.md``).

Usage::

    python benchmarks/targets.py --specs 1000 [--repeat 5] [--keep DIR] [--json-out FILE]

Two copies of the corpus: one builds for `claude` only (the default), the other for all six
targets (`targets = [...]` in its config: about 6x the files). Each scenario runs on both
copies in turn, round after round, so that the machine's load falls on both alike:

- ``cold``: no cache folder and no outputs. Goal: six targets <= 1.3x one.
- ``noop``: nothing changed. Goal: <= 1.5x (six times the files to stat).
- ``section_edit``: one spec's inline section edited (a new text every time). Goal: <= 1.3x.

Medians of wall time and of CPU time (the build and its workers), and their ratios.
Exit status: 0 when every run built (exit 0), 1 otherwise; a missed goal is only reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import corpus
from run import Run, bench_main, measure

ALL = ("claude", "agents", "codex", "cursor", "copilot", "opencode")
# every folder or file the six targets write in the corpus, removed before a cold build
OUTPUTS = (".skillforge", ".claude", ".agents", ".codex", ".cursor", ".github", ".opencode")
GOALS = {"cold": 1.3, "noop": 1.5, "section_edit": 1.3}


def six_targets(root: Path) -> None:
    config = root / ".skillforge.toml"
    names = ", ".join(f'"{name}"' for name in ALL)
    config.write_text(f"targets = [{names}]\n" + config.read_text(encoding="utf-8"))


def clean(root: Path) -> None:
    for name in OUTPUTS:
        shutil.rmtree(root / name, ignore_errors=True)


def scenario(
    name: str, roots: dict[str, Path], exe: Path, repeat: int, warmup: int
) -> dict[str, Any]:
    runs: dict[str, list[Run]] = {label: [] for label in roots}
    for _ in range(warmup + repeat):  # the warm-up rounds are not counted
        for label, root in roots.items():
            if name == "cold":
                clean(root)
            elif name == "section_edit":
                corpus.edit_one_section(root)
            run = measure([str(exe), "build", "--json"], root)
            if run.returncode != 0:
                raise SystemExit(f"{label} {name}: exit {run.returncode}: {run.stderr[:300]}")
            runs[label].append(run)
    result: dict[str, Any] = {}
    for label, measured in runs.items():
        measured = measured[warmup:]
        result[label] = {
            "wall_ms": round(statistics.median(r.wall_ms for r in measured), 1),
            "cpu_ms": round(statistics.median(r.cpu_ms for r in measured), 1),
            "min_wall_ms": round(min(r.wall_ms for r in measured), 1),
            "max_wall_ms": round(max(r.wall_ms for r in measured), 1),
        }
    one, six = result["one"], result["six"]
    result["ratio_wall"] = round(six["wall_ms"] / one["wall_ms"], 2)
    result["ratio_cpu"] = round(six["cpu_ms"] / one["cpu_ms"], 2)
    result["goal"] = GOALS[name]
    return result


def bench(args: argparse.Namespace, root: Path, exe: Path) -> int:
    one, six = root / "one", root / "six"
    corpus.write_corpus(one, args.specs, args.agents_large)
    shutil.copytree(one, six)
    six_targets(six)
    roots = {"one": one, "six": six}
    for path in roots.values():  # first builds: caches and outputs in place
        measure([str(exe), "build"], path)
    results = {name: scenario(name, roots, exe, args.repeat, args.warmup) for name in GOALS}
    head = f"{'scenario':<14}{'one target':>12}{'six targets':>13}{'ratio':>7}"
    print(head + "  (cpu: one, six, ratio)")
    for name, r in results.items():
        met = "ok" if r["ratio_wall"] <= r["goal"] else "MISSED"
        print(
            f"{name:<14}{r['one']['wall_ms']:>12,.1f}{r['six']['wall_ms']:>13,.1f}"
            f"{r['ratio_wall']:>7.2f}  ({r['one']['cpu_ms']:,.1f}, {r['six']['cpu_ms']:,.1f}, "
            f"{r['ratio_cpu']:.2f})  goal <= {r['goal']}x {met}"
        )
    print("wall medians in ms; cpu = user + sys of the build and its workers")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({"specs": args.specs, "results": results}, indent=2))
    print(f"results written to {args.json_out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, "targets", "Six targets against one (issue 12).", 5, bench)


if __name__ == "__main__":
    sys.exit(main())
