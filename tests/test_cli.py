"""The command line: init, clean, exit codes, output styles, the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import build_file_tree, project, run

from skillforge import __version__


def test_init_creates_a_project_that_builds(tmp_path: Path) -> None:
    result = run(tmp_path, "init", "new")
    assert result.code == 0, result.err
    root = tmp_path / "new"
    assert (root / ".skillforge.toml").is_file()
    assert ".skillforge/" in (root / ".gitignore").read_text().split()
    report = run(root, "build", "--json").report
    assert report["ok"] is True, report["errors"]
    kinds = {Path(p).parts[1] for p in report["written"]}
    assert kinds == {"skills", "agents"}


def test_init_never_overwrites(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": "# mine\n", ".gitignore": "node_modules/"})
    result = run(tmp_path, "init")
    assert result.code == 0
    assert (tmp_path / ".skillforge.toml").read_text() == "# mine\n"
    assert "kept    .skillforge.toml" in result.out
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "node_modules/"
    assert run(tmp_path, "init").out.count("created") == 0


def test_no_config_and_no_specs_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "skillforge init" in result.err


def test_no_config_with_specs_folder_uses_defaults(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").unlink()
    result = run(tmp_path, "build", "--json")
    assert result.code == 0
    assert result.report["outputs"]["written"] == 3


def test_config_in_pyproject(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").unlink()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.skillforge]\nout = "gen"\n'
    )
    result = run(tmp_path, "build", "--json")
    assert result.code == 0
    assert (tmp_path / "gen/skills/skill-0/SKILL.md").is_file()


def test_config_found_by_walking_up(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path / "specs" / "agents", "build", "--json")
    assert result.code == 0
    assert result.report["specs"]["total"] == 3


def test_explicit_config_file(tmp_path: Path) -> None:
    project(tmp_path / "p")
    result = run(tmp_path, "build", "--json", "--config", "p/.skillforge.toml")
    assert result.code == 0
    assert (tmp_path / "p/.claude/skills/skill-0/SKILL.md").is_file()
    assert run(tmp_path, "build", "--config", "nope.toml").code == 2


def test_bad_config_is_exit_2_with_hint(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text('spec = ["specs"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "unknown key 'spec'" in result.err
    assert "did you mean 'specs'" in result.err


def test_plain_output_and_quiet(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "build", "--explain")
    assert result.code == 0
    assert "wrote .claude/skills/skill-0/SKILL.md: new spec" in result.out
    assert result.out.strip().splitlines()[-1].startswith("built: 3 specs, 3 written")
    assert run(tmp_path, "build", "-q").out == ""


def test_spec_error_exit_1_without_traceback(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/bad.yaml": "kind: skill\nname: Bad_Name\ndescription: x\n"})
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "specs/bad.yaml:2: name:" in result.err
    assert "Traceback" not in result.err + result.out
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").exists()


def test_version_and_help(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.code == 0 and __version__ in result.out
    result = run(tmp_path, "build", "--help")
    assert result.code == 0
    assert "--explain" in result.out and "--dry-run" in result.out


@pytest.mark.parametrize(
    "command",
    [[], ["build"], ["check"], ["stats"], ["watch"], ["clean"], ["new"], ["show"], ["import"]],
)
def test_help_shows_no_python_type_labels(tmp_path: Path, command: list[str]) -> None:
    """Typer labels parameters with Python types; help shows names and real choices only."""
    result = run(tmp_path, *command, "--help")
    assert result.code == 0
    assert "<bool>" not in result.out and "list[" not in result.out and "<str>" not in result.out
    assert "--help" in result.out


def test_python_dash_m(tmp_path: Path) -> None:
    project(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outputs"]["written"] == 3


def test_installed_console_script(tmp_path: Path) -> None:
    script = shutil.which("skillforge", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.fail("the skillforge console script is not installed next to this Python")
    project(tmp_path)
    first = subprocess.run([script, "build"], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "3 written" in first.stdout
    second = subprocess.run(
        [script, "build", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert json.loads(second.stdout)["outputs"]["unchanged"] == 3
    (tmp_path / "specs/skill-0.yaml").write_text("kind: skill\nname: skill-0\n")
    third = subprocess.run([script, "build"], cwd=tmp_path, capture_output=True, text=True)
    assert third.returncode == 1
    assert "missing required field 'description'" in third.stderr


def test_interrupt_and_internal_errors_map_to_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skillforge.engine.build

    project(tmp_path)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(skillforge.engine.build, "run", interrupted)
    result = run(tmp_path, "build")
    assert result.code == 130
    assert "interrupted" in result.err
    monkeypatch.setattr(skillforge.engine.build, "run", broken)
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "internal error: RuntimeError: boom (rerun with -v for details)" in result.err
    assert "Traceback" not in result.err
    result = run(tmp_path, "build", "-v")
    assert result.code == 1
    assert "Traceback" in result.err

    def wrapped(*args: object, **kwargs: object) -> None:
        # what Python 3.11 makes of a Ctrl-C landing while a class is being created
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    monkeypatch.setattr(skillforge.engine.build, "run", wrapped)
    result = run(tmp_path, "build")
    assert result.code == 130
    assert result.err.strip() == "interrupted"
