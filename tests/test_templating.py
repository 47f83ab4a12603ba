"""Template analysis: closures and the context fields a section can reach (DESIGN §5)."""

from __future__ import annotations

from pathlib import Path

from helpers import build_file_tree, build_json


def spec_with(template: str, description: str = "First.") -> str:
    return (
        f"kind: skill\nname: s\ndescription: {description}\nvars: {{tpl: sections/inner.md.j2}}\n"
        f"sections:\n  - {{id: a, template: {template}}}\n"
    )


def test_included_template_reach_counts(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "templates/sections/outer.md.j2": "Outer: {% include 'sections/inner.md.j2' %}\n",
            "templates/sections/inner.md.j2": "{{ spec.description }}\n",
            "specs/s.yaml": spec_with("sections/outer.md.j2"),
        },
    )
    build_json(tmp_path)
    (tmp_path / "specs/s.yaml").write_text(spec_with("sections/outer.md.j2", "Second."))
    report = build_json(tmp_path)
    assert report["sections"]["rendered"] == 1
    assert "Outer: Second." in (tmp_path / ".claude/skills/s/SKILL.md").read_text()


def test_dynamic_include_depends_on_everything(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "templates/sections/outer.md.j2": "Outer: {% include vars.tpl %}\n",
            "templates/sections/inner.md.j2": "{{ spec.description }}\n",
            "specs/s.yaml": spec_with("sections/outer.md.j2"),
        },
    )
    build_json(tmp_path)
    (tmp_path / "specs/s.yaml").write_text(spec_with("sections/outer.md.j2", "Second."))
    build_json(tmp_path)
    assert "Outer: Second." in (tmp_path / ".claude/skills/s/SKILL.md").read_text()
    (tmp_path / "templates/sections/unrelated.md.j2").write_text("new\n")
    report = build_json(tmp_path, "--explain")
    # any template may be the one included: the section is rendered again
    assert report["sections"]["rendered"] == 1


def test_section_reading_one_field_ignores_others(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "templates/sections/name.md.j2": "Name: {{ spec.name }}\n",
            "specs/s.yaml": spec_with("sections/name.md.j2"),
        },
    )
    build_json(tmp_path)
    (tmp_path / "specs/s.yaml").write_text(spec_with("sections/name.md.j2", "Second."))
    report = build_json(tmp_path)
    assert report["sections"] == {"rendered": 0, "cached": 1}
    assert report["outputs"]["written"] == 1  # the frontmatter changed


def test_dict_methods_read_the_whole_mapping(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "templates/sections/get.md.j2": "License: {{ spec.get('license', 'none') }}\n",
            "specs/s.yaml": spec_with("sections/get.md.j2"),
        },
    )
    build_json(tmp_path)
    spec = tmp_path / "specs/s.yaml"
    spec.write_text(spec.read_text() + "license: MIT\n")
    build_json(tmp_path)
    assert "License: MIT" in (tmp_path / ".claude/skills/s/SKILL.md").read_text()
