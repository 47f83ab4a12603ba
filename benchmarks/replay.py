"""The no-op build of a project with failing specs, against the clean no-op (issue 17).

Usage::

    python benchmarks/replay.py --specs 1000 --failing 200 [--repeat 7] [--keep DIR]

Writes two corpora (`corpus.py`): `clean/` with `--specs` specs, and `failing/`, the same plus
`--failing` specs that every build rejects (a YAML syntax error, a schema error, a missing
template, a missing trait, in turn). Each is built once, then its no-op build is run
`--warmup` + `--repeat` times as a subprocess (`skillforge build --json`); the figure is the
CPU time of the process (user + sys from `os.wait4`), median, minimum and maximum of the
measured rounds. A failed spec whose inputs did not change is replayed from the record (its
errors printed again, exit 1) without being parsed: the goal is a no-op with failing specs
within 2x the clean one. Each run's report is checked (specs parsed and replayed).

Exit status: 0 when every build did what was expected (even if the goal was missed: this is
a report), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import corpus
from run import Run, find_skillforge, measure

GOAL = 2.0  # the no-op with failing specs, at most this many times the clean no-op


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def noop_runs(cmd: list[str], root: Path, warmup: int, repeat: int, failing: int) -> list[Run]:
    """The measured no-op runs in `root`; SystemExit when one did not do what is expected."""
    runs = []
    for i in range(warmup + repeat):
        run = measure(cmd, root)
        report = run.report or {}
        specs = report.get("specs", {})
        expected = 1 if failing else 0
        # a version without replays (`--source`) parses the failing specs on every build
        replayed = specs.get("replayed", 0) == failing and specs.get("parsed") == 0
        parsed = "replayed" not in specs and specs.get("parsed") == failing
        if run.returncode != expected or not (replayed or parsed):
            raise SystemExit(
                f"{root.name}: the no-op build did something else than expected "
                f"(exit {run.returncode}, specs {specs}):\n{run.stderr[-2000:]}"
            )
        if i >= warmup:
            runs.append(run)
    return runs


def bench(args: argparse.Namespace, base: Path) -> int:
    if args.source is not None:  # another version's tree, e.g. the one before this change
        os.environ["PYTHONPATH"] = str(args.source.resolve())
        cmd = [sys.executable, "-m", "skillforge", "build", "--json"]
    else:
        exe = find_skillforge(args.skillforge)
        if exe is None:
            print("replay: no skillforge executable found (--skillforge)", file=sys.stderr)
            return 1
        cmd = [str(exe), "build", "--json"]
    results: dict[str, Any] = {"specs": args.specs, "failing": args.failing, "rounds": args.repeat}
    for name, failing in (("clean", 0), ("failing", args.failing)):
        root = base / name
        corpus.write_corpus(root, args.specs, args.agents_large, failing=failing)
        cold = measure(cmd, root)
        if cold.returncode != (1 if failing else 0):
            print(f"replay: the cold build of {name}/ exited {cold.returncode}", file=sys.stderr)
            print(cold.stderr[-2000:], file=sys.stderr)
            return 1
        runs = noop_runs(cmd, root, args.warmup, args.repeat, failing)
        # the same no-op printing its lines (errors with their source line), as in a terminal
        # log: the JSON run checked what it did
        plain = [measure(cmd[:-1], root) for _ in range(args.warmup + args.repeat)]
        if any(r.returncode != (1 if failing else 0) for r in plain):
            print(f"replay: a plain no-op build of {name}/ exited otherwise", file=sys.stderr)
            return 1
        results[name] = {
            "cpu_ms": summary([r.cpu_ms for r in runs]),
            "wall_ms": summary([r.wall_ms for r in runs]),
            "plain_cpu_ms": summary([r.cpu_ms for r in plain[args.warmup :]]),
            "errors": len((runs[-1].report or {}).get("errors", [])),
        }
    clean, failed = results["clean"]["cpu_ms"]["median"], results["failing"]["cpu_ms"]["median"]
    results["ratio"] = round(failed / clean, 2) if clean else None
    plain_clean = results["clean"]["plain_cpu_ms"]["median"]
    plain_failed = results["failing"]["plain_cpu_ms"]["median"]
    results["plain_ratio"] = round(plain_failed / plain_clean, 2) if plain_clean else None
    results["goal"] = GOAL
    print(f"no-op build, CPU ms (user+sys), {args.repeat} rounds: median / min / max")
    for key, what in (("cpu_ms", "build --json"), ("plain_cpu_ms", "build")):
        for name in ("clean", "failing"):
            cpu = results[name][key]
            label = f"{what}, {args.specs} specs"
            label += f" + {args.failing} failing" if name == "failing" else ""
            print(f"  {label:<40} {cpu['median']:>8.1f} / {cpu['min']:.1f} / {cpu['max']:.1f}")
    for key in ("ratio", "plain_ratio"):
        ratio = results[key]
        verdict = "met" if ratio is not None and ratio <= GOAL else "missed"
        print(f"  {key} {ratio} (goal <= {GOAL}x the clean no-op: {verdict})")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus.add_arguments(ap, "replay")
    ap.add_argument("--failing", type=int, default=200, help="failing specs (default 200)")
    ap.add_argument("--repeat", type=int, default=7, help="measured no-op runs per corpus")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured no-op runs before them")
    ap.add_argument(
        "--source",
        type=Path,
        help="run `python -m skillforge` from this source tree (PYTHONPATH), e.g. a checkout "
        "of the version before, instead of the console script",
    )
    args = ap.parse_args(argv)
    return corpus.in_folder(args.keep, "skillforge-replay-", lambda root: bench(args, root))


if __name__ == "__main__":
    sys.exit(main())
