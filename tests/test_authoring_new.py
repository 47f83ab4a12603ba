"""`skillforge new skill|agent|command NAME`: a spec from a starter that builds at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_file_tree, project, run

from skillforge.engine.load.schema import KINDS

MODELINE = "# yaml-language-server: $schema=../schemas/spec.schema.json\n"


def test_new_skill_writes_the_spec_and_builds_it(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    result = run(tmp_path, "new", "skill", "pdf-tools")
    assert result.code == 0, result.err
    spec = tmp_path / "specs/pdf-tools.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.startswith(MODELINE)
    assert "name: pdf-tools\n" in text and "${name}" not in text
    assert (tmp_path / "schemas/spec.schema.json").is_file()
    skill = (tmp_path / ".claude/skills/pdf-tools/SKILL.md").read_text(encoding="utf-8")
    assert "name: pdf-tools" in skill
    assert "created specs/pdf-tools.yaml (from the built-in starter)" in result.out
    assert "wrote .claude/skills/pdf-tools/SKILL.md" in result.out
    assert "built: 1 spec, 1 written" in result.out
    # only the new spec was built; the next build has nothing to do
    again = run(tmp_path, "build", "--json").report
    assert again["outputs"]["written"] == 0


def test_new_agent_with_a_base_and_traits(tmp_path: Path) -> None:
    project(
        tmp_path,
        extra={
            "traits/careful.yaml": "sections:\n  - {id: careful, body: Be careful.}\n",
            "traits/brief.yaml": "sections:\n  - {id: brief, body: Be brief.}\n",
            "specs/_bases/reviewer.yaml": "model: opus\n",
        },
    )
    result = run(
        tmp_path,
        "new",
        "agent",
        "doc-reviewer",
        "--extends",
        "_bases/reviewer.yaml",
        "--traits",
        "careful, brief",
    )
    assert result.code == 0, result.err
    text = (tmp_path / "specs/doc-reviewer.yaml").read_text(encoding="utf-8")
    assert "traits: [careful, brief]\n" in text
    assert "extends: _bases/reviewer.yaml\n" in text
    agent = (tmp_path / ".claude/agents/doc-reviewer.md").read_text(encoding="utf-8")
    assert "Be careful." in agent and "Be brief." in agent
    assert "model: sonnet" in agent  # the starter's own model wins over the base's


def test_new_uses_the_projects_starter(tmp_path: Path) -> None:
    project(
        tmp_path,
        extra={
            "specs/_starters/skill.yaml": (
                "kind: skill\nname: ${name}\ndescription: Our house style for ${name}; costs $$0.\n"
                "sections:\n  - {id: body, body: House rules.}\n"
            )
        },
    )
    result = run(tmp_path, "new", "skill", "house")
    assert result.code == 0, result.err
    assert "(from specs/_starters/skill.yaml)" in result.out
    text = (tmp_path / "specs/house.yaml").read_text(encoding="utf-8")
    assert "description: Our house style for house; costs $0." in text
    assert "House rules." in (tmp_path / ".claude/skills/house/SKILL.md").read_text()


@pytest.mark.parametrize("name", ["Bad_Name", "-lead", "two--hyphens", "a" * 65, ""])
def test_a_bad_name_exits_2_and_writes_nothing(tmp_path: Path, name: str) -> None:
    project(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run(tmp_path, "new", "skill", "--", name)
    assert result.code == 2
    assert "error: new: the name" in result.err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_new_never_overwrites(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/nested/dup.yaml": "kind: skill\nname: dup\ndescription: d\n"})
    original = (tmp_path / "specs/skill-0.yaml").read_bytes()
    result = run(tmp_path, "new", "skill", "skill-0")
    assert result.code == 2
    assert "specs/skill-0.yaml: already exists; new never overwrites" in result.err
    assert (tmp_path / "specs/skill-0.yaml").read_bytes() == original
    nested = run(tmp_path, "new", "agent", "dup")
    assert nested.code == 2
    assert "specs/nested/dup.yaml: a spec called dup already exists" in nested.err
    assert not (tmp_path / "specs/dup.yaml").exists()


def test_unknown_kind_trait_or_base_exit_2(tmp_path: Path) -> None:
    project(tmp_path, extra={"traits/safety.yaml": "vars: {safe: true}\n"})
    kind = run(tmp_path, "new", "widget", "x")
    assert kind.code == 2 and "kind must be one of skill, agent, command" in kind.err
    trait = run(tmp_path, "new", "skill", "x", "--traits", "safty")
    assert trait.code == 2 and "no trait 'safty' (did you mean 'safety'?)" in trait.err
    base = run(tmp_path, "new", "skill", "x", "--extends", "_bases/none.yaml")
    assert base.code == 2 and "--extends _bases/none.yaml: no such file" in base.err
    assert not (tmp_path / "specs/x.yaml").exists()


def test_new_command_writes_a_command_spec(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "new", "command", "fix-issue")
    text = (tmp_path / "specs/fix-issue.yaml").read_text(encoding="utf-8")
    assert text.startswith(MODELINE)
    assert "kind: command\n" in text and "name: fix-issue\n" in text
    assert "$ARGUMENTS" in text
    if "command" in KINDS:  # built once the validator knows commands
        assert result.code == 0, result.err
    else:
        assert result.code == 0
        assert "not built: this version of skillforge builds skill and agent specs" in result.out


def test_new_in_a_nested_spec_folder_points_at_the_schema(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": 'specs = ["agents/specs"]\n'})
    (tmp_path / "agents/specs").mkdir(parents=True)
    result = run(tmp_path, "new", "skill", "deep")
    assert result.code == 0, result.err
    text = (tmp_path / "agents/specs/deep.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/spec.schema.json\n")


def test_new_outside_a_project_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path, "new", "skill", "x")
    assert result.code == 2
    assert "skillforge init" in result.err
    assert list(tmp_path.iterdir()) == []
