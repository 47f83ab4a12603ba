"""One table of options per command: the fast parser and the Typer app agree with it."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.core import TyperArgument, TyperGroup, TyperOption

from skillforge.cli import app as cli
from skillforge.cli.fastparse import parse
from skillforge.cli.flags import (
    COMMANDS,
    Command,
    Flag,
    OneOf,
    names,
    positive_int,
    seconds,
    text,
)
from skillforge.cli.main import FAST

# Where each Typer command finds the function it calls (replaced here to see its options).
BODIES = {
    "build": ("skillforge.commands.build", "build_command"),
    "check": ("skillforge.commands.check", "check_command"),
    "watch": ("skillforge.commands.watch", "watch_command"),
    "stats": ("skillforge.commands.stats", "stats_command"),
    "clean": ("skillforge.commands.clean", "clean_command"),
    "init": ("skillforge.commands.init", "init_command"),
    "import": ("skillforge.commands.import_", "import_command"),
    # the authoring commands (issue 15)
    "schema": ("skillforge.commands.schema", "schema_command"),
    "new": ("skillforge.commands.new", "new_command"),
    "list": ("skillforge.commands.list_", "list_command"),
    "show": ("skillforge.commands.show", "show_command"),
    "templates": ("skillforge.commands.templates", "templates_command"),
}
# A value each positional argument accepts (any word for the others).
ARGUMENT_SAMPLES = {"which": "config"}


def typer_group() -> TyperGroup:
    group = typer.main.get_command(cli.app)
    assert isinstance(group, TyperGroup)
    return group


def by_dest(command: Command) -> dict[str, list[Flag]]:
    found: dict[str, list[Flag]] = {}
    for flag in command.flags:
        found.setdefault(flag.dest, []).append(flag)
    return found


def test_every_typer_command_has_a_table() -> None:
    assert set(typer_group().commands) == set(COMMANDS) == set(BODIES)
    assert set(FAST) <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_typer_declares_the_options_of_the_table(name: str) -> None:
    table = COMMANDS[name]
    params = typer_group().commands[name].params
    options = {p.name: p for p in params if isinstance(p, TyperOption)}
    flags = by_dest(table)
    assert set(options) == set(flags)
    for dest, param in options.items():
        on = {s for f in flags[dest] if f.value is not False for s in f.spellings}
        off = {s for f in flags[dest] if f.value is False for s in f.spellings}
        assert set(param.opts) == on, dest
        assert set(param.secondary_opts) == off, dest
        assert param.default == table.default(dest), dest
        convert = flags[dest][0].convert
        kind = param.type_descriptor.annotation
        if convert is None:
            assert param.is_flag, dest
        elif convert is positive_int:
            assert (kind, param.min, param.max) == (int, 1, None), dest
        elif convert is seconds:
            assert (kind, param.min, param.max) == (float, 0, None), dest
        elif isinstance(convert, OneOf):
            assert issubclass(kind, Enum), dest
            assert tuple(member.value for member in kind) == convert.choices, dest
        elif convert is names:  # a repeatable option (`--target`)
            assert param.multiple, dest
        else:
            assert convert is text, dest
            assert kind in (str, Path), dest
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    assert [p.name for p in arguments] == list(table.arguments)
    for argument in arguments:
        assert argument.default == table.default(str(argument.name))


def sample(flag: Flag) -> str:
    """A valid value for `flag` that is not its default."""
    if isinstance(flag.convert, OneOf):
        return flag.convert.choices[-1]
    return {positive_int: "3", seconds: "2.5", text: "x.toml", names: "codex"}[flag.convert]


def command_line(table: Command, last: bool) -> tuple[list[str], Any, str | None]:
    """Every option of `table` (first or last spellings), and the options it must give."""
    args: list[str] = []
    expected = table.options()
    config = None
    for flag in table.flags:
        spelling = flag.spellings[-1 if last else 0]
        if flag.convert is None:
            args.append(spelling)
            setattr(expected, flag.dest, flag.value)
            continue
        value = sample(flag)
        args += [f"{spelling}={value}"] if last and spelling.startswith("--") else [spelling, value]
        if flag.dest == "config":
            config = value
        else:
            setattr(expected, flag.dest, flag.convert(value))
    if table.argument == "paths":
        args += ["a", "b"]
        expected.paths = ["a", "b"]
    else:
        for name in table.arguments:
            value = ARGUMENT_SAMPLES.get(name, "somewhere")
            args.append(value)
            setattr(expected, name, value)
    return args, expected, config


@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_fast_parser_and_typer_give_the_options_of_the_table(
    name: str, last: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, expected, config = command_line(COMMANDS[name], last)
    if name in FAST:
        assert parse(args, COMMANDS[name]) == (expected, config)
    seen: list[tuple[object, ...]] = []

    def body(*given: object) -> int:
        seen.append(given)
        return 0

    monkeypatch.setattr(f"{BODIES[name][0]}.{BODIES[name][1]}", body)
    result = typer.testing.CliRunner().invoke(cli.app, [name, *args])
    assert result.exit_code == 0, result.output
    assert seen[0][0] == expected
    if name != "init":
        assert seen[0][1] == config


@pytest.mark.parametrize("name", sorted(FAST))
def test_without_options_both_give_the_defaults(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse([], COMMANDS[name]) == (COMMANDS[name].options(), None)
    seen: list[tuple[object, ...]] = []
    monkeypatch.setattr(f"{BODIES[name][0]}.{BODIES[name][1]}", lambda *a: seen.append(a) or 0)
    assert typer.testing.CliRunner().invoke(cli.app, [name]).exit_code == 0
    assert seen[0][:2] == (COMMANDS[name].options(), None)
