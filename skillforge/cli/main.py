"""The console entry point and the one error boundary of skillforge.

`skillforge build` is parsed here, without Typer, so that a build with nothing to do finishes
before Typer, Rich, Jinja2, PyYAML or diskcache are imported (DESIGN §5, the no-op path), and a
small incremental build does not pay for Typer either (`check` and `stats` likewise, in
`check_command.py` and `stats_command.py`). Everything else, `--help` included, goes to the
Typer app in `cli.py`.

Exit codes (DESIGN §6):
    0   success
    1   the build or check failed (spec, template, rule, stale or hand-edited output)
    2   usage or configuration error
    130 interrupted (SIGINT, or SIGTERM during a build)
"""

from __future__ import annotations

import os
import sys
import time

from skillforge.commands.options import BuildOptions
from skillforge.errors import SkillforgeError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import IO, Any

    from skillforge.engine.config import Config
    from skillforge.report.plain import Reporter

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Run skillforge with `argv` (default: the process arguments); return the exit code."""
    started = time.perf_counter()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["build"]:
        if argv is None:
            _terminate_as_interrupt()
        parsed = parse_build_args(args[1:])
        if parsed is not None:
            options, config_file = parsed
            return guard(lambda: build_command(options, config_file, started), options.verbose)
    if args[:1] == ["check"]:
        from skillforge.commands.check import check_command, parse_check_args

        checked = parse_check_args(args[1:])
        if checked is not None:
            check, check_file = checked
            return guard(lambda: check_command(check, check_file, started), check.verbose)
    if args[:1] == ["stats"]:
        from skillforge.commands.stats import parse_stats_args, stats_main

        stats = parse_stats_args(args[1:])
        if stats is not None:
            return guard(lambda: stats_main(*stats[:3]), stats[3])
    from skillforge.cli.app import run

    return run(args)


def _terminate_as_interrupt() -> None:
    """SIGTERM stops `build` like Ctrl-C (exit 130), from its first line on.

    `_signal`, not `signal`: the no-op path must stay light (the `signal` module loads `enum`).
    """
    import _signal  # type: ignore[import-not-found]

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
        _signal.signal(_signal.SIGTERM, interrupt)


_BUILD_FLAGS = {
    "--force": ("force", True),
    "--explain": ("explain", True),
    "--dry-run": ("dry_run", True),
    "--json": ("json", True),
}


def parse_build_args(args: list[str]) -> tuple[BuildOptions, str | None] | None:
    """Parse `build`'s options; None when Typer should handle them (help, mistakes)."""
    from skillforge.cli.fastparse import parse_into

    return parse_into(args, BuildOptions(), _BUILD_FLAGS, {})


def guard(action: Callable[[], int], verbose: bool) -> int:
    """Run a command; turn errors into a message and an exit code (the only boundary)."""
    try:
        return action()
    except SkillforgeError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # A closed pipe the reporters did not see (they stop printing and let the command
        # finish): end quietly, without claiming success.
        from skillforge.report.plain import silence

        silence(sys.stdout)
        return EXIT_FAILED
    except Exception as exc:  # the boundary: never a bare traceback unless -v
        if _interrupted(exc):
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        if verbose:
            import traceback

            traceback.print_exc()
        else:
            print(
                f"internal error: {exc.__class__.__name__}: {exc} (rerun with -v for details)",
                file=sys.stderr,
            )
        return EXIT_FAILED


def _interrupted(exc: BaseException) -> bool:
    """A Ctrl-C that Python wrapped in another error on its way out (Python 3.11 turns one
    raised while a class is being created into "RuntimeError: Error calling __set_name__")."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def project_config(
    config_file: str | Path | None, remembered: tuple[str, dict[str, Any]] | None = None
) -> Config:
    """Load the config; its folders must exist (without one, the working folder holds `specs/`)."""
    from pathlib import Path

    from skillforge.engine.config import check_folders, load_config

    explicit = Path(config_file) if config_file is not None else None
    config = load_config(explicit, remembered=remembered)
    if config.path is None and not any(folder.is_dir() for folder in config.specs):
        raise UsageError(
            "no .skillforge.toml (or [tool.skillforge] in pyproject.toml) here or above, and no "
            "specs/ folder: run `skillforge init` to create a project"
        )
    if config.path is not None:
        check_folders(config)
    return config


def relative_paths(config: Config, paths: list[str] | None) -> list[str] | None:
    """Turn PATHS given on the command line into paths relative to the project root."""
    if not paths:
        return None
    found = []
    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.exists(path):
            raise UsageError(f"{raw}: no such file or folder")
        rel = config.rel(path)
        if rel == ".." or rel.startswith("../"):
            raise UsageError(f"{raw}: outside the project")
        if not any(_overlaps(path, str(folder)) for folder in config.specs):
            folders = ", ".join(config.rel(folder) + "/" for folder in config.specs)
            raise UsageError(
                f"{raw}: not in a spec folder ({folders}); give spec files or the folders "
                "holding them"
            )
        found.append(rel)
    return found


def _overlaps(path: str, folder: str) -> bool:
    """Is `path` inside `folder`, or `folder` inside `path` (`build .`)?"""
    return (
        path == folder
        or path.startswith(folder.rstrip(os.sep) + os.sep)
        or folder.startswith(path.rstrip(os.sep) + os.sep)
    )


def make_reporter(
    options: BuildOptions, stream: IO[str] | None = None, root: str | None = None
) -> Reporter:
    """JSON with --json, Rich on a terminal, plain lines otherwise."""
    from skillforge.report.plain import JsonReporter, PlainReporter

    if options.json:
        return JsonReporter(stream)
    if stream is None and sys.stdout.isatty() and os.environ.get("TERM") != "dumb":
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


def build_command(
    options: BuildOptions,
    config_file: str | Path | None,
    started: float | None = None,
    stream: IO[str] | None = None,
) -> int:
    """`skillforge build`: the no-op fast path first, then the full build."""
    started = time.perf_counter() if started is None else started
    from skillforge.commands.noop import try_noop

    outcome = try_noop(options, None if config_file is None else str(config_file), started, stream)
    if isinstance(outcome, int):
        return outcome
    from skillforge.engine import build
    from skillforge.engine.start import begin
    from skillforge.engine.workers import Pool

    remembered = None
    if outcome is not None and outcome.manifest.config_data is not None:
        remembered = (outcome.manifest.config_raw, outcome.manifest.config_data)
    config = project_config(config_file, remembered)
    options.paths = relative_paths(config, options.paths)
    reporter = make_reporter(options, stream, str(config.root))
    import contextlib

    from skillforge.engine.interrupts import terminate_as_interrupt
    from skillforge.state.manifest import manifest_stamp

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
    return EXIT_OK if done.ok else EXIT_FAILED


def hold_project(
    config: Config, timeout: float, command: str, notes: list[str], quiet: bool = False
) -> AbstractContextManager[None]:
    """The project lock for a command that writes; says on stderr when it has to wait."""
    from skillforge.state.lock import project_lock

    def waiting(holder: str) -> None:
        if not quiet:
            print(f"waiting for {holder} to finish (up to {timeout:g}s)", file=sys.stderr)

    return project_lock(
        config.cache_dir,
        timeout,
        f"skillforge {command}",
        warn=notes.append,
        waiting=waiting,
        shown=config.rel(config.cache_dir),
    )
