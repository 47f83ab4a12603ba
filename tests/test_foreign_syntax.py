"""Other tools' template syntax gets an error that names it and says how to keep it (DESIGN §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_file_tree, build_json

SPEC = "specs/ci.yaml"
OUT = ".claude/skills/ci/SKILL.md"
RAW = "wrap it in `{% raw %}...{% endraw %}`"


def spec_with_body(body: str, extra: str = "") -> str:
    """A skill whose section `run` (line 5) has `body` as a block scalar from line 7."""
    lines = "".join(f"      {line}\n" for line in body.splitlines())
    return (
        "kind: skill\nname: ci\ndescription: Runs CI.\nsections:\n"
        f"  - id: run\n{extra}    body: |\n{lines}"
    )


def one_error(root: Path, files: dict[str, str]) -> dict[str, object]:
    build_file_tree(root, {".skillforge.toml": "", **files})
    report = build_json(root)
    assert report["ok"] is False
    assert not (root / OUT).exists()
    (error,) = report["errors"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize(
    ("body", "shown", "what", "line"),
    [
        (
            "Set the token.\nUse `${{ secrets.TOKEN }}` in the workflow.",
            "${{ secrets.TOKEN }}",
            "GitHub Actions expression syntax",
            8,
        ),
        (
            "Check the list.\n\nCount: `${#items[@]}`.",
            "${#items[@]}",
            "shell parameter expansion",
            9,
        ),
        # a one-line block scalar is reported at its `body:` line
        ("image: {{ .Values.image }}", "{{ .Values.image }}", "Go template (Helm) syntax", 6),
        ("{{ range .Items }}- x{{ end }}", "{{ range .Items }}", "Go template (Helm) syntax", 6),
        ("{{#each items}}x{{/each}}", "{{#each items}}", "Handlebars/Mustache syntax", 6),
        ("Deploy on ${{ vars.TARGET }}.", "${{ vars.TARGET }}", "GitHub Actions", 6),
    ],
)
def test_foreign_syntax_in_a_body_is_named(
    tmp_path: Path, body: str, shown: str, what: str, line: int
) -> None:
    error = one_error(tmp_path, {SPEC: spec_with_body(body)})
    message = str(error["message"])
    assert (error["file"], error["line"], error["field"]) == (SPEC, line, "sections.run.body")
    assert message.startswith(f"foreign template syntax: `{shown}")
    assert what in message
    assert RAW in message
    assert "or set `render: false` on the section" in message
    assert "is defined" not in message


def test_foreign_syntax_in_a_string_field_points_at_the_top_of_the_spec(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: ci\ndescription: Runs CI.\n"
        "frontmatter:\n  x-token: '${{ secrets.TOKEN }}'\nsections: [{id: a, body: x}]\n"
    )
    error = one_error(tmp_path, {SPEC: spec})
    assert (error["line"], error["field"]) == (4, "frontmatter.x-token")
    message = str(error["message"])
    assert "`${{ secrets.TOKEN }}` looks like GitHub Actions expression syntax" in message
    assert f"or set `render: false` at the top of {SPEC}" in message


def test_foreign_syntax_in_a_section_title_points_at_the_section(tmp_path: Path) -> None:
    spec = spec_with_body("Plain.", extra="    title: Build {{ .Chart.Name }}\n")
    error = one_error(tmp_path, {SPEC: spec})
    assert (error["line"], error["field"]) == (6, "sections.run.title")
    assert "Go template (Helm) syntax" in str(error["message"])
    assert "`render: false` on the section" in str(error["message"])


def test_foreign_syntax_in_a_template_offers_raw_only(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: ci\ndescription: Runs CI.\n"
        "sections:\n  - id: run\n    template: sections/ci.md.j2\n"
    )
    template = "Steps:\n\n- run: echo ${{ github.sha }}\n"
    error = one_error(tmp_path, {SPEC: spec, "templates/sections/ci.md.j2": template})
    message = str(error["message"])
    assert message.startswith(
        "foreign template syntax in templates/sections/ci.md.j2:3: `${{ github.sha }}`"
    )
    assert RAW in message
    assert "render: false" not in message


def test_foreign_syntax_in_a_rendered_supporting_file(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: ci\ndescription: Runs CI.\nsections: [{id: a, body: x}]\n"
        "files:\n  - {src: assets/wf.md, dest: wf.md, render: true}\n"
    )
    error = one_error(tmp_path, {SPEC: spec, "specs/assets/wf.md": "token: ${{ secrets.T }}\n"})
    message = str(error["message"])
    assert "`${{ secrets.T }}` looks like GitHub Actions expression syntax" in message
    assert "or leave out `render: true` on the files entry" in message


def test_a_real_undefined_value_is_not_blamed_on_foreign_syntax(tmp_path: Path) -> None:
    body = "{% raw %}Use ${{ secrets.TOKEN }}.{% endraw %}\nFor {{ vars.missing }}."
    error = one_error(tmp_path, {SPEC: spec_with_body(body)})
    message = str(error["message"])
    assert message.startswith("undefined value: no key 'missing'")
    assert "GitHub Actions" not in message


@pytest.mark.parametrize("how", ["raw", "section", "spec"])
def test_raw_or_render_false_keeps_foreign_syntax(tmp_path: Path, how: str) -> None:
    body = "Use `${{ secrets.TOKEN }}` and `${#items[@]}` and {{ .Values.image }}."
    if how == "raw":
        spec = spec_with_body("{% raw %}" + body + "{% endraw %}")
    elif how == "section":
        spec = spec_with_body(body, extra="    render: false\n")
    else:
        spec = "render: false\n" + spec_with_body(body)
    build_file_tree(tmp_path, {".skillforge.toml": "", SPEC: spec})
    report = build_json(tmp_path)
    assert report["ok"] is True, report["errors"]
    assert body in (tmp_path / OUT).read_text()
