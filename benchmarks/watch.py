"""Benchmark ``skillforge watch`` on a generated corpus: save-to-output latency and memory.

Usage::

    python benchmarks/watch.py --specs 1000 [--edits 30] [--rebuilds 1000] [--keep DIR]

The corpus is built once with ``skillforge build``; then ``skillforge watch --json`` runs as a
subprocess (cwd = the corpus) and the script saves one spec section again and again (a new
marker each time, so every save changes the rendered text). For each save it measures the
time from the write of the spec to the moment the output file is replaced (polling its
inode and mtime), and checks the watcher's JSON report (``written`` is that one file). The
watcher's RSS (``/proc/<pid>/status``) is read after 10 rebuilds and after ``--rebuilds``.

Exit status: 0 when every rebuild succeeded (even if a target was missed: this is a report),
1 when one failed or the watcher could not be run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import corpus
from run import find_skillforge

TARGETS = {"p50_ms": 25.0, "p95_ms": 100.0, "rss_growth_pct": 10.0}
RSS_EARLY = 10  # rebuilds before the first RSS reading
TIMEOUT = 30.0  # seconds to wait for one rebuild before giving up


class WatchFailed(Exception):
    pass


class Watcher:
    """A ``skillforge watch --json`` subprocess and its stream of reports."""

    def __init__(self, skillforge: Path, root: Path, debounce: int) -> None:
        env = dict(os.environ, NO_COLOR="1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # time the tool as installed (see README)
        self.proc = subprocess.Popen(
            [str(skillforge), "watch", "--json", "--debounce", str(debounce)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.reports: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self.reports.put(json.loads(line))
            except ValueError:
                continue
        self.reports.put(None)

    def next_report(self) -> dict[str, Any]:
        try:
            report = self.reports.get(timeout=TIMEOUT)
        except queue.Empty:
            raise WatchFailed(f"no report within {TIMEOUT:.0f} s") from None
        if report is None:
            raise WatchFailed(f"the watcher exited: {self.stop()[-800:]}")
        return report

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise WatchFailed("no VmRSS in /proc")

    def stop(self) -> str:
        """Stop the watcher with SIGINT; return its stderr."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err or ""


def replaced(path: Path, before: tuple[int, int], deadline: float) -> float:
    """Poll until `path` is no longer the file `before` describes; return the time seen."""
    while True:
        now = time.perf_counter()
        try:
            st = os.stat(path)
            if (st.st_ino, st.st_mtime_ns) != before:
                return now
        except FileNotFoundError:
            pass
        if now > deadline:
            raise WatchFailed(f"{path} was not replaced within {TIMEOUT:.0f} s")
        time.sleep(0.0002)


def save(spec: Path, output: Path, watcher: Watcher, expected: str) -> tuple[float, float]:
    """Save a new version of `spec`; return (save-to-output ms, the rebuild's duration_ms)."""
    text = spec.read_text(encoding="utf-8")
    found = corpus.MARKER.search(text)
    if found is None:
        raise WatchFailed(f"{spec}: no benchmark marker")
    new = text[: found.start()] + f"bench-variant-{int(found.group(1)) + 1}" + text[found.end() :]
    st = os.stat(output)
    before = (st.st_ino, st.st_mtime_ns)
    start = time.perf_counter()
    with open(spec, "w", encoding="utf-8", newline="\n") as f:
        f.write(new)
    seen = replaced(output, before, start + TIMEOUT)
    report = watcher.next_report()
    if report.get("ok") is not True or report.get("written") != [expected]:
        raise WatchFailed(f"unexpected report: {json.dumps(report)[:600]}")
    return (seen - start) * 1000, float(report.get("duration_ms", 0.0))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


def bench(args: argparse.Namespace, root: Path) -> int:
    skillforge = find_skillforge(args.skillforge)
    if skillforge is None:
        print("FAILED: skillforge executable not found (pip install -e . first)")
        return 1
    print(f"corpus: {args.specs} specs in {root}", flush=True)
    corpus.write_corpus(root, args.specs, args.agents_large)
    info = corpus.read_info(root)
    spec = root / str(info["edit_spec"])
    output = root / ".claude" / "skills" / spec.stem / "SKILL.md"
    expected = f".claude/skills/{spec.stem}/SKILL.md"
    build = subprocess.run(
        [str(skillforge), "build", "-q"], cwd=root, capture_output=True, text=True, check=False
    )
    if build.returncode != 0:
        print(f"FAILED: the initial build exited {build.returncode}: {build.stderr[-800:]}")
        return 1

    watcher = Watcher(skillforge, root, args.debounce)
    latencies: list[float] = []
    durations: list[float] = []
    rss: dict[str, int] = {}
    try:
        first = watcher.next_report()
        if first.get("ok") is not True:
            raise WatchFailed(f"initial build failed: {json.dumps(first)[:600]}")
        total = max(args.rebuilds, args.edits + args.warmup, RSS_EARLY)
        print(f"watch: {total} saves of {info['edit_spec']}", file=sys.stderr, flush=True)
        for i in range(1, total + 1):
            latency, duration = save(spec, output, watcher, expected)
            if i > args.warmup:
                latencies.append(latency)
                durations.append(duration)
            if i == RSS_EARLY:
                rss["after_10"] = watcher.rss_kib()
            if i % 100 == 0:
                rss[f"after_{i}"] = watcher.rss_kib()
                print(f"watch: {i} rebuilds", file=sys.stderr, flush=True)
        rss[f"after_{total}"] = watcher.rss_kib()
    except WatchFailed as exc:
        print(f"FAILED: {exc}")
        watcher.stop()
        return 1
    err = watcher.stop()
    code = watcher.proc.returncode

    first_edits = stats(latencies[: args.edits])
    every_edit = stats(latencies)
    early, late = rss["after_10"], rss[f"after_{total}"]
    growth = (late - early) / early * 100
    result = {
        "specs": args.specs,
        "debounce_ms": args.debounce,
        "save_to_output": first_edits,
        "save_to_output_all": every_edit,
        "rebuild_duration_ms": stats(durations),
        "rss_kib": rss,
        "rss_growth_pct": round(growth, 1),
        "exit_code": code,
        "targets": TARGETS,
    }
    print(f"save -> output replaced, first {first_edits['n']} edits after {args.warmup} warm-up:")
    print(f"  p50 {first_edits['p50_ms']} ms (target <= {TARGETS['p50_ms']:.0f})")
    print(f"  p95 {first_edits['p95_ms']} ms (target <= {TARGETS['p95_ms']:.0f})")
    print(
        f"  over all {every_edit['n']} edits: p50 {every_edit['p50_ms']} ms, "
        f"p95 {every_edit['p95_ms']} ms; rebuild itself p50 "
        f"{result['rebuild_duration_ms']['p50_ms']} ms"
    )
    print(
        f"watcher RSS: {early / 1024:.1f} MiB after {RSS_EARLY} rebuilds, {late / 1024:.1f} MiB "
        f"after {total} ({growth:+.1f}%, target within {TARGETS['rss_growth_pct']:.0f}%)"
    )
    print(f"watcher exit code after SIGINT: {code}")
    out: Path = args.json_out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {out}")
    if code != 0:
        print(f"FAILED: watch exited {code}: {err[-800:]}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark skillforge watch on a generated corpus.")
    corpus.add_arguments(ap, "watch")
    ap.add_argument("--edits", type=int, default=30, help="saves the p50/p95 are taken over")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured saves first")
    ap.add_argument("--rebuilds", type=int, default=1000, help="saves in all (for the RSS)")
    ap.add_argument("--debounce", type=int, default=20, help="the watcher's --debounce MS")
    args = ap.parse_args(argv)
    if args.edits < 20 or args.warmup < 0:
        ap.error("--edits must be >= 20 and --warmup >= 0")
    return corpus.in_folder(args.keep, "sf-watch-", lambda root: bench(args, root))


if __name__ == "__main__":
    sys.exit(main())
