"""The Typer app: help, completion and usage errors; each command only parses and calls one
in commands/.

`build`, `check` and `stats` are normally parsed by fastparse.py; the Typer commands here serve
`--help`, unusual spellings and usage errors. Each signature declares the options of its table
in flags.py (tests/test_options.py proves they agree), and `COMMANDS[name].collect` turns the
parsed values into the command's options.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Optional

import typer

from skillforge import __version__
from skillforge.cli import authoring
from skillforge.cli.boundary import EXIT_USAGE, guard
from skillforge.cli.flags import COMMANDS
from skillforge.cli.params import CommandGroup, ConfigOption, LockTimeoutOption, VerboseOption

app = typer.Typer(
    cls=CommandGroup,
    name="skillforge",
    help=(
        "Build skills, agents and commands for Claude Code, Agent Skills, Codex, Cursor, "
        "Copilot and OpenCode from YAML specs, incrementally."
    ),
    epilog=(
        "Exit codes: 0 success, 1 the build or check failed (spec, template, rule, stale or "
        "hand-edited output), "
        "2 usage or configuration error, 130 interrupted."
    ),
    no_args_is_help=True,
    # --install-completion / --show-completion (bash, zsh, fish, PowerShell): the shell asks
    # `skillforge` with no arguments, so completing never touches the no-op path of `build`
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"skillforge {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version.", metavar=""
        ),
    ] = False,
) -> None:
    """Build skills, agents and commands for every agent tool from YAML specs, incrementally."""


@app.command()
def build(
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Build only the specs in these files or folders.", metavar="PATHS"),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Rebuild everything; overwrite hand-edited outputs.", metavar=""
        ),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Print why each written output was rebuilt.", metavar=""),
    ] = False,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Render in this many processes (default: CPUs)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and report, but write nothing.", metavar="")
    ] = False,
    remote_write: Annotated[
        bool,
        typer.Option(
            "--remote-write",
            help="Share what this build renders on the remote cache (trusted CI only).",
            metavar="",
        ),
    ] = False,
    target: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--target",
            help="Build for this target only (repeatable): claude, agents, codex, cursor, "
            "copilot, opencode.",
            metavar="NAME",
        ),
    ] = None,
    json: Annotated[
        bool, typer.Option("--json", help="Print one JSON report on stdout.", metavar="")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print errors only.", metavar="")
    ] = False,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 60.0,
) -> None:
    """Build every spec (or those under PATHS); only what changed is rendered and written."""
    options, config_file = COMMANDS["build"].collect(locals())
    options.target = options.target or None
    from skillforge.commands.build import build_command

    raise typer.Exit(guard(lambda: build_command(options, config_file), verbose))


class CheckFormat(StrEnum):
    """Output styles of `check`."""

    text = "text"
    json = "json"
    github = "github"


@app.command()
def check(
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Check only the specs in these files or folders.", metavar="PATHS"),
    ] = None,
    diff: Annotated[
        bool,
        typer.Option("--diff/--no-diff", help="Print a unified diff per stale file.", metavar=""),
    ] = True,
    format: Annotated[
        CheckFormat,
        typer.Option("--format", help="text, json (one object), or github (workflow annotations)."),
    ] = CheckFormat.text,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", "-j", min=1, help="Render in this many processes (default: CPUs)."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print problems only.", metavar="")
    ] = False,
    lock_timeout: LockTimeoutOption = 60.0,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """Render in memory and compare with the disk; write nothing; exit 1 on any difference.

    An output fails when it is stale, missing, orphaned or edited by hand, or when a spec, a
    rule or an error budget fails.
    """
    options, config_file = COMMANDS["check"].collect(locals())
    from skillforge.commands.check import check_command

    raise typer.Exit(guard(lambda: check_command(options, config_file), verbose))


@app.command()
def watch(
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            help="Build and watch only the specs in these files or folders.", metavar="PATHS"
        ),
    ] = None,
    debounce: Annotated[
        int,
        typer.Option(
            "--debounce",
            metavar="MS",
            min=1,
            help="Rebuild once saves have paused for this many milliseconds.",
        ),
    ] = 20,
    json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON report per rebuild on stdout.", metavar=""),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print errors only.", metavar="")
    ] = False,
    lock_timeout: LockTimeoutOption = 60.0,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """Build, then rebuild what each save affects; Ctrl-C stops (exit 0)."""
    options, config_file = COMMANDS["watch"].collect(locals())
    from skillforge.commands.watch import watch_command

    raise typer.Exit(guard(lambda: watch_command(options, config_file, debounce), verbose))


@app.command()
def init(
    directory: Annotated[
        str, typer.Argument(help="Folder to create the project in (default: here).")
    ] = ".",
    verbose: VerboseOption = False,
) -> None:
    """Create a working project: config, a skill, an agent, a trait and templates."""
    options, _ = COMMANDS["init"].collect(locals())
    from skillforge.commands.init import init_command

    raise typer.Exit(guard(lambda: init_command(options), verbose))


@app.command()
def clean(
    cache: Annotated[
        bool, typer.Option("--cache", help="Also remove the cache folder.", metavar="")
    ] = False,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 60.0,
) -> None:
    """Remove the outputs skillforge generated (never other files)."""
    options, config_file = COMMANDS["clean"].collect(locals())
    from skillforge.commands.clean import clean_command

    raise typer.Exit(guard(lambda: clean_command(options, config_file), verbose))


@app.command()
def stats(
    json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object (same as --format json).", metavar=""),
    ] = False,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="text (Rich on a terminal), json or prometheus.",
            metavar="<text|json|prometheus>",
        ),
    ] = "text",
    top: Annotated[
        int, typer.Option("--top", min=1, help="Rows of the template and output tables.")
    ] = 10,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """Cache hit ratios, cache size, slowest templates, token estimates and budget use."""
    options, config_file = COMMANDS["stats"].collect(locals())
    from skillforge.commands.stats import stats_command

    raise typer.Exit(guard(lambda: stats_command(options, config_file), verbose))


# The authoring commands and `import` (authoring.py), in the order help lists them.
app.command()(authoring.schema)
app.command()(authoring.new)
app.command("list")(authoring.list_)
app.command()(authoring.show)
app.command()(authoring.templates)
app.command("import")(authoring.import_)


def run(argv: list[str]) -> int:
    """Run the Typer app with `argv`; return its exit code instead of exiting."""
    try:
        app(args=argv, prog_name="skillforge")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else EXIT_USAGE
    return 0
