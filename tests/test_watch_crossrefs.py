"""The indexes `skillforge watch` keeps warm give the answers of the walks over every record
they replace (issue 17).

The rules between specs (`state/owners.py`, the recorded outputs): the same edits run twice
against two copies of one project, once with the index and once with the walk, each in a real
watch loop with real watchfiles; every report must be the same. The specs a change affects
(`WarmState.affected`, the recorded dependencies): after edits that change the records, every
change is looked up in the index and by the walk.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import project
from test_watch import Watcher, edit, wait_for

from skillforge.engine.load.config import Config
from skillforge.engine.warm import WarmState
from skillforge.state.plan import ALL_TEMPLATES

TOOLS = "tools: [Read, Grep]"


class WalkingWatcher(Watcher):
    """A watch loop whose warm state has no index: every rebuild walks the records."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        make = self.loop._new_session

        def new_session(config: Config) -> WarmState:
            session = make(config)
            session.owners = None
            return session

        self.loop._new_session = new_session  # type: ignore[method-assign]


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("duration_ms", "timings")}


def run_edits(root: Path, watcher: Watcher) -> list[dict[str, Any]]:
    """Edits that make two specs share an output or a name, then undo them; the reports."""
    agent0 = root / "specs/agents/agent-0.yaml"
    agent1 = root / "specs/agents/agent-1.yaml"
    steps: list[tuple[str, Any]] = [
        # skill-1 now writes skill-0's output: both fail, skill-0 judged by its record
        (
            "skill-1 takes skill-0's name",
            lambda: edit(root / "specs/skill-1.yaml", "name: skill-1", "name: skill-0"),
        ),
        (
            "skill-1 gets its name back",
            lambda: edit(root / "specs/skill-1.yaml", "name: skill-0", "name: skill-1"),
        ),
        # Claude Code keeps one agent per name
        ("agent-1 takes agent-0's name", lambda: edit(agent1, "name: agent-1", "name: agent-0")),
        ("agent-1 gets its name back", lambda: edit(agent1, "name: agent-0", "name: agent-1")),
        # references: one known (a recorded skill), one not
        (
            "agent-0 names skills",
            lambda: edit(agent0, TOOLS, f"{TOOLS}\nskills: [skill-2, skill-9]"),
        ),
        ("a spec goes", lambda: (root / "specs/skill-2.yaml").unlink()),
        (
            "an edit after it",
            lambda: edit(root / "specs/skill-0.yaml", "Plain notes", "Edited notes"),
        ),
    ]
    reports = []
    for i, (what, step) in enumerate(steps, start=1):
        step()
        reports.append(comparable(watcher.report_after(i, what)))
    return reports


def test_the_index_answers_as_the_walk(tmp_path: Path) -> None:
    first = project(tmp_path / "indexed", skills=3, agents=2)
    second = tmp_path / "walked"
    shutil.copytree(first, second)
    with Watcher(first) as watcher:
        indexed = run_edits(first, watcher)
        session = watcher.loop.session
        assert session is not None and session.owners is not None
        assert session.owners.outputs  # the rebuilds used it
    with WalkingWatcher(second) as watcher:
        walked = run_edits(second, watcher)
    assert indexed == walked
    # what the steps were to show: the rules did find each case
    assert [r["ok"] for r in indexed] == [False, True, False, True, True, True, True]
    produced = {e["file"]: e["message"] for e in indexed[0]["errors"]}
    assert sorted(produced) == ["specs/skill-0.yaml", "specs/skill-1.yaml"]
    assert "also produced by specs/skill-1.yaml" in produced["specs/skill-0.yaml"]
    used = [e["message"] for e in indexed[2]["errors"] if e["file"].endswith("agent-0.yaml")]
    assert used and all("specs/agents/agent-1.yaml" in m for m in used)
    (warning,) = indexed[4]["warnings"]  # skill-2 is known from its record
    assert warning["message"].startswith("no skill named 'skill-9'")
    wait_for(
        "the edit",
        lambda: "Edited notes" in (first / ".claude/skills/skill-0/SKILL.md").read_text(),
    )


def walked_affected(session: WarmState) -> set[str]:
    """`WarmState.affected` the way it was before its index: every record looked at."""
    deps = set(session._names)
    for file_id in session._touched:
        deps.update((f"f:{file_id}", f"s:{file_id}"))
    if any(d.startswith("T:") for d in deps):
        deps.add(ALL_TEMPLATES)
    found = set(session._touched)
    assert session.manifest is not None
    for spec_id, record in session.manifest.specs.items():
        if not deps.isdisjoint(record.deps):
            found.add(spec_id)
    return found


def test_the_readers_index_finds_what_the_walk_finds(tmp_path: Path) -> None:
    steps_file = "templates/sections/steps.md.j2"
    root = project(
        tmp_path,
        skills=3,
        agents=2,
        extra={
            steps_file: "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}",
            "traits/careful.yaml": "sections:\n  - id: care\n    body: Be careful.\n",
            "bases/python.yaml": "kind: skill\nsections:\n  - {id: style, body: Use black.}\n",
            "specs/py.yaml": "extends: ../bases/python.yaml\nname: py\ndescription: Python.\n",
            "specs/assets/forms.md": "Form v1\n",
        },
    )
    with Watcher(root) as watcher:
        session = watcher.loop.session
        assert session is not None
        # records change between rebuilds: a spec takes a trait, another goes, one comes
        edit(root / "specs/skill-1.yaml", "kind: skill", "kind: skill\ntraits: [careful]")
        watcher.report_after(1, "the trait taken")
        (root / "specs/skill-2.yaml").unlink()
        watcher.report_after(2, "the spec gone")
        text = (root / "specs/skill-0.yaml").read_text().replace("skill-0", "skill-7")
        (root / "specs/skill-7.yaml").write_text(text)
        watcher.report_after(3, "the spec added")
        files = "files:\n  - {src: assets/forms.md, dest: references/forms.md}\n"
        edit(root / "specs/skill-0.yaml", "kind: skill", f"kind: skill\n{files}")
        watcher.report_after(4, "a supporting file read")
        assert session.manifest is not None and "specs/skill-7.yaml" in session.manifest.specs
        names = {d for r in session.manifest.specs.values() for d in r.deps if d[1] == ":"}
        cases: list[tuple[set[str], set[str]]] = [
            ({f}, set()) for f in [*session.inventory.files, "specs/gone.yaml"]
        ]
        cases += [(set(), {n}) for n in names if n[0] in "tT"]
        cases += [(set(session.inventory.files), set()), (set(), set())]
        for touched, moved in cases:
            session._touched, session._names = touched, moved
            assert session.affected() == walked_affected(session), (touched, moved)
        assert session.affected() == set()  # (the last case: nothing changed)
        # the files the records read by name, for the watch filter
        records = session.manifest.specs.values()
        read = {d[2:] for r in records for d in r.deps if d[:2] in ("s:", "f:")}
        assert session.files_read() == read
        assert {"bases/python.yaml", "specs/assets/forms.md"} <= read


def test_a_base_a_spec_starts_extending_is_watched(tmp_path: Path) -> None:
    # the watch filter (and the folders watched) learn it from the recorded dependencies
    base = "kind: skill\nsections:\n  - {id: style, title: Style, body: Use black.}\n"
    root = project(tmp_path, skills=1, agents=0, extra={"bases/python.yaml": base})
    spec = "extends: ../bases/python.yaml\nname: py\ndescription: Python things.\n"
    with Watcher(root) as watcher:
        (root / "specs/py.yaml").write_text(spec)
        report = watcher.report_after(1, "the new spec")
        assert report["ok"] is True, report["errors"]
        output = root / ".claude/skills/py/SKILL.md"
        assert "Use black." in output.read_text()
        # the new watch of bases/ is in place a moment after the report: save until seen
        deadline = time.monotonic() + 20
        for n in range(1000):
            (root / "bases/python.yaml").write_text(base.replace("black", f"ruff {n}"))
            if wait_until(lambda n=n: f"Use ruff {n}." in output.read_text(), 1.0):
                break
            assert time.monotonic() < deadline, "the edits of the base were not seen"
        wait_for("its report", lambda: watcher.reports()[-1]["changed"] == ["bases/python.yaml"])
