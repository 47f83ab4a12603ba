"""The manifest after an edit of a few specs, made in parts (state/patch.py, state/parts.py;
issue 17), against the same manifest made the whole way.

Two copies of one project go through the same edits, deletions, hand edits, added and
removed specs; one builds as skillforge does, the other with the patch refused (the slow
path of `next_manifest`). After every build both give the same exit code, report, outputs
and records, and the hot table written from the last one's is the one `hot_table` makes
from the records read back."""

from __future__ import annotations

import marshal
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from struct import unpack
from typing import Any

import pytest
from helpers import run

import skillforge.engine.record as record_module
from skillforge.engine.documents import DROPPED_FILE
from skillforge.state.buildlog import read_cost_rows
from skillforge.state.hot import hot_table
from skillforge.state.inventory import scan
from skillforge.state.manifest import Manifest, read_manifest
from skillforge.state.parts import BUCKETS, assemble, decode_records, encode_records
from skillforge.state.patch import output_paths

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import corpus

real_patch = record_module.patch_tables


def _specs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "specs").rglob("*.yaml") if "_bases" not in p.parts)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / ".claude").rglob("*"))
        if p.is_file()
    }


def _manifest(root: Path) -> Manifest:
    manifest = read_manifest(str(root / ".skillforge"))
    assert manifest is not None
    return manifest


def _tables(manifest: Manifest) -> dict[str, Any]:
    """The records but their mtimes (two copies' files are written at other moments)."""
    return {
        "specs": {s: (list(r.deps), list(r.outputs), r.failed) for s, r in manifest.specs.items()},
        "outputs": {p: (r.size, r.digest, r.document, r.key) for p, r in manifest.outputs.items()},
        "files": {f: (row[1], row[2]) for f, row in manifest.files.items()},
        "resolved": dict(manifest.resolved),
        "errors": dict(manifest.errors),
    }


def _dropped(root: Path) -> bytes | None:
    path = root / ".skillforge" / DROPPED_FILE
    return path.read_bytes() if path.exists() else None


def _hot_view(hot: dict[str, Any] | None) -> dict[str, Any] | None:
    """A hot table as what it says (its list of outputs may be in another order)."""
    if hot is None:
        return None
    stats = unpack(f"{len(hot['stats']) // 8}q", hot["stats"])
    paths = hot["outputs"].split("\0") if hot["outputs"] else []
    output_stats = unpack(f"{2 * len(paths)}q", hot["output_stats"])
    return {
        **{k: hot[k] for k in ("tool", "ids", "read", "extra", "extra_racy", "names")},
        "stats": stats,
        "racy": sorted(map(tuple, hot["racy"])),
        "outputs": {p: output_stats[2 * i : 2 * i + 2] for i, p in enumerate(paths)},
        "racy_outputs": {paths[i]: digest for i, digest in hot["racy_outputs"]},
        "documents": hot["documents"],
    }


def _recomputed_hot(root: Path, manifest: Manifest) -> dict[str, Any] | None:
    layout = manifest.layout
    inv = scan(
        str(root),
        [str(root / p) for p in layout["specs"]],
        [str(root / p) for p in layout["traits"]],
        [str(root / p) for p in layout["templates"]],
    )
    manifest.scan = (inv.files, inv.specs, inv.traits, inv.templates)
    return hot_table(manifest)


def _decoded(data: bytes, crc: int) -> dict[str, Any]:
    """Records as `decode_records` reads them, each spec with its dependencies."""
    tables = decode_records(data, crc)[0]
    depsets = tables.pop("depsets")
    tables["specs"] = {s: (depsets[row[0]], *row[1:]) for s, row in tables["specs"].items()}
    return tables


def _report(result: Any) -> dict[str, Any]:
    report = dict(result.report)
    for key in ("duration_ms", "timings"):
        report.pop(key, None)
    return report


def _bump_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _old(path: Path) -> None:
    """Date a source in the past, as an editor's save long before the build would."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000))


def test_a_manifest_made_in_parts_is_the_one_made_the_whole_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    corpus.write_corpus(fast, 14, 0)
    shutil.copytree(fast, slow)
    info = corpus.read_info(fast)
    patched: list[bool] = []

    def spy(*args: Any) -> bool:
        done: bool = real_patch(*args)
        patched.append(done)
        return done

    def refused(*args: Any) -> bool:
        return False

    def both(step: Callable[[Path], None], expect_patch: bool | None = None) -> None:
        before = _manifest(fast) if (fast / ".skillforge").exists() else None
        results = []
        for root, patch in ((fast, spy), (slow, refused)):
            step(root)
            monkeypatch.setattr(record_module, "patch_tables", patch)
            results.append(run(root, "build", "--json"))
        patched_now = bool(patched) and patched[-1]
        patched.clear()
        if expect_patch is not None:
            assert patched_now == expect_patch
        quick, full = results
        assert "Traceback" not in quick.err + full.err
        assert quick.code == full.code
        assert _report(quick) == _report(full)
        assert _tree(fast) == _tree(slow)
        mine, theirs = _manifest(fast), _manifest(slow)
        assert _tables(mine) == _tables(theirs)
        # what the build keeps beside the manifest, from the paths of its outputs
        assert read_cost_rows(str(fast / ".skillforge")) == read_cost_rows(
            str(slow / ".skillforge")
        )
        assert _dropped(fast) == _dropped(slow)
        # read back, the records in parts are those encoded afresh from the same tables
        assert mine.parts is not None
        again = Manifest.from_raw(
            {**marshal.loads((fast / ".skillforge/manifest.bin").read_bytes())}
        )
        assert _decoded(*assemble(mine.parts)) == _decoded(*encode_records(again))
        # the hot table written from the last one's is the one made from the records
        assert _hot_view(mine.hot) == _hot_view(_recomputed_hot(fast, mine))
        if patched_now and before is not None and before.parts is not None:
            changed = sum(a != b for a, b in zip(before.parts[2], mine.parts[2], strict=True))
            assert changed < BUCKETS // 2  # the other parts kept as they were

    edit = Path(info["edit_spec"])
    specs = [p.relative_to(fast) for p in _specs(fast) if p.relative_to(fast) != edit]
    other, third = specs[1], specs[2]
    both(lambda root: None)  # cold
    both(lambda root: corpus.bump_marker(root / edit), expect_patch=True)
    both(lambda root: corpus.bump_marker(root / edit), expect_patch=True)
    both(lambda root: corpus.bump_marker(root / other), expect_patch=True)
    # a comment: the spec's file changed, its output did not
    both(lambda root: _bump_text(root / third, "kind:", "# a comment\nkind:"), expect_patch=True)
    both(lambda root: (corpus.bump_marker(root / edit), corpus.bump_marker(root / third)))
    # the sources settle (their stats are then recorded), then one more edit
    both(lambda root: [_old(p) for p in _specs(root)])
    both(lambda root: corpus.bump_marker(root / other), expect_patch=True)
    # an output deleted by hand: its spec is built again
    out = fast.joinpath(".claude/skills").glob("*/SKILL.md")
    deleted = next(iter(sorted(out))).relative_to(fast)
    both(lambda root: (root / deleted).unlink())
    # an output edited by hand: never overwritten, and the spec's edit is refused
    hand = Path(".claude/agents") / next(iter(os.listdir(fast / ".claude/agents")))
    both(lambda root: (root / hand).write_text("edited by hand\n"))
    both(lambda root: (root / hand).unlink())
    # a spec added, a spec removed
    added = other.with_name("added-0099.yaml")

    def add(root: Path) -> None:
        text = (root / other).read_text(encoding="utf-8")
        name = other.stem
        (root / added).write_text(text.replace(name, "added-0099"), encoding="utf-8")

    both(add, expect_patch=False)
    both(lambda root: (root / third).unlink(), expect_patch=False)
    # a trait every user of which is built again; the base
    both(lambda root: _bump_text(root / "traits/git.yaml", "Never", "Do not ever"))
    both(lambda root: _bump_text(root / "specs/_bases/common.yaml", "vars:", "# base\nvars:"))
    both(lambda root: corpus.bump_marker(root / edit), expect_patch=True)
    both(lambda root: corpus.bump_marker(root / added), expect_patch=True)


@pytest.mark.parametrize("where", ["part", "file part", "index"])
def test_a_damaged_part_of_the_records_reads_as_a_corrupt_manifest(
    tmp_path: Path, where: str
) -> None:
    """Each part of the records carries its CRC-32 in the index, and the index its own: a
    byte changed in any of them is a corrupt manifest (moved aside, the build cold), never
    records that read as others."""
    corpus.write_corpus(tmp_path, 6, 0)
    assert run(tmp_path, "build", "-q").code == 0
    path = tmp_path / ".skillforge/manifest.bin"
    data = marshal.loads(path.read_bytes())
    index, parts, file_parts = marshal.loads(data["records"])
    chosen = {"part": parts[0], "file part": file_parts[0], "index": index}[where]
    damaged = bytearray(chosen)
    damaged[len(damaged) // 2] ^= 0x01
    records = data["records"]
    assert records.count(chosen) == 1
    data["records"] = records.replace(chosen, bytes(damaged))
    path.write_bytes(marshal.dumps(data))
    corpus.bump_marker(tmp_path / corpus.read_info(tmp_path)["edit_spec"])
    result = run(tmp_path, "build", "--json")
    assert "Traceback" not in result.err
    warnings = " ".join(w["message"] for w in result.report["warnings"])
    assert "corrupt manifest" in warnings, warnings
    assert result.report["specs"]["parsed"] == 6


def test_records_read_one_at_a_time_are_those_of_the_whole_table(tmp_path: Path) -> None:
    """`Manifest.spec_record` and `output_record` read the part of one key (an edit of one
    spec among 10,000 reads a few): what they give is what the whole tables hold, the same
    objects once the whole table is decoded, and None for a key no part holds; the paths
    of the outputs (from the hot table) are the table's keys."""
    corpus.write_corpus(tmp_path, 30, 0)
    assert run(tmp_path, "build", "-q").code == 0
    corpus.bump_marker(tmp_path / corpus.read_info(tmp_path)["edit_spec"])
    assert run(tmp_path, "build", "-q").code == 0  # written in parts, from the last one
    full = _manifest(tmp_path)
    lazy = read_manifest(str(tmp_path / ".skillforge"), lazy=True)
    assert lazy is not None and lazy.hot is not None
    assert output_paths(lazy).keys() == full.outputs.keys()
    missing = ["", "[plugins]", "specs/none.yaml", "zzz", "specs/"]
    read: dict[str, Any] = {}
    for spec_id in [*full.specs, *missing]:
        record, expected = lazy.spec_record(spec_id), full.specs.get(spec_id)
        if expected is None:
            assert record is None
            continue
        assert record is not None
        assert (list(record.deps), record.outputs, record.failed) == (
            list(expected.deps),
            expected.outputs,
            expected.failed,
        )
        read[spec_id] = record
    for path in [*full.outputs, *missing]:
        output, wanted = lazy.output_record(path), full.outputs.get(path)
        assert (output and output.to_raw()) == (wanted and wanted.to_raw())
    assert "specs" not in lazy.__dict__ and "outputs" not in lazy.__dict__  # not decoded
    assert all(lazy.specs[spec_id] is record for spec_id, record in read.items())
    assert _tables(lazy) == _tables(full)
