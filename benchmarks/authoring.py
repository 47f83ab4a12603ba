"""Benchmark the authoring commands ``skillforge list`` and ``skillforge show`` on a corpus.

Usage::

    python benchmarks/authoring.py --specs 1000 [--repeat 9] [--keep DIR] [--json-out FILE]

After one cold build of the generated corpus (benchmarks/corpus.py), each scenario runs the
installed console script as a subprocess, cwd = the corpus, and records the wall time around
the process and its CPU time (user + sys of the child, from ``wait4``):

- ``list`` (plain text, piped) and ``list --json`` on every spec: served from the manifest and
  the build records, no render (target <= 150 ms);
- ``show SPEC`` of one spec (the corpus's edit spec, up to date: its document is read back
  and checked against the manifest's digest) and ``show SPEC --merged`` (YAML loaded and
  merged), target <= 250 ms;
- the no-op build, for scale: on a busy machine every wall time grows alike.

Medians, minima and maxima over ``--repeat`` runs after ``--warmup`` runs; the targets are
judged on the median wall time. Exit status: 0 when every command succeeded (a missed target
is reported, not a failure).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import corpus
from run import Run, bench_main, measure, summary


@dataclass
class Case:
    key: str
    label: str
    args: list[str]
    target: float | None
    samples: list[Run] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, "authoring", __doc__.split("\n\n")[0], 9, bench)


def bench(args: argparse.Namespace, root: Path, skillforge: Path) -> int:
    corpus.write_corpus(root, args.specs, args.agents_large)
    spec = str(corpus.read_info(root)["edit_spec"])
    print(f"corpus: {args.specs} specs in {root}; cold build ...", file=sys.stderr)
    cold = measure([str(skillforge), "build", "-q"], root)
    if cold.returncode != 0:
        print(cold.stderr, file=sys.stderr)
        return 1
    cases = [
        Case("list", f"list, {args.specs} specs (text)", ["list"], 150),
        Case("list_json", f"list --json, {args.specs} specs", ["list", "--json"], 150),
        Case("show", "show, one spec", ["show", spec], 250),
        Case("show_merged", "show --merged, one spec", ["show", spec, "--merged"], 250),
        # for scale on a busy machine: the no-op build, the lightest command there is
        Case("noop", "reference: no-op build", ["build", "-q"], None),
    ]
    failures = []
    for case in cases:
        print(f"{case.label} x {args.repeat} (+{args.warmup} warm-up)", file=sys.stderr)
        for i in range(args.warmup + args.repeat):
            sample = measure([str(skillforge), *case.args], root)
            if sample.returncode != 0:
                failures.append(f"{case.label}: exited {sample.returncode}: {sample.stderr[-500:]}")
                print(f"FAILED: {failures[-1]}", file=sys.stderr)
                break
            if i >= args.warmup:
                case.samples.append(sample)
    listed = next((c for c in cases if c.key == "list_json" and c.samples), None)
    if listed is not None:
        total = json.loads(listed.samples[0].stdout)["total"]
        if total != args.specs:
            failures.append(f"list --json counted {total} specs, not {args.specs}")
    rows = {}
    head = f"{'scenario':<34}{'wall med':>10}{'min':>8}{'max':>8}{'cpu med':>10}{'target':>8}"
    print(f"\n{head}  status")
    print("-" * (len(head) + 8))
    for case in cases:
        wall = summary([s.wall_ms for s in case.samples])
        cpu = summary([s.cpu_ms for s in case.samples])
        met = (
            None if wall["median"] is None or case.target is None else wall["median"] <= case.target
        )
        status = "-" if met is None else ("ok" if met else "MISSED")
        rows[case.key] = {
            "label": case.label,
            "target": case.target,
            "met": met,
            "wall_ms": wall,
            "cpu_ms": cpu,
        }
        cells = [wall["median"], wall["min"], wall["max"], cpu["median"], case.target]
        widths = [10, 8, 8, 10, 8]
        text = "".join(
            f"{'-' if v is None else f'{v:,.1f}':>{w}}" for v, w in zip(cells, widths, strict=True)
        )
        print(f"{case.label + ' (ms)':<34}{text}  {status}")
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(
        json.dumps({"specs": args.specs, "results": rows, "failures": failures}, indent=2)
    )
    print(f"\nresults written to {args.json_out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
