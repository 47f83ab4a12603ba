"""What a parallel build does while its worker processes render (issue 12, issue 17).

Outputs staged meanwhile (engine/publish/phase.py) are published exactly as the long way
would: nothing is left behind by a spec that fails later or by an interrupted build, and a
file made or edited by hand meanwhile is never overwritten. Cache entries the workers encode
are written as the parent would have written them."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, run

from skillforge.cache.fresh import DATABASE
from skillforge.cache.local import CACHE_FOLDER
from skillforge.engine.workers import PARALLEL_FROM, Pool

SPECS = PARALLEL_FROM + 6  # rendered in worker processes with --jobs 2
Act = Callable[[dict[str, Any]], None]
Install = Callable[[Act], None]
SIX = 'targets = ["claude", "agents", "codex", "cursor", "copilot", "opencode"]\n'


def _project(root: Path, names: list[str] | None = None) -> Path:
    names = names or [f"s{i:02d}" for i in range(SPECS)]
    files = {".skillforge.toml": SIX}
    for i, name in enumerate(names):
        files[f"specs/s{i:02d}.yaml"] = (
            f"kind: skill\nname: {name}\ndescription: Does {name}. Use when testing.\n"
            "sections:\n  - id: notes\n    body: Revision 1.\n"
        )
    files["specs/agents/a.yaml"] = (
        "kind: agent\nname: a\ndescription: An agent. Use when testing.\n"
        "sections:\n  - id: role\n    body: You help.\n"
    )
    build_file_tree(root, files)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    """Every file and folder a build wrote outside `.skillforge/` (folders as b"/")."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".skillforge", "specs")) or rel == ".skillforge.toml":
            continue
        found[rel] = b"/" if path.is_dir() else path.read_bytes()
    return found


def _temps(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*.tmp")]


@pytest.fixture
def on_receipt(monkeypatch: pytest.MonkeyPatch) -> Install:
    """Run `act(results)` in the build right after each chunk a worker hands back is
    staged: the moment a user (or an editor) could touch the disk while others render."""

    def install(act: Act) -> None:
        render = Pool.render

        def render_then_act(self: Pool, *args: Any, received: Any = None, **kw: Any) -> Any:
            assert received is not None, "a build stages what the workers hand back"

            def staged_then(results: dict[str, Any]) -> None:
                received(results)
                act(results)

            return render(self, *args, received=staged_then, **kw)

        monkeypatch.setattr(Pool, "render", render_then_act)

    return install


def test_outputs_staged_in_a_parallel_build_are_the_serial_builds(tmp_path: Path) -> None:
    parallel, serial = _project(tmp_path / "p"), _project(tmp_path / "s")
    one = run(parallel, "build", "--json", "--jobs", "2")
    two = run(serial, "build", "--json", "--jobs", "1")
    assert one.code == two.code == 0
    assert _tree(parallel) == _tree(serial)
    assert sorted(one.report["written"]) == sorted(two.report["written"])
    assert len(one.report["written"]) > 5 * SPECS  # six targets (some share a path)
    assert _temps(parallel) == []
    assert run(parallel, "build", "--json", "--jobs", "2").report["written"] == []


def test_specs_failing_after_they_were_staged_leave_no_temp_file_nor_folder(
    tmp_path: Path,
) -> None:
    """Two specs with one name fail on the rules between specs, judged after every spec was
    rendered (and staged): the disk is as if they had never been rendered."""
    names = [f"s{i:02d}" for i in range(SPECS)]
    names[3] = names[40] = "twice"
    root = _project(tmp_path / "p", names)
    result = run(root, "build", "--json", "--jobs", "2")
    assert result.code == 1
    assert {e["file"] for e in result.report["errors"]} == {"specs/s03.yaml", "specs/s40.yaml"}
    assert _temps(root) == []
    assert not any("twice" in rel for rel in _tree(root))
    assert (root / ".claude/skills/s04/SKILL.md").is_file()
    assert (root / ".agents/skills/s04/SKILL.md").is_file()


def test_an_interrupted_parallel_build_takes_back_what_it_staged(
    tmp_path: Path, on_receipt: Install
) -> None:
    root = _project(tmp_path / "p")

    def interrupt(results: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    on_receipt(interrupt)
    result = run(root, "build", "-q", "--jobs", "2")
    assert result.code == 130
    assert _tree(root) == {}  # no temp file, and no folder this build made
    assert not (root / ".claude").exists()


def test_a_file_made_by_hand_where_an_output_was_staged_is_never_overwritten(
    tmp_path: Path, on_receipt: Install
) -> None:
    """Cold: the output's folder is the build's own, yet a file appears in it."""
    root = _project(tmp_path / "p")
    mine = root / ".claude/skills/s05/SKILL.md"

    def hand_write(results: dict[str, Any]) -> None:
        if "specs/s05.yaml" in results:
            mine.write_text("mine\n")

    on_receipt(hand_write)
    result = run(root, "build", "--json", "--jobs", "2")
    assert result.code == 1
    assert mine.read_text() == "mine\n"
    (error,) = result.report["errors"]
    assert error["file"] == ".claude/skills/s05/SKILL.md"
    assert "exists and was not written by skillforge" in error["message"]
    assert not (root / ".agents/skills/s05").exists()  # a spec's outputs: all or none
    assert (root / ".agents/skills/s06/SKILL.md").is_file()
    assert _temps(root) == []


def test_an_output_edited_by_hand_after_it_was_staged_is_never_overwritten(
    tmp_path: Path, on_receipt: Install
) -> None:
    """Warm: every spec changed, so each output is decided 'write' and staged; then one of
    them is edited by hand before the renames."""
    root = _project(tmp_path / "p")
    assert run(root, "build", "-q", "--jobs", "2").code == 0
    for spec in (root / "specs").glob("s*.yaml"):
        spec.write_text(spec.read_text().replace("Revision 1.", "Revision 2."))
    edited = root / ".cursor/skills/s07/SKILL.md"
    assert edited.is_file()

    def hand_edit(results: dict[str, Any]) -> None:
        if "specs/s07.yaml" in results:
            edited.write_text(edited.read_text() + "my own line\n")

    on_receipt(hand_edit)
    result = run(root, "build", "--json", "--jobs", "2")
    assert result.code == 1
    assert edited.read_text().endswith("Revision 1.\nmy own line\n")
    (error,) = result.report["errors"]
    assert error["file"] == ".cursor/skills/s07/SKILL.md"
    assert "edited by hand" in error["message"]
    assert "Revision 1." in (root / ".claude/skills/s07/SKILL.md").read_text()
    assert "Revision 2." in (root / ".claude/skills/s08/SKILL.md").read_text()
    assert _temps(root) == []


def test_cache_entries_encoded_in_the_workers_serve_the_next_build(tmp_path: Path) -> None:
    """Worker processes hand their new cache entries back encoded; the parent writes them as
    they are, and a later build (in this process) reads every one of them back."""
    root = _project(tmp_path / "p")
    cold = run(root, "build", "--json", "--jobs", "2").report
    assert cold["sections"]["rendered"] > 0
    again = run(root, "build", "--json", "--force", "--jobs", "1").report
    assert again["sections"] == {"rendered": 0, "cached": SPECS + 1}
    assert again["written"] == [] and again["ok"]


def test_a_parallel_check_finds_what_a_serial_check_finds(tmp_path: Path) -> None:
    """`check` compares the outputs of the specs a worker hands back while the others render;
    its findings, and their order, are the serial check's. A fresh clone (no `.skillforge/`)
    with a stale, an edited and a missing output."""
    import shutil

    root = _project(tmp_path / "p")
    assert run(root, "build", "-q").code == 0
    shutil.rmtree(root / ".skillforge")
    spec = root / "specs/s10.yaml"
    spec.write_text(spec.read_text().replace("Revision 1.", "Revision 2."))  # stale
    edited = root / ".agents/skills/s20/SKILL.md"
    edited.write_text(edited.read_text() + "mine\n")
    (root / ".cursor/skills/s30/SKILL.md").unlink()
    reports = [run(root, "check", "--format", "json", "--jobs", j) for j in ("2", "1")]
    assert reports[0].code == reports[1].code == 1
    parallel, serial = (r.report for r in reports)
    for report in (parallel, serial):
        report.pop("duration_ms")
    assert parallel == serial
    assert parallel["outputs"]["stale"] > 0 and parallel["outputs"]["edited"] == 1
    assert parallel["outputs"]["missing"] == 1
    assert not (root / ".skillforge").exists()


def test_the_writers_checked_folders_never_let_a_path_out(tmp_path: Path) -> None:
    """`_folder` reuses a checked output folder, or checks only the last folder under one;
    a path with `..`, `.`, an empty part or outside every out folder is still refused, and
    one that is fine lands where the long way puts it."""
    from skillforge.engine.load.config import load_config
    from skillforge.engine.publish.writer import OutputError, Writer

    build_file_tree(
        tmp_path,
        {".skillforge.toml": '[targets.claude]\n\n[targets.copilot]\nout = "tools/gh"\n'},
    )
    writer = Writer(load_config(tmp_path / ".skillforge.toml"), None, False)
    fine = [
        ".claude/skills/x/SKILL.md",
        ".claude/skills/x/notes.md",  # the same folder: reused
        ".claude/skills/y/SKILL.md",  # a new folder in a checked one
        "tools/gh/readme.md",  # in the out folder itself: its parent "tools" is outside
        "tools/gh/agents/a.agent.md",
        "tools/gh/agents/b.agent.md",
    ]
    refused = [
        ".claude/skills/x/..",
        ".claude/skills/x/.",
        ".claude/skills/x/",
        ".claude/skills/../SKILL.md",
        ".claude/skills/./SKILL.md",
        ".claude/skills//SKILL.md",
        ".claude/skills/y/../../../escape.md",
        "tools/other/c.md",  # beside the out folder "tools/gh", not in it
        "tools/c.md",
    ]
    staged = [writer.stage(rel, rel.encode(), missing=True) for rel in fine]
    for rel in refused:
        with pytest.raises(OutputError, match="outside the output folder"):
            writer.stage(rel, b"x", missing=True)
    writer.publish(staged)
    for rel in fine:
        assert (tmp_path / rel).read_bytes() == rel.encode()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted([".skillforge.toml", *fine])
    # an output at the out folder's own path: its folder ("tools") is not one to reuse
    writer = Writer(load_config(tmp_path / ".skillforge.toml"), None, False)
    writer.discard([writer.stage("tools/gh", b"x", missing=True)])
    with pytest.raises(OutputError, match="outside the output folder"):
        writer.stage("tools/other.md", b"x", missing=True)


def _document_entries(root: Path) -> dict[str, bytes]:
    """The document entries (`doc:` keys) of a project's cache database, in stored form."""
    with contextlib.closing(sqlite3.connect(root / ".skillforge" / CACHE_FOLDER / DATABASE)) as con:
        rows = con.execute("SELECT key, value FROM Cache WHERE key LIKE 'doc:%'").fetchall()
    return {key: bytes(value) for key, value in rows}


def test_document_entries_encoded_while_others_render_are_the_serial_builds(
    tmp_path: Path,
) -> None:
    """A parallel build encodes each staged spec's document entry while the workers render
    (`Ready.entry`); the cache holds what a serial build writes, and `--explain` after an
    edit reads it back as the serial build's does."""
    parallel, serial = _project(tmp_path / "p"), _project(tmp_path / "s")
    assert run(parallel, "build", "--json", "--jobs", "2").code == 0
    assert run(serial, "build", "--json", "--jobs", "1").code == 0
    entries = _document_entries(parallel)
    assert len(entries) == SPECS + 1
    assert entries == _document_entries(serial)
    for root in (parallel, serial):
        spec = root / "specs" / "s03.yaml"
        spec.write_text(spec.read_text().replace("Revision 1.", "Revision 2."))
    one = run(parallel, "build", "--json", "--explain", "--jobs", "2").report
    two = run(serial, "build", "--json", "--explain", "--jobs", "1").report
    assert one["reasons"] == two["reasons"] and one["reasons"]
    assert any("notes" in " ".join(why) for why in one["reasons"].values())


def test_a_spec_no_target_writes_is_staged_as_the_serial_build_has_it(tmp_path: Path) -> None:
    """A spec of a kind no target of the build writes renders to no output (a warning): the
    parallel build stages the others around it and reports what the serial build does."""
    roots = {}
    for jobs in ("2", "1"):
        root = _project(tmp_path / jobs)
        (root / ".skillforge.toml").write_text('targets = ["agents"]\n')  # skills only
        roots[jobs] = run(root, "build", "--json", "--jobs", jobs)
    parallel, serial = roots["2"], roots["1"]
    assert parallel.code == serial.code == 0
    assert sorted(parallel.report["written"]) == sorted(serial.report["written"])
    assert len(parallel.report["written"]) == SPECS
    warned = [w for w in parallel.report["warnings"] if "nothing is written" in str(w)]
    assert warned and len(warned) == len(
        [w for w in serial.report["warnings"] if "nothing is written" in str(w)]
    )
    assert _tree(tmp_path / "2") == _tree(tmp_path / "1")
