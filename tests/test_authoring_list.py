"""`skillforge list`: every spec with kind, outputs, sizes and state, from the last build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import project, run
from test_authoring_schema import snapshot


def rows(root: Path) -> dict[str, dict[str, object]]:
    result = run(root, "list", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["total"] == len(data["specs"])
    return {row["spec"]: row for row in data["specs"]}


def test_before_any_build_every_spec_is_not_built(tmp_path: Path) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)
    found = rows(tmp_path)
    assert set(found) == {"specs/skill-0.yaml", "specs/skill-1.yaml", "specs/agents/agent-0.yaml"}
    assert {row["state"] for row in found.values()} == {"not built"}
    assert snapshot(tmp_path) == before  # no cache folder, no manifest made


def test_after_a_build_list_shows_kinds_outputs_and_costs(tmp_path: Path) -> None:
    project(tmp_path)
    build = run(tmp_path, "build", "--json").report
    found = rows(tmp_path)
    skill = found["specs/skill-0.yaml"]
    assert skill["kind"] == "skill" and skill["name"] == "skill-0"
    assert skill["outputs"] == [".claude/skills/skill-0/SKILL.md"]
    assert skill["targets"] == ["claude"]
    assert skill["state"] == "up to date"
    description = "Does skill-0 things. Use when the user asks for skill-0."
    assert skill["description_chars"] == len(description)
    assert isinstance(skill["metadata_tokens"], int) and skill["metadata_tokens"] > 0
    assert isinstance(skill["body_tokens"], int) and skill["body_tokens"] > 0
    agent = found["specs/agents/agent-0.yaml"]
    assert agent["kind"] == "agent" and agent["outputs"] == [".claude/agents/agent-0.md"]
    stats = {o["path"]: o for o in json.loads(run(tmp_path, "stats", "--json").out)["outputs"]}
    assert stats[".claude/skills/skill-0/SKILL.md"]["body_tokens"] == skill["body_tokens"]
    assert build["ok"]


def test_states_stale_failing_and_new(tmp_path: Path) -> None:
    project(tmp_path)
    run(tmp_path, "build")
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text() + "# a comment\n")
    os.utime(spec, ns=(spec.stat().st_mtime_ns + 10**9,) * 2)
    (tmp_path / ".claude/agents/agent-0.md").write_text("edited by hand\n")
    (tmp_path / "specs/skill-9.yaml").write_text("kind: skill\nname: skill-9\ndescription: d\n")
    found = rows(tmp_path)
    assert found["specs/skill-0.yaml"]["state"] == "stale"
    assert found["specs/skill-0.yaml"]["reasons"] == ["spec changed"]
    assert found["specs/agents/agent-0.yaml"]["state"] == "stale"
    assert found["specs/skill-1.yaml"]["state"] == "up to date"
    assert found["specs/skill-9.yaml"]["state"] == "not built"
    (tmp_path / "specs/skill-1.yaml").write_text("kind: skill\nname: skill-1\n")
    assert run(tmp_path, "build").code == 1
    found = rows(tmp_path)
    assert found["specs/skill-1.yaml"]["state"] == "failing"


def test_list_plain_text_and_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    run(tmp_path, "build")
    before = snapshot(tmp_path)
    result = run(tmp_path, "list")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["spec", "kind", "state", "desc", "meta", "body", "outputs"]
    line = next(line for line in lines if line.startswith("specs/skill-0.yaml"))
    assert "skill" in line and "up to date" in line and ".claude/skills/skill-0/SKILL.md" in line
    assert lines[-1].startswith("3 specs: 3 up to date;")
    assert snapshot(tmp_path) == before


def test_list_through_the_real_cli_in_a_pipe(tmp_path: Path) -> None:
    project(tmp_path)
    run(tmp_path, "build")
    done = subprocess.run(
        [sys.executable, "-m", "skillforge", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "specs/agents/agent-0.yaml" in done.stdout and "up to date" in done.stdout
    assert "\x1b[" not in done.stdout  # plain text when piped


def test_list_outside_a_project_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path, "list")
    assert result.code == 2 and "skillforge init" in result.err


def test_the_light_copies_list_keeps_agree_with_their_sources() -> None:
    from skillforge.commands import list_
    from skillforge.engine.costs import OutputCost
    from skillforge.targets import DEFAULT, TARGETS

    assert list_.DEFAULT_TARGETS == DEFAULT
    assert {name: tuple(t.kinds) for name, t in TARGETS.items()} == list_.TARGET_KINDS
    raw = OutputCost("p", "s.yaml", "skill", "n", 1, 2, 3, 4, 5).to_raw()
    assert raw[list_.COST_SPEC] == "s.yaml"
    assert raw[list_.COST_KIND] == "skill"
    assert raw[list_.COST_NAME] == "n"
    assert raw[list_.COST_META] == 1
    assert raw[list_.COST_BODY] == 2
    assert raw[list_.COST_DESC] == 5


def test_the_terminal_table(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from skillforge.commands.list_ import gather
    from skillforge.engine.load.config import load_config
    from skillforge.report.listing_terminal import print_table

    project(tmp_path)
    run(tmp_path, "build")
    (tmp_path / "specs/new-one.yaml").write_text("kind: skill\nname: new-one\ndescription: d\n")
    out = io.StringIO()
    print_table(gather(load_config(tmp_path / ".skillforge.toml")), Console(file=out, width=200))
    text = out.getvalue()
    assert "specs/skill-0.yaml" in text and "up to date" in text and "not built" in text
    assert "4 specs: 1 not built, 3 up to date" in text


def test_list_names_the_targets_that_build_each_kind(tmp_path: Path) -> None:
    """The config's targets (list or tables), less those that do not write the spec's kind."""
    for config in (
        'targets = ["claude", "agents", "cursor"]\n',
        '[targets.claude]\nout = ".claude"\n[targets.agents]\n[targets.cursor]\n',
    ):
        project(tmp_path, extra={".skillforge.toml": config})
        assert run(tmp_path, "build").code == 0
        for quick in (True, False):  # served from the manifest, or after loading the config
            if not quick:
                (tmp_path / ".skillforge.toml").write_text(config + "\n")
            found = rows(tmp_path)
            assert found["specs/skill-0.yaml"]["targets"] == ["claude", "agents", "cursor"]
            assert found["specs/agents/agent-0.yaml"]["targets"] == ["claude", "cursor"]
