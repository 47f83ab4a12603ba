"""Benchmark ``skillforge build`` on a generated corpus and compare it with a plain script.

Usage::

    python benchmarks/run.py --specs 1000 [--repeat 7] [--keep DIR] [--json-out FILE]

Every measured run is a subprocess of the installed console script
(``<sys.prefix>/bin/skillforge build --json``, cwd = the corpus): wall time is taken with
``time.perf_counter`` around the process, peak RSS from ``os.wait4``. See
``benchmarks/README.md`` for the scenarios and how to read the table.

Exit status: 0 when every build succeeded (even if a target was missed: this is a report),
1 when a build failed or could not be run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import corpus

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.py"

Report = dict[str, Any]
Check = Callable[[Report], list[str]]


# --------------------------------------------------------------------------------------------
# Measuring one process
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_ms: float
    cpu_ms: float
    maxrss_kib: int
    returncode: int
    stdout: str
    stderr: str
    report: Report | None


def measure(cmd: list[str], cwd: Path) -> Run:
    """Run ``cmd`` in ``cwd``; wall time around the process, peak RSS from ``wait4``."""
    env = dict(os.environ, NO_COLOR="1")
    # Measure an installed tool as users run it: with its bytecode cached (pip compiles
    # site-packages at install; an environment that forbids writing .pyc would time the
    # compilation of skillforge's own modules on every run instead).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall_ms = (time.perf_counter() - start) * 1000.0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        stderr = err.read().decode("utf-8", errors="replace")
    maxrss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000.0  # the build and its workers
    return Run(wall_ms, cpu_ms, int(maxrss), proc.returncode, stdout, stderr, parse_report(stdout))


def parse_report(stdout: str) -> Report | None:
    """The JSON object printed on stdout (the whole output, else its last JSON line)."""
    text = stdout.strip()
    candidates = [text] + [line for line in reversed(text.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


class Missing(Exception):
    pass


def field_of(report: Report, dotted: str) -> Any:
    value: Any = report
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise Missing(dotted)
        value = value[part]
    return value


def expect(report: Report, dotted: str, ok: Callable[[Any], bool], wanted: str) -> list[str]:
    try:
        value = field_of(report, dotted)
    except Missing:
        return [f"report has no `{dotted}`"]
    if not ok(value):
        return [f"`{dotted}` is {value!r}, expected {wanted}"]
    return []


def equals(dotted: str, wanted: int) -> Check:
    return lambda r: expect(r, dotted, lambda v: v == wanted, str(wanted))


def between(dotted: str, low: int, high: int) -> Check:
    return lambda r: expect(r, dotted, lambda v: low <= v <= high, f"{low}..{high}")


def written_is(paths: list[str]) -> Check:
    return lambda r: expect(r, "written", lambda v: sorted(v) == sorted(paths), repr(paths))


def has_number(dotted: str) -> Check:
    return lambda r: expect(
        r, dotted, lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"
    )


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    prepare: Callable[[], None]
    checks: list[Check] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)
    rulesync: list[Run] = field(default_factory=list)


@dataclass
class Bench:
    root: Path
    skillforge: Path | None
    repeat: int
    warmup: int
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"WARNING: {message}", flush=True)

    def fail(self, message: str, run: Run | None = None) -> None:
        self.failures.append(message)
        print(f"FAILED: {message}", flush=True)
        if run is not None:
            tail = (run.stderr.strip() or run.stdout.strip()).splitlines()[-15:]
            for line in tail:
                print(f"    {line}", flush=True)

    def build(self, sc: Scenario, label: str) -> tuple[Run, bool]:
        """One measured ``skillforge build --json``; False when the build failed."""
        assert self.skillforge is not None
        run = measure([str(self.skillforge), "build", "--json"], self.root)
        where = f"{sc.label} ({label})"
        ok = False
        if run.returncode != 0:
            self.fail(f"{where}: skillforge build exited {run.returncode}", run)
        elif run.report is None:
            self.fail(f"{where}: no JSON object on stdout", run)
        elif run.report.get("ok") is not True:
            self.fail(f"{where}: report has ok={run.report.get('ok')!r}", run)
        else:
            ok = True
        if run.report is not None:
            for problem in (p for check in sc.checks for p in check(run.report)):
                self.warn(f"{where}: {problem}")
        return run, ok

    def run_skillforge(self, sc: Scenario) -> None:
        self.log(f"skillforge: {sc.label} x {self.repeat} (+{self.warmup} warm-up)")
        labels = [f"warm-up {i + 1}" for i in range(self.warmup)]
        labels += [f"run {i + 1}" for i in range(self.repeat)]
        for label in labels:
            sc.prepare()
            run, ok = self.build(sc, label)
            if not ok:
                self.log(f"skillforge: {sc.label}: stopped after a failed build")
                return
            if label.startswith("run"):
                sc.runs.append(run)

    def run_baseline(self, sc: Scenario, expected_specs: int) -> None:
        self.log(f"baseline:   {sc.label} x {self.repeat} (+{self.warmup} warm-up)")
        cmd = [sys.executable, str(BASELINE), str(self.root)]
        for i in range(self.warmup + self.repeat):
            if sc.key == "cold":  # the baseline's own cold start; skillforge's state stays
                shutil.rmtree(self.root / ".baseline", ignore_errors=True)
            else:
                sc.prepare()
            run = measure(cmd, self.root)
            if run.returncode != 0 or run.report is None:
                self.fail(f"baseline {sc.label}: exited {run.returncode}", run)
                continue
            if run.report.get("specs") != expected_specs:
                self.warn(f"baseline {sc.label}: rendered {run.report.get('specs')} specs")
            if i >= self.warmup:
                sc.baseline.append(run)


SCENARIOS = ("cold", "noop", "section_edit", "template_edit", "large_agent")


def make_scenarios(root: Path, info: dict[str, Any], alternate: bool) -> list[Scenario]:
    n = int(info["specs"])
    shared = str(info["shared_template"]).removeprefix("templates/")
    users = int(info["template_users"][shared])
    edit_name = Path(str(info["edit_spec"])).stem

    # with --alternate an edit may be served by the section cache (an earlier render)
    one = between("sections.rendered", 0, 1) if alternate else equals("sections.rendered", 1)
    low = 0 if alternate else 1

    def clean() -> None:
        shutil.rmtree(root / ".skillforge", ignore_errors=True)
        shutil.rmtree(root / ".claude", ignore_errors=True)

    def nothing() -> None:
        pass

    def section() -> None:
        corpus.edit_one_section(root, alternate=alternate)

    def template() -> None:
        corpus.edit_shared_template(root, alternate=alternate)

    def large() -> None:
        corpus.edit_large_agent(root, 1, alternate=alternate)

    scenarios = [
        Scenario(
            "cold",
            "cold build",
            clean,
            [
                equals("specs.total", n),
                equals("outputs.written", n),
                has_number("timings.total_ms"),
            ],
        ),
        Scenario(
            "noop",
            "no-op build",
            nothing,
            [
                equals("outputs.written", 0),
                equals("sections.rendered", 0),
                equals("specs.parsed", 0),
            ],
        ),
        Scenario(
            "section_edit",
            "one-section edit",
            section,
            [
                one,
                equals("outputs.written", 1),
                written_is([f".claude/skills/{edit_name}/SKILL.md"]),
            ],
        ),
        Scenario(
            "template_edit",
            f"shared-template edit ({users} specs)",
            template,
            [equals("outputs.written", users), between("sections.rendered", low, users)],
        ),
    ]
    if info["large_agents"]:
        scenarios.append(
            Scenario(
                "large_agent",
                "large-agent edit",
                large,
                [
                    one,
                    equals("outputs.written", 1),
                    written_is([".claude/agents/large-agent-1.md"]),
                    has_number("timings.render_ms"),
                ],
            )
        )
    return scenarios


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------

TARGETS: dict[str, float] = {
    "cold": 1500,
    "noop": 30,
    "section_edit": 110,
    "large_agent": 150,
    "large_agent_render": 20,
    "cold_rss": 150,
}
# `make bench-10k` (issue 17): the same scenarios on 10,000 specs.
TARGETS_10K: dict[str, float] = {
    "cold": 15000,
    "noop": 100,
    "section_edit": 250,
    "cold_rss": 250,
}


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"runs": [], "median": None, "min": None, "max": None}
    return {
        "runs": [round(v, 2) for v in values],
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def render_ms(run: Run) -> float | None:
    try:
        value = field_of(run.report or {}, "timings.render_ms")
    except Missing:
        return None
    return float(value) if isinstance(value, int | float) else None


def phase_medians(runs: list[Run]) -> dict[str, float]:
    phases: dict[str, list[float]] = {}
    for run in runs:
        timings = (run.report or {}).get("timings")
        if isinstance(timings, dict):
            for key, value in timings.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    phases.setdefault(key, []).append(float(value))
    return {k: round(statistics.median(v), 2) for k, v in sorted(phases.items())}


def row(
    key: str,
    label: str,
    unit: str,
    ours: list[float],
    base: list[float] | None,
    targets: dict[str, float],
    cpu: list[float] | None = None,
) -> dict[str, Any]:
    data = {"label": label, "unit": unit, **summary(ours)}
    data["cpu_ms"] = summary(cpu) if cpu is not None else None
    target = targets.get(key)
    data["target"] = target
    data["met"] = None if target is None or data["median"] is None else data["median"] <= target
    if base is not None:
        data["baseline"] = summary(base)
        b, s = data["baseline"]["median"], data["median"]
        data["ratio"] = round(b / s, 2) if b is not None and s else None
    else:
        data["baseline"] = None
        data["ratio"] = None
    return data


def shorten(value: Any, limit: int = 10) -> Any:
    """A report with long lists and maps cut to ``limit`` entries (for the JSON file)."""
    if isinstance(value, dict):
        items = list(value.items())
        short = {k: shorten(v, limit) for k, v in items[:limit]}
        if len(items) > limit and not all(isinstance(v, int | float) for _, v in items):
            short["..."] = f"{len(items) - limit} more"
        else:
            short.update({k: shorten(v, limit) for k, v in items[limit:]})
        return short
    if isinstance(value, list) and len(value) > limit:
        return [shorten(v, limit) for v in value[:limit]] + [f"... {len(value) - limit} more"]
    return value


def add_rulesync(data: dict[str, Any], values: list[float]) -> None:
    """The rulesync baseline's figures for a row (see rulesync.py), when it ran."""
    data["rulesync"] = summary(values) if values else None
    ours, theirs = data["median"], data["rulesync"] and data["rulesync"]["median"]
    data["rulesync_ratio"] = round(theirs / ours, 2) if theirs is not None and ours else None


def build_rows(scenarios: list[Scenario], targets: dict[str, float]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for sc in scenarios:
        ours = [r.wall_ms for r in sc.runs]
        base = [r.wall_ms for r in sc.baseline] if sc.baseline else None
        cpu = [r.cpu_ms for r in sc.runs]
        rows[sc.key] = row(sc.key, sc.label, "ms", ours, base, targets, cpu)
        add_rulesync(rows[sc.key], [r.wall_ms for r in sc.rulesync])
        rows[sc.key]["timings_median"] = phase_medians(sc.runs)
        rows[sc.key]["last_report"] = shorten(sc.runs[-1].report) if sc.runs else None
        if sc.key == "large_agent":
            renders = [v for v in map(render_ms, sc.runs) if v is not None]
            rows["large_agent_render"] = row(
                "large_agent_render", "large-agent edit: render_ms", "ms", renders, None, targets
            )
    cold = next((sc for sc in scenarios if sc.key == "cold"), None)
    if cold is not None:
        rss = [r.maxrss_kib / 1024 for r in cold.runs]
        base_rss = [r.maxrss_kib / 1024 for r in cold.baseline] if cold.baseline else None
        rows["cold_rss"] = row("cold_rss", "cold build peak RSS", "MiB", rss, base_rss, targets)
        add_rulesync(rows["cold_rss"], [r.maxrss_kib / 1024 for r in cold.rulesync])
    return rows


def fmt(value: Any, width: int) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return f"{value:,.1f}".rjust(width)
    return str(value).rjust(width)


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'scenario':<40} {'median':>9} {'min':>9} {'max':>9} {'cpu':>9} {'target':>9} "
        f"{'baseline':>9} {'ratio':>6} {'rulesync':>9} {'ratio':>6}  status"
    )
    print()
    print(header)
    print("-" * len(header))
    for data in rows.values():
        label = f"{data['label']} ({data['unit']})"
        target = data["target"]
        base = data["baseline"]["median"] if data["baseline"] else None
        ratio = f"{data['ratio']:.1f}x" if data["ratio"] is not None else "-"
        met = data["met"]
        status = "-" if met is None else ("ok" if met else "MISSED")
        if data["median"] is None:
            status = "no data"
        cpu = data["cpu_ms"]["median"] if data["cpu_ms"] else None
        theirs = data.get("rulesync")
        peer = theirs["median"] if theirs else None
        peer_ratio = data.get("rulesync_ratio")
        versus = f"{peer_ratio:.1f}x" if peer_ratio is not None else "-"
        print(
            f"{label:<40} {fmt(data['median'], 9)} {fmt(data['min'], 9)} "
            f"{fmt(data['max'], 9)} {fmt(cpu, 9)} {fmt(f'<= {target:g}' if target else None, 9)} "
            f"{fmt(base, 9)} {ratio:>6} {fmt(peer, 9)} {versus:>6}  {status}"
        )
    print()
    print("ratio = baseline median / skillforge median (above 1 means skillforge is faster).")
    print("cpu = median CPU time (user + sys, the build and its workers) of the same runs.")
    print("rulesync = rulesync 17 copying the rendered files (rulesync.py); its ratio likewise.")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def find_skillforge(explicit: str | None) -> Path | None:
    if explicit:
        path = Path(explicit)
        return path if path.is_file() else None
    candidate = Path(sys.prefix) / "bin" / "skillforge"
    return candidate if candidate.is_file() else None


def bench_main(
    argv: list[str] | None,
    name: str,
    description: str,
    repeat: int,
    bench: Callable[[argparse.Namespace, Path, Path], int],
) -> int:
    """The `main` of a benchmark script: the corpus options, `--repeat` and `--warmup`, the
    executable, then `bench(args, root, skillforge)` in the corpus folder."""
    parser = argparse.ArgumentParser(description=description)
    corpus.add_arguments(parser, name)
    parser.add_argument("--repeat", type=int, default=repeat, help="measured runs (rounds)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first")
    args = parser.parse_args(argv)
    skillforge = find_skillforge(args.skillforge)
    if skillforge is None:
        print("skillforge executable not found; run with the project's virtualenv", file=sys.stderr)
        return 1
    return corpus.in_folder(args.keep, f"sf-{name}-", lambda root: bench(args, root, skillforge))


def skillforge_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("skillforge")
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark skillforge build on a generated corpus.")
    corpus.add_arguments(ap, "results")
    ap.add_argument("--repeat", type=int, default=7, help="measured runs per scenario")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured runs before each scenario")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain-script baseline")
    ap.add_argument(
        "--no-rulesync",
        action="store_true",
        help="skip the rulesync baseline (it runs when `rulesync` is on the PATH)",
    )
    ap.add_argument(
        "--alternate",
        action="store_true",
        help="edits flip between two variants (default: every edit is a new text)",
    )
    ap.add_argument(
        "--scenarios",
        default=None,
        help=f"comma-separated scenarios to run (default: all of {', '.join(SCENARIOS)})",
    )
    ap.add_argument(
        "--targets",
        choices=("1k", "10k"),
        default="1k",
        help="which targets to compare with: 1,000 specs (default) or 10,000 (make bench-10k)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        ap.error("--repeat must be >= 1 and --warmup >= 0")
    wanted = args.scenarios.split(",") if args.scenarios else list(SCENARIOS)
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    args.scenarios = wanted

    return corpus.in_folder(args.keep, "sf-bench-", lambda root: bench(args, root))


def bench(args: argparse.Namespace, root: Path) -> int:
    started = time.perf_counter()
    print(f"corpus: {args.specs} specs ({args.agents_large} large agents) in {root}", flush=True)
    corpus.write_corpus(root, args.specs, args.agents_large)
    info = corpus.read_info(root)
    print(
        f"corpus: {info['skills']} skills, {info['agents']} agents, {info['sections']} sections, "
        f"{info['spec_bytes'] / 1024:.0f} KiB of YAML",
        flush=True,
    )
    skillforge = find_skillforge(args.skillforge)
    b = Bench(root, skillforge, args.repeat, args.warmup)
    scenarios = [
        sc for sc in make_scenarios(root, info, args.alternate) if sc.key in args.scenarios
    ]
    targets = TARGETS_10K if args.targets == "10k" else TARGETS

    if skillforge is None:
        where = args.skillforge or Path(sys.prefix) / "bin" / "skillforge"
        b.fail(f"skillforge executable not found at {where} (pip install -e . first)")
    else:
        for sc in scenarios:
            b.run_skillforge(sc)
    if not args.no_baseline:
        for sc in scenarios:
            b.run_baseline(sc, int(info["specs"]))
    if not args.no_rulesync:
        import rulesync

        if rulesync.executable() is None:
            b.log(
                "rulesync: not installed (npm install -g rulesync@17.0.0); its column stays empty"
            )
        else:
            peer = rulesync.bench(root, [sc.key for sc in scenarios], b.repeat, b.warmup, b.log)
            for sc in scenarios:
                sc.rulesync = peer.get(sc.key, [])

    rows = build_rows(scenarios, targets)
    print_table(rows)
    if b.warnings:
        print(f"{len(b.warnings)} sanity-check warning(s); see the WARNING lines above.")
    if b.failures:
        print(f"{len(b.failures)} failure(s); see the FAILED lines above.")

    result = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "skillforge": str(skillforge) if skillforge else None,
            "skillforge_version": skillforge_version(),
            "repeat": args.repeat,
            "warmup": args.warmup,
            "edits": "alternate" if args.alternate else "fresh",
            "corpus_dir": str(root) if args.keep else None,
            "bench_seconds": round(time.perf_counter() - started, 1),
        },
        "corpus": info,
        "targets": targets,
        "results": rows,
        "warnings": b.warnings,
        "failures": b.failures,
        "ok": not b.failures,
    }
    out: Path = args.json_out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {out}")
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
