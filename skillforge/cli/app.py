"""The Typer app: help, completion and usage errors; each command only parses and calls one
in commands/.

`build`, `check` and `stats` are normally parsed by fastparse.py; the Typer commands here serve
`--help`, unusual spellings and usage errors. Each signature declares the options of its table
in flags.py (tests/test_options.py proves they agree), and `COMMANDS[name].collect` turns the
parsed values into the command's options.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import Command, Context, Parameter
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from skillforge import __version__
from skillforge.cli.boundary import EXIT_USAGE, guard
from skillforge.cli.flags import COMMANDS


class _Group(TyperGroup):
    """The app's command group, without the type labels Typer 0.29 prints in help.

    Typer labels every parameter with its Python type: `<list[str]>` beside PATHS, `<bool>`
    beside a flag (its own `--help` and completion flags included), `<str>` beside a text
    option. Flags and arguments lose the label, and options without a metavar of their own
    get their upper-cased name, when the group or one of its commands is asked for help.
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        _unlabel(self.params)
        return _unlabel_option(super().get_help_option(ctx))

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, TyperCommand):
            _unlabel_option(command.get_help_option(ctx))
            _unlabel(command.params)
        return command


def _unlabel(params: list[Parameter]) -> None:
    for param in params:
        if isinstance(param, TyperArgument):
            param.display_type_rich = _no_label  # type: ignore[method-assign]  # no setting for it
        elif isinstance(param, TyperOption) and param.metavar is None:
            if param.is_flag:
                param.metavar = ""
            elif param.type_descriptor.annotation is str and param.name:
                param.metavar = param.name.upper()


def _unlabel_option(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.metavar = ""
    return option


def _no_label(ctx: Context) -> str | None:
    return None


app = typer.Typer(
    cls=_Group,
    name="skillforge",
    help="Build Claude Code skills and subagents from YAML specs, incrementally.",
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

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - Typer needs Optional on Python 3.11
    typer.Option("--config", help="Use this config file instead of searching for one."),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        min=0,
        help="Seconds to wait for another skillforge process on this project.",
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="More output; tracebacks on internal errors.", metavar=""),
]


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
    """Build Claude Code skills and subagents from YAML specs, incrementally."""


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


# -- the authoring commands (issue 15): schema, new, list, show, templates ---------------


def _complete_specs(incomplete: str) -> list[str]:
    """Spec names and files of the project in the working folder, for shell completion."""
    from skillforge.commands.list_ import spec_names

    return [name for name in spec_names() if name.startswith(incomplete)]


def _complete_targets(incomplete: str) -> list[str]:
    from skillforge.targets import TARGETS

    return [name for name in sorted(TARGETS) if name.startswith(incomplete)]


def _complete_templates(incomplete: str) -> list[str]:
    from skillforge.commands.templates import template_names

    return [name for name in template_names() if name.startswith(incomplete)]


class SchemaWhich(StrEnum):
    """The schemas `schema` prints."""

    spec = "spec"
    config = "config"


@app.command()
def schema(
    which: Annotated[
        SchemaWhich,
        typer.Argument(help="spec (a spec file) or config (.skillforge.toml)."),
    ] = SchemaWhich.spec,
    verbose: VerboseOption = False,
) -> None:
    """Print the JSON Schema (draft-07) of a spec, or of the config, on stdout."""
    options, config_file = COMMANDS["schema"].collect(locals())
    from skillforge.commands.schema import schema_command

    raise typer.Exit(guard(lambda: schema_command(options, config_file), verbose))


@app.command()
def new(
    kind: Annotated[
        str,
        typer.Argument(
            help="skill, agent or command.",
            autocompletion=lambda incomplete: [
                k for k in ("skill", "agent", "command") if k.startswith(incomplete)
            ],
        ),
    ],
    name: Annotated[str, typer.Argument(help="The new spec's name (a slug: pdf-tools).")],
    extends: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--extends", help="A base spec, relative to the new spec's folder."),
    ] = None,
    traits: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--traits", help="Traits to apply, comma-separated (safety,testing)."),
    ] = None,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 60.0,
) -> None:
    """Write a new spec from the project's starter (or the built-in one), then build it."""
    options, config_file = COMMANDS["new"].collect(locals())
    from skillforge.commands.new import new_command

    raise typer.Exit(guard(lambda: new_command(options, config_file), verbose))


@app.command("list")
def list_(
    json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.", metavar="")
    ] = False,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """Every spec: kind, targets, outputs, sizes, token estimates and state (no render)."""
    options, config_file = COMMANDS["list"].collect(locals())
    from skillforge.commands.list_ import list_command

    raise typer.Exit(guard(lambda: list_command(options, config_file), verbose))


@app.command()
def show(
    spec: Annotated[
        str,
        typer.Argument(
            help="A spec's name or file (specs/pdf.yaml).", autocompletion=_complete_specs
        ),
    ],
    target: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--target", "-t", help="Only this target's documents.", autocompletion=_complete_targets
        ),
    ] = None,
    merged: Annotated[
        bool,
        typer.Option(
            "--merged",
            help="Print the merged spec (after extends and traits) with where each field "
            "came from.",
            metavar="",
        ),
    ] = False,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """Render one spec to stdout; write nothing."""
    options, config_file = COMMANDS["show"].collect(locals())
    from skillforge.commands.show import show_command

    raise typer.Exit(guard(lambda: show_command(options, config_file), verbose))


@app.command()
def templates(
    eject: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--eject",
            metavar="NAME",
            help="Copy this built-in template into the project's templates folder.",
            autocompletion=_complete_templates,
        ),
    ] = None,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
) -> None:
    """List the built-in templates with their with: keys and an example each."""
    options, config_file = COMMANDS["templates"].collect(locals())
    from skillforge.commands.templates import templates_command

    raise typer.Exit(guard(lambda: templates_command(options, config_file), verbose))


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
