"""Publishing outputs: hand-edit protection, supporting files, orphans, safe paths (DESIGN §4)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from helpers import build_file_tree, build_json, project, run


def test_document_layout_is_exact(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_json(tmp_path)
    text = (tmp_path / ".claude/skills/skill-0/SKILL.md").read_bytes().decode()
    assert text == (
        "---\n"
        "name: skill-0\n"
        'description: "Does skill-0 things. Use when the user asks for skill-0."\n'
        "---\n\n"
        "## Overview\n\nThe skill-0 skill for skill-0.\n\n"
        "## Steps\n\n1. Read the input\n2. Write the output\n\n"
        "Plain notes without Jinja.\n"
    )
    assert "\r" not in text


def test_agent_frontmatter_tools_are_comma_separated(tmp_path: Path) -> None:
    project(tmp_path, skills=0, agents=1)
    build_json(tmp_path)
    text = (tmp_path / ".claude/agents/agent-0.md").read_text()
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {
        "name": "agent-0",
        "description": "Reviews agent-0 changes.",
        "tools": "Read, Grep",
        "model": "sonnet",
    }


def test_hand_edited_output_is_not_overwritten(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_json(tmp_path)
    out = tmp_path / ".claude/skills/skill-0/SKILL.md"
    out.write_text(out.read_text() + "\nmy own notes\n")
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "New notes"))
    result = run(tmp_path, "build")
    assert result.code == 1
    assert ".claude/skills/skill-0/SKILL.md" in result.err
    assert "edited by hand" in result.err
    assert "--force" in result.err
    assert "my own notes" in out.read_text()
    # still refused on the next build, until --force
    assert run(tmp_path, "build").code == 1
    report = build_json(tmp_path, "--force", "--explain")
    assert report["ok"] is True
    assert report["reasons"][".claude/skills/skill-0/SKILL.md"][0] == "output edited"
    assert "my own notes" not in out.read_text()
    assert "New notes" in out.read_text()


def test_hand_edit_alone_fails_the_build(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_json(tmp_path)
    out = tmp_path / ".claude/skills/skill-0/SKILL.md"
    out.write_text("replaced by hand\n")
    report = build_json(tmp_path)
    assert report["ok"] is False
    assert report["errors"][0]["file"] == ".claude/skills/skill-0/SKILL.md"
    assert out.read_text() == "replaced by hand\n"


def test_existing_file_not_written_by_skillforge_is_protected(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_file_tree(tmp_path, {".claude/skills/skill-0/SKILL.md": "hand written skill\n"})
    report = build_json(tmp_path)
    assert report["ok"] is False
    assert "not written by skillforge" in report["errors"][0]["message"]
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").read_text() == "hand written skill\n"


def test_supporting_files_are_copied_and_rendered(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/pdf.yaml": """
                kind: skill
                name: pdf
                description: PDFs.
                vars: {lang: python}
                files:
                  - {src: assets/forms.md, dest: references/forms.md}
                  - {src: assets/setup.md.j2, dest: references/setup.md, render: true}
            """,
            "specs/assets/forms.md": "# Forms\n",
            "specs/assets/setup.md.j2": "Setup for {{ spec.name }} in {{ vars.lang }}\n",
        },
    )
    report = build_json(tmp_path)
    assert report["outputs"]["written"] == 1
    assert report["outputs"]["files_written"] == 2
    skill = tmp_path / ".claude/skills/pdf"
    assert (skill / "references/forms.md").read_text() == "# Forms\n"
    assert (skill / "references/setup.md").read_text() == "Setup for pdf in python\n"
    # the assets folder is not a spec
    assert report["specs"]["total"] == 1
    # editing a supporting file rebuilds the spec
    (tmp_path / "specs/assets/forms.md").write_text("# Forms v2\n")
    report = build_json(tmp_path, "--explain")
    assert (skill / "references/forms.md").read_text() == "# Forms v2\n"
    assert report["outputs"]["files_written"] == 1
    assert report["outputs"]["written"] == 0


def test_dropped_supporting_file_is_removed(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/pdf.yaml": (
                "kind: skill\nname: pdf\ndescription: PDFs.\nfiles:\n  - {src: a.md, dest: a.md}\n"
            ),
            "specs/a.md": "A\n",
        },
    )
    build_json(tmp_path)
    assert (tmp_path / ".claude/skills/pdf/a.md").exists()
    (tmp_path / "specs/pdf.yaml").write_text("kind: skill\nname: pdf\ndescription: PDFs.\n")
    build_json(tmp_path)
    assert not (tmp_path / ".claude/skills/pdf/a.md").exists()
    assert (tmp_path / ".claude/skills/pdf/SKILL.md").exists()


def test_renamed_skill_removes_old_output(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_json(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("name: skill-0", "name: renamed"))
    report = build_json(tmp_path)
    assert report["written"] == [".claude/skills/renamed/SKILL.md"]
    assert not (tmp_path / ".claude/skills/skill-0").exists()


def test_orphan_edited_by_hand_is_kept_with_a_warning(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=0)
    build_json(tmp_path)
    out = tmp_path / ".claude/skills/skill-1/SKILL.md"
    out.write_text("mine now\n")
    (tmp_path / "specs/skill-1.yaml").unlink()
    report = build_json(tmp_path)
    assert out.read_text() == "mine now\n"
    assert any("edited by hand" in w["message"] for w in report["warnings"])


def test_no_temp_files_are_left_behind(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=1)
    build_json(tmp_path)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_output_folder_symlinked_outside_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "p", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    project(root, skills=1, agents=0)
    (root / ".claude/skills").mkdir(parents=True)
    os.symlink(outside, root / ".claude/skills/skill-0")
    report = build_json(root)
    assert report["ok"] is False
    assert list(outside.iterdir()) == []


def test_clean_removes_outputs_and_keeps_other_files(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=1)
    build_json(tmp_path)
    build_file_tree(tmp_path, {".claude/settings.json": "{}\n"})
    result = run(tmp_path, "clean")
    assert result.code == 0
    assert "3 files removed" in result.out
    assert (tmp_path / ".claude/settings.json").exists()
    assert not (tmp_path / ".claude/skills").exists()
    assert (tmp_path / ".skillforge").exists()
    assert build_json(tmp_path)["outputs"]["written"] == 3
    assert run(tmp_path, "clean", "--cache").code == 0
    assert not (tmp_path / ".skillforge").exists()
