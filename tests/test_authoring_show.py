"""`skillforge show SPEC`: the rendered documents, or the merged spec, writing nothing."""

from __future__ import annotations

from pathlib import Path

from helpers import project, run
from test_authoring_schema import snapshot

BASE = "vars: {lang: python}\nmodel: opus\n"
TRAIT = "sections:\n  - {id: safety, title: Safety, body: Never delete files.}\n"


def test_show_prints_exactly_what_build_writes(tmp_path: Path) -> None:
    project(tmp_path)
    run(tmp_path, "build")
    before = snapshot(tmp_path)
    for spec, output in (
        ("skill-0", ".claude/skills/skill-0/SKILL.md"),
        ("specs/agents/agent-0.yaml", ".claude/agents/agent-0.md"),
    ):
        result = run(tmp_path, "show", spec)
        assert result.code == 0, result.err
        assert result.out == (tmp_path / output).read_text(encoding="utf-8")
    assert snapshot(tmp_path) == before


def test_show_before_any_build_creates_no_cache_folder(tmp_path: Path) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)
    result = run(tmp_path, "show", "skill-1", "--target", "claude")
    assert result.code == 0, result.err
    assert result.out.startswith("---\n")
    assert "name: skill-1" in result.out and "## Steps" in result.out
    assert snapshot(tmp_path) == before
    assert not (tmp_path / ".skillforge").exists()
    run(tmp_path, "build")
    assert (tmp_path / ".claude/skills/skill-1/SKILL.md").read_text() == result.out


def test_show_merged_names_where_each_field_came_from(tmp_path: Path) -> None:
    project(
        tmp_path,
        skills=0,
        agents=0,
        extra={
            "specs/_bases/py.yaml": BASE,
            "traits/safe.yaml": TRAIT,
            "specs/tool.yaml": (
                "kind: agent\nname: tool\nextends: _bases/py.yaml\ntraits: [safe]\n"
                "description: Uses {{ vars.lang }}.\nsections:\n  - {id: role, body: You help.}\n"
            ),
        },
    )
    before = snapshot(tmp_path)
    result = run(tmp_path, "show", "tool", "--merged")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "# specs/tool.yaml merged (extends and traits applied)"
    assert lines[lines.index("model: opus") - 1] == "# from specs/_bases/py.yaml:2"
    assert lines[lines.index("name: tool") - 1] == "# from specs/tool.yaml:2"
    assert lines[lines.index("  - id: safety") - 1] == "  # from traits/safe.yaml:2"
    assert "description: Uses {{ vars.lang }}." in lines  # merged, not rendered
    assert snapshot(tmp_path) == before


def test_show_a_failing_spec_exits_1_with_the_line_and_where_to_read_more(tmp_path: Path) -> None:
    project(
        tmp_path,
        skills=0,
        agents=0,
        extra={
            "specs/bad.yaml": (
                "kind: skill\nname: bad\ndescription: d\nsections:\n"
                "  - id: s\n    template: sections/steps.md.j2\n    with: {stepz: [a]}\n"
            )
        },
    )
    result = run(tmp_path, "show", "bad")
    assert result.code == 1
    assert result.out == ""
    assert (
        "error: specs/bad.yaml:7: with.stepz: unknown key 'stepz' for sections/steps.md.j2"
        in result.err
    )
    assert "  7 |     with: {stepz: [a]}" in result.err
    assert "= more: `skillforge templates` lists the built-in templates" in result.err
    assert not (tmp_path / ".skillforge").exists()


def test_show_usage_errors(tmp_path: Path) -> None:
    project(tmp_path)
    missing = run(tmp_path, "show", "skill-9")
    assert missing.code == 2
    assert "skill-9: no such spec (did you mean 'skill-1'?)" in missing.err
    target = run(tmp_path, "show", "skill-0", "--target", "codx")
    assert target.code == 2 and "--target codx: not a target of this project" in target.err


def test_the_first_build_error_says_where_to_read_more(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/x.yaml": "kind: skill\nname: x\ndescription: d\ntags: [a]\n"})
    (tmp_path / "specs/y.yaml").write_text("kind: skill\nname: y\ndescription: d\ntagz: [a]\n")
    result = run(tmp_path, "build")
    assert result.code == 1
    more = [line for line in result.err.splitlines() if "= more:" in line]
    assert more == [
        "  = more: `skillforge show specs/x.yaml --merged` shows the spec after extends and "
        "traits, with where each field came from; `skillforge schema` is the spec format"
    ]


def test_show_renders_when_the_output_on_disk_was_edited(tmp_path: Path) -> None:
    project(tmp_path)
    run(tmp_path, "build")
    output = tmp_path / ".claude/skills/skill-0/SKILL.md"
    fresh = output.read_text()
    output.write_text(fresh.replace("Read the input", "Read nothing"))
    result = run(tmp_path, "show", "skill-0")
    assert result.code == 0
    assert result.out == fresh  # the render, never the hand-edited file
    assert "Read nothing" in output.read_text()  # and the edit is left alone


def test_the_first_check_error_says_where_to_read_more(tmp_path: Path) -> None:
    project(
        tmp_path,
        extra={
            "specs/z.yaml": (
                "kind: skill\nname: z\ndescription: d\nsections:\n"
                "  - {id: s, template: sections/steps.md.j2, with: {stepz: [a]}}\n"
            )
        },
    )
    result = run(tmp_path, "check")
    assert result.code == 1
    more = [line for line in (result.out + result.err).splitlines() if "= more:" in line]
    assert len(more) == 1 and "`skillforge templates`" in more[0]
