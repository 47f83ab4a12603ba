"""The cache folder is disposable: corrupt, missing or foreign state costs a cold build only."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from helpers import build_json, project

from skillforge.state.files import write_atomic
from skillforge.state.manifest import stat_record


def outputs(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in (root / ".claude").rglob("*.md")}


def test_garbage_cache_database_is_moved_aside(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    good = outputs(tmp_path)
    db = tmp_path / ".skillforge/cache/cache.db"
    assert db.exists()
    db.write_bytes(b"this is not a sqlite database" * 100)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text() + "\n")
    report = build_json(tmp_path, "--force")
    assert report["ok"] is True
    assert any("cache unreadable" in w["message"] for w in report["warnings"])
    assert outputs(tmp_path) == good
    assert list((tmp_path / ".skillforge").glob("cache.corrupt-*"))
    # the next build is clean again
    assert build_json(tmp_path, "--force")["warnings"] == []


def test_truncated_manifest_means_a_cold_build(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    good = outputs(tmp_path)
    manifest = tmp_path / ".skillforge/manifest.bin"
    manifest.write_bytes(manifest.read_bytes()[:20])
    report = build_json(tmp_path)
    assert report["ok"] is True
    assert any("corrupt manifest" in w["message"] for w in report["warnings"])
    assert report["outputs"]["written"] == 0  # same bytes: adopted, not rewritten
    assert report["outputs"]["unchanged"] == 3
    assert outputs(tmp_path) == good
    assert build_json(tmp_path)["specs"]["parsed"] == 0


def test_missing_cache_folder_rebuilds_from_scratch(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    good = outputs(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    report = build_json(tmp_path)
    assert report["ok"] is True
    assert (
        report["sections"]["cached"] < report["sections"]["rendered"] + report["sections"]["cached"]
    )
    assert outputs(tmp_path) == good


def test_cache_hit_after_manifest_loss_renders_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    (tmp_path / ".skillforge/manifest.bin").unlink()
    report = build_json(tmp_path)
    assert report["sections"]["rendered"] == 0
    assert report["templates"]["compiled"] == 0
    assert report["outputs"]["written"] == 0


def test_second_build_loads_templates_from_the_bytecode_cache(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    first = build_json(tmp_path)
    assert first["templates"]["compiled"] >= 1  # sections/steps.md.j2
    (tmp_path / ".skillforge/manifest.bin").unlink()
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Read the input", "Read the inputs"))
    report = build_json(tmp_path)
    assert report["sections"]["rendered"] == 1
    assert report["templates"]["compiled"] == 0
    # the steps template, from bytecode (the built-in layout is laid out without Jinja2)
    assert report["templates"]["cached"] >= 1


def test_manifest_of_another_format_still_protects_and_recognises_outputs(tmp_path: Path) -> None:
    import marshal

    project(tmp_path, skills=2, agents=0)
    build_json(tmp_path)
    path = tmp_path / ".skillforge/manifest.bin"
    data = marshal.loads(path.read_bytes())
    data["format"] = 1  # as written by an older skillforge
    path.write_bytes(marshal.dumps(data))
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Newer notes"))
    hand = tmp_path / ".claude/skills/skill-1/SKILL.md"
    hand.write_text(hand.read_text() + "edited\n")
    report = build_json(tmp_path, "--explain")
    assert report["warnings"] == []
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert report["reasons"][".claude/skills/skill-0/SKILL.md"] == ["version changed"]
    assert [e["file"] for e in report["errors"]] == [".claude/skills/skill-1/SKILL.md"]
    assert "edited by hand" in report["errors"][0]["message"]


def test_only_the_newest_corrupt_copy_is_kept(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    state = tmp_path / ".skillforge"
    for old in ("cache.corrupt-20200101-000000-1", "manifest.bin.corrupt-20200101-000000-1"):
        (state / old).mkdir() if old.startswith("cache") else (state / old).write_bytes(b"x")
    (state / "cache.corrupt-notes").write_text("not a name skillforge gives")
    (state / "cache/cache.db").write_bytes(b"this is not a sqlite database" * 100)
    (state / "manifest.bin").write_bytes(b"garbage")
    report = build_json(tmp_path)
    assert report["ok"] is True, report
    cache = sorted(p.name for p in state.glob("cache.corrupt-*"))
    manifests = sorted(p.name for p in state.glob("manifest.bin.corrupt-*"))
    assert len(cache) == 2 and "cache.corrupt-notes" in cache, cache
    assert "cache.corrupt-20200101-000000-1" not in cache
    assert len(manifests) == 1 and manifests != ["manifest.bin.corrupt-20200101-000000-1"]


def test_a_dry_run_leaves_a_corrupt_manifest_in_place(tmp_path: Path) -> None:
    project(tmp_path)
    build_json(tmp_path)
    manifest = tmp_path / ".skillforge/manifest.bin"
    manifest.write_bytes(b"garbage")
    before = sorted(p.name for p in (tmp_path / ".skillforge").iterdir())
    report = build_json(tmp_path, "--dry-run")
    assert any("corrupt manifest" in w["message"] for w in report["warnings"]), report
    assert sorted(p.name for p in (tmp_path / ".skillforge").iterdir()) == before
    assert manifest.read_bytes() == b"garbage"


def test_a_same_size_edit_within_a_one_second_timestamp_is_seen(tmp_path: Path) -> None:
    # A file system with 1-second timestamps (ext3, HFS+, FAT) is emulated by setting whole
    # second mtimes: the edit keeps the mtime and size the previous build recorded.
    project(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    text = spec.read_text()
    assert "Read the input" in text
    second = int(time.time() - 0.1)  # whole second, at least 0.1 s ago (past a 50 ms window)
    os.utime(spec, ns=(second * 10**9, second * 10**9))
    assert build_json(tmp_path)["ok"] is True
    spec.write_text(text.replace("Read the input", "Read the INPUT"))
    os.utime(spec, ns=(second * 10**9, second * 10**9))
    report = build_json(tmp_path)
    assert report["outputs"]["written"] == 1, report
    assert "Read the INPUT" in (tmp_path / ".claude/skills/skill-0/SKILL.md").read_text()


def test_a_whole_second_mtime_is_racy_for_two_seconds() -> None:
    second = 1_700_000_000 * 10**9
    assert stat_record(second, 5, "d", second + 1_900_000_000)[0] == 0
    assert stat_record(second, 5, "d", second + 2_100_000_000)[0] == second
    fine = second + 123_456_789  # a nanosecond file system keeps the 50 ms window
    assert stat_record(fine, 5, "d", fine + 60_000_000)[0] == fine


def test_an_atomic_write_replaces_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state" / "file.bin"
    write_atomic(str(target), b"first")  # the folder is created
    write_atomic(str(target), b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path / "state") == ["file.bin"]


def test_a_failed_atomic_write_keeps_the_old_file_and_removes_its_temp(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    (tmp_path / "folder").mkdir()
    # a folder in the place of the target: the rename fails after the temp is written
    with pytest.raises(OSError):
        write_atomic(str(tmp_path / "folder"), b"new", tmp=str(tmp_path / "folder.tmp"))
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["file.bin", "folder"]


def test_two_configs_sharing_a_cache_leave_each_others_outputs_alone(tmp_path: Path) -> None:
    from helpers import build_file_tree, run

    files = {}
    for name in ("a", "b"):
        files[f"{name}.toml"] = f'specs = ["specs-{name}"]\nout = ".claude-{name}"\n'
        files[f"specs-{name}/{name}.yaml"] = (
            f"kind: skill\nname: {name}\ndescription: {name.upper()}. Use when testing.\n"
        )
    build_file_tree(tmp_path, files)
    first = tmp_path / ".claude-a/skills/a/SKILL.md"
    assert run(tmp_path, "build", "--config", "a.toml").code == 0
    assert first.exists()

    other = run(tmp_path, "build", "--config", "b.toml", "--json")
    assert other.code == 0, other
    assert other.report["removed"] == [], other.report  # once "a: its spec is gone"
    assert first.exists()
    assert [w["file"] for w in other.report["warnings"]] == [".skillforge"]
    assert (
        "written by the build of another config (a.toml)" in other.report["warnings"][0]["message"]
    )
    again = run(tmp_path, "build", "--config", "a.toml", "--json")
    assert again.code == 0 and again.report["removed"] == [], again
    assert "another config (b.toml)" in again.report["warnings"][0]["message"]
    assert (tmp_path / ".claude-b/skills/b/SKILL.md").exists()
    check = run(tmp_path, "check", "--config", "b.toml")
    assert check.code == 0 and "another config (a.toml)" in check.out, check


def test_canonical_keys_are_what_json_dumps_writes() -> None:
    """`canonical` keeps one encoder for every key: its text is `json.dumps`'s, exactly."""
    import json

    from skillforge.state.digest import canonical

    values = [
        None,
        "é\u2028\n\"'\\",
        [1, 1.5, float("inf"), True, {"b": 1, "a": [None, ("t", 2)]}],
        {"x": object.__name__, "nested": {"k": ["v"] * 3}},
        (object,),  # not JSON: written with repr, as before
    ]
    for value in values:
        expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=repr)
        assert canonical(value) == expected
