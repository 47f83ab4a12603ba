"""The authoring commands are parsed without Typer, over the same tables, and agree with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer.testing
from helpers import project, run
from test_options import BODIES, command_line

from skillforge.cli import app as cli
from skillforge.cli.fastparse import parse
from skillforge.cli.flags import COMMANDS
from skillforge.cli.main import QUICK


@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("name", QUICK)
def test_quick_parse_and_typer_give_the_same_options(
    name: str, last: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, expected, config = command_line(COMMANDS[name], last)
    assert parse(args, COMMANDS[name]) == (expected, config)
    seen: list[tuple[object, ...]] = []
    monkeypatch.setattr(f"{BODIES[name][0]}.{BODIES[name][1]}", lambda *a: seen.append(a) or 0)
    result = typer.testing.CliRunner().invoke(cli.app, [name, *args])
    assert result.exit_code == 0, result.output
    assert seen == [(expected, config)]


def test_a_missing_or_extra_argument_goes_to_typer() -> None:
    assert parse([], COMMANDS["show"]) is None
    assert parse(["a", "b"], COMMANDS["show"]) is None
    assert parse(["skill"], COMMANDS["new"]) is None
    assert parse(["--bogus"], COMMANDS["list"]) is None
    options, _ = parse(["skill", "--", "-x"], COMMANDS["new"]) or (None, None)
    assert (options.kind, options.name) == ("skill", "-x")  # type: ignore[union-attr]


def test_usage_errors_of_the_authoring_commands_exit_2(tmp_path: Path) -> None:
    project(tmp_path)
    for args in (["show"], ["list", "--bogus"], ["new", "skill"], ["templates", "--eject"]):
        result = run(tmp_path, *args)
        assert result.code == 2, args
        assert "Usage: skillforge" in result.err or "requires an argument" in result.err, args


def test_list_and_show_do_not_import_typer_or_the_engine(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    code = textwrap.dedent(
        """
        import io, sys
        from contextlib import redirect_stdout
        from skillforge.cli.main import main
        with redirect_stdout(io.StringIO()):
            codes = [main(["list"]), main(["list", "--json"]), main(["show", "skill-0"])]
        heavy = ("typer", "click", "rich", "jinja2", "yaml", "diskcache", "pydantic")
        print(codes, [m for m in heavy if m in sys.modules])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[0, 0, 0] []"
