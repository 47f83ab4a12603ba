"""The no-op fast path of `skillforge build` (DESIGN §5).

Finds the config, reads the manifest, stats the inputs and outputs and, when nothing changed,
reports and exits, all with `os`, `marshal` and the builtin BLAKE2: no TOML, YAML, Jinja2,
diskcache, Typer or Rich, not even `re`, `json` or `pathlib`. Anything unusual (no manifest, a
changed config, a dirty spec) returns None and the full build takes over. Its one write is a
line appended to the no-op log of `stats` (state/buildlog.py). Failed specs none of whose
inputs changed are part of "nothing to do": their recorded errors are printed again, exit 1.
"""

from __future__ import annotations

import os
import time

from skillforge.engine.options import BuildOptions
from skillforge.errors import Problem
from skillforge.report.console import is_terminal
from skillforge.report.model import BuildReport
from skillforge.report.plain import PlainReporter, encode_json
from skillforge.state.buildlog import listing_failed, note_noop
from skillforge.state.digest import digest_bytes
from skillforge.state.heap import NoCycles, keep
from skillforge.state.hot import quick_plan
from skillforge.state.inventory import scan
from skillforge.state.locate import DEFAULT_CACHE, find_config_file
from skillforge.state.manifest import read_manifest
from skillforge.state.plan import make_plan
from skillforge.state.scan import Scanned

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from skillforge.report.reporter import Reporter


def cache_dir_of(text: bytes, path: str | None) -> str | None:
    """Read a plain `cache_dir = "..."` line of the config without a TOML parser.

    A wrong guess is harmless: the manifest found must record the digest of these very config
    bytes, and only the build that read this config wrote such a manifest.
    """
    table = "tool.skillforge" if path and path.endswith("pyproject.toml") else ""
    current = ""
    for line in text.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[] \t")
        elif current == table and line.startswith("cache_dir"):
            _, _, value = line.partition("=")
            value = value.split("#", 1)[0].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                return value[1:-1]
    return None


def try_noop(
    options: BuildOptions, config_file: str | None, started: float, stream: IO[str] | None = None
) -> int | Scanned | None:
    """Report and return 0 when the build has nothing to do.

    Otherwise return what was scanned (for the full build to reuse), or None when the fast
    path could not tell (no manifest, another config).
    """
    if not options.fast:
        return None
    # The no-op makes some 100,000 objects that all live to its end: the cyclic collector
    # would walk them again and again for nothing (a fifth of the no-op's time at 10,000 specs)
    with NoCycles():
        return _try_noop(options, config_file, started, stream)


def _try_noop(
    options: BuildOptions, config_file: str | None, started: float, stream: IO[str] | None
) -> int | Scanned | None:
    path = find_config_file(os.getcwd()) if config_file is None else os.path.abspath(config_file)
    root = os.path.dirname(path) if path else os.getcwd()
    text = b""
    if path:
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError:
            return None
    raw = digest_bytes(text) if path else ""
    cache_dir = cache_dir_of(text, path) or DEFAULT_CACHE
    try:
        manifest = read_manifest(os.path.join(root, cache_dir), lazy=True)
    except ValueError:
        return None
    if manifest is None or manifest.config_raw != raw or not manifest.layout:
        return None

    try:  # damaged bytes can decode to any layout: the full build then reads the config
        specs, traits, templates = (
            [os.path.join(root, p) for p in manifest.layout[key]]
            for key in ("specs", "traits", "templates")
        )
    except (KeyError, TypeError):
        return None
    scan_ns = time.time_ns()
    inventory = scan(root, specs, traits, templates)
    failing = bool(inventory.problems) or listing_failed(os.path.join(root, cache_dir))
    # nothing changed: the hot table says so without the records; else they say what did
    try:  # or a plan for a few edited specs, from the table and the records
        quick = None if failing else quick_plan(inventory, manifest)
    except ValueError:
        return None  # damaged records: the full build says the manifest is corrupt
    if quick is None:
        try:
            manifest.thaw()  # a damaged record is a corrupt manifest: the full build says so
        except ValueError:
            return None
    plan = quick or make_plan(inventory, manifest, config_changed=False, replay=True)
    if not plan.is_noop or failing:
        return Scanned(root, inventory, manifest, plan, scan_ns)
    keep(inventory, manifest, plan)  # 10,000 records of each: not freed one by one at the end
    unchanged = plan.unchanged_total
    report = BuildReport(specs_total=plan.total, unchanged=unchanged)
    report.counters["documents_cached"] = unchanged
    # failed specs none of whose inputs changed: their recorded errors again, unparsed
    problems = [
        Problem(file, line, field, message, severity, column=column, hint=hint)
        for errors in plan.replay.values()
        for file, line, field, message, severity, column, hint in errors
    ]
    report.errors = [p for p in problems if p.severity == "error"]
    report.warnings = [p for p in problems if p.severity != "error"]
    report.specs_replayed = len(plan.replay)
    report.ok = not report.errors
    report.duration_ms = (time.perf_counter() - started) * 1000
    report.timings = {"plan_ms": report.duration_ms, "total_ms": report.duration_ms}
    if options.json:
        out = stream
        if out is None:
            import sys

            out = sys.stdout
        out.write(encode_json(report.to_json()) + "\n")
    else:
        reporter = _reporter(options, stream, root, bool(problems))
        for problem in problems:
            reporter.problem(problem)
        reporter.finish(report)
    note_noop(
        os.path.join(root, cache_dir),
        plan.total,
        unchanged,
        report.duration_ms,
        len(set(report.errors)),
    )
    return 0 if report.ok else 1


def _reporter(options: BuildOptions, stream: IO[str] | None, root: str, problems: bool) -> Reporter:
    """Plain lines; on a terminal, the Rich reporter when there are problems to print (as the
    full build prints them: the same text)."""
    if problems and is_terminal(stream):
        from skillforge.report.terminal import RichReporter

        return RichReporter(quiet=options.quiet, explain=options.explain, root=root)
    return PlainReporter(stream, quiet=options.quiet, explain=options.explain, root=root)
