"""The hand parser of the commands that must start fast: `build`, `check` and `stats`.

Typer (with Click and Rich) costs more to import than a no-op build or a clean check takes in
all, so these commands parse their options here, with the standard library only. The parser
knows only the well-formed spellings; anything else (`--help`, an unknown option, a bad
value) returns None and the caller hands the command line to the Typer app, which prints the
help or the usage error. tests/test_fastpath.py checks both give the same options.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    # A flag sets an attribute to a fixed value; an option converts its value, None = invalid.
    Flags = Mapping[str, tuple[str, object]]
    Options = Mapping[str, tuple[str, Callable[[str], object]]]


def parse(
    args: list[str], flags: Flags, options: Options, *, paths: bool = True
) -> tuple[dict[str, object], list[str]] | None:
    """Return the values set (by attribute name) and the positional PATHS, or None."""
    values: dict[str, object] = {}
    found: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        if arg in flags and value is None:
            name, setting = flags[arg]
            values[name] = setting
        elif arg in options:
            if value is None:
                i += 1
                if i >= len(args):
                    return None
                value = args[i]
            name, convert = options[arg]
            converted = convert(value)
            if converted is None:
                return None
            values[name] = converted
        elif arg == "--" and paths:
            found.extend(args[i + 1 :])
            break
        elif arg.startswith("-") or not paths:
            return None
        else:
            found.append(arg)
        i += 1
    return values, found


def text(value: str) -> str:
    return value


def positive_int(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) >= 1 else None


def seconds(value: str) -> float | None:
    """Seconds, 0 or more (`--lock-timeout`)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


def one_of(*choices: str) -> Callable[[str], str | None]:
    return lambda value: value if value in choices else None


# What `build` and `check` (and `watch`, through Typer) share.
OUTPUT_FLAGS = {
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "-v": ("verbose", True),
    "--verbose": ("verbose", True),
}
PROJECT_OPTIONS = {
    "--config": ("config", text),
    "--jobs": ("jobs", positive_int),
    "-j": ("jobs", positive_int),
    "--lock-timeout": ("lock_timeout", seconds),
}


def parse_into(
    args: list[str], target: Any, flags: Flags, options: Options
) -> tuple[Any, str | None] | None:
    """Parse onto `target` (its attributes, and `paths`); return it and `--config`, or None."""
    parsed = parse(args, {**OUTPUT_FLAGS, **flags}, {**PROJECT_OPTIONS, **options})
    if parsed is None:
        return None
    values, paths = parsed
    config = values.pop("config", None)
    for name, value in values.items():
        setattr(target, name, value)
    target.paths = paths or None
    return target, config if isinstance(config, str) else None
