"""The fast paths of issue 17 against the slow ones they stand for: the spec scan by folder
descriptor (state/fdwalk.py) finds what the scandir walk finds, and a build after an edit
planned from the hot table reports what a build planned from every record reports."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import build_json, run

from skillforge.state import inventory
from skillforge.state.hot import quick_plan
from skillforge.state.inventory import Inventory, scan
from skillforge.state.manifest import read_manifest
from skillforge.state.plan import Plan

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus


def _tricky(root: Path) -> None:
    """Spec folders with every kind of entry the walk must sort out."""
    specs, outside = root / "specs", root.parent / "outside"
    for rel in (
        "a.yaml",
        "_partial.yaml",
        "README.md",
        ".hidden.yaml",
        "__pycache__/cached.yaml",
        "sub/b.yml",
        "sub/_private/c.yaml",
        "_bases/base.yaml",
        "folder.yaml/inner.yaml",
        "z-last.yaml",
    ):
        (specs / rel).parent.mkdir(parents=True, exist_ok=True)
        (specs / rel).write_text(f"name: {rel.replace('/', '-')}\n", encoding="utf-8")
    (root / "shared").mkdir()
    (root / "shared" / "linked.yaml").write_text("name: linked\n", encoding="utf-8")
    outside.mkdir()
    (outside / "far.yaml").write_text("name: far\n", encoding="utf-8")
    (specs / "inside-link.yaml").symlink_to(root / "shared" / "linked.yaml")
    (specs / "outside-link.yaml").symlink_to(outside / "far.yaml")
    (specs / "linked-folder").symlink_to(root / "shared")
    (specs / "sub" / "loop").symlink_to(specs)
    (specs / "dangling.yaml").symlink_to(root / "nowhere.yaml")
    os.mkfifo(specs / "pipe.yaml")


def _scan(root: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Inventory:
    monkeypatch.setattr(inventory, "SUPPORTED", fast)
    folders = [str(root / "specs"), str(root / "missing")]
    return scan(str(root), folders, [str(root / "traits")], [str(root / "templates")])


def _shape(inv: Inventory) -> tuple[Any, ...]:
    return (list(inv.files.items()), inv.specs, inv.problems, inv.traits, inv.templates)


def test_the_descriptor_walk_finds_what_the_scandir_walk_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _tricky(root)
    fast, slow = _scan(root, True, monkeypatch), _scan(root, False, monkeypatch)
    assert _shape(fast) == _shape(slow)
    # and it is the walk the scan is meant to make
    assert fast.specs == [
        "specs/a.yaml",
        "specs/folder.yaml/inner.yaml",
        "specs/inside-link.yaml",
        "specs/linked-folder/linked.yaml",
        "specs/sub/b.yml",
        "specs/z-last.yaml",
    ]
    assert "specs/_partial.yaml" in fast.files and "specs/_bases/base.yaml" in fast.files
    assert fast.files["specs/inside-link.yaml"] == fast.files["specs/linked-folder/linked.yaml"]
    problems = dict(fast.problems)
    assert "outside the project" in problems["specs/outside-link.yaml"]
    assert "symbolic link loop" in problems["specs/sub/loop"]
    assert len(fast.problems) == 2


def _table_of_files(inv: Inventory) -> tuple[str, list[int]]:
    return "\0".join(inv.files), [n for pair in inv.files.values() for n in pair]


@pytest.mark.parametrize("traits_in", ["traits", "specs/sub"])
def test_the_scan_table_before_the_files_are_made_is_theirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, traits_in: str
) -> None:
    """The no-op compares `Inventory.table()` (made from the spec folders as found, before
    `files` is) with the last build's: it must be the table of `files` as the slow scan
    makes them, and `spec_count` their count of specs. With a trait folder inside a spec
    folder a file is found twice: the table then differs from any a build records (ids
    listed once), so that the no-op makes the plan from `files`."""
    root = tmp_path / "project"
    root.mkdir()
    _tricky(root)
    for i in range(5):  # folders of several files: the places of ids past the first
        for folder in ("many", "many/more"):
            (root / "specs" / folder).mkdir(parents=True, exist_ok=True)
            (root / "specs" / folder / f"{i}.yaml").write_text(f"n: {i}\n", encoding="utf-8")
    for name in ("tone.yaml", "voice.yml", "notes.md"):
        (root / "traits" / name).parent.mkdir(exist_ok=True)
        (root / "traits" / name).write_text("x: 1\n", encoding="utf-8")
    monkeypatch.setattr(inventory, "SUPPORTED", True)
    folders = [str(root / "specs"), str(root / "missing")]
    args = (str(root), folders, [str(root / traits_in)], [str(root / "templates")])
    fast = scan(*args)
    assert "files" not in vars(fast) and "specs" not in vars(fast)
    table, count = fast.table(), fast.spec_count()
    ids = fast.file_ids()
    listed = [ids[i] for i in range(len(ids))]
    with pytest.raises(IndexError):
        ids[len(ids)]
    monkeypatch.setattr(inventory, "SUPPORTED", False)
    slow = scan(*args)
    assert _shape(fast) == _shape(slow)
    assert listed == table[0].split("\0")
    if traits_in == "traits":
        assert table == _table_of_files(slow) == slow.table()
        assert listed == list(slow.files) == fast.file_ids()
        assert "traits/tone.yaml" in table[0]
    else:
        assert table != _table_of_files(slow)
        assert len(table[0].split("\0")) > len(slow.files)
    assert count == len(slow.specs) == fast.spec_count()
    assert fast.table() == _table_of_files(slow)


def test_the_descriptor_walk_of_a_corpus_is_the_scandir_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus.write_corpus(tmp_path, 40, 0)
    assert _shape(_scan(tmp_path, True, monkeypatch)) == _shape(_scan(tmp_path, False, monkeypatch))


def _quick(root: Path) -> Plan | None:
    manifest = read_manifest(str(root / ".skillforge"), lazy=True)
    assert manifest is not None
    specs, traits, templates = ([str(root / p) for p in manifest.layout[k]] for k in LAYOUT)
    return quick_plan(scan(str(root), specs, traits, templates), manifest)


LAYOUT = ("specs", "traits", "templates")


def _report(root: Path, *args: str) -> dict[str, Any]:
    report = build_json(root, *args)
    for volatile in ("duration_ms", "timings"):
        report.pop(volatile)
    return report


@pytest.mark.parametrize("edit", ["one spec", "two specs", "touched spec", "spec and output"])
def test_a_build_after_an_edit_reports_what_the_careful_plan_reports(
    tmp_path: Path, edit: str
) -> None:
    """The same edits on two copies: one build plans from the hot table (the edited specs
    only), the other (`build specs`: the full path) from every record."""
    quick, careful = tmp_path / "quick", tmp_path / "careful"
    corpus.write_corpus(quick, 24, 0)
    # sources older than the build: their recorded stats are settled, not racy (a racy one
    # is compared by digest, and a touch with the same bytes is then a no-op)
    past = time.time_ns() - 100 * 1_000_000_000
    for path in quick.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))
    assert run(quick, "build", "-q").code == 0
    assert run(quick, "build", "-q").code == 0
    shutil.copytree(quick, careful, symlinks=True)
    info = corpus.read_info(quick)
    specs = sorted(p.relative_to(quick) for p in (quick / "specs" / "skills").rglob("*.yaml"))
    for root in (quick, careful):
        if edit in ("one spec", "spec and output"):
            corpus.bump_marker(root / info["edit_spec"])
        if edit == "two specs":
            for rel in specs[:2]:
                path = root / rel
                path.write_text(path.read_text(encoding="utf-8") + "\n# more\n", encoding="utf-8")
        if edit == "touched spec":
            path = root / specs[3]
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        if edit == "spec and output":  # a hand edit elsewhere: the careful way, both sides
            out = sorted((root / ".claude" / "skills").rglob("SKILL.md"))[-1]
            out.write_text(out.read_text(encoding="utf-8") + "\nhand edit\n", encoding="utf-8")
    planned = _quick(quick)
    if edit == "spec and output":
        assert planned is None  # an edited output: make_plan says why
    else:  # the table planned it
        assert planned is not None and planned.unchanged_count is None
        assert len(planned.dirty) == (
            0 if edit == "touched spec" else 1 if edit == "one spec" else 2
        )
    fast, full = _report(quick), _report(careful, "specs")
    assert fast == full
    if edit == "touched spec":  # the same bytes: nothing to parse
        assert fast["specs"]["parsed"] == 0 and fast["outputs"]["written"] == 0
    else:
        # the hand-edited output's spec is dirty too (make_plan's "output edited")
        assert fast["specs"]["parsed"] == (1 if edit == "one spec" else 2)
    # and the next no-op of each agrees too
    assert _report(quick) == _report(careful)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _rule_steps(root: Path) -> list[dict[str, Any]]:
    """Edits that make two specs share an output or a name, then undo them: the reports."""
    agent0, agent1 = root / "specs/agents/agent-0.yaml", root / "specs/agents/agent-1.yaml"
    tools = "tools: [Read, Grep]"
    steps = [
        lambda: _edit(root / "specs/skill-1.yaml", "name: skill-1", "name: skill-0"),
        lambda: _edit(root / "specs/skill-1.yaml", "name: skill-0", "name: skill-1"),
        lambda: _edit(agent1, "name: agent-1", "name: agent-0"),
        lambda: _edit(agent1, "name: agent-0", "name: agent-1"),
        lambda: _edit(agent0, tools, f"{tools}\nskills: [skill-2, skill-9]"),
        lambda: _edit(root / "specs/skill-0.yaml", "Plain notes", "Edited notes"),
        lambda: (
            _edit(root / "specs/skill-0.yaml", "Edited notes", "Notes again"),
            _edit(root / "specs/skill-2.yaml", "Plain notes", "Edited notes"),
        ),
    ]
    reports = []
    for step in steps:
        step()
        reports.append(_report(root))
    return reports


def test_the_rules_between_specs_after_an_edit_judge_as_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit planned from the hot table, the rules between specs tell from the
    rendered specs' own records that no output or name has two users: every report is the
    one of the walk over every record."""
    from helpers import project

    from skillforge.engine.load import crossrefs

    quick = project(tmp_path / "quick", skills=3, agents=2)
    careful = tmp_path / "careful"
    shutil.copytree(quick, careful)
    answers: list[bool] = []
    kept_to_own = crossrefs._kept_to_own

    def spy(*args: Any) -> bool:
        answers.append(kept_to_own(*args))
        return answers[-1]

    for root in (quick, careful):
        assert run(root, "build", "-q").code == 0
    monkeypatch.setattr(crossrefs, "_kept_to_own", spy)
    fast = _rule_steps(quick)
    monkeypatch.setattr(crossrefs, "_kept_to_own", lambda *args: False)
    walked = _rule_steps(careful)
    assert fast == walked
    assert [r["ok"] for r in fast] == [False, True, False, True, True, True, True]
    assert True in answers  # the rendered specs' records told it
    (warning,) = fast[4]["warnings"]
    assert warning["message"].startswith("no skill named 'skill-9'")


def test_files_and_specs_assigned_before_they_are_made_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch` assigns an inventory's `specs` and `files` (state/inventory.py makes them from
    the scan's parts when first read): one assigned is kept when the other is made, and the
    table is then that of the files."""
    corpus.write_corpus(tmp_path, 8, 0)
    monkeypatch.setattr(inventory, "SUPPORTED", True)
    made = _scan(tmp_path, True, monkeypatch)
    files, specs = dict(made.files), list(made.specs)
    inv = _scan(tmp_path, True, monkeypatch)
    inv.specs = specs[:3]
    assert inv.spec_count() == 3  # before `files` is made
    assert inv.files == files and inv.specs == specs[:3]
    inv = _scan(tmp_path, True, monkeypatch)
    inv.files = {"specs/only.yaml": (1, 2)}
    assert inv.specs == specs and inv.files == {"specs/only.yaml": (1, 2)}
    assert inv.table() == ("specs/only.yaml", [1, 2]) and list(inv.file_ids()) == [
        "specs/only.yaml"
    ]
