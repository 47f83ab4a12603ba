"""Jinja in string fields (DESIGN §3): rendered with the spec's context, cached by reach."""

from __future__ import annotations

from pathlib import Path

import yaml
from helpers import build_file_tree, build_json, run

OUT = ".claude/skills/deploy/SKILL.md"
SPEC = "specs/deploy.yaml"
DEPLOY = """
kind: skill
name: deploy
description: Deploy {{ project.team }} services to {{ vars.env }}.
when_to_use: When {{ vars.env }} needs a release.
allowed-tools: [Read, "Bash({{ vars.test_command }}:*)"]
metadata:
  owner: "{{ project.team }}"
frontmatter:
  x-env: "{{ vars.env | upper }}"
vars:
  env: staging
  test_command: make test
  unrelated: one
sections:
  - id: deploying
    title: Deploying to {{ vars.env }}
    body: Ship it.
  - id: steps
    template: sections/steps.md.j2
    with: {steps: ["git diff {{ project.branch }}...HEAD", Tag the release]}
"""
CONFIG = '[vars]\nteam = "Platform"\nbranch = "main"\n'


def deploy(root: Path, spec: str = DEPLOY, extra: dict[str, str] | None = None) -> Path:
    build_file_tree(root, {".skillforge.toml": CONFIG, SPEC: spec, **(extra or {})})
    return root


def frontmatter(root: Path, out: str = OUT) -> dict[str, object]:
    text = (root / out).read_text()
    data: dict[str, object] = yaml.safe_load(text.split("---\n")[1])
    return data


def edit(root: Path, old: str, new: str, file: str = SPEC) -> None:
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_every_output_string_is_rendered(tmp_path: Path) -> None:
    report = build_json(deploy(tmp_path))
    assert report["ok"] is True, report["errors"]
    text = (tmp_path / OUT).read_text()
    assert "{{" not in text and "{%" not in text
    front = frontmatter(tmp_path)
    assert front["description"] == "Deploy Platform services to staging."
    assert front["when_to_use"] == "When staging needs a release."
    assert front["allowed-tools"] == ["Read", "Bash(make test:*)"]
    assert front["metadata"] == {"owner": "Platform"}
    assert front["x-env"] == "STAGING"
    assert "## Deploying to staging\n" in text
    assert "1. git diff main...HEAD\n" in text
    assert report["strings"] == {"rendered": 7, "cached": 0}


def test_editing_a_var_a_description_reads_rebuilds_and_explains(tmp_path: Path) -> None:
    build_json(deploy(tmp_path))
    edit(tmp_path, "env: staging", "env: production")
    stale = run(tmp_path, "check")
    assert stale.code == 1
    assert f"stale: {OUT}" in stale.out
    assert '+description: "Deploy Platform services to production."' in stale.out
    report = build_json(tmp_path, "--explain")
    assert report["written"] == [OUT]
    assert report["reasons"][OUT] == ["spec section deploying changed", "spec frontmatter changed"]
    # the four strings that read vars.env, nothing else
    assert report["strings"] == {"rendered": 4, "cached": 3}
    assert frontmatter(tmp_path)["description"] == "Deploy Platform services to production."
    assert "## Deploying to production\n" in (tmp_path / OUT).read_text()
    assert run(tmp_path, "check").code == 0


def test_editing_an_unrelated_var_renders_no_string_again(tmp_path: Path) -> None:
    build_json(deploy(tmp_path))
    before = (tmp_path / OUT).read_bytes()
    edit(tmp_path, "unrelated: one", "unrelated: two")
    report = build_json(tmp_path)
    assert report["strings"] == {"rendered": 0, "cached": 7}
    assert report["sections"] == {"rendered": 0, "cached": 2}
    assert report["outputs"]["written"] == 0
    assert (tmp_path / OUT).read_bytes() == before


def test_editing_a_project_var_rebuilds_the_strings_that_read_it(tmp_path: Path) -> None:
    build_json(deploy(tmp_path))
    (tmp_path / ".skillforge.toml").write_text(CONFIG.replace("Platform", "Infra"))
    report = build_json(tmp_path)
    assert report["outputs"]["written"] == 1
    assert report["strings"] == {"rendered": 2, "cached": 5}
    assert frontmatter(tmp_path)["metadata"] == {"owner": "Infra"}


def test_a_string_reading_another_string_field_sees_it_rendered(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: deploy
    description: "{{ spec.when_to_use }} Deploys things."
    when_to_use: Use for {{ vars.env }}.
    vars: {env: staging}
    sections:
      - id: a
        body: "Listed as: {{ spec.description }}"
    """
    build_json(deploy(tmp_path, spec))
    assert frontmatter(tmp_path)["description"] == "Use for staging. Deploys things."
    assert "Listed as: Use for staging. Deploys things.\n" in (tmp_path / OUT).read_text()


def test_strings_that_read_each_other_are_an_error(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: deploy
    description: "{{ spec.when_to_use }}"
    when_to_use: "{{ spec.description }}"
    sections: [{id: a, body: x}]
    """
    result = run(deploy(tmp_path, spec), "build")
    assert result.code == 1
    assert "specs/deploy.yaml:3: description: the Jinja in description and when_to_use" in (
        result.err + result.out
    )
    assert not (tmp_path / OUT).exists()


def test_an_error_in_a_string_names_the_field_and_line(tmp_path: Path) -> None:
    spec = "kind: skill\nname: deploy\ndescription: For {{ vars.missing }}.\n"
    report = build_json(deploy(tmp_path, spec + "sections: [{id: a, body: x}]\n"))
    assert report["ok"] is False
    (error,) = report["errors"]
    assert error["file"] == SPEC
    assert error["line"] == 3
    assert error["field"] == "description"
    assert error["message"].startswith("undefined value: no key 'missing'")
    assert not (tmp_path / OUT).exists()


def test_render_false_at_the_top_of_a_spec_keeps_its_strings_literal(tmp_path: Path) -> None:
    build_json(deploy(tmp_path, "render: false\n" + DEPLOY.lstrip()))
    text = (tmp_path / OUT).read_text()
    front = frontmatter(tmp_path)
    assert front["description"] == "Deploy {{ project.team }} services to {{ vars.env }}."
    assert front["metadata"] == {"owner": "{{ project.team }}"}
    assert "## Deploying to {{ vars.env }}\n" in text
    assert "render" not in front


def test_render_false_in_a_trait_covers_what_the_trait_sets(tmp_path: Path) -> None:
    trait = """
    render: false
    frontmatter:
      x-ci: "${{ secrets.TOKEN }}"
    sections:
      - id: ci
        title: CI with ${{ github.sha }}
        body: "Run `${{ secrets.TOKEN }}` and `${#items[@]}`."
    """
    spec = """
    kind: skill
    name: deploy
    description: For {{ vars.env }}.
    traits: [ci]
    vars: {env: staging}
    frontmatter:
      x-env: "{{ vars.env }}"
    sections:
      - id: own
        body: "Own {{ vars.env }}."
    """
    report = build_json(deploy(tmp_path, spec, {"traits/ci.yaml": trait}))
    assert report["ok"] is True, report["errors"]
    front = frontmatter(tmp_path)
    assert front["description"] == "For staging."
    assert front["x-env"] == "staging"
    assert front["x-ci"] == "${{ secrets.TOKEN }}"
    text = (tmp_path / OUT).read_text()
    assert "## CI with ${{ github.sha }}\n\nRun `${{ secrets.TOKEN }}` and `${#items[@]}`." in text
    assert "Own staging." in text


def test_render_false_on_a_section_keeps_its_title_and_with_literal(tmp_path: Path) -> None:
    spec = DEPLOY.replace(
        "    template: sections/steps.md.j2\n",
        "    template: sections/steps.md.j2\n    render: false\n",
    )
    build_json(deploy(tmp_path, spec))
    assert "1. git diff {{ project.branch }}...HEAD\n" in (tmp_path / OUT).read_text()


def test_render_true_on_a_template_section_is_an_error(tmp_path: Path) -> None:
    spec = DEPLOY.replace(
        "    template: sections/steps.md.j2\n",
        "    template: sections/steps.md.j2\n    render: true\n",
    )
    report = build_json(deploy(tmp_path, spec))
    (error,) = report["errors"]
    assert error["field"] == "sections.steps.render"
    assert error["line"] == 20
    assert "'render: true' does nothing on a template section" in error["message"]


def test_render_at_the_top_must_be_a_boolean(tmp_path: Path) -> None:
    report = build_json(deploy(tmp_path, "render: no-thanks\n" + DEPLOY.lstrip()))
    (error,) = report["errors"]
    assert (error["field"], error["line"], error["message"]) == (
        "render",
        1,
        "must be true or false",
    )


def test_supporting_file_paths_are_rendered_and_tracked(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: deploy
    description: Deploys.
    vars: {topic: forms}
    files:
      - {src: "assets/{{ vars.topic }}.md", dest: "references/{{ vars.topic }}.md"}
    sections: [{id: a, body: x}]
    """
    deploy(tmp_path, spec, {"specs/assets/forms.md": "Forms v1.\n"})
    report = build_json(tmp_path)
    assert report["ok"] is True, report["errors"]
    copied = tmp_path / ".claude/skills/deploy/references/forms.md"
    assert copied.read_text() == "Forms v1.\n"
    again = build_json(tmp_path)
    assert again["specs"]["parsed"] == 0  # the rendered src is the dependency, not the raw one
    assert again["outputs"]["written"] == 0
    (tmp_path / "specs/assets/forms.md").write_text("Forms v2.\n")
    changed = build_json(tmp_path, "--explain")
    assert changed["outputs"]["files_written"] == 1
    assert copied.read_text() == "Forms v2.\n"


def test_a_fragment_in_a_description_is_a_dependency(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: deploy
    description: 'Deploys {{ fragment("team") }} services.'
    sections: [{id: a, body: x}]
    """
    deploy(tmp_path, spec, {"templates/fragments/team.md.j2": "Platform"})
    build_json(tmp_path)
    assert frontmatter(tmp_path)["description"] == "Deploys Platform services."
    (tmp_path / "templates/fragments/team.md.j2").write_text("Infra")
    report = build_json(tmp_path, "--explain")
    assert report["reasons"][OUT] == ["template fragments/team.md.j2 changed"]
    assert frontmatter(tmp_path)["description"] == "Deploys Infra services."


def test_a_multi_line_string_keeps_its_last_newline(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: deploy
    description: Deploys.
    metadata:
      notes: |
        For {{ vars.env }}.
        Second line.
    vars: {env: staging}
    sections: [{id: a, body: x}]
    """
    build_json(deploy(tmp_path, spec))
    assert frontmatter(tmp_path)["metadata"] == {"notes": "For staging.\nSecond line.\n"}
