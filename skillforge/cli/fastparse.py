"""The stdlib parser of the commands that must start fast: `build`, `check` and `stats`, and
the authoring commands (`list`, `show`, ...), which answer in a fraction of Typer's import.

Typer (with Click and Rich) costs more to import than a no-op build or a clean check takes in
all, so these commands are parsed here, over the tables of flags.py. The parser knows only the
well-formed spellings; anything else (`--help`, an unknown option, a bad value) returns None
and the caller hands the command line to the Typer app, which prints the help or the usage
error.

Light (the no-op path imports it): standard library only.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from skillforge.cli.flags import Command, Flag


def parse(args: list[str], command: Command) -> tuple[Any, str | None] | None:
    """Return the command's options and `--config` from `args`, or None (Typer decides)."""
    spellings: dict[str, Flag] = {s: flag for flag in command.flags for s in flag.spellings}
    options = command.options()
    config: str | None = None
    paths: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        flag = spellings.get(arg)
        if flag is not None and flag.convert is None:
            if value is not None:
                return None
            setattr(options, flag.dest, flag.value)
        elif flag is not None and flag.convert is not None:
            if value is None:
                i += 1
                if i >= len(args):
                    return None
                value = args[i]
            converted = flag.convert(value)
            if converted is None:
                return None
            if flag.dest == "config":
                config = value
            elif isinstance(converted, list):  # a repeatable option: each adds to the list
                setattr(options, flag.dest, [*(getattr(options, flag.dest) or ()), *converted])
            else:
                setattr(options, flag.dest, converted)
        elif arg == "--" and command.argument is not None:
            paths.extend(args[i + 1 :])
            break
        elif arg.startswith("-") or command.argument is None:
            return None
        else:
            paths.append(arg)
        i += 1
    if command.argument == "paths":
        options.paths = paths or None  # type: ignore[attr-defined]
    elif command.argument is not None:
        # named arguments (`show SPEC`): each once, in order; a missing one is Typer's to report
        names = command.arguments
        if len(paths) > len(names):
            return None
        for name, value in zip(names, paths, strict=False):
            setattr(options, name, value)
        if any(getattr(options, name) is None for name in names):
            return None
    return options, config
