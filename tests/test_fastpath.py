"""The no-op fast path: nothing heavy imported, the same report as the full build."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import build_json, project, run

from skillforge.cli.fastparse import parse
from skillforge.cli.flags import COMMANDS
from skillforge.engine.options import BuildOptions

HEAVY = ("typer", "rich", "jinja2", "yaml", "diskcache", "tiktoken", "click", "tomllib")


def parse_build_args(args: list[str]) -> tuple[BuildOptions, str | None] | None:
    return parse(args, COMMANDS["build"])


def test_noop_build_imports_nothing_heavy(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    code = textwrap.dedent(
        f"""
        import sys
        from skillforge.cli.main import main
        code = main(["build", "--json"])
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        print("HEAVY", heavy, code)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY [] 0" in out


def test_fast_and_full_noop_reports_agree(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    fast = build_json(tmp_path)
    # --jobs 1 is still the fast path; a manifest without layout is not: force the full path
    # by touching a spec (stat change, same bytes) and compare the shapes.
    full = run(tmp_path, "build", "--json", "specs").report
    for report in (fast, full):
        report.pop("duration_ms")
        report.pop("timings")
    assert fast["outputs"] == {"written": 0, "unchanged": 3, "removed": 0, "files_written": 0}
    assert fast.keys() == full.keys()
    assert fast["outputs"] == full["outputs"]


def test_fast_path_json_is_valid_json_with_odd_paths(tmp_path: Path) -> None:
    import json

    from skillforge.report.plain import encode_json

    value = {'a"b': ["c\\d", "é", 1.5, None, True], "n": {"x": 0}}
    assert json.loads(encode_json(value)) == value


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--bogus"], ["--jobs"], ["--jobs", "zero"], ["--lock-timeout", "-1"]],
)
def test_fast_parser_hands_unusual_arguments_to_typer(argv: list[str]) -> None:
    assert parse_build_args(argv) is None


def test_unknown_build_option_is_a_usage_error(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "build", "--bogus")
    assert result.code == 2


@pytest.mark.parametrize(
    ("config_name", "text"),
    [
        (".skillforge.toml", 'cache_dir = "build/sf-cache"  # elsewhere\n'),
        ("pyproject.toml", "[project]\nname = \"x\"\n\n[tool.skillforge]\ncache_dir = 'state'\n"),
    ],
)
def test_fast_path_finds_a_moved_cache_folder(tmp_path: Path, config_name: str, text: str) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").unlink()
    (tmp_path / config_name).write_text(text)
    build_json(tmp_path)
    assert not (tmp_path / ".skillforge").exists()
    code = textwrap.dedent(
        """
        import sys
        from skillforge.cli.main import main
        code = main(["build", "-q"])
        print("JINJA", "jinja2" in sys.modules, code)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "JINJA False 0" in out
