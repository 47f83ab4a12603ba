"""`skillforge build`: the no-op fast path first, then the full build under the project lock."""

from __future__ import annotations

import time

from skillforge.report.console import is_terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

    from skillforge.engine.options import BuildOptions
    from skillforge.report.reporter import Reporter
    from skillforge.state.scan import Scanned


def build_command(
    options: BuildOptions,
    config_file: str | Path | None,
    started: float | None = None,
    stream: IO[str] | None = None,
) -> int:
    """Build what changed; exit 0 when every spec built, 1 otherwise."""
    started = time.perf_counter() if started is None else started
    from skillforge.commands.noop import try_noop

    outcome = try_noop(options, None if config_file is None else str(config_file), started, stream)
    if isinstance(outcome, int):
        return outcome
    from skillforge.state.heap import one_shot
    from skillforge.state.regexes import RegexCache, cache_file

    one_shot()  # before the engine's imports, which make most of a small build's objects
    with RegexCache(cache_file()):  # before the engine's imports compile their patterns
        return _full_build(options, config_file, started, stream, outcome)


def _full_build(
    options: BuildOptions,
    config_file: str | Path | None,
    started: float,
    stream: IO[str] | None,
    outcome: Scanned | None,
) -> int:
    """The build past the no-op: the seam where the engine (Jinja2, PyYAML, diskcache) is
    imported."""
    import contextlib

    from skillforge.commands.project import hold_project, project_config, relative_paths
    from skillforge.engine import build
    from skillforge.engine.interrupts import terminate_as_interrupt
    from skillforge.engine.start import begin
    from skillforge.engine.workers import Pool
    from skillforge.state.manifest import manifest_stamp

    remembered = None
    if outcome is not None and outcome.manifest.config_data is not None:
        remembered = (outcome.manifest.config_raw, outcome.manifest.config_data)
    config = project_config(config_file, remembered)
    if options.target:
        from skillforge.engine.load.config import with_targets

        config = with_targets(config, options.target)
    options.paths = relative_paths(config, options.paths)
    reporter = make_reporter(options, stream, str(config.root))
    notes: list[str] = []
    # A dry run writes nothing, so it takes no lock (and creates no cache folder).
    lock = None if options.dry_run else hold_project(config, options.lock_timeout, "build", notes)
    with terminate_as_interrupt(), lock or contextlib.nullcontext():
        if outcome is not None and outcome.manifest.stamp != manifest_stamp(str(config.cache_dir)):
            outcome = None  # another process built while this one waited: plan again
        start = begin(config, options.dry_run, outcome)
        done = build.run(
            config, options, start, Pool(options.jobs), reporter, started=started, notes=notes
        )
    return 0 if done.ok else 1


def make_reporter(
    options: BuildOptions, stream: IO[str] | None = None, root: str | None = None
) -> Reporter:
    """JSON with --json, Rich on a terminal, plain lines otherwise."""
    from skillforge.report.plain import JsonReporter, PlainReporter

    if options.json:
        return JsonReporter(stream)
    if is_terminal(stream):
        from skillforge.report.terminal import RichReporter

        return RichReporter(
            quiet=options.quiet,
            explain=options.explain,
            verbose=options.verbose,
            dry_run=options.dry_run,
            root=root,
        )
    return PlainReporter(
        stream,
        quiet=options.quiet,
        explain=options.explain,
        verbose=options.verbose,
        dry_run=options.dry_run,
        root=root,
    )
