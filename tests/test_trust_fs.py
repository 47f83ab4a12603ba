"""File-system safety: nothing outside the outputs (and skillforge's own state) is written or
removed, and file-system faults are clean errors (issue 9)."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
from helpers import build_file_tree, run

ALPHA = "kind: skill\nname: alpha\ndescription: Does a thing. Use when testing.\n"


def _alpha(root: Path, config: str = "") -> Path:
    files = {"specs/a.yaml": ALPHA}
    if config:
        files[".skillforge.toml"] = config
    build_file_tree(root, files)
    return root


# -- item 5 (D4): cache_dir ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (".", "project root"),
        ("", "project root"),
        ("specs", "specs folder"),
        ("templates", "templates folder"),
        (".claude", "out folder"),
        (".claude/skills", "out folder"),
        ("../elsewhere", "outside the project"),
    ],
)
def test_cache_dir_that_is_not_a_folder_of_its_own_is_a_config_error(
    tmp_path: Path, value: str, what: str
) -> None:
    root = _alpha(tmp_path / "p", f'cache_dir = "{value}"\n')
    (root / "README.md").write_text("notes\n")
    for command in (["build"], ["clean", "--cache"], ["check"]):
        result = run(root, *command)
        assert result.code == 2, (command, result)
        assert "cache_dir" in result.err and what in result.err
    assert (root / "README.md").read_text() == "notes\n"
    assert (root / "specs" / "a.yaml").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_clean_cache_removes_only_what_skillforge_created(tmp_path: Path) -> None:
    root = _alpha(tmp_path, 'cache_dir = "state"\n')
    assert run(root, "build").code == 0
    assert (root / "state" / "cache").is_dir()
    (root / "state" / "notes.txt").write_text("mine\n")
    (root / "state" / "cache" / "mine.txt").write_text("mine too\n")
    result = run(root, "clean", "--cache")
    assert result.code == 0, result
    assert "kept 2 files skillforge did not create" in result.out
    left = sorted(str(p.relative_to(root)) for p in (root / "state").rglob("*"))
    assert left == ["state/cache", "state/cache/mine.txt", "state/notes.txt"]


def test_clean_cache_removes_the_folder_when_only_skillforge_files_are_in_it(
    tmp_path: Path,
) -> None:
    root = _alpha(tmp_path)
    assert run(root, "build").code == 0
    assert run(root, "stats").code == 0
    result = run(root, "clean", "--cache")
    assert result.code == 0, result
    assert "removed the cache .skillforge/" in result.out
    assert not (root / ".skillforge").exists()


# -- item 6 (D6, D7): removals are contained ---------------------------------------------------


def test_clean_does_not_follow_a_symlinked_skill_folder(tmp_path: Path) -> None:
    root = _alpha(tmp_path / "p")
    assert run(root, "build").code == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    skill = root / ".claude" / "skills" / "alpha"
    skill.rename(shared / "alpha")
    skill.symlink_to(shared / "alpha")
    result = run(root, "clean")
    assert result.code == 0, result
    assert (shared / "alpha" / "SKILL.md").exists()
    assert "not inside the output folder" in result.out


def test_orphan_removal_does_not_follow_a_symlinked_skill_folder(tmp_path: Path) -> None:
    root = _alpha(tmp_path / "p")
    assert run(root, "build").code == 0
    shared = tmp_path / "shared"
    shared.mkdir()
    skill = root / ".claude" / "skills" / "alpha"
    skill.rename(shared / "alpha")
    skill.symlink_to(shared / "alpha")
    (root / "specs" / "a.yaml").unlink()
    (root / "specs" / "b.yaml").write_text(ALPHA.replace("alpha", "beta"))
    result = run(root, "build", "--json")
    assert (shared / "alpha" / "SKILL.md").exists()
    messages = [w["message"] for w in result.report["warnings"]]
    assert any("not inside the output folder" in m for m in messages), messages


def _rewrite_manifest_output(root: Path, old: str, new: str) -> None:
    path = root / ".skillforge" / "manifest.bin"
    data = marshal.loads(path.read_bytes())
    data["outputs"][new] = data["outputs"].pop(old)
    for key, raw in data["specs"].items():
        data["specs"][key] = (raw[0], tuple(new if p == old else p for p in raw[1]), raw[2])
    path.write_bytes(marshal.dumps(data))


def test_clean_ignores_a_manifest_path_outside_the_output_folder(tmp_path: Path) -> None:
    root = _alpha(tmp_path / "p")
    assert run(root, "build").code == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    skill = root / ".claude" / "skills" / "alpha" / "SKILL.md"
    (victim / "x.md").write_bytes(skill.read_bytes())
    _rewrite_manifest_output(root, ".claude/skills/alpha/SKILL.md", "../victim/x.md")
    result = run(root, "clean")
    assert result.code == 0, result
    assert (victim / "x.md").exists()
    assert "../victim/x.md: not inside the output folder" in result.out


def test_orphan_removal_ignores_a_manifest_path_outside_the_output_folder(
    tmp_path: Path,
) -> None:
    root = _alpha(tmp_path / "p")
    assert run(root, "build").code == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    skill = root / ".claude" / "skills" / "alpha" / "SKILL.md"
    (victim / "x.md").write_bytes(skill.read_bytes())
    _rewrite_manifest_output(root, ".claude/skills/alpha/SKILL.md", ".claude/../../victim/x.md")
    (root / "specs" / "a.yaml").unlink()
    result = run(root, "build", "--json")
    assert (victim / "x.md").exists()
    messages = [w["message"] for w in result.report["warnings"]]
    assert any("not inside the output folder" in m for m in messages), messages


# -- item 7 (D8): check, then create -------------------------------------------------------------


@pytest.mark.parametrize("link", [".claude/skills", ".claude"])
def test_no_folder_is_created_through_a_symlinked_output_folder(tmp_path: Path, link: str) -> None:
    root = _alpha(tmp_path / "p")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(outside)
    result = run(root, "build")
    assert result.code == 1
    assert "outside the output folder" in result.err
    assert list(outside.iterdir()) == []


def test_no_folder_is_created_for_an_output_folder_outside_the_project(tmp_path: Path) -> None:
    root = _alpha(tmp_path / "p", 'out = "../escaped-out"\n')
    result = run(root, "build")
    assert result.code == 1
    assert not (tmp_path / "escaped-out").exists()
