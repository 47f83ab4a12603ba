"""The console entry point: `main(argv)`, the fast parse of `build`, `check` and `stats`.

A well-formed `build`, `check` or `stats` is parsed by fastparse.py over the tables of
flags.py and run at once, so that a build with nothing to do finishes before Typer, Rich,
Jinja2, PyYAML or diskcache are imported (DESIGN §5, the no-op path). The authoring commands
(`QUICK`: `list`, `show`, `new`, `schema`, `templates`) are parsed the same way, so that they
answer without importing Typer. Everything else,
`--help` and usage errors included, goes to the Typer app in app.py. Exit codes: boundary.py.

Light (the no-op path imports it): standard library only.
"""

from __future__ import annotations

import sys
import time

from skillforge.cli.boundary import guard
from skillforge.cli.fastparse import parse
from skillforge.cli.flags import COMMANDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# The commands parsed without Typer; the module that runs each is imported only when it runs.
FAST = ("build", "check", "stats")
# The authoring commands, parsed without Typer too: importing Typer (with Click, Rich and
# pydantic) costs more than `list` on a thousand specs may take in all (issue 15).
QUICK = ("schema", "new", "list", "show", "templates")


def main(argv: list[str] | None = None) -> int:
    """Run skillforge with `argv` (default: the process arguments); return the exit code."""
    started = time.perf_counter()
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args else ""
    if argv is None and name in ("build", "check"):  # this process ends with the command
        from skillforge.state.heap import one_shot

        one_shot()
        if name == "build":
            _terminate_as_interrupt()
        return _end_process(_main(name, args, started))
    return _main(name, args, started)


def _main(name: str, args: list[str], started: float) -> int:
    if name == "build":  # it warms the regexes itself, once past the no-op
        parsed = parse(args[1:], COMMANDS[name])
        if parsed is not None:
            options, config_file = parsed
            run = _command(name)
            return guard(lambda: run(options, config_file, started), options.verbose)
    from skillforge.state.regexes import RegexCache, cache_file

    with RegexCache(cache_file()):
        return _heavy(name, args, started)


def _heavy(name: str, args: list[str], started: float) -> int:
    """Every command but a fast-parsed `build`: they all import Jinja2, PyYAML or Typer."""
    if name in FAST or name in QUICK:
        parsed = parse(args[1:], COMMANDS[name])
        if parsed is not None:
            options, config_file = parsed
            if name in FAST:
                run = _command(name)
                return guard(lambda: run(options, config_file, started), options.verbose)
            quick = _authoring(name)
            return guard(lambda: quick(options, config_file), options.verbose)
    from skillforge.cli.app import run

    return run(args)


def _command(name: str) -> Callable[..., int]:
    """Import the function that runs the fast command `name` (plain imports the graph sees)."""
    if name == "build":
        from skillforge.commands.build import build_command

        return build_command
    if name == "check":
        from skillforge.commands.check import check_command

        return check_command
    from skillforge.commands.stats import stats_command

    return stats_command


def _authoring(name: str) -> Callable[..., int]:
    """Import the function that runs the authoring command `name`."""
    if name == "schema":
        from skillforge.commands.schema import schema_command

        return schema_command
    if name == "new":
        from skillforge.commands.new import new_command

        return new_command
    if name == "list":
        from skillforge.commands.list_ import list_command

        return list_command
    if name == "show":
        from skillforge.commands.show import show_command

        return show_command
    from skillforge.commands.templates import templates_command

    return templates_command


def _end_process(code: int) -> int:
    """End a `build` or `check` process now that its command is over, without Python's
    teardown: freeing every module and object the command made costs more than some of the
    command's steps (about 7 M instructions after a one-file cold build), for nothing.

    What the teardown would still do is done first: the standard streams are flushed and
    the `atexit` functions run. Every file the command wrote is closed (each is written
    under `with`, or replaced whole). When a worker pool or another thread was started, or a
    stream cannot be flushed, the process ends the usual way (`code` is returned)."""
    import os

    threading = sys.modules.get("threading")
    others = threading is not None and threading.active_count() > 1
    if others or "concurrent.futures" in sys.modules or "multiprocessing" in sys.modules:
        return code
    import atexit

    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if run_exit_functions is None:
            return code
        run_exit_functions()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        return code  # a closed stream (or none): Python's own exit reports it as it always does
    os._exit(code)


def _terminate_as_interrupt() -> None:
    """SIGTERM stops `build` like Ctrl-C (exit 130), from its first line on.

    `_signal`, not `signal`: the no-op path must stay light (the `signal` module loads `enum`).
    """
    import _signal  # type: ignore[import-not-found]

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
        _signal.signal(_signal.SIGTERM, interrupt)
