"""The no-op's hot table (issue 17): `quick_plan` answers from the table alone only when
`make_plan`, reading every record, finds nothing to do, and then with the very same plan."""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from helpers import build_json, run

from skillforge.state.hot import quick_plan
from skillforge.state.inventory import Inventory, scan
from skillforge.state.manifest import Manifest, manifest_stamp, read_manifest
from skillforge.state.plan import Plan, make_plan

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus


def _scan(root: Path, manifest: Manifest) -> Inventory:
    folders = [[str(root / p) for p in manifest.layout[key]] for key in ("specs", "traits")]
    templates = [str(root / p) for p in manifest.layout["templates"]]
    return scan(str(root), folders[0], folders[1], templates)


def _plans(root: Path) -> tuple[Plan | None, Plan]:
    cache = str(root / ".skillforge")
    lazy = read_manifest(cache, lazy=True)
    full = read_manifest(cache)
    assert lazy is not None and full is not None
    inventory = _scan(root, lazy)
    return quick_plan(inventory, lazy), make_plan(
        inventory, full, config_changed=False, replay=True
    )


def _same(quick: Plan, slow: Plan) -> None:
    """The hot table's plan is make_plan's: a no-op's (with a count of the unchanged
    documents), or an edit's (with their list, in the same order)."""
    assert not slow.replay and not quick.replay
    assert quick.is_noop == slow.is_noop
    assert slow.unchanged_count is None
    if quick.unchanged_count is not None:  # a no-op from the table alone
        assert quick.is_noop and quick.unchanged_count == len(slow.unchanged)
    else:  # the records read for the files that changed: the others' documents counted
        assert quick.unchanged_total == len(slow.unchanged)
        assert set(quick.unchanged) <= set(slow.unchanged)
    for name in ("total", "dirty", "refreshed", "refreshed_outputs", "layers", "plugins"):
        assert getattr(quick, name) == getattr(slow, name), name
    assert quick.orphans == slow.orphans and quick.orphan_specs == slow.orphan_specs


def _files(root: Path, folder: str, suffix: str) -> list[Path]:
    return sorted(p for p in (root / folder).rglob(f"*{suffix}") if p.is_file())


def _touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _mutate(root: Path, rng: random.Random, i: int) -> str:
    specs = [p for p in _files(root, "specs", ".yaml") if "_bases" not in p.parts]
    outputs = _files(root, ".claude", ".md")
    how = rng.choice(
        [
            *["nothing"] * 4,
            "edit spec",
            "touch spec",
            "edit output",
            "touch output",
            "delete output",
            "new spec",
            "delete spec",
            "edit template",
            "new template",
            "touch template",
            "edit trait",
            "touch base",
        ]
    )
    if how == "edit spec":
        corpus.bump_marker(rng.choice(specs))
    elif how == "touch spec":
        _touch(rng.choice(specs))
    elif how == "edit output":
        out = rng.choice(outputs)
        out.write_text(out.read_text(encoding="utf-8") + "\nhand edit\n", encoding="utf-8")
    elif how == "touch output":
        _touch(rng.choice(outputs))
    elif how == "delete output":
        rng.choice(outputs).unlink()
    elif how == "new spec":
        source = rng.choice(specs)
        name = f"added-{i}"
        lines = [
            f"name: {name}" if line.startswith("name:") else line
            for line in source.read_text(encoding="utf-8").split("\n")
        ]
        (source.parent / f"{name}.yaml").write_text("\n".join(lines), encoding="utf-8")
    elif how == "delete spec":
        rng.choice(specs).unlink()
    elif how in ("edit template", "touch template"):
        template = rng.choice(_files(root, "templates", ".j2"))
        if how == "touch template":
            _touch(template)
        else:
            template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif how == "new template":
        (root / "templates" / "sections" / f"unused-{i}.md.j2").write_text("x\n", encoding="utf-8")
    elif how == "edit trait":
        trait = rng.choice(_files(root, "traits", ".yaml"))
        trait.write_text(trait.read_text(encoding="utf-8") + "\n# more\n", encoding="utf-8")
    elif how == "touch base":
        _touch(root / "specs" / "_bases" / "common.yaml")
    return how


def test_quick_plan_is_make_plan_when_nothing_changed(tmp_path: Path) -> None:
    corpus.write_corpus(tmp_path, 30, 0)
    assert run(tmp_path, "build", "-q").code == 0
    # just after the build: the outputs' mtimes are racy, recorded as 0 and checked by digest
    quick, slow = _plans(tmp_path)
    assert quick is not None
    _same(quick, slow)
    time.sleep(0.06)  # past the racy window: the next build records real mtimes
    corpus.bump_marker(tmp_path / corpus.read_info(tmp_path)["edit_spec"])
    assert run(tmp_path, "build", "-q").code == 0
    assert build_json(tmp_path)["outputs"]["written"] == 0

    rng = random.Random(17)
    answered = 0
    written = True  # the last build wrote the manifest
    cache = str(tmp_path / ".skillforge")
    for i in range(30):
        how = _mutate(tmp_path, rng, i)
        quick, slow = _plans(tmp_path)
        if quick is not None:
            answered += 1
            _same(quick, slow)
        elif how == "nothing":
            # a file touched since the last manifest, same bytes: make_plan hashes it (and a
            # no-op build writes no manifest); else the table must answer
            assert not written, "no answer for a project the last build left as it is"
        # back to a project the last build left as it is (a hand edit needs --force)
        before = manifest_stamp(cache)
        if run(tmp_path, "build", "-q").code != 0:
            assert run(tmp_path, "build", "-q", "--force").code == 0
        written = manifest_stamp(cache) != before
    assert answered >= 5


def test_a_failed_spec_leaves_the_decision_to_make_plan(tmp_path: Path) -> None:
    corpus.write_corpus(tmp_path, 6, 0, failing=2)
    assert run(tmp_path, "build", "-q").code == 1
    quick, slow = _plans(tmp_path)
    assert quick is None
    assert slow.replay and slow.is_noop
    report = build_json(tmp_path)
    assert report["specs"]["replayed"] == 2


def test_damaged_records_under_a_good_table_fail_as_a_corrupt_manifest(tmp_path: Path) -> None:
    """A no-op that needs the records (here: an edited spec) finds them damaged: the full
    build says the manifest is corrupt and rebuilds, as with any damaged manifest."""
    import marshal

    corpus.write_corpus(tmp_path, 6, 0)
    assert run(tmp_path, "build", "-q").code == 0
    path = tmp_path / ".skillforge" / "manifest.bin"
    data = marshal.loads(path.read_bytes())
    data["records"] = data["records"][:-40]
    path.write_bytes(marshal.dumps(data))
    corpus.bump_marker(tmp_path / corpus.read_info(tmp_path)["edit_spec"])
    result = run(tmp_path, "build", "--json")
    assert "Traceback" not in result.err
    assert result.report is not None and result.report["specs"]["parsed"] == 6


def test_the_changed_files_are_found_block_by_block_as_one_by_one() -> None:
    """`_changed` compares the packed stats 64 files at a time, then one by one where a
    block differs: the files it finds are those a comparison of each file finds."""
    from skillforge.state import hot

    rng = random.Random(5)
    for _ in range(200):
        n = rng.choice([0, 1, 63, 64, 65, 130, 700])
        ids = [f"specs/{i}.yaml" for i in range(n)]
        then = [rng.randrange(1 << 40) for _ in range(2 * n)]
        now = list(then)
        for _ in range(rng.choice([0, 1, 2, 5, 70])):
            if n:
                now[rng.randrange(2 * n)] += rng.choice([1, -1, 1 << 33])
        expected = [ids[i] for i in range(n) if now[2 * i : 2 * i + 2] != then[2 * i : 2 * i + 2]]
        found = hot._changed(ids, hot._packed(now), hot._packed(then))
        assert found == (expected if len(expected) <= hot.EDITED else None)


def test_the_same_files_listed_in_another_order_are_still_a_no_op(tmp_path: Path) -> None:
    """A folder copied, restored or checked out again can list its files in another order;
    the scan then lists the same files differently. The table still answers (the no-op writes
    no manifest: without it, every no-op after would read every record), with make_plan's
    plan; and it still sees an edit among them."""
    corpus.write_corpus(tmp_path, 30, 0)
    assert run(tmp_path, "build", "-q").code == 0
    time.sleep(0.06)  # past the racy window
    assert run(tmp_path, "build", "-q", "--force").code == 0
    cache = str(tmp_path / ".skillforge")
    for edit in (False, True):
        if edit:
            corpus.bump_marker(tmp_path / corpus.read_info(tmp_path)["edit_spec"])
        lazy, full = read_manifest(cache, lazy=True), read_manifest(cache)
        assert lazy is not None and full is not None
        inventory = _scan(tmp_path, lazy)
        inventory.files = dict(reversed(list(inventory.files.items())))
        quick = quick_plan(inventory, lazy)
        assert quick is not None
        _same(quick, make_plan(inventory, full, config_changed=False, replay=True))
        assert quick.is_noop is not edit
        # one file more or fewer is not the same files: make_plan decides
        fewer = _scan(tmp_path, lazy)
        fewer.files = dict(list(reversed(list(fewer.files.items())))[1:])
        assert quick_plan(fewer, read_manifest(cache, lazy=True)) is None


def test_the_output_paths_after_the_hot_plan_are_the_recorded_ones(tmp_path: Path) -> None:
    """The paths the hot plan stat-ed (split from the table) are those `output_paths` then
    gives (the paths a build keeps cost rows for): the very strings, not split again."""
    from skillforge.state.patch import output_paths

    corpus.write_corpus(tmp_path, 12, 0)
    assert run(tmp_path, "build", "-q").code == 0
    cache = str(tmp_path / ".skillforge")
    lazy, full = read_manifest(cache, lazy=True), read_manifest(cache)
    assert lazy is not None and full is not None
    assert quick_plan(_scan(tmp_path, lazy), lazy) is not None
    listed = output_paths(lazy)
    assert sorted(listed) == sorted(full.outputs) and len(listed) >= 12
    assert all(map(str.__eq__, listed, lazy.__dict__["_listed_outputs"]))
    assert next(iter(listed)) is lazy.__dict__["_listed_outputs"][0]
