"""The Typer pieces every command module of the app shares: the command group, which shows no
Python type labels in help, and the options most commands take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click import Command, Context, Parameter
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class CommandGroup(TyperGroup):
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
