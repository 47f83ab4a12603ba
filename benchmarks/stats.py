"""Benchmark token accounting and ``skillforge stats`` on a generated corpus.

Usage::

    python benchmarks/stats.py --specs 1000 [--repeat 7] [--keep DIR] [--json-out FILE]

Scenarios (each a subprocess of the installed console script, cwd = the corpus, after one
cold build that fills the caches):

- one-section edit, token counting on: the edited section is rendered and counted; the
  other sections' counts come from the cache (target <= 200 ms);
- the same edit with the piece table removed first, so the count needs the cl100k ranks
  (loaded from the cache folder) -- the worst case of an edit;
- the same edit with the ranks cache removed too (the ranks parsed from the bundled file:
  what the rank cache saves);
- ``skillforge stats`` (plain text) and ``skillforge stats --json`` on all outputs
  (target <= 300 ms);
- the no-op build, to show the no-op log line costs nothing measurable (target <= 50 ms).

Exit status: 0 when every command succeeded (a missed target is reported, not a failure).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import corpus
from run import Run, bench_main, measure, summary


@dataclass
class Case:
    key: str
    label: str
    args: list[str]
    prepare: Callable[[], None]
    target: float | None
    check: Callable[[Run], str | None]
    runs: list[Run] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, "stats", __doc__.split("\n\n")[0], 7, bench)


def bench(args: argparse.Namespace, root: Path, skillforge: Path) -> int:
    corpus.write_corpus(root, args.specs, args.agents_large)
    info = corpus.read_info(root)
    edited = f".claude/skills/{Path(str(info['edit_spec'])).stem}/SKILL.md"
    tokens = root / ".skillforge" / "tokens"
    print(f"corpus: {args.specs} specs in {root}; cold build ...", file=sys.stderr)
    cold = measure([str(skillforge), "build", "--json"], root)
    if cold.returncode != 0:
        print(cold.stderr, file=sys.stderr)
        return 1

    def edit() -> None:
        corpus.edit_one_section(root)

    def edit_without_pieces() -> None:
        (tokens / "pieces.bin").unlink(missing_ok=True)
        edit()

    def edit_without_ranks() -> None:
        (tokens / "cl100k_base.ranks").unlink(missing_ok=True)
        edit_without_pieces()

    def nothing() -> None:
        pass

    def one_section(run: Run) -> str | None:
        report = run.report or {}
        if report.get("sections", {}).get("rendered") != 1 or report.get("written") != [edited]:
            return f"expected one section rendered and {edited} written, got {report}"
        return None

    def stats_ok(run: Run) -> str | None:
        if f"all {args.specs:,} outputs" not in run.stdout and '"outputs": [' not in run.stdout:
            return "stats did not list every output"
        return None

    def noop(run: Run) -> str | None:
        report = run.report or {}
        return None if report.get("outputs", {}).get("written") == 0 else "not a no-op"

    build = ["build", "--json"]
    cases = [
        Case("edit", "one-section edit, tokens counted", build, edit, 200, one_section),
        Case(
            "edit_ranks",
            "  same, no piece table (ranks)",
            build,
            edit_without_pieces,
            None,
            one_section,
        ),
        Case(
            "edit_parse",
            "  same, no ranks cache (parse)",
            build,
            edit_without_ranks,
            None,
            one_section,
        ),
        Case("stats", f"stats, {args.specs} outputs (text)", ["stats"], nothing, 300, stats_ok),
        Case(
            "stats_json",
            f"stats --json, {args.specs} outputs",
            ["stats", "--json"],
            nothing,
            300,
            stats_ok,
        ),
        Case("noop", "no-op build", build, nothing, 50, noop),
    ]
    failures = []
    for case in cases:
        print(f"{case.label.strip()} x {args.repeat} (+{args.warmup} warm-up)", file=sys.stderr)
        for i in range(args.warmup + args.repeat):
            case.prepare()
            run = measure([str(skillforge), *case.args], root)
            problem = (
                f"exited {run.returncode}: {run.stderr[-500:]}" if run.returncode else None
            ) or case.check(run)
            if problem:
                failures.append(f"{case.label.strip()}: {problem}")
                print(f"FAILED: {failures[-1]}", file=sys.stderr)
                break
            if i >= args.warmup:
                case.runs.append(run)
    rows = {}
    print(f"\n{'scenario':<38}{'median':>9}{'min':>9}{'max':>9}{'target':>9}  status")
    print("-" * 82)
    for case in cases:
        s = summary([r.wall_ms for r in case.runs])
        met = None if case.target is None or s["median"] is None else s["median"] <= case.target
        status = "-" if met is None else ("ok" if met else "MISSED")
        rows[case.key] = {"label": case.label.strip(), "target": case.target, "met": met, **s}
        cells = [s["median"], s["min"], s["max"], case.target]
        text = "".join(f"{'-' if v is None else f'{v:,.1f}':>9}" for v in cells)
        print(f"{case.label + ' (ms)':<38}{text}  {status}")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(
        json.dumps({"specs": args.specs, "results": rows, "failures": failures}, indent=2)
    )
    print(f"\nresults written to {args.json_out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
