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

The cold scenario also measures the file system's floor for each copy, in the same round: the
time to make the same output folders and files (same sizes, each written to a temp file and
renamed, as a build does) in a scratch folder beside the corpus, with no rendering at all. Six
targets make about five times the files and folders of one; on a disk where each costs hundreds
of microseconds, that alone can put the cold ratio far above 1.3 whatever the renderer does.
The no-op and the edit measure their floor the same way: the time a new process takes to
stat every output of the copy (one ``os.stat`` each, from the project folder, as a build's
check for hand-edited and deleted outputs does), its start-up not counted. The report gives
the floors and the ratio of the time above them (``ratio_above_floor``).
Exit status: 0 when every run built (exit 0), 1 otherwise; a missed goal is only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
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


def output_tree(root: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """The folders and the files (with their sizes) a build wrote under `root`, in walk order."""
    folders: list[str] = []
    files: list[tuple[str, int]] = []
    for name in OUTPUTS[1:]:  # not the cache folder: the outputs the targets multiply
        top = root / name
        for here, dirs, names in os.walk(top):
            dirs.sort()
            folders.append(os.path.relpath(here, root))
            for file in sorted(names):
                path = os.path.join(here, file)
                files.append((os.path.relpath(path, root), os.lstat(path).st_size))
    return folders, files


def floor_ms(scratch: Path, tree: tuple[list[str], list[tuple[str, int]]]) -> float:
    """Wall time to make `tree` under `scratch` the way a build does: folders, then each file
    written to a temp file beside it and renamed into place. `scratch` is removed afterwards."""
    folders, files = tree
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    start = time.perf_counter()
    for folder in folders:
        os.mkdir(scratch / folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for rel, size in files:
        final = os.path.join(scratch, rel)
        temp = final + ".tmp"
        fd = os.open(temp, flags, 0o644)
        os.write(fd, b"x" * size)
        os.fstat(fd)
        os.close(fd)
        os.replace(temp, final)
    elapsed = (time.perf_counter() - start) * 1000.0
    shutil.rmtree(scratch, ignore_errors=True)
    return elapsed


# Stats every path read from stdin (one per line, relative to the working folder) in a new
# process, keeping each one's mtime and size as a build does (state/hot.py `_stat_pairs`),
# and prints the milliseconds the stats took
STAT_ALL = (
    "import os, sys, time; from itertools import chain; from operator import attrgetter; "
    "two = attrgetter('st_mtime_ns', 'st_size'); paths = sys.stdin.read().splitlines(); "
    "t = time.perf_counter(); found = list(chain.from_iterable(map(two, map(os.stat, paths)))); "
    "print((time.perf_counter() - t) * 1000.0)"
)


def stat_floor_ms(root: Path, tree: tuple[list[str], list[tuple[str, int]]]) -> float:
    """Wall time for a new process to stat every file of `tree` from `root`."""
    paths = "\n".join(rel for rel, _ in tree[1])
    done = subprocess.run(
        [sys.executable, "-c", STAT_ALL], cwd=root, input=paths, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"stat floor: {done.stderr[:300]}")
    return float(done.stdout)


def scenario(
    name: str, roots: dict[str, Path], exe: Path, repeat: int, warmup: int
) -> dict[str, Any]:
    runs: dict[str, list[Run]] = {label: [] for label in roots}
    floors: dict[str, list[float]] = {label: [] for label in roots}
    trees = {label: output_tree(root) for label, root in roots.items()}
    for _ in range(warmup + repeat):  # the warm-up rounds are not counted
        for label, root in roots.items():
            if name == "cold":
                clean(root)
                floors[label].append(floor_ms(root.parent / f"floor-{label}", trees[label]))
            else:
                floors[label].append(stat_floor_ms(root, trees[label]))
            if name == "section_edit":
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
        result[label]["floor_ms"] = round(statistics.median(floors[label][warmup:]), 1)
        result[label]["folders"] = len(trees[label][0])
        result[label]["files"] = len(trees[label][1])
    one, six = result["one"], result["six"]
    result["ratio_wall"] = round(six["wall_ms"] / one["wall_ms"], 2)
    result["ratio_cpu"] = round(six["cpu_ms"] / one["cpu_ms"], 2)
    above = (six["wall_ms"] - six["floor_ms"]) / (one["wall_ms"] - one["floor_ms"])
    result["ratio_above_floor"] = round(above, 2)
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
    print(head + "  (cpu: one, six, ratio)  [floor: one, six; ratio above it]")
    for name, r in results.items():
        met = "ok" if r["ratio_wall"] <= r["goal"] else "MISSED"
        print(
            f"{name:<14}{r['one']['wall_ms']:>12,.1f}{r['six']['wall_ms']:>13,.1f}"
            f"{r['ratio_wall']:>7.2f}  ({r['one']['cpu_ms']:,.1f}, {r['six']['cpu_ms']:,.1f}, "
            f"{r['ratio_cpu']:.2f})  goal <= {r['goal']}x {met}  [{r['one']['floor_ms']:,.1f}, "
            f"{r['six']['floor_ms']:,.1f}; {r['ratio_above_floor']:.2f}]"
        )
    cold = results["cold"]
    print(
        f"file-system floor of a cold build (make the same folders and files, no rendering): "
        f"one {cold['one']['floor_ms']:,.1f} ms ({cold['one']['folders']:,} folders, "
        f"{cold['one']['files']:,} files), six {cold['six']['floor_ms']:,.1f} ms "
        f"({cold['six']['folders']:,} folders, {cold['six']['files']:,} files); "
        f"cold ratio above the floor {cold['ratio_above_floor']:.2f}"
    )
    print(
        "no-op and edit floor: a new process stats every output (one target "
        f"{cold['one']['files']:,} files, six {cold['six']['files']:,}), start-up not counted"
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
