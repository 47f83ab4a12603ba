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

# What the no-op must not import: the third-party packages, and the standard modules that
# would cost it about 20 ms together (issue 11; Typer 0.29 no longer imports click).
HEAVY_PACKAGES = ("typer", "rich", "jinja2", "yaml", "diskcache", "tiktoken", "regex", "watchfiles")
HEAVY_STDLIB = (
    *("json", "pathlib", "dataclasses", "typing", "tomllib", "hashlib", "argparse"),
    # contextlib loads collections, functools and operator: ~10 M instructions (issue 17)
    *("contextlib", "collections", "functools", "math", "re", "enum", "signal"),
)
HEAVY = HEAVY_PACKAGES + HEAVY_STDLIB

# The light set: the skillforge modules the no-op build may import. They keep the plain-class,
# standard-library-only style (no dataclasses, no `typing` at run time, TYPE_CHECKING = False).
# All of state/ is light; elsewhere each module is named.
LIGHT_FOLDERS = ("skillforge.state",)
LIGHT = (
    "skillforge",
    "skillforge.errors",
    "skillforge.cli",
    "skillforge.cli.boundary",
    "skillforge.cli.fastparse",
    "skillforge.cli.flags",
    "skillforge.cli.main",
    "skillforge.commands",
    "skillforge.commands.build",
    "skillforge.commands.noop",
    "skillforge.commands.options",
    "skillforge.engine",
    "skillforge.engine.options",
    "skillforge.report",
    "skillforge.report.console",
    "skillforge.report.model",
    "skillforge.report.plain",
    "skillforge.report.reporter",
)


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


def test_noop_build_imports_only_the_light_set(tmp_path: Path) -> None:
    import json

    project(tmp_path)
    build_json(tmp_path)
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        from skillforge.cli.main import main
        code = main(["build"])
        print("MODULES", code, sorted(m for m in sys.modules if m not in before))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "0 written, 3 unchanged" in out  # the no-op path, not a build
    line = next(line for line in out.splitlines() if line.startswith("MODULES"))
    code, imported = line.split(" ", 2)[1:]
    assert code == "0"
    loaded = json.loads(imported.replace("'", '"'))
    ours = {m for m in loaded if m == "skillforge" or m.startswith("skillforge.")}
    outside = sorted(m for m in ours if m not in LIGHT and not m.startswith(LIGHT_FOLDERS))
    assert not outside, f"the no-op imports modules outside the light set: {outside}"
    stale = sorted(set(LIGHT) - ours)
    assert not stale, f"named light modules the no-op no longer imports (update LIGHT): {stale}"
    heavy = [m for m in loaded if m.partition(".")[0] in HEAVY]
    assert not heavy, f"the no-op imports heavy modules: {heavy}"


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


def test_report_json_is_the_same_text_in_python_and_in_c() -> None:
    """A report listing many paths goes to `json`'s C encoder, a small one is encoded in
    Python: both give `json.dumps`'s text."""
    import json

    from skillforge.report.plain import _encoded, encode_json

    odd = ["plain/SKILL.md", 'q"uote.md', "back\\slash.md", "é.md", "tab\t.md", "\u2028.md"]
    for size in (1, 200):
        paths = [f"{i}-{odd[i % len(odd)]}" for i in range(size)]
        value = {
            "ok": True,
            "duration_ms": 12.5,
            "specs": {"total": size, "parsed": 0},
            "written": paths,
            "dropped": {p: ["allowed-tools", "model"] for p in paths},
            "errors": [],
            "none": None,
        }
        assert encode_json(value) == json.dumps(value) == _encoded(value)


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


def test_noop_turns_the_collector_back_on_for_the_full_build(tmp_path: Path) -> None:
    import gc

    project(tmp_path)
    build_json(tmp_path)
    assert build_json(tmp_path)["outputs"]["written"] == 0  # the no-op
    assert gc.isenabled()
    spec = next((tmp_path / "specs").rglob("*.yaml"))
    spec.write_text(spec.read_text() + "\n# edited\n")
    assert build_json(tmp_path)["specs"]["total"] >= 1  # the fast path hands over to a build
    assert gc.isenabled()


def test_noop_loop_hashes_an_output_whose_stat_changed(tmp_path: Path) -> None:
    """The tight loop of make_plan hands an output whose stat changed to the careful path:
    the same bytes are still a no-op (the stat is refreshed), other bytes are a hand edit."""
    import os

    project(tmp_path)
    build_json(tmp_path)
    outputs = sorted(p for p in (tmp_path / ".claude").rglob("*") if p.is_file())
    os.utime(outputs[0], ns=(1_000_000_000, 1_000_000_000))
    assert build_json(tmp_path)["outputs"]["written"] == 0
    outputs[0].write_text(outputs[0].read_text() + "edited by hand\n")
    result = run(tmp_path, "build")
    assert result.code == 1 and "edited" in result.out + result.err
