"""Benchmark the remote cache (DESIGN §5.1) with a real nginx (WebDAV PUT) on localhost.

Usage::

    python benchmarks/remote.py --specs 1000 [--repeat 5] [--baseline N] [--keep DIR]

Clone A (the corpus) builds with ``--remote-write``. Then, each run in a fresh clone (the
corpus with its outputs but without ``.skillforge/``, as CI checks it out), as a subprocess
of the installed console script:

- ``check remote``: ``check`` with the warm remote. Target: median <= 400 ms.
- ``build remote``: ``build`` with the warm remote. Target: median <= 700 ms.
- ``build local``: ``build`` without a remote (every spec rendered).
- ``build down``: ``build`` with the remote configured but unreachable (a closed port).
  Target: median <= ``build local`` + 1 s.
- ``check local``: ``check`` without a remote, for reference.

Each is timed by wall clock around the process and by CPU time (user + sys of the process and
its children, from ``wait4``); medians are printed. Without nginx the benchmark is skipped
(exit 0, with a message). Exit 1 when a run gives a wrong result (not for a missed target).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
from run import find_skillforge

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

TARGETS = {"check remote": 400.0, "build remote": 700.0}


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall ms, CPU ms, exit code, stdout) of one process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, proc.returncode, text


def fresh_clone(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".skillforge"))
    return target


def bench(args: argparse.Namespace, root: Path) -> int:
    import remote_nginx  # type: ignore[import-not-found]  # tests/, on sys.path above

    if not remote_nginx.available():
        print("remote benchmark skipped: nginx not installed (apt-get install nginx-light)")
        return 0
    skillforge = find_skillforge(args.skillforge)
    if skillforge is None:
        print("skillforge executable not found (pip install -e . first)", file=sys.stderr)
        return 1
    source = root / "a"
    source.mkdir(parents=True, exist_ok=True)
    corpus.write_corpus(source, args.specs, args.agents_large)
    server = remote_nginx.Nginx(root / "nginx")
    base = {k: v for k, v in os.environ.items() if not k.startswith("SKILLFORGE_REMOTE")}
    base["NO_COLOR"] = "1"
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    remote = dict(base, SKILLFORGE_REMOTE_CACHE=server.url)
    down = dict(base, SKILLFORGE_REMOTE_CACHE=f"http://127.0.0.1:{remote_nginx.free_port()}")
    sf = str(skillforge)
    failures: list[str] = []
    results: dict[str, Any] = {}
    try:
        wall, cpu, code, _ = timed([sf, "build", "-q", "--remote-write"], source, remote)
        print(f"clone A: build --remote-write {wall:,.0f} ms (exit {code})", flush=True)
        if code != 0:
            return 1
        stored = len(server.stored("ac")), len(server.stored("cas"))
        print(f"remote holds {stored[0]:,} records and {stored[1]:,} sections", flush=True)
        clone = root / "b"
        scenarios = [
            ("check remote", [sf, "check", "--format", "json", "--no-diff"], remote, "check"),
            ("build remote", [sf, "build", "--json"], remote, "build"),
            ("build local", [sf, "build", "--json"], base, "build"),
            ("build down", [sf, "build", "--json"], down, "build"),
            ("check local", [sf, "check", "--format", "json", "--no-diff"], base, "check"),
        ]
        for name, cmd, env, kind in scenarios:
            walls, cpus = [], []
            rounds = args.repeat if name in ("check remote", "build remote") else args.baseline
            for _ in range(rounds):
                fresh_clone(source, clone)
                wall, cpu, code, out = timed(cmd, clone, env)
                problem = _verdict(name, kind, code, out)
                if problem:
                    failures.append(f"{name}: {problem}")
                    print(f"FAILED {name}: {problem}", flush=True)
                    break
                walls.append(wall)
                cpus.append(cpu)
            if walls:
                results[name] = {
                    "wall_ms": [round(w, 1) for w in walls],
                    "cpu_ms": [round(c, 1) for c in cpus],
                    "wall_p50": round(statistics.median(walls), 1),
                    "cpu_p50": round(statistics.median(cpus), 1),
                }
                print(
                    f"{name:<14} wall p50 {results[name]['wall_p50']:>8.1f} ms   "
                    f"cpu p50 {results[name]['cpu_p50']:>8.1f} ms   ({len(walls)} runs)",
                    flush=True,
                )
    finally:
        server.stop()
    targets = dict(TARGETS)
    if "build local" in results:
        targets["build down"] = results["build local"]["wall_p50"] + 1000.0
    for name, limit in targets.items():
        if name in results:
            got = results[name]["wall_p50"]
            met = "met" if got <= limit else "MISSED"
            print(f"target: {name} p50 {got:,.1f} ms <= {limit:,.0f} ms: {met}")
    json_out: Path = args.json_out
    json_out.parent.mkdir(parents=True, exist_ok=True)
    data = {"specs": args.specs, "targets_ms": targets, "results": results, "failures": failures}
    json_out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {json_out}")
    return 1 if failures else 0


def _verdict(name: str, kind: str, code: int, out: str) -> str | None:
    if code != 0:
        return f"exit {code}"
    try:
        report = json.loads(out)
    except ValueError:
        return "no JSON report"
    if kind == "check" and name == "check remote" and report["specs"]["rendered"] != 0:
        return f"rendered {report['specs']['rendered']} specs, expected 0"
    if name == "build remote" and report["sections"]["rendered"] != 0:
        return f"rendered {report['sections']['rendered']} sections, expected 0"
    if kind == "build" and report["written"]:
        return f"wrote {len(report['written'])} outputs, expected none (they are committed)"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the remote cache with nginx.")
    corpus.add_arguments(ap, "remote")
    ap.add_argument("--repeat", type=int, default=5, help="measured runs with the warm remote")
    ap.add_argument("--baseline", type=int, help="measured runs of the others (default: --repeat)")
    args = ap.parse_args(argv)
    args.baseline = args.repeat if args.baseline is None else args.baseline
    if args.repeat < 1 or args.baseline < 1:
        ap.error("--repeat and --baseline must be >= 1")
    return corpus.in_folder(args.keep, "sf-remote-", lambda root: bench(args, root))


if __name__ == "__main__":
    sys.exit(main())
