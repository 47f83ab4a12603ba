"""Composition: extends, traits and the merge of sections by id (DESIGN §3)."""

from __future__ import annotations

from pathlib import Path

from helpers import build_file_tree, build_json


def headings(root: Path, name: str) -> list[str]:
    text = (root / f".claude/skills/{name}/SKILL.md").read_text()
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_merge_order_base_traits_spec(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/_bases/base.yaml": """
                extends: root.yaml
                license: MIT
                vars: {lang: python, level: base}
                metadata: {team: core, version: "1.0"}
                sections:
                  - {id: overview, title: Overview, body: base overview}
                  - {id: env, title: Environment, body: "{{ vars.lang }} env"}
            """,
            "specs/_bases/root.yaml": """
                license: Apache-2.0
                vars: {root: yes}
                sections:
                  - {id: first, title: First, body: from root}
            """,
            "traits/safety.yaml": """
                vars: {level: trait}
                sections:
                  - {id: safety, title: Safety, body: be safe, after: usage}
            """,
            "traits/testing.yaml": """
                sections:
                  - {id: testing, title: Testing, body: run tests, before: env}
            """,
            "specs/x.yaml": """
                kind: skill
                name: x
                description: Composed.
                extends: _bases/base.yaml
                traits: [safety, testing]
                metadata: {version: "2.0"}
                sections:
                  - {id: overview, title: Overview, body: "spec overview, level {{ vars.level }}"}
                  - {id: usage, title: Usage, body: use it}
            """,
        },
    )
    report = build_json(tmp_path)
    assert report["ok"] is True, report["errors"]
    # root first, then base (overview replaced in place by the spec), traits placed by anchor
    assert headings(tmp_path, "x") == [
        "First",
        "Overview",
        "Testing",
        "Environment",
        "Usage",
        "Safety",
    ]
    text = (tmp_path / ".claude/skills/x/SKILL.md").read_text()
    assert "spec overview, level trait" in text  # maps merge deeply, later wins
    assert "python env" in text
    assert "license: MIT" in text  # the base overrides the root
    assert "team: core" in text and 'version: "2.0"' in text
    assert "base overview" not in text


def test_lists_are_replaced_not_merged(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "traits/tools.yaml": "allowed-tools: [Read, Write]\n",
            "specs/x.yaml": (
                "kind: skill\nname: x\ndescription: d\ntraits: [tools]\nallowed-tools: [Grep]\n"
            ),
        },
    )
    build_json(tmp_path)
    assert "allowed-tools: Grep\n" in (tmp_path / ".claude/skills/x/SKILL.md").read_text()


def test_trait_placed_before_a_spec_section(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "traits/t.yaml": "sections:\n  - {id: t, title: T, body: t, before: b}\n",
            "specs/x.yaml": (
                "kind: skill\nname: x\ndescription: d\ntraits: [t]\n"
                "sections:\n  - {id: a, title: A, body: a}\n  - {id: b, title: B, body: b}\n"
            ),
        },
    )
    assert build_json(tmp_path)["ok"] is True
    assert headings(tmp_path, "x") == ["A", "T", "B"]


def test_partials_folder_and_underscore_files_are_not_built(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/_shared.yaml": "vars: {a: 1}\n",
            "specs/_lib/deep/more.yaml": "vars: {b: 2}\n",
            "specs/x.yaml": "kind: skill\nname: x\ndescription: d\nextends: _shared.yaml\n",
        },
    )
    report = build_json(tmp_path)
    assert report["specs"]["total"] == 1
    assert report["written"] == [".claude/skills/x/SKILL.md"]
