"""Faults outside the specs (issue 5, part 5): full disks, denied writes, damaged state.

A write that fails names the file and fails the build; the other outputs are written and
no temp file stays behind. Damaged state (cache or manifest) is moved aside with a warning
and costs a cold build, never a wrong output.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, build_json, project, run

from skillforge.state.manifest import FORMAT

FIRST = ".claude/skills/skill-0/SKILL.md"


def outputs(root: Path) -> dict[str, bytes]:
    out = root / ".claude"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, bytes]:
    ref = tmp_path / "reference"
    project(ref)
    assert run(ref, "build", "-q").code == 0
    return outputs(ref)


def failing(real: Callable[..., Any], match: str, error: int) -> Callable[..., Any]:
    """Wrap an os function so that it fails with `error` for paths containing `match`."""

    def fake(*args: Any, **kwargs: Any) -> Any:
        if any(match in str(a) for a in args):
            raise OSError(error, os.strerror(error), str(args[0]))
        return real(*args, **kwargs)

    return fake


@pytest.mark.parametrize(
    ("error", "words"),
    [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")],
)
def test_a_failed_write_names_the_file_and_spares_the_others(
    tmp_path: Path,
    reference: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    error: int,
    words: str,
) -> None:
    root = tmp_path / "project"
    project(root)
    monkeypatch.setattr(os, "replace", failing(os.replace, "skill-0/SKILL.md", error))
    result = run(root, "build", "--json")
    monkeypatch.undo()

    assert result.code == 1
    [problem] = result.report["errors"]
    assert problem["file"] == "specs/skill-0.yaml"  # D10: errors name the spec (and line)
    assert f"{FIRST}: cannot write ({words})" in problem["message"]
    assert "Traceback" not in result.err
    written = outputs(root)
    assert FIRST not in written
    assert written == {k: v for k, v in reference.items() if k != FIRST}
    assert temp_files(root) == []
    # the space is back: the next build writes the missing file only
    report = build_json(root)
    assert report["ok"] is True
    assert report["written"] == [FIRST]
    assert outputs(root) == reference


def test_a_full_disk_at_the_manifest_is_a_clear_error(
    tmp_path: Path, reference: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    project(root)
    monkeypatch.setattr(os, "replace", failing(os.replace, "manifest.bin", errno.ENOSPC))
    result = run(root, "build")
    monkeypatch.undo()

    assert result.code == 1
    assert "error: .skillforge/manifest.bin: cannot write (No space left on device)" in result.err
    assert "Traceback" not in result.err
    assert temp_files(root) == []
    assert outputs(root) == reference
    # the outputs are adopted, not taken for hand edits
    report = build_json(root)
    assert report["ok"] is True and report["errors"] == []
    assert report["outputs"]["written"] == 0


def corrupt_cache_db(root: Path) -> None:
    db = root / ".skillforge/cache/cache.db"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])


def cache_folder_is_a_file(root: Path) -> None:
    cache = root / ".skillforge/cache"
    for path in sorted(cache.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    cache.rmdir()
    cache.write_text("oops")


def garbage_manifest(root: Path) -> None:
    (root / ".skillforge/manifest.bin").write_bytes(os.urandom(4096))


def empty_manifest(root: Path) -> None:
    (root / ".skillforge/manifest.bin").write_bytes(b"")


def manifest_is_a_folder(root: Path) -> None:
    path = root / ".skillforge/manifest.bin"
    path.unlink()
    path.mkdir()


def marshalled_nonsense(root: Path) -> None:
    import marshal

    (root / ".skillforge/manifest.bin").write_bytes(
        marshal.dumps({"format": FORMAT, "specs": [1, 2], "outputs": "x"})
    )


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        pytest.param(corrupt_cache_db, "cache unreadable", id="truncated-cache-db"),
        pytest.param(cache_folder_is_a_file, "cache unreadable", id="cache-folder-is-a-file"),
        pytest.param(garbage_manifest, "manifest", id="garbage-manifest"),
        pytest.param(empty_manifest, "corrupt manifest", id="empty-manifest"),
        pytest.param(manifest_is_a_folder, "manifest", id="manifest-is-a-folder"),
        pytest.param(marshalled_nonsense, "corrupt manifest", id="wrong-shapes-in-manifest"),
    ],
)
def test_damaged_state_costs_a_cold_build(
    tmp_path: Path,
    reference: dict[str, bytes],
    damage: Callable[[Path], None],
    warning: str,
) -> None:
    root = tmp_path / "project"
    project(root)
    assert run(root, "build", "-q").code == 0
    damage(root)
    spec = root / "specs/skill-1.yaml"
    spec.write_text(spec.read_text() + "\n")  # a real (if invisible) edit: past the fast path

    result = run(root, "build", "--json", "--force")
    assert result.code == 0, result.err
    report = result.report
    assert any(warning in w["message"] for w in report["warnings"]), report["warnings"]
    assert report["errors"] == []
    assert outputs(root) == reference
    # the damage was moved aside: the next build is clean and quiet
    again = build_json(root)
    assert again["warnings"] == [] and again["outputs"]["written"] == 0
    assert outputs(root) == reference


def test_corrupt_cache_in_a_real_process(tmp_path: Path, reference: dict[str, bytes]) -> None:
    root = tmp_path / "project"
    project(root)
    assert run(root, "build", "-q").code == 0
    corrupt_cache_db(root)
    (root / ".skillforge/manifest.bin").write_bytes(b"\x00garbage")
    done = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--force"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "corrupt manifest" in done.stderr
    assert "Traceback" not in done.stderr
    assert outputs(root) == reference
    assert list((root / ".skillforge").glob("manifest.bin.corrupt-*"))


# -- issue 9: random damage to the cache and the manifest ------------------------------------

FAULT_TRIALS = int(os.environ.get("SKILLFORGE_FUZZ_EXAMPLES", "20")) * 2
FAULT_FILES = {
    ".skillforge.toml": "[build]\njobs = 1\n[cache]\n",
    "templates/fragments/item.md.j2": "- {{ text }}",
    "templates/sections/list.md.j2": (
        "{% for s in section.with.steps %}{{ fragment('item', text=s) }}\n{% endfor %}"
    ),
}


def fault_project(root: Path, version: str) -> None:
    files = dict(FAULT_FILES)
    for i in range(4):
        files[f"specs/f{i}.yaml"] = (
            f"kind: skill\nname: f{i}\ndescription: F{i}. Use when testing.\n"
            f"vars: {{n: {i}}}\nsections:\n"
            f"  - id: a\n    body: 'Spec {{{{ spec.name }}}} number {{{{ vars.n }}}} {version}.'\n"
            f"  - id: b\n    template: sections/list.md.j2\n"
            f"    with: {{steps: [one-{i}, two, '{version}']}}\n"
        )
    build_file_tree(root, files)


def damage(root: Path, rng: Any) -> str:
    """Change random bytes of one state file (the cache database, a value file, the manifest)."""
    state = root / ".skillforge"
    # the stats records (state/buildlog.py) are not build state: damaging them is another test's
    targets = [
        state / "manifest.bin",
        *sorted(p for p in (state / "cache").rglob("*") if p.is_file()),
    ]
    target = rng.choice(targets)
    data = bytearray(target.read_bytes())
    if data:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(data))
            data[i] = rng.randrange(256)
    if rng.random() < 0.2:
        data = data[: rng.randrange(len(data) + 1)]  # truncated
    target.write_bytes(bytes(data))
    return target.relative_to(root).as_posix()


def test_random_damage_to_the_state_never_publishes_a_wrong_output(tmp_path: Path) -> None:
    import random
    import shutil

    references: dict[str, dict[str, bytes]] = {}
    for version in ("v1", "v2"):
        ref = tmp_path / f"ref-{version}"
        fault_project(ref, version)
        assert run(ref, "build", "-q").code == 0
        references[version] = outputs(ref)
    seed = tmp_path / "seed"
    fault_project(seed, "v1")
    assert run(seed, "build", "-q").code == 0
    assert run(seed, "build", "--force", "-q").code == 0  # the cache holds every layer

    rng = random.Random(9)
    for trial in range(FAULT_TRIALS):
        root = tmp_path / f"trial-{trial}"
        shutil.copytree(seed, root)
        what = damage(root, rng)
        version = "v2" if trial % 2 else "v1"
        if version == "v2":
            fault_project(root, "v2")
        args = ["build", "--json"] + (["--force"] if trial % 3 == 0 else [])
        result = run(root, *args)
        assert "Traceback" not in result.err and "internal error" not in result.err, (what, result)
        if result.code == 0:
            assert outputs(root) == references[version], (trial, what)
            check = run(root, "check")
            assert check.code == 0, (trial, what, check)
        else:
            assert result.code in (1, 2), (what, result)
            assert result.report["errors"], (what, result)
        shutil.rmtree(root)


def outputs_of(root: Path, version: str) -> dict[str, bytes]:
    """The outputs of a clean build of the fault project at `version`."""
    fault_project(root, version)
    assert run(root, "build", "-q").code == 0
    return outputs(root)


def test_damage_that_still_decodes_is_a_corrupt_manifest(tmp_path: Path) -> None:
    """Random damage once turned the remembered config's `jobs` into `job`: the manifest
    decoded, and the build failed with a config error about a file nobody had edited. Every
    part of the manifest carries a checksum, so such damage reads as a corrupt manifest."""
    fault_project(tmp_path, "v1")
    assert run(tmp_path, "build", "-q").code == 0
    path = tmp_path / ".skillforge/manifest.bin"
    data = path.read_bytes()
    assert data.count(b"jobs") == 1
    path.write_bytes(data.replace(b"jobs", b"jobz"))
    fault_project(tmp_path, "v2")  # the build plans from the manifest
    result = run(tmp_path, "build", "--json")
    assert result.code == 0, result
    warnings = " ".join(w["message"] for w in result.report["warnings"])
    assert "corrupt manifest" in warnings and "checksum" in warnings, warnings
    assert outputs(tmp_path) == outputs_of(tmp_path / "ref", "v2")
    check = run(tmp_path, "check")
    assert check.code == 0, check


# -- issue 9: damaged build records (stats) are a warning, never an internal error ------------

RECORD_FILES = ("records.bin", "outputs.bin", "noops.log", "listing.failed")


def scramble(value: Any, rng: Any) -> Any:
    """A copy of a decoded record with one random key dropped or value swapped for another."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value, key=str))
        copy = dict(value)
        if rng.random() < 0.3:
            del copy[key]
        else:
            copy[key] = scramble(copy[key], rng)
        return copy
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        copy = list(value)
        copy[i] = scramble(value[i], rng)
        return copy
    return rng.choice([None, "x", -1, 1.5, float("nan"), 1e300, [], {}, [1], {"a": 1}, True])


def damage_records(root: Path, rng: Any) -> str:
    """Damage one file of `.skillforge/stats/`: random bytes, a cut, or a scrambled layout."""
    import marshal

    target = root / ".skillforge/stats" / rng.choice(RECORD_FILES)
    data = bytearray(target.read_bytes()) if target.exists() else bytearray(os.urandom(64))
    how = rng.random()
    if how < 0.4 and target.suffix == ".bin":
        data = bytearray(marshal.dumps(scramble(marshal.loads(bytes(data)), rng)))
    elif how < 0.6:
        data = data[: rng.randrange(len(data) + 1)]
    else:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    target.write_bytes(bytes(data))
    return f"{target.name} ({how:.2f})"


def test_a_damaged_build_record_is_a_warning_and_starts_afresh(tmp_path: Path) -> None:
    import marshal

    fault_project(tmp_path, "v1")
    assert run(tmp_path, "build", "-q").code == 0
    records = tmp_path / ".skillforge/stats/records.bin"
    raw = marshal.loads(records.read_bytes())
    del raw["totals"]  # once "internal error: KeyError: 'totals'"
    records.write_bytes(marshal.dumps(raw))
    warning = ".skillforge/stats/records.bin: build records damaged"

    stats = run(tmp_path, "stats", "--json")
    assert stats.code == 0 and warning in stats.err, stats
    assert stats.report["last_build"] is None  # shown as no records
    check = run(tmp_path, "check")
    assert check.code == 0 and "internal error" not in check.err, check
    done = run(tmp_path, "build", "--force", "--json")
    assert done.code == 0, done
    assert any(
        w["file"] == ".skillforge/stats/records.bin" and "damaged" in w["message"]
        for w in done.report["warnings"]
    ), done.report["warnings"]
    after = run(tmp_path, "stats", "--json")
    assert after.code == 0 and after.err == "", after
    assert after.report["all_time"]["builds"] == 1  # started afresh with this build


def test_random_damage_to_the_build_records_is_never_an_internal_error(tmp_path: Path) -> None:
    import random
    import shutil

    seed = tmp_path / "seed"
    fault_project(seed, "v1")
    assert run(seed, "build", "-q").code == 0
    assert run(seed, "build", "-q").code == 0  # a no-op: noops.log has a line
    assert (seed / ".skillforge/stats/noops.log").read_text()

    rng = random.Random(10)
    for trial in range(FAULT_TRIALS):
        root = tmp_path / f"trial-{trial}"
        shutil.copytree(seed, root)
        what = damage_records(root, rng)
        for args in (["stats", "--json"], ["stats"], ["check"], ["build", "--force", "-q"]):
            result = run(root, *args)
            assert result.code == 0, (trial, what, args, result)
            assert "Traceback" not in result.err and "internal error" not in result.err, (
                trial,
                what,
                args,
                result,
            )
        after = run(root, "stats", "--json")
        assert after.code == 0 and "damaged" not in after.err, (trial, what, after)
        assert after.report["last_build"]["kind"] == "build", (trial, what)
        shutil.rmtree(root)
