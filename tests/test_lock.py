"""One writer per project: the lock in the cache folder (DESIGN §6, `--lock-timeout`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import project, run

from skillforge.state.lock import holder, project_lock

CACHE = ".skillforge"


def outputs(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / ".claude").rglob("*"))
        if p.is_file()
    }


def test_second_build_fails_naming_the_holder(tmp_path: Path) -> None:
    project(tmp_path)
    with project_lock(tmp_path / CACHE, 0, "skillforge watch"):
        assert holder(tmp_path / CACHE) == f"pid {os.getpid()} (skillforge watch)"
        result = run(tmp_path, "build", "--lock-timeout", "0.2")
    assert result.code == 1
    assert f"locked by pid {os.getpid()} (skillforge watch)" in result.err
    assert "--lock-timeout" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / ".claude").exists()
    assert not (tmp_path / CACHE / "manifest.bin").exists()
    # once the holder is gone, the same command succeeds
    assert run(tmp_path, "build", "-q").code == 0
    assert len(outputs(tmp_path)) == 3


def test_second_build_waits_for_the_first(tmp_path: Path) -> None:
    project(tmp_path)
    taken = threading.Event()

    def hold() -> None:
        with project_lock(tmp_path / CACHE, 0, "skillforge build"):
            taken.set()
            time.sleep(0.4)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait()
    result = run(tmp_path, "build", "--lock-timeout=30")
    thread.join()
    assert result.code == 0, result.err
    assert f"waiting for pid {os.getpid()} (skillforge build)" in result.err
    assert len(outputs(tmp_path)) == 3


def test_clean_takes_the_lock(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build", "-q").code == 0
    with project_lock(tmp_path / CACHE, 0, "skillforge build"):
        result = run(tmp_path, "clean", "--lock-timeout", "0")
    assert result.code == 1
    assert f"locked by pid {os.getpid()}" in result.err
    assert len(outputs(tmp_path)) == 3  # nothing removed
    assert run(tmp_path, "clean", "--cache").code == 0
    assert outputs(tmp_path) == {}
    assert not (tmp_path / CACHE).exists()


def test_no_op_and_dry_run_builds_do_not_wait(tmp_path: Path) -> None:
    """They write nothing; the manifest they read is replaced atomically."""
    project(tmp_path)
    assert run(tmp_path, "build", "-q").code == 0
    with project_lock(tmp_path / CACHE, 0, "skillforge build"):
        assert run(tmp_path, "build", "--lock-timeout", "0").code == 0
        assert run(tmp_path, "build", "--dry-run", "--force", "--lock-timeout", "0").code == 0


def test_a_build_that_waited_plans_again(tmp_path: Path) -> None:
    """The fast path read the manifest before the wait; another build replaced it since."""
    project(tmp_path)
    assert run(tmp_path, "build", "-q").code == 0
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Newer notes"))
    taken, release = threading.Event(), threading.Event()

    def other_build() -> None:
        with project_lock(tmp_path / CACHE, 0, "skillforge build"):
            taken.set()
            release.wait()
            # the other process builds the same edit while this one waits
            from skillforge.engine.build import run
            from skillforge.engine.load.config import load_config
            from skillforge.engine.options import BuildOptions
            from skillforge.engine.start import begin
            from skillforge.engine.workers import Pool
            from skillforge.report.plain import JsonReporter

            config = load_config(tmp_path / ".skillforge.toml")
            with open(os.devnull, "w") as sink:
                run(config, BuildOptions(), begin(config, False), Pool(), JsonReporter(sink))
            spec.write_text(spec.read_text().replace("Newer notes", "Newest notes"))

    thread = threading.Thread(target=other_build)
    thread.start()
    taken.wait()
    threading.Timer(0.3, release.set).start()
    result = run(tmp_path, "build", "--json")
    thread.join()
    assert result.code == 0, result.err
    report = result.report
    assert report["errors"] == []  # not "edited by hand": it saw the other build's manifest
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert "Newest notes" in (tmp_path / ".claude/skills/skill-0/SKILL.md").read_text()


def test_cache_folder_that_is_a_file_is_moved_aside(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / CACHE).write_text("not a folder")
    result = run(tmp_path, "build", "--json")
    assert result.code == 0, result.err
    [warning] = result.report["warnings"]
    assert "is not a folder; moved to .skillforge.corrupt-" in warning["message"]
    assert len(outputs(tmp_path)) == 3
    assert (tmp_path / CACHE / "manifest.bin").is_file()


def test_two_concurrent_build_processes(tmp_path: Path) -> None:
    """Two real processes on one project: one waits for the other; outputs are right."""
    reference, shared = tmp_path / "reference", tmp_path / "shared"
    for root in (reference, shared):
        project(root, skills=40, agents=10)
    assert run(reference, "build", "-q").code == 0
    command = [sys.executable, "-m", "skillforge", "build", "--json", "--jobs", "2"]
    procs = [
        subprocess.Popen(command, cwd=shared, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=60), p.stderr.read().decode()) for p in procs if p.stderr]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in results] == [0, 0], results
    assert outputs(shared) == outputs(reference)
    assert not list(shared.rglob("*.tmp"))
    assert run(shared, "build", "--json").report["outputs"]["written"] == 0
