"""The Typer commands of authoring (issue 15: schema, new, list, show, templates) and of
`import` (issue 13); app.py registers them. Each only parses and calls one in commands/.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Optional

import typer

from skillforge.cli.boundary import guard
from skillforge.cli.flags import COMMANDS
from skillforge.cli.params import ConfigOption, LockTimeoutOption, VerboseOption

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


# -- import (issue 13) --------------------------------------------------------------------


def import_(
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            help="Files or folders to import (default: .claude/ and .agents/skills/).",
            metavar="PATHS",
        ),
    ] = None,
    include_broken: Annotated[
        bool,
        typer.Option(
            "--include-broken",
            help="Also import files Claude Code would skip, marked for review.",
            metavar="",
        ),
    ] = False,
    factor: Annotated[
        bool,
        typer.Option(
            "--factor",
            help="Move sections repeated across specs into shared templates.",
            metavar="",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Say what would be imported; write nothing.", metavar=""),
    ] = False,
    verbose: VerboseOption = False,
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 60.0,
) -> None:
    """Write one spec per existing skill and agent; say what the next build changes."""
    options, config_file = COMMANDS["import"].collect(locals())
    from skillforge.commands.import_ import import_command

    raise typer.Exit(guard(lambda: import_command(options, config_file), verbose))
