"""Benchmark one 6,000-line agent built cold against the plain script (issue 17).

Usage::

    python benchmarks/agent.py [--repeat 7] [--warmup 1] [--keep DIR] [--json-out FILE]

The project holds one spec, `specs/agents/large-agent-1.yaml` of the bench corpus (a 6,000-line
agent), with the corpus's templates and traits. Each round removes the project's cache folder
and outputs, then times `skillforge build --json` and the plain script (`baseline.py`, which
keeps nothing between runs) one after the other, so that the machine's load falls on both:

- ``cold``: the user's cache (`$XDG_CACHE_HOME/skillforge`: the token rank index, the
  piece table, the compiled regexes) is kept, as it is on any machine that has built once,
  like the bytecode pip compiles at install. Goal: no slower than the plain script.
- ``first_run``: the user's cache is removed too, as on the first build on a new machine
  (reported; no goal).

Medians of wall and CPU time, with minima and maxima. Exit status: 0 when every run built
the one output (exit 0), 1 otherwise; a missed goal is only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import corpus
from run import BASELINE, Run, find_skillforge, measure

AGENT = "specs/agents/large-agent-1.yaml"
OUTPUT = ".claude/agents/large-agent-1.md"


def make_project(root: Path) -> None:
    """The bench corpus with one large agent and one skill, less the skill."""
    corpus.write_corpus(root, 2, 1)
    for spec in (root / "specs").rglob("*.yaml"):
        if spec.relative_to(root).as_posix() != AGENT and "_bases" not in spec.parts:
            spec.unlink()


def summary(runs: list[Run]) -> dict[str, float]:
    walls = [r.wall_ms for r in runs]
    return {
        "wall_ms": round(statistics.median(walls), 1),
        "min_wall_ms": round(min(walls), 1),
        "max_wall_ms": round(max(walls), 1),
        "cpu_ms": round(statistics.median(r.cpu_ms for r in runs), 1),
    }


def checked(run: Run, what: str) -> Run:
    if run.returncode != 0:
        raise SystemExit(f"{what}: exit {run.returncode}: {run.stderr[:300]}")
    return run


def scenario(name: str, root: Path, exe: Path, repeat: int, warmup: int) -> dict[str, Any]:
    user_cache = Path(os.environ["XDG_CACHE_HOME"]) / "skillforge"
    ours: list[Run] = []
    plain: list[Run] = []
    for _ in range(warmup + repeat):  # the warm-up rounds are not counted
        for folder in (".skillforge", ".claude", ".baseline"):
            shutil.rmtree(root / folder, ignore_errors=True)
        if name == "first_run":
            shutil.rmtree(user_cache, ignore_errors=True)
        run = checked(measure([str(exe), "build", "--json"], root), f"skillforge {name}")
        written = (run.report or {}).get("written")
        if written != [OUTPUT]:
            raise SystemExit(f"skillforge {name}: wrote {written!r}, expected [{OUTPUT!r}]")
        ours.append(run)
        plain.append(checked(measure([sys.executable, str(BASELINE), str(root)], root), "plain"))
    result: dict[str, Any] = {
        "skillforge": summary(ours[warmup:]),
        "plain_script": summary(plain[warmup:]),
    }
    result["ratio_wall"] = round(
        result["skillforge"]["wall_ms"] / result["plain_script"]["wall_ms"], 2
    )
    return result


def bench(args: argparse.Namespace, root: Path, exe: Path) -> int:
    make_project(root)
    os.environ["XDG_CACHE_HOME"] = str(root / ".user-cache")  # the builds' own user cache
    checked(measure([str(exe), "build"], root), "first build")  # the user cache, made once
    results = {name: scenario(name, root, exe, args.repeat, args.warmup) for name in SCENARIOS}
    lines = sum(1 for _ in (root / OUTPUT).open(encoding="utf-8"))
    print(f"one agent of {lines:,} lines ({AGENT}), {args.repeat} rounds, wall ms:")
    for name, r in results.items():
        ours, plain = r["skillforge"], r["plain_script"]
        goal = SCENARIOS[name]
        verdict = "" if goal is None else (" ok" if r["ratio_wall"] <= goal else " MISSED")
        print(
            f"  {name:<10} skillforge {ours['wall_ms']:>7,.1f} ({ours['min_wall_ms']:,.1f}-"
            f"{ours['max_wall_ms']:,.1f}, cpu {ours['cpu_ms']:,.1f})  plain script "
            f"{plain['wall_ms']:>7,.1f} ({plain['min_wall_ms']:,.1f}-{plain['max_wall_ms']:,.1f},"
            f" cpu {plain['cpu_ms']:,.1f})  ratio {r['ratio_wall']:.2f}"
            + ("" if goal is None else f"  goal <= {goal}x")
            + verdict
        )
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps({"lines": lines, "results": results}, indent=2))
    print(f"results written to {args.json_out}")
    return 0


# scenario -> the goal for skillforge's wall time over the plain script's (None: reported)
SCENARIOS: dict[str, float | None] = {"cold": 1.0, "first_run": None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One large agent, cold (issue 17).")
    parser.add_argument("--repeat", type=int, default=7, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument("--keep", type=Path, help="write the project here and keep it")
    parser.add_argument("--json-out", type=Path, default=Path(".bench/agent.json"))
    parser.add_argument("--skillforge", help="the skillforge executable (default: sys.prefix/bin)")
    args = parser.parse_args(argv)
    exe = find_skillforge(args.skillforge)
    if exe is None:
        print("skillforge executable not found; run with the project's virtualenv", file=sys.stderr)
        return 1
    return corpus.in_folder(args.keep, "sf-agent-", lambda root: bench(args, root, exe))


if __name__ == "__main__":
    sys.exit(main())
