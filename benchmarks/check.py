"""Benchmark ``skillforge check`` on the generated corpus (see ``benchmarks/README.md``).

Usage::

    python benchmarks/check.py --specs 1000 [--repeat 15] [--keep DIR] [--json-out FILE]

Scenarios, each a subprocess of the installed console script (``skillforge check --format
json``, cwd = the corpus), timed like ``run.py`` does (wall time around the process):

- ``clean``: after a build, caches warm, nothing changed. Target: median <= 300 ms.
- ``one edit``: one spec edited and not built: one spec rendered, one output stale (exit 1).
- ``fresh clone``: no manifest and no cache (the cache folder moved away for the run), as in
  CI: every spec rendered, in worker processes (exit 0). Target: median <= 1,200 ms.

Exit status: 0 when every run gave the expected verdict (a missed target is only reported),
1 otherwise.
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
from run import Run, find_skillforge, measure

TARGET_CLEAN_MS = 300.0
TARGET_FRESH_MS = 1200.0  # issue 17: a fresh-clone check of 1,000 specs


def percentiles(values: list[float]) -> dict[str, Any]:
    """Median (p50), p95, min and max of the wall times, in ms."""
    ordered = sorted(values)
    p95 = ordered[-1] if len(ordered) < 2 else statistics.quantiles(ordered, n=20)[18]
    return {
        "runs": [round(v, 1) for v in values],
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


def verdict(run: Run, code: int, rendered: int | None, stale: int) -> str | None:
    """What is wrong with a run, or None."""
    if run.returncode != code:
        return f"exit {run.returncode}, expected {code}: {run.stderr.strip()[:300]}"
    report = run.report or {}
    specs = report.get("specs", {})
    if rendered is not None and specs.get("rendered") != rendered:
        return f"rendered {specs.get('rendered')} specs, expected {rendered}"
    if report.get("outputs", {}).get("stale") != stale:
        return f"{report.get('outputs', {}).get('stale')} stale outputs, expected {stale}"
    return None


def scenario(
    cmd: list[str],
    root: Path,
    repeat: int,
    warmup: int,
    code: int,
    rendered: int | None,
    stale: int,
    failures: list[str],
    name: str,
) -> dict[str, Any]:
    times: list[float] = []
    for i in range(warmup + repeat):
        run = measure(cmd, root)
        problem = verdict(run, code, rendered, stale)
        if problem:
            failures.append(f"{name}: {problem}")
            print(f"FAILED {name}: {problem}", flush=True)
            break
        if i >= warmup:
            times.append(run.wall_ms)
    result = percentiles(times) if times else {"runs": []}
    if times:
        print(
            f"{name:<12} p50 {result['p50']:>8.1f} ms   p95 {result['p95']:>8.1f} ms   "
            f"min {result['min']:>8.1f} ms   ({len(times)} runs)",
            flush=True,
        )
    return result


def bench(args: argparse.Namespace, root: Path) -> int:
    skillforge = find_skillforge(args.skillforge)
    if skillforge is None:
        print("skillforge executable not found (pip install -e . first)", file=sys.stderr)
        return 1
    print(f"corpus: {args.specs} specs in {root}", flush=True)
    corpus.write_corpus(root, args.specs, args.agents_large)
    total = int(corpus.read_info(root)["specs"])
    build = measure([str(skillforge), "build", "--json"], root)
    if build.returncode != 0:
        print(f"build failed: {build.stderr.strip()[:500]}", file=sys.stderr)
        return 1
    check = [str(skillforge), "check", "--format", "json", "--no-diff"]
    failures: list[str] = []
    results: dict[str, Any] = {}
    results["clean"] = scenario(check, root, args.repeat, args.warmup, 0, 0, 0, failures, "clean")
    edited = corpus.edit_one_section(root)
    results["one_edit"] = scenario(
        check, root, args.repeat, args.warmup, 1, 1, 1, failures, "one edit"
    )
    measure([str(skillforge), "build", "-q"], root)  # settle the edit again
    cache = root / ".skillforge"
    aside = root.parent / f"{root.name}.cache-aside"
    results["fresh_clone"] = {"runs": []}
    shutil.move(str(cache), str(aside))
    try:
        results["fresh_clone"] = scenario(
            check, root, args.fresh_repeat, 0, 0, total, 0, failures, "fresh clone"
        )
    finally:
        shutil.move(str(aside), str(cache))
    clean = results["clean"].get("p50")
    if clean is not None:
        met = "met" if clean <= TARGET_CLEAN_MS else "MISSED"
        print(f"target: clean check p50 {clean:.1f} ms <= {TARGET_CLEAN_MS:.0f} ms: {met}")
    fresh = results["fresh_clone"].get("p50")
    if fresh is not None:
        met = "met" if fresh <= TARGET_FRESH_MS else "MISSED"
        print(f"target: fresh-clone check p50 {fresh:.1f} ms <= {TARGET_FRESH_MS:.0f} ms: {met}")
    out: Path = args.json_out
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "specs": args.specs,
        "edited": str(edited.relative_to(root)),
        "target_clean_ms": TARGET_CLEAN_MS,
        "target_fresh_ms": TARGET_FRESH_MS,
        "results": results,
        "failures": failures,
        "ok": not failures,
    }
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {out}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark skillforge check on a generated corpus.")
    corpus.add_arguments(ap, "check")
    ap.add_argument("--repeat", type=int, default=15, help="measured runs per scenario")
    ap.add_argument("--fresh-repeat", type=int, default=3, help="measured fresh-clone runs")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured runs before a scenario")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.fresh_repeat < 1 or args.warmup < 0:
        ap.error("--repeat and --fresh-repeat must be >= 1, --warmup >= 0")
    return corpus.in_folder(args.keep, "sf-check-", lambda root: bench(args, root))


if __name__ == "__main__":
    sys.exit(main())
