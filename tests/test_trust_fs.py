"""File-system safety: nothing outside the outputs (and skillforge's own state) is written or
removed, and file-system faults are clean errors (issue 9)."""

from __future__ import annotations

import marshal
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import build_file_tree, run

from skillforge.state.parts import decode_records, encode_tables

ALPHA = "kind: skill\nname: alpha\ndescription: Does a thing. Use when testing.\n"


NOBODY = 65534


@contextmanager
def unprivileged() -> Iterator[Path]:
    """A world-readable scratch folder, and permission bits that count (even for root).

    As root, the folder is given to `nobody` and this process takes nobody's effective ids
    for the block, so a folder with mode 000 is really unreadable.
    """
    folder = Path(tempfile.mkdtemp(prefix="skillforge-"))
    folder.chmod(0o755)
    root = os.geteuid() == 0
    if root:
        _import_as_root(folder / "warm")
    try:
        if root:
            os.chown(folder, NOBODY, NOBODY)
            os.setegid(NOBODY)
            os.seteuid(NOBODY)
        try:
            yield folder
        finally:
            if root:
                os.seteuid(0)
                os.setegid(0)
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _import_as_root(folder: Path) -> None:
    """Build once with root's ids: Python's own modules may be in a folder nobody cannot read."""
    build_file_tree(folder, {"specs/a.yaml": ALPHA})
    for _ in range(2):
        run(folder, "build", "--json")
        (folder / "specs" / "a.yaml").write_text(ALPHA.replace("a thing", "another thing"))
    run(folder, "check")
    shutil.rmtree(folder)


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
    records = decode_records(data["records"], data["records_crc"])[0]
    records["outputs"][new] = records["outputs"].pop(old)
    for key, raw in records["specs"].items():
        records["specs"][key] = (raw[0], tuple(new if p == old else p for p in raw[1]), raw[2])
    # a crafted manifest, not a damaged one: its parts with their checksums
    data["records"], data["records_crc"] = encode_tables(records)
    head = marshal.loads(data["head"])
    head["hot"] = None  # the no-op's table of the records as they were: none for these
    data["head"] = marshal.dumps(head)
    data["head_crc"] = zlib.crc32(data["head"])
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


# -- item 8 (D15, D27): init --------------------------------------------------------------------


def test_init_refuses_a_dangling_config_symlink(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / ".skillforge.toml").symlink_to(tmp_path / "elsewhere" / "planted.toml")
    (tmp_path / "elsewhere").mkdir()
    result = run(tmp_path / "p", "init")
    assert result.code == 2, result
    assert "symbolic link" in result.err
    assert not (tmp_path / "elsewhere" / "planted.toml").exists()
    assert not (tmp_path / "p" / "specs").exists()  # checked before anything is written


def test_init_refuses_a_symlinked_folder_and_gitignore(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ignore").write_text("keep\n")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "specs").symlink_to(outside)
    assert run(tmp_path / "p", "init").code == 2
    assert sorted(p.name for p in outside.iterdir()) == ["ignore"]
    (tmp_path / "p" / "specs").unlink()
    (tmp_path / "p" / ".gitignore").symlink_to(outside / "ignore")
    result = run(tmp_path / "p", "init")
    assert result.code == 2 and ".gitignore" in result.err
    assert (outside / "ignore").read_text() == "keep\n"


def test_init_with_gitignore_as_a_folder_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").mkdir()
    result = run(tmp_path, "init")
    assert result.code == 2, result
    assert ".gitignore: exists and is not a file" in result.err
    assert "internal error" not in result.err


def test_init_where_folders_cannot_be_made_is_a_clean_error(tmp_path: Path) -> None:
    result = run(tmp_path, "init", "/proc/self/skillforge-project")
    assert result.code == 2, result
    assert "cannot create the project there" in result.err
    assert "internal error" not in result.err


# -- item 9 (D9, file-system half): scan errors --------------------------------------------------


GOOD = "kind: skill\nname: good\ndescription: Good things. Use when testing.\n"


@pytest.mark.parametrize("where", ["specs", "templates"])
def test_a_symlink_loop_is_an_error_naming_it_and_the_rest_builds(
    tmp_path: Path, where: str
) -> None:
    build_file_tree(tmp_path, {"specs/good.yaml": GOOD, f"{where}/sub/x.md": "x\n"})
    (tmp_path / where / "sub" / "loop").symlink_to("..")
    result = run(tmp_path, "build", "--json")
    assert result.code == 1
    errors = result.report["errors"]
    assert [e["file"] for e in errors] == [f"{where}/sub/loop"], errors
    assert "symbolic link loop" in errors[0]["message"]
    assert (tmp_path / ".claude" / "skills" / "good" / "SKILL.md").exists()
    check = run(tmp_path, "check")
    assert check.code == 1 and f"{where}/sub/loop" in check.out + check.err
    assert "internal error" not in check.err


def test_a_spec_symlinked_outside_the_project_is_refused(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"p/specs/good.yaml": GOOD, "elsewhere/alpha.yaml": ALPHA})
    (tmp_path / "p" / "specs" / "alpha.yaml").symlink_to(tmp_path / "elsewhere" / "alpha.yaml")
    result = run(tmp_path / "p", "build", "--json")
    assert result.code == 1
    assert [e["file"] for e in result.report["errors"]] == ["specs/alpha.yaml"]
    assert not (tmp_path / "p" / ".claude" / "skills" / "alpha").exists()
    assert (tmp_path / "p" / ".claude" / "skills" / "good" / "SKILL.md").exists()


def test_an_unreadable_spec_folder_is_an_error_and_its_outputs_stay() -> None:
    with unprivileged() as root:
        build_file_tree(root, {"specs/good.yaml": GOOD, "specs/team/a.yaml": ALPHA})
        assert run(root, "build").code == 0
        (root / "specs" / "team").chmod(0)
        (root / "specs" / "good.yaml").write_text(GOOD.replace("Good things", "Better things"))
        result = run(root, "build", "--json")
        (root / "specs" / "team").chmod(0o755)
        assert result.code == 1, result
        errors = result.report["errors"]
        assert [e["file"] for e in errors] == ["specs/team"], errors
        assert "cannot read this folder" in errors[0]["message"]
        assert "Better things" in (root / ".claude/skills/good/SKILL.md").read_text()
        assert (root / ".claude" / "skills" / "alpha" / "SKILL.md").exists()
        after = run(root, "build", "--json")
        assert after.code == 0 and after.report["written"] == []


# -- item 10 (D10): all of a spec's outputs or none ----------------------------------------------


def test_a_spec_whose_supporting_file_cannot_be_written_publishes_nothing(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "specs/good.yaml": GOOD,
            "specs/clash.yaml": (
                "kind: skill\nname: clash\ndescription: Clashes. Use when testing.\n"
                "files:\n  - src: files/a.md\n    dest: refs\n"
                "  - src: files/a.md\n    dest: refs/x.md\n"
            ),
            "specs/files/a.md": "A\n",
        },
    )
    result = run(tmp_path, "build", "--json")
    assert result.code == 1
    errors = result.report["errors"]
    assert [(e["file"], e["line"]) for e in errors] == [("specs/clash.yaml", 2)], errors
    assert "refs/x.md" in errors[0]["message"]
    assert not (tmp_path / ".claude" / "skills" / "clash").exists()
    assert (tmp_path / ".claude" / "skills" / "good" / "SKILL.md").exists()


def test_an_output_replaced_by_a_folder_is_named_so(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"specs/a.yaml": ALPHA, "specs/good.yaml": GOOD})
    assert run(tmp_path, "build").code == 0
    skill = tmp_path / ".claude" / "skills" / "alpha" / "SKILL.md"
    skill.unlink()
    skill.mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(ALPHA.replace("Does a thing", "Does more"))
    result = run(tmp_path, "build", "--json")
    assert result.code == 1
    messages = [e["message"] for e in result.report["errors"]]
    assert len(messages) == 1 and "is a folder" in messages[0], messages
    assert [p.name for p in (tmp_path / ".claude").rglob("*.tmp")] == []


# -- item 13 (D14): temp files of a killed build -------------------------------------------------


def test_temp_files_left_by_a_killed_build_are_removed_by_the_next(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"specs/a.yaml": ALPHA})
    assert run(tmp_path, "build").code == 0
    folder = tmp_path / ".claude" / "skills" / "alpha"
    (folder / ".SKILL.md.skillforge-99999.tmp").write_text("half")
    (folder / "notes.skillforge-1.tmp").write_text("not ours: no leading dot")
    (tmp_path / "specs" / "a.yaml").write_text(ALPHA.replace("Does a thing", "Does more"))
    assert run(tmp_path, "build").code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["SKILL.md", "notes.skillforge-1.tmp"]


def test_the_sweep_lists_only_the_folders_outputs_are_written_in(tmp_path: Path) -> None:
    # a temp file is only ever made next to its output: the skills folder (10,000 skill
    # folders in a big project) is not listed by a build that writes one skill
    build_file_tree(tmp_path, {"specs/a.yaml": ALPHA})
    assert run(tmp_path, "build").code == 0
    skills = tmp_path / ".claude" / "skills"
    (skills / ".SKILL.md.skillforge-99999.tmp").write_text("no output is written here")
    (skills / "alpha" / ".SKILL.md.skillforge-99999.tmp").write_text("half")
    (tmp_path / "specs" / "a.yaml").write_text(ALPHA.replace("Does a thing", "Does more"))
    assert run(tmp_path, "build").code == 0
    assert sorted(p.name for p in (skills / "alpha").iterdir()) == ["SKILL.md"]
    assert (skills / ".SKILL.md.skillforge-99999.tmp").exists()


# -- item 12 (D16): a cache folder skillforge cannot write ---------------------------------------


def test_a_read_only_cache_folder_is_an_error_naming_it() -> None:
    with unprivileged() as root:
        build_file_tree(root, {"specs/a.yaml": ALPHA})
        assert run(root, "build").code == 0
        (root / "specs" / "a.yaml").write_text(ALPHA.replace("Does a thing", "Does more"))
        (root / ".skillforge").chmod(0o555)
        result = run(root, "build")
        (root / ".skillforge").chmod(0o755)
        assert result.code == 2, result
        assert "internal error" not in result.err
        assert "error: .skillforge: cannot write" in result.err, result.err
        assert "Permission denied" in result.err
        assert "Does a thing" in (root / ".claude/skills/alpha/SKILL.md").read_text()


def test_a_read_only_cache_database_builds_without_it_and_warns_once() -> None:
    with unprivileged() as root:
        build_file_tree(root, {"specs/a.yaml": ALPHA, "specs/good.yaml": GOOD})
        assert run(root, "build").code == 0
        cache = root / ".skillforge" / "cache"
        for path in [cache, *cache.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        (root / "specs" / "a.yaml").write_text(ALPHA.replace("Does a thing", "Does more"))
        result = run(root, "build", "--json")
        for path in [cache, *cache.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        assert result.code == 0, result
        warnings = [(w["file"], w["message"]) for w in result.report["warnings"]]
        assert len(warnings) == 1, warnings
        assert warnings[0][0] == ".skillforge" and "cache/ is not writable" in warnings[0][1]
        assert sorted(p.name for p in (root / ".skillforge").iterdir() if "corrupt" in p.name) == []
        assert "Does more" in (root / ".claude/skills/alpha/SKILL.md").read_text()
        again = run(root, "build", "--json")
        assert again.code == 0 and again.report["written"] == []


# -- item 13 (D21): --jobs ------------------------------------------------------------------------


def test_jobs_beyond_four_per_cpu_is_capped_with_a_warning(tmp_path: Path) -> None:
    specs = {
        f"specs/s{i}.yaml": ALPHA.replace("alpha", f"s{i}").replace("a thing", f"thing {i}")
        for i in range(70)
    }
    build_file_tree(tmp_path / "one", specs)
    build_file_tree(tmp_path / "many", specs)
    assert run(tmp_path / "one", "build", "--jobs", "1").code == 0
    result = run(tmp_path / "many", "build", "--json", "--jobs", "100000")
    assert result.code == 0, result
    warnings = [w["message"] for w in result.report["warnings"]]
    assert len(warnings) == 1 and warnings[0].startswith("--jobs 100000 is more than"), warnings
    assert "worker processes" in warnings[0]
    for i in range(70):
        rel = f".claude/skills/s{i}/SKILL.md"
        assert (tmp_path / "many" / rel).read_bytes() == (tmp_path / "one" / rel).read_bytes()
    shutil.rmtree(tmp_path / "many" / ".skillforge")  # a fresh clone: check renders all 70
    check = run(tmp_path / "many", "check", "--jobs", "100000")
    assert check.code == 0 and "--jobs 100000 is more than" in check.out + check.err, check


# -- item 15 (D26): a kill between the outputs and the manifest ---------------------------------


def test_an_output_published_before_a_kill_is_not_called_edited_by_hand(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"specs/a.yaml": ALPHA})
    assert run(tmp_path, "build").code == 0
    manifest = tmp_path / ".skillforge" / "manifest.bin"
    before = manifest.read_bytes()
    spec = tmp_path / "specs" / "a.yaml"
    spec.write_text(ALPHA.replace("Does a thing", "Does more"))
    assert run(tmp_path, "build").code == 0
    manifest.write_bytes(before)  # killed after the outputs were renamed, before the manifest
    spec.write_text(ALPHA.replace("Does a thing", "Does even more"))
    check = run(tmp_path, "check")
    assert check.code == 1 and "differs from a fresh render" in check.out + check.err, check
    assert "edited by hand" not in check.out + check.err
    result = run(tmp_path, "build", "--json")
    assert result.code == 0, result
    assert result.report["written"] == [".claude/skills/alpha/SKILL.md"]
    assert "Does even more" in (tmp_path / ".claude/skills/alpha/SKILL.md").read_text()
    skill = tmp_path / ".claude/skills/alpha/SKILL.md"
    skill.write_text(skill.read_text() + "hand edit\n")  # a real hand edit is still refused
    spec.write_text(ALPHA)
    refused = run(tmp_path, "build", "--json")
    assert refused.code == 1 and "edited by hand" in refused.report["errors"][0]["message"]


# -- item 15 (D24): check PATHS ------------------------------------------------------------------


def test_check_of_paths_that_hold_no_spec_is_a_usage_error(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"specs/a.yaml": ALPHA, "specs/empty/notes.md": "x\n"})
    (tmp_path / "other").mkdir()
    assert run(tmp_path, "build").code == 0
    for path, message in (("other", "not in a spec folder"), ("specs/empty", "no spec there")):
        result = run(tmp_path, "check", path)
        assert result.code == 2, result
        assert f"error: {path}: {message}" in result.err
    assert run(tmp_path, "check", "specs").code == 0
    assert run(tmp_path, "check", "specs/a.yaml").code == 0


def test_a_base_spec_symlinked_outside_the_project_is_refused(tmp_path: Path) -> None:
    base = "kind: skill\nsections:\n  - {id: style, title: Style, body: Outside text.}\n"
    child = "extends: ../bases/python.yaml\nname: py\ndescription: Py things. Use when testing.\n"
    build_file_tree(
        tmp_path, {"p/specs/good.yaml": GOOD, "p/specs/py.yaml": child, "elsewhere/b.yaml": base}
    )
    (tmp_path / "p" / "bases").mkdir()
    (tmp_path / "p" / "bases" / "python.yaml").symlink_to(tmp_path / "elsewhere" / "b.yaml")
    result = run(tmp_path / "p", "build", "--json")
    assert result.code == 1, result
    errors = result.report["errors"]
    assert {e["file"] for e in errors} == {"specs/py.yaml"}, errors
    assert errors[0]["field"] == "extends"
    assert "symbolic link to outside the project" in errors[0]["message"]
    assert not (tmp_path / "p" / ".claude" / "skills" / "py").exists()
    assert (tmp_path / "p" / ".claude" / "skills" / "good" / "SKILL.md").exists()


# -- item 15 (D22, D23): supporting-file dests and sources ---------------------------------------


def _with_files(root: Path, files: str, extra: dict[str, str] | None = None) -> None:
    spec = "kind: skill\nname: sup\ndescription: Supports. Use when testing.\nfiles:\n" + files
    build_file_tree(root, {"specs/good.yaml": GOOD, "specs/sup.yaml": spec, **(extra or {})})


def _one_error(root: Path) -> dict[str, object]:
    result = run(root, "build", "--json")
    assert result.code == 1, result
    errors = result.report["errors"]
    assert len(errors) == 1, errors
    assert (root / ".claude" / "skills" / "good" / "SKILL.md").exists()
    assert not (root / ".claude" / "skills" / "sup" / "SKILL.md").exists()
    error: dict[str, object] = errors[0]
    return error


def test_a_planted_dest_symlink_is_named_a_symlink(tmp_path: Path) -> None:
    _with_files(tmp_path, "  - {src: a.md, dest: references/a.md}\n", {"specs/a.md": "A\n"})
    folder = tmp_path / ".claude" / "skills" / "sup" / "references"
    folder.mkdir(parents=True)
    (folder / "a.md").symlink_to(tmp_path / "specs" / "a.md")
    error = _one_error(tmp_path)
    assert (error["file"], error["line"], error["field"]) == ("specs/sup.yaml", 5, "files[0].dest")
    assert "is a symbolic link" in str(error["message"]), error
    assert (tmp_path / "specs" / "a.md").read_text() == "A\n"


def test_a_dest_ending_in_a_slash_is_an_error(tmp_path: Path) -> None:
    _with_files(tmp_path, "  - {src: a.md, dest: references/}\n", {"specs/a.md": "A\n"})
    error = _one_error(tmp_path)
    assert error["field"] == "files[0].dest" and "ends with '/'" in str(error["message"])


def test_two_entries_with_one_dest_are_an_error_naming_both(tmp_path: Path) -> None:
    files = "  - {src: a.md, dest: refs/x.md}\n  - {src: b.md, dest: refs/x.md}\n"
    _with_files(tmp_path, files, {"specs/a.md": "A\n", "specs/b.md": "B\n"})
    error = _one_error(tmp_path)
    assert (error["line"], error["field"]) == (6, "files[1].dest"), error
    assert "also the dest of files[0] (line 5)" in str(error["message"])


def test_a_fifo_as_a_supporting_file_is_refused(tmp_path: Path) -> None:
    _with_files(tmp_path, "  - {src: pipe.md, dest: references/pipe.md}\n")
    os.mkfifo(tmp_path / "specs" / "pipe.md")
    error = _one_error(tmp_path)
    assert error["field"] == "files[0].src" and "not a regular file" in str(error["message"])


def test_a_hand_edited_file_dropped_from_files_is_not_called_orphaned(tmp_path: Path) -> None:
    _with_files(tmp_path, "  - {src: a.md, dest: references/a.md}\n", {"specs/a.md": "A\n"})
    assert run(tmp_path, "build").code == 0
    (tmp_path / ".claude/skills/sup/references/a.md").write_text("A, edited\n")
    (tmp_path / "specs" / "sup.yaml").write_text(
        "kind: skill\nname: sup\ndescription: Supports. Use when testing.\n"
    )
    result = run(tmp_path, "build", "--json")
    assert result.code == 0, result
    warnings = [w["message"] for w in result.report["warnings"]]
    assert len(warnings) == 1 and "its spec no longer produces it" in warnings[0], warnings


# -- issue 9, D22: a template that is there but cannot be used says why --------------------

USES_PAGE = (
    "kind: skill\nname: page\ndescription: Pages. Use when testing.\n"
    "sections:\n  - id: a\n    template: sections/page.md.j2\n"
)


def template_error(root: Path) -> str:
    result = run(root, "build", "--json")
    assert result.code == 1, result
    errors = result.report["errors"]
    assert [(e["file"], e["line"]) for e in errors] == [("specs/page.yaml", 6)], errors
    message: str = errors[0]["message"]
    assert "not found" not in message and "did you mean" not in message, message
    return message


def test_an_unreadable_template_says_it_cannot_be_read() -> None:
    with unprivileged() as root:
        build_file_tree(root, {"specs/page.yaml": USES_PAGE, "templates/sections/page.md.j2": "x"})
        (root / "templates/sections/page.md.j2").chmod(0)
        message = template_error(root)
    assert "templates/sections/page.md.j2 cannot be read: permission denied" in message


@pytest.mark.parametrize("via", ["section", "include"])
def test_a_binary_template_says_it_is_not_utf8(tmp_path: Path, via: str) -> None:
    name = "page" if via == "section" else "part"
    files = {"specs/page.yaml": USES_PAGE}
    if via == "include":
        files["templates/sections/page.md.j2"] = "{% include 'sections/part.md.j2' %}"
    build_file_tree(tmp_path, files)
    (tmp_path / "templates/sections").mkdir(parents=True, exist_ok=True)
    (tmp_path / f"templates/sections/{name}.md.j2").write_bytes(b"ok \xff\xfe\x00 binary")
    message = template_error(tmp_path)
    assert f"templates/sections/{name}.md.j2 is not UTF-8 text (byte 4)" in message


def test_a_template_over_max_template_bytes_is_refused_unrendered(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "[build]\nmax_template_bytes = 1000\n",
            "specs/page.yaml": USES_PAGE,
            "templates/sections/page.md.j2": "{{ spec.name }} " * 100,  # 1,600 bytes
        },
    )
    message = template_error(tmp_path)
    assert "templates/sections/page.md.j2 is 1,600 bytes, over the 1,000-byte limit" in message
    assert "[build] max_template_bytes" in message
    assert not (tmp_path / ".claude/skills/page").exists()
    (tmp_path / ".skillforge.toml").write_text("[build]\nmax_template_bytes = 2000\n")
    assert run(tmp_path, "build").code == 0
