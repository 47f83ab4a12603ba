"""`skillforge watch` against real file edits (DESIGN §6).

A watcher runs in a thread (or, for signals, a subprocess) with real watchfiles; each test
edits files and polls for the expected outputs and reports with a generous timeout. Nothing
here sleeps for a fixed time to decide an outcome.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import SKILL, build_file_tree, project

from skillforge.commands.watch import Watch
from skillforge.engine.options import BuildOptions
from skillforge.report.watch import JsonWatchReporter, WatchReporter

TIMEOUT = 20.0
SKILLS = ("skill-0", "skill-1")


def wait_for(what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


class Stream(io.StringIO):
    """A StringIO the watcher thread writes and the test reads."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()


class Watcher:
    """A watch loop on `root` in a thread, reporting JSON into a stream."""

    def __init__(
        self, root: Path, *paths: str, json_out: bool = True, lock_timeout: float = 60.0
    ) -> None:
        self.root = root
        self.out = Stream()
        self.stop = threading.Event()
        reporter: WatchReporter = (
            JsonWatchReporter(self.out) if json_out else WatchReporter(self.out)
        )
        self.ready = threading.Event()
        announce = reporter.watching

        def watching(folders: list[str]) -> None:
            announce(folders)
            self.ready.set()  # the loop announces once every watch is in place

        reporter.watching = watching  # type: ignore[method-assign]
        options = BuildOptions(json=json_out, paths=list(paths) or None, lock_timeout=lock_timeout)
        self.loop = Watch(root / ".skillforge.toml", options, reporter, stop=self.stop)
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.code = self.loop.run()

    def reports(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.text().splitlines() if line]

    def report_after(self, count: int, what: str) -> dict[str, Any]:
        """Wait for the report that follows the first `count` ones, and return it."""
        wait_for(what, lambda: len(self.reports()) > count)
        return self.reports()[count]

    def __enter__(self) -> Watcher:
        self.thread.start()
        self.report_after(0, "the initial build")
        # the folders the initial build found (bases, supporting files) are watched after it
        wait_for("the watches", self.ready.is_set)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=TIMEOUT)
        assert not self.thread.is_alive(), "the watch loop did not stop"
        assert self.code == 0


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watcher]:
    with Watcher(project(tmp_path, skills=2, agents=1)) as watcher:
        yield watcher


def skill(root: Path, name: str) -> Path:
    return root / f".claude/skills/{name}/SKILL.md"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_initial_build_writes_every_output(watched: Watcher) -> None:
    first = watched.reports()[0]
    assert first["ok"] is True
    assert first["changed"] == []
    assert first["outputs"]["written"] == 3
    assert skill(watched.root, "skill-1").is_file()


def test_spec_edit_rebuilds_that_spec_only(watched: Watcher) -> None:
    root = watched.root
    other = skill(root, "skill-0").stat().st_mtime_ns
    edit(root / "specs/skill-1.yaml", "Plain notes", "Edited notes")
    wait_for("the edit in SKILL.md", lambda: "Edited notes" in skill(root, "skill-1").read_text())
    report = watched.report_after(1, "the rebuild report")
    assert report["changed"] == ["specs/skill-1.yaml"]
    assert report["written"] == [".claude/skills/skill-1/SKILL.md"]
    assert report["specs"]["parsed"] == 1
    assert report["sections"] == {"rendered": 1, "cached": 2}
    assert skill(root, "skill-0").stat().st_mtime_ns == other


def test_a_rebuild_takes_the_project_lock(tmp_path: Path) -> None:
    from skillforge.state.lock import project_lock

    root = project(tmp_path, skills=2, agents=1)
    with Watcher(root, lock_timeout=0) as watcher:
        with project_lock(root / ".skillforge", 0, "skillforge build"):
            edit(root / "specs/skill-1.yaml", "Plain notes", "Locked notes")
            report = watcher.report_after(1, "the rebuild refused by the lock")
            assert report["ok"] is False
            (error,) = report["errors"]
            assert f"locked by pid {os.getpid()} (skillforge build)" in error["message"]
            assert "Locked notes" not in skill(root, "skill-1").read_text()
        edit(root / "specs/skill-1.yaml", "Locked notes", "Unlocked notes")
        wait_for(
            "the rebuild once the lock is free",
            lambda: "Unlocked notes" in skill(root, "skill-1").read_text(),
        )


STEPS = "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}"


def test_template_edit_rebuilds_its_dependents(tmp_path: Path) -> None:
    root = project(tmp_path, skills=2, agents=1, extra={"templates/sections/steps.md.j2": STEPS})
    with Watcher(root) as watcher:
        before = (root / ".claude/agents/agent-0.md").stat().st_mtime_ns
        (root / "templates/sections/steps.md.j2").write_text(STEPS.replace("- ", "1. "))

        def rebuilt() -> bool:
            return all("1. Read the input" in skill(root, n).read_text() for n in SKILLS)

        wait_for("both skills rebuilt", rebuilt)
        report = watcher.report_after(1, "the rebuild report")
        assert report["changed"] == ["templates/sections/steps.md.j2"]
        assert sorted(report["written"]) == [f".claude/skills/{n}/SKILL.md" for n in SKILLS]
        assert report["specs"]["parsed"] == 0  # the merged specs come from the warm state
        assert (root / ".claude/agents/agent-0.md").stat().st_mtime_ns == before


def test_trait_and_supporting_file_edits_rebuild_their_users(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        skills=1,
        agents=0,
        extra={
            "traits/tidy.yaml": "sections:\n  - {id: tidy, title: Tidy, body: Keep it tidy.}\n",
            "specs/user.yaml": (
                "kind: skill\nname: user\ndescription: Uses a trait and a file.\n"
                "traits: [tidy]\nfiles:\n  - {src: assets/forms.md, dest: references/forms.md}\n"
            ),
            "specs/assets/forms.md": "Form v1\n",
        },
    )
    with Watcher(root) as watcher:
        (root / "traits/tidy.yaml").write_text(
            "sections:\n  - {id: tidy, title: Tidy, body: Keep it very tidy.}\n"
        )
        wait_for("the trait edit", lambda: "very tidy" in skill(root, "user").read_text())
        report = watcher.report_after(1, "the trait rebuild")
        assert report["written"] == [".claude/skills/user/SKILL.md"]
        (root / "specs/assets/forms.md").write_text("Form v2\n")
        forms = root / ".claude/skills/user/references/forms.md"
        wait_for("the supporting file", lambda: forms.read_text() == "Form v2\n")


def test_a_base_spec_outside_the_spec_folder_is_watched(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        skills=1,
        agents=0,
        extra={
            "bases/python.yaml": (
                "kind: skill\nsections:\n  - {id: style, title: Style, body: Use black.}\n"
            ),
            "specs/py.yaml": (
                "extends: ../bases/python.yaml\nname: py\n"
                "description: Python things. Use when testing.\n"
            ),
        },
    )
    with Watcher(root) as watcher:
        assert "Use black." in skill(root, "py").read_text()
        edit(root / "bases/python.yaml", "Use black.", "Use ruff format.")
        wait_for("the base edit", lambda: "Use ruff format." in skill(root, "py").read_text())
        report = watcher.report_after(1, "the base rebuild")
        assert report["changed"] == ["bases/python.yaml"]
        assert report["written"] == [".claude/skills/py/SKILL.md"]


def test_a_touch_is_not_an_edit(watched: Watcher) -> None:
    root = watched.root
    before = skill(root, "skill-0").stat().st_mtime_ns
    os.utime(root / "specs/skill-0.yaml")
    report = watched.report_after(1, "the rebuild report")
    assert report["changed"] == ["specs/skill-0.yaml"]
    assert report["written"] == []
    assert report["specs"]["parsed"] == 0
    assert skill(root, "skill-0").stat().st_mtime_ns == before


def test_save_by_rename_counts_as_an_edit(watched: Watcher) -> None:
    root = watched.root
    spec = root / "specs/skill-0.yaml"
    temp = root / "specs/.skill-0.yaml.swp"
    temp.write_text(spec.read_text().replace("Plain notes", "Renamed notes"))
    os.replace(temp, spec)
    wait_for("the renamed save", lambda: "Renamed notes" in skill(root, "skill-0").read_text())
    report = watched.report_after(1, "the rebuild report")
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert report["changed"] == ["specs/skill-0.yaml"]


def test_new_spec_is_built_and_deleted_spec_removed(watched: Watcher) -> None:
    root = watched.root
    build_file_tree(root, {"specs/fresh.yaml": SKILL.format(name="fresh")})
    wait_for("the new spec's output", lambda: skill(root, "fresh").is_file())
    (root / "specs/skill-0.yaml").unlink()
    wait_for("the deleted spec's output to go", lambda: not skill(root, "skill-0").exists())
    wait_for("two rebuild reports", lambda: len(watched.reports()) >= 3)
    removed = [p for r in watched.reports() for p in r["removed"]]
    assert removed == [".claude/skills/skill-0/SKILL.md"]
    assert skill(root, "skill-1").is_file()


def test_hand_edited_output_of_deleted_spec_is_kept(watched: Watcher) -> None:
    root = watched.root
    skill(root, "skill-0").write_text("mine now\n")
    (root / "specs/skill-0.yaml").unlink()
    report = watched.report_after(1, "the rebuild report")
    assert report["removed"] == []
    assert any("edited by hand" in w["message"] for w in report["warnings"])
    assert skill(root, "skill-0").read_text() == "mine now\n"


def test_hand_edited_output_is_not_overwritten(watched: Watcher) -> None:
    root = watched.root
    skill(root, "skill-1").write_text("hand edit\n")
    edit(root / "specs/skill-1.yaml", "Plain notes", "Edited notes")
    report = watched.report_after(1, "the rebuild report")
    assert report["ok"] is False
    assert "edited by hand" in report["errors"][0]["message"]
    assert skill(root, "skill-1").read_text() == "hand edit\n"


def test_broken_spec_keeps_watching_and_recovers(watched: Watcher) -> None:
    root = watched.root
    spec = root / "specs/skill-1.yaml"
    good = spec.read_text()
    before = skill(root, "skill-1").read_text()
    spec.write_text(good.replace("name: skill-1", "name: skill-1\nnmae: typo"))
    broken = watched.report_after(1, "the failed rebuild")
    assert broken["ok"] is False
    assert broken["written"] == []
    error = broken["errors"][0]
    assert error["file"] == "specs/skill-1.yaml"
    assert error["line"] == 3
    assert "did you mean 'name'" in error["message"]
    assert skill(root, "skill-1").read_text() == before
    spec.write_text(good.replace("Plain notes", "Fixed notes"))
    wait_for("the fixed spec", lambda: "Fixed notes" in skill(root, "skill-1").read_text())
    fixed = watched.report_after(2, "the recovering rebuild")
    assert fixed["ok"] is True
    assert fixed["written"] == [".claude/skills/skill-1/SKILL.md"]


def test_template_errors_are_reported_then_fixed(watched: Watcher) -> None:
    root = watched.root
    spec = root / "specs/skill-0.yaml"
    good = spec.read_text()
    spec.write_text(good.replace("{{ spec.name }}", "{{ spec.nope }}"))
    undefined = watched.report_after(1, "the undefined-value rebuild")
    assert "undefined value" in undefined["errors"][0]["message"]
    spec.write_text(good.replace("{{ spec.name }}", "{{ spec.name "))
    syntax = watched.report_after(2, "the syntax-error rebuild")
    assert "template syntax error" in syntax["errors"][0]["message"]
    spec.write_text(good.replace("Plain notes", "Good again"))
    wait_for("the recovery", lambda: "Good again" in skill(root, "skill-0").read_text())


def test_config_change_reloads_the_project(watched: Watcher) -> None:
    root = watched.root
    config = root / ".skillforge.toml"
    config.write_text('out = "generated"\n[vars]\norg = "Acme"\n')
    wait_for("outputs in the new folder", lambda: (root / "generated/agents/agent-0.md").is_file())
    report = watched.report_after(1, "the reload report")
    assert report["changed"] == [".skillforge.toml"]
    assert report["outputs"]["written"] == 3


def test_bad_config_is_reported_and_a_fixed_one_reloads(watched: Watcher) -> None:
    root = watched.root
    config = root / ".skillforge.toml"
    config.write_text('specz = ["specs"]\n[vars]\norg = "Acme"\n')
    bad = watched.report_after(1, "the config error")
    assert bad["ok"] is False
    assert bad["errors"][0]["file"] == ".skillforge.toml"
    assert "did you mean 'specs'" in bad["errors"][0]["message"]
    config.write_text('[vars]\norg = "Acme Corp"\n')
    fixed = watched.report_after(2, "the reload after the fix")
    assert fixed["ok"] is True
    assert fixed["changed"] == [".skillforge.toml"]


def test_paths_limit_what_is_rebuilt(tmp_path: Path) -> None:
    root = project(tmp_path, skills=2, agents=1)
    with Watcher(root, str(root / "specs/agents")) as watcher:
        assert watcher.reports()[0]["outputs"]["written"] == 1
        assert not skill(root, "skill-0").exists()
        edit(root / "specs/agents/agent-0.yaml", "You review", "You check")
        wait_for(
            "the agent", lambda: "You check" in (root / ".claude/agents/agent-0.md").read_text()
        )


def test_a_build_run_meanwhile_is_not_forgotten(tmp_path: Path) -> None:
    root = project(tmp_path, skills=2, agents=1)
    with Watcher(root, str(root / "specs/agents")):
        build = subprocess.run(
            [sys.executable, "-m", "skillforge", "build", "-q"], cwd=root, check=False
        )
        assert build.returncode == 0
        assert skill(root, "skill-0").is_file()
        edit(root / "specs/agents/agent-0.yaml", "You review", "You check")
        agent = root / ".claude/agents/agent-0.md"
        wait_for("the agent", lambda: "You check" in agent.read_text())
    # the watcher's manifest must still know the skills that build wrote
    edit(root / "specs/skill-0.yaml", "Plain notes", "Later notes")
    after = subprocess.run(
        [sys.executable, "-m", "skillforge", "build", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert after.returncode == 0, after.stdout
    assert json.loads(after.stdout)["written"] == [".claude/skills/skill-0/SKILL.md"]


def test_outputs_and_cache_are_not_watched(watched: Watcher) -> None:
    root = watched.root
    (root / ".claude/notes.txt").write_text("not an input\n")
    (root / ".skillforge/other.txt").write_text("not an input\n")
    (root / "specs/README.md").write_text("not a spec\n")
    edit(root / "specs/skill-0.yaml", "Plain notes", "Marker notes")
    report = watched.report_after(1, "the rebuild report")
    assert report["changed"] == ["specs/skill-0.yaml"]
    assert len(watched.reports()) == 2


def test_plain_output_is_one_line_per_rebuild(tmp_path: Path) -> None:
    root = project(tmp_path, skills=1, agents=0)
    watcher = Watcher(root, json_out=False)
    watcher.thread.start()
    wait_for("the initial line", lambda: "watching" in watcher.out.text())
    edit(root / "specs/skill-0.yaml", "Plain notes", "Edited notes")
    wait_for("the rebuild line", lambda: "specs/skill-0.yaml: wrote" in watcher.out.text())
    watcher.__exit__()
    lines = watcher.out.text().splitlines()
    assert "initial build: wrote .claude/skills/skill-0/SKILL.md" in lines[0]
    assert lines[-2].endswith(" ms)")
    assert lines[-1] == "stopped watching"


def test_rich_line_names_the_change_and_the_outcome() -> None:
    from rich.console import Console

    from skillforge.errors import Problem
    from skillforge.report.plain import BuildReport
    from skillforge.report.watch import RichWatchReporter

    out, err = io.StringIO(), io.StringIO()
    reporter = RichWatchReporter(out=Console(file=out, width=40), err=Console(file=err, width=40))
    report = BuildReport()
    report.written = [f".claude/agents/a-{i}.md" for i in range(5)]
    report.duration_ms = 12.3
    rebuild = reporter.rebuild(["specs/a.yaml", "specs/b.yaml"])
    rebuild.problem(Problem("specs/c.yaml", 4, "name", "bad name"))
    rebuild.finish(report)
    line = out.getvalue()
    assert line.count("\n") == 1  # one line, however narrow the terminal
    assert "specs/a.yaml (+1 more): wrote 5 files (12 ms)" in line
    assert err.getvalue() == "error: specs/c.yaml:4: name: bad name\n"


def run_cli(root: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.Popen(
        [sys.executable, "-m", "skillforge", "watch", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_exit_0(tmp_path: Path, signum: int) -> None:
    root = project(tmp_path, skills=2, agents=1)
    proc = run_cli(root, "--json")
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["ok"] is True and first["outputs"]["written"] == 3
        edit(root / "specs/skill-0.yaml", "Plain notes", "Live notes")
        second = json.loads(proc.stdout.readline())
        assert second["written"] == [".claude/skills/skill-0/SKILL.md"]
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert not [p for p in root.rglob("*.tmp")]


def test_signal_during_a_long_render_stops_at_once_and_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, skills=1, agents=0)
    proc = run_cli(root, "--json")
    output = skill(root, "skill-0")
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["ok"] is True
        before = output.read_bytes()
        # a section that renders for minutes: the signal must abandon it
        slow = "{% for i in range(10**9) %}{% endfor %}Slow notes"
        edit(root / "specs/skill-0.yaml", "Plain notes without Jinja.", f"'{slow}'")
        time.sleep(0.5)  # let the rebuild start; the outcome is the same if it has not
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert output.read_bytes() == before
    assert not [p for p in root.rglob("*.tmp")]


def test_bad_config_at_start_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path, skills=1, agents=0)
    (root / ".skillforge.toml").write_text("nope = 1\n")
    proc = run_cli(root)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 2
    assert "unknown key 'nope'" in err
