"""What skillforge tells a person: configured folders, build listings, YAML snippets, hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_file_tree, project, run

# --- configured folders must exist (issue 10, §1.1) ---------------------------------------


def test_typo_in_the_specs_folder_is_a_config_error_and_removes_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    outputs = sorted(p for p in (tmp_path / ".claude").rglob("*") if p.is_file())
    (tmp_path / ".skillforge.toml").write_text('specs = ["spec"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'specs': spec/ does not exist" in result.err
    assert "did you mean 'specs'?" in result.err
    assert sorted(p for p in (tmp_path / ".claude").rglob("*") if p.is_file()) == outputs
    check = run(tmp_path, "check")
    assert check.code == 2
    assert "spec/ does not exist" in check.err
    assert "is gone" not in check.out + check.err


def test_watch_refuses_a_missing_specs_folder(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text('specs = ["specs", "more"]\n')
    result = run(tmp_path, "watch")
    assert result.code == 2
    assert "more/ does not exist" in result.err


@pytest.mark.parametrize("key", ["traits", "templates"])
def test_configured_traits_and_templates_folders_must_exist(tmp_path: Path, key: str) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text(f'{key} = ["{key}x"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert f"'{key}': {key}x/ does not exist" in result.err


def test_default_traits_and_templates_folders_may_be_absent(tmp_path: Path) -> None:
    project(tmp_path)
    assert not (tmp_path / "traits").exists() and not (tmp_path / "templates").exists()
    assert run(tmp_path, "build").code == 0


def test_default_specs_folder_must_exist_with_a_config(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": "", "spec/a.yaml": "kind: skill\n"})
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'specs': specs/ does not exist" in result.err
