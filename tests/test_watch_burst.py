"""`skillforge watch` starts a rebuild at the first save of a burst (DESIGN §6, issue 17).

A rebuild renders while its burst settles and writes once no change has come for the quiet
time (half of `--debounce`); a save meanwhile abandons it, before anything is written, and
the whole burst is rebuilt once. These tests run the real CLI with a long debounce, so that
every save of a burst falls well inside its quiet time, whenever the first rebuild reaches
its gate: the outcome (one report naming every save of the burst) is the same on any
machine. Nothing here sleeps to decide an outcome.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers import project

TIMEOUT = 20.0
DEBOUNCE = "1000"  # a quiet time of 500 ms: the saves of one burst are far closer together
STEPS_FILE = "templates/sections/steps.md.j2"
STEPS = "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}"


class Cli:
    """`skillforge watch --json` in a subprocess, its reports read by a thread."""

    def __init__(self, root: Path, *args: str) -> None:
        env = dict(os.environ, NO_COLOR="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "skillforge", "watch", "--json", *args],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.reports: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.reports.put(json.loads(line))
        self.reports.put(None)

    def report(self) -> dict[str, Any]:
        report = self.reports.get(timeout=TIMEOUT)
        assert report is not None, "the watcher exited"
        return report

    def no_report_yet(self) -> bool:
        return self.reports.empty()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(2)
        try:
            _, err = self.proc.communicate(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return err


@contextmanager
def watching(root: Path, *args: str) -> Iterator[Cli]:
    cli = Cli(root, "--debounce", DEBOUNCE, *args)
    try:
        first = cli.report()
        assert first["ok"] is True and first["changed"] == []
        yield cli
    finally:
        err = cli.stop()
    assert cli.proc.returncode == 0, err
    assert "Traceback" not in err
    assert not [p for p in root.rglob("*.tmp")]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def settle_start() -> None:
    """Give the first save's rebuild time to start rendering (the outcome is the same if it
    has not: the second save then joins the first one's batch)."""
    time.sleep(0.1)


def output(root: Path, name: str) -> str:
    return (root / f".claude/skills/{name}/SKILL.md").read_text()


def test_saves_during_a_rebuild_join_its_burst(tmp_path: Path) -> None:
    root = project(tmp_path, skills=3, agents=0)
    with watching(root) as cli:
        edit(root / "specs/skill-0.yaml", "Plain notes", "First notes")
        settle_start()
        edit(root / "specs/skill-1.yaml", "Plain notes", "Second notes")
        report = cli.report()
        assert report["ok"] is True
        assert report["changed"] == ["specs/skill-0.yaml", "specs/skill-1.yaml"]
        # the first save is in the rebuild that replaced the one it started
        assert report["written"] == [
            ".claude/skills/skill-0/SKILL.md",
            ".claude/skills/skill-1/SKILL.md",
        ]
        assert report["specs"]["parsed"] == 2
        assert "First notes" in output(root, "skill-0")
        assert "Second notes" in output(root, "skill-1")
        assert "Plain notes" in output(root, "skill-2")

        # the same file saved twice: written once, with the last save (and no report of
        # an abandoned rebuild comes later: the next one is the next burst's)
        spec = root / "specs/skill-2.yaml"
        edit(spec, "Plain notes", "Draft notes")
        settle_start()
        edit(spec, "Draft notes", "Final notes")
        report = cli.report()
        assert report["changed"] == ["specs/skill-2.yaml"]
        assert report["written"] == [".claude/skills/skill-2/SKILL.md"]
        text = output(root, "skill-2")
        assert "Final notes" in text and "Draft notes" not in text

        # a new spec (the inventory is re-scanned), then an edit of another
        new = (root / "specs/skill-0.yaml").read_text().replace("skill-0", "skill-9")
        (root / "specs/skill-9.yaml").write_text(new)
        settle_start()
        edit(root / "specs/skill-0.yaml", "First notes", "Edited notes")
        report = cli.report()
        assert report["ok"] is True
        assert report["changed"] == ["specs/skill-0.yaml", "specs/skill-9.yaml"]
        assert report["written"] == [
            ".claude/skills/skill-0/SKILL.md",
            ".claude/skills/skill-9/SKILL.md",
        ]
        assert "Edited notes" in output(root, "skill-0")
        assert "skill-9" in output(root, "skill-9")


def test_a_template_edit_then_a_spec_edit_rebuild_both_users(tmp_path: Path) -> None:
    # the first rebuild found the template's users by its name: the second must too
    root = project(tmp_path, skills=2, agents=1, extra={"templates/sections/steps.md.j2": STEPS})
    with watching(root) as cli:
        (root / "templates/sections/steps.md.j2").write_text(STEPS.replace("- ", "1. "))
        settle_start()
        edit(root / "specs/agents/agent-0.yaml", "sonnet", "opus")
        report = cli.report()
        assert report["ok"] is True
        assert report["changed"] == [
            "specs/agents/agent-0.yaml",
            "templates/sections/steps.md.j2",
        ]
        assert sorted(report["written"]) == [
            ".claude/agents/agent-0.md",
            ".claude/skills/skill-0/SKILL.md",
            ".claude/skills/skill-1/SKILL.md",
        ]
        assert all("1. Read the input" in output(root, n) for n in ("skill-0", "skill-1"))
        assert "model: opus" in (root / ".claude/agents/agent-0.md").read_text()


def test_a_burst_that_goes_on_is_written_after_the_longest_hold(tmp_path: Path) -> None:
    # saves far closer together than the quiet time, for longer than MAX_BURST_MS (1.6 s):
    # the watch writes what it has rather than wait for the saves to stop
    root = project(tmp_path, skills=1, agents=0)
    spec = root / "specs/skill-0.yaml"
    with watching(root) as cli:
        deadline = time.monotonic() + TIMEOUT
        n = 0
        while cli.no_report_yet():
            assert time.monotonic() < deadline, "no rebuild while the saves went on"
            edit(spec, f"Plain notes {n}" if n else "Plain notes", f"Plain notes {n + 1}")
            n += 1
            time.sleep(0.05)
        report = cli.report()
        assert report["ok"] is True
        assert report["written"] == [".claude/skills/skill-0/SKILL.md"]


def test_a_template_deleted_then_a_spec_edited_rebuilds_every_user(tmp_path: Path) -> None:
    # the abandoned rebuild saw the project's template go (its name now resolves to the
    # bundled one); the rebuild that replaces it must still rebuild every spec that used it
    root = project(
        tmp_path / "watched", skills=2, agents=0, extra={STEPS_FILE: STEPS.replace("- ", "* ")}
    )
    with watching(root) as cli:
        (root / STEPS_FILE).unlink()
        settle_start()
        edit(root / "specs/skill-1.yaml", "Plain notes", "Edited notes")
        report = cli.report()
        assert report["ok"] is True
        assert report["written"] == [
            ".claude/skills/skill-0/SKILL.md",
            ".claude/skills/skill-1/SKILL.md",
        ]
    # every output is what a clean build of the same sources writes
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns(".claude", ".skillforge"))
    build = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "-q"],
        cwd=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    for name in ("skill-0", "skill-1"):
        assert output(root, name) == output(clean, name)
        assert "* Read the input" not in output(root, name)


def test_a_fresh_rebuild_abandoned_for_a_newer_save_reads_the_project_again(
    tmp_path: Path,
) -> None:
    # a rebuild refused by the lock drops the warm state: the next one reads the project
    # afresh, and when a save abandons it, the one that replaces it reads it afresh again
    from skillforge.state.lock import project_lock

    root = project(tmp_path, skills=3, agents=0)
    with watching(root, "--lock-timeout", "0") as cli:
        with project_lock(root / ".skillforge", TIMEOUT, "skillforge build"):
            edit(root / "specs/skill-0.yaml", "Plain notes", "Locked notes")
            refused = cli.report()
            assert refused["ok"] is False
            assert "locked by pid" in refused["errors"][0]["message"]
        edit(root / "specs/skill-1.yaml", "Plain notes", "First notes")
        settle_start()
        edit(root / "specs/skill-2.yaml", "Plain notes", "Second notes")
        report = cli.report()
        assert report["ok"] is True
        assert report["changed"] == ["specs/skill-1.yaml", "specs/skill-2.yaml"]
        # the fresh read finds the edit the refused rebuild never wrote, too
        assert report["written"] == [
            ".claude/skills/skill-0/SKILL.md",
            ".claude/skills/skill-1/SKILL.md",
            ".claude/skills/skill-2/SKILL.md",
        ]
        assert "Locked notes" in output(root, "skill-0")
        assert "First notes" in output(root, "skill-1")
        assert "Second notes" in output(root, "skill-2")
