"""`skillforge import`, then `build`: every frontmatter value comes back equal after
`yaml.safe_load`: a block description keeps its final newline, a tools list stays a list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import run
from test_import import split_document, write_tree
from test_import_formats import check_against_the_project_schema, predicted

DESCRIPTIONS = {
    "clip": "description: |\n  Reviews code.\n  Use after a change.\n",  # one final "\n"
    "strip": "description: |-\n  Reviews code.\n  Use after a change.\n",  # none
    "keep": "description: |+\n  Reviews code.\n\n\n",  # every final newline
    "folded": "description: >\n  Reviews code,\n  after a change.\n",
    "examples": (
        "description: |\n"
        "  Reviews code. Use after a change.\n"
        "\n"
        "  <example>\n"
        '  user: "review my diff"\n'
        "  assistant: I'll use the reviewer agent.\n"
        "  </example>\n"
    ),
    "quoted": 'description: "Reviews code.\\n"\n',
}


def document(kind: str, front: str) -> tuple[str, str]:
    """(path, text) of a Claude Code document of `kind` whose frontmatter holds `front`."""
    name = f"{kind}-one"
    path = {
        "skill": f".claude/skills/{name}/SKILL.md",
        "agent": f".claude/agents/{name}.md",
        "command": f".claude/commands/{name}.md",
    }[kind]
    head = "" if kind == "command" else f"name: {name}\n"
    return path, f"---\n{head}{front}---\n\nDo the work.\n\n## Steps\n\n1. Read.\n"


def import_and_build(tmp_path: Path, files: dict[str, str], config: str = "") -> str:
    """Import `files`, check the build writes what import predicted, return import's output."""
    write_tree(tmp_path, files, config)
    expected = predicted(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    built = run(tmp_path, "build", "--json")  # no --force: the import recorded the files
    assert built.code == 0, built.out + built.err
    for rel in files:
        if rel in expected:
            assert (tmp_path / rel).read_bytes() == expected[rel], rel
    assert run(tmp_path, "build", "--json").report["written"] == []  # then a no-op
    return result.out


@pytest.mark.parametrize("kind", ["skill", "agent", "command"])
@pytest.mark.parametrize("style", list(DESCRIPTIONS))
def test_a_description_comes_back_exactly_whatever_its_yaml_style(
    tmp_path: Path, kind: str, style: str
) -> None:
    rel, text = document(kind, DESCRIPTIONS[style])
    source = split_document(text.encode())
    out = import_and_build(tmp_path, {rel: text})
    spec = next((tmp_path / "specs").rglob(f"{kind}-one.yaml"))
    assert yaml.safe_load(spec.read_text())["description"] == source[0]["description"]
    assert split_document((tmp_path / rel).read_bytes()) == source  # values and body lines
    line = next(line for line in out.splitlines() if line.startswith(f"imported {rel}"))
    assert "value changed" not in line and "whitespace dropped" not in line
    if style != "quoted":
        assert "'description' written double-quoted on one line" in line


def test_the_final_newline_is_an_escape_in_the_quoted_line(tmp_path: Path) -> None:
    rel, text = document("agent", DESCRIPTIONS["examples"])
    import_and_build(tmp_path, {rel: text})
    built = (tmp_path / rel).read_text()
    assert (
        'description: "Reviews code. Use after a change.\\n\\n<example>\\nuser: \\"review my '
        'diff\\"\\nassistant: I\'ll use the reviewer agent.\\n</example>\\n"\n'
    ) in built


TOOLS = {
    ".claude/agents/lister.md": (
        "---\nname: lister\ndescription: Lists.\ntools: [Read, Grep]\n"
        "disallowedTools:\n  - Bash\n---\n\nList.\n"
    ),
    ".claude/agents/joiner.md": (
        "---\nname: joiner\ndescription: Joins.\ntools: Read, Grep\n---\n\nJoin.\n"
    ),
    ".claude/skills/listed/SKILL.md": (
        "---\nname: listed\ndescription: Listed.\nallowed-tools:\n- Read\n- Grep\n---\n\nx\n"
    ),
    ".claude/skills/spaced/SKILL.md": (
        "---\nname: spaced\ndescription: Spaced.\nallowed-tools: Read Grep\n"
        "disallowed-tools: [Write]\n---\n\nx\n"
    ),
    ".claude/commands/ship.md": (
        "---\ndescription: Ship it\nallowed-tools: [Bash(git push:*), Read]\n---\n\nShip.\n"
    ),
    ".claude/commands/plain.md": (
        "---\ndescription: Plain\nallowed-tools: Bash(git status:*), Read\n---\n\nLook.\n"
    ),
}


def test_a_tools_list_stays_a_list_and_a_string_a_string(tmp_path: Path) -> None:
    out = import_and_build(tmp_path, TOOLS)
    for rel, text in TOOLS.items():
        built = (tmp_path / rel).read_text()
        assert split_document(built.encode()) == split_document(text.encode()), rel
        assert "[" not in built.split("---\n")[1], rel  # block style, never a flow list
    assert "list written as one string" not in out
    assert check_against_the_project_schema(tmp_path) == len(TOOLS)  # keep-lists validates
    kept = {
        spec.stem: yaml.safe_load(spec.read_text()).get("keep-lists")
        for spec in (tmp_path / "specs").rglob("*.yaml")
    }
    assert kept == {
        "lister": ["tools", "disallowedTools"],
        "joiner": None,
        "listed": ["allowed-tools"],
        "spaced": ["disallowed-tools"],
        "ship": ["allowed-tools"],
        "plain": None,
    }


def test_a_portable_skill_folder_keeps_its_tools_list_for_its_target(tmp_path: Path) -> None:
    rel = ".agents/skills/portable/SKILL.md"
    text = (
        "---\nname: portable\ndescription: |\n  Portable.\nallowed-tools:\n- Read\n- Grep\n"
        "---\n\nBody.\n"
    )
    import_and_build(tmp_path, {rel: text}, 'targets = ["claude", "agents"]\n')
    assert split_document((tmp_path / rel).read_bytes()) == split_document(text.encode())
    claude = split_document((tmp_path / ".claude/skills/portable/SKILL.md").read_bytes())
    assert claude[0]["allowed-tools"] == ["Read", "Grep"]  # one spec: the same values


def test_the_summary_counts_only_changes_of_layout_once_values_round_trip(
    tmp_path: Path,
) -> None:
    files = dict(TOOLS)
    for kind in ("skill", "agent", "command"):
        rel, text = document(kind, DESCRIPTIONS["examples"])
        files[rel] = text
    out = import_and_build(tmp_path, files)
    counted = {
        line.strip().split("  ", 1)[1]
        for line in out.splitlines()
        if line.startswith("  ") and line.strip()[:1].isdigit()
    }
    assert counted <= {
        "marker line added",
        "'description' written double-quoted on one line",
        "frontmatter quoting or layout",
    }, counted
    assert "9 files read: 9 imported" in out
    assert "next build: adopts 0 unchanged, rewrites 9, writes 0 new" in out


def test_a_hand_written_block_description_is_what_yaml_says(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/clip.yaml").write_text(
        "kind: agent\nname: clip\ndescription: |\n  Keeps its newline.\n"
        "tools: [Read, Grep]\nsections:\n- id: a\n  body: x\n"
    )
    (tmp_path / "specs/strip.yaml").write_text(
        "kind: agent\nname: strip\ndescription: >-\n  Drops it.\n"
        "tools: [Read, Grep]\nkeep-lists: [tools]\nsections:\n- id: a\n  body: x\n"
    )
    assert run(tmp_path, "build").code == 0
    clip = (tmp_path / ".claude/agents/clip.md").read_text()
    assert 'description: "Keeps its newline.\\n"\n' in clip
    assert "tools: Read, Grep\n" in clip  # DESIGN §4: a spec's list is one string ...
    strip = (tmp_path / ".claude/agents/strip.md").read_text()
    assert 'description: "Drops it."\n' in strip
    assert "tools:\n- Read\n- Grep\n" in strip  # ... unless keep-lists names the field


def test_keep_lists_names_only_tools_fields_of_the_kind(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs/bad.yaml").write_text(
        "kind: agent\nname: bad\ndescription: Bad.\nkeep-lists: [allowed-tools]\n"
        "sections:\n- id: a\n  body: x\n"
    )
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "specs/bad.yaml" in result.err + result.out
    assert (
        "'allowed-tools' is not a tools field of an agent; keep-lists names tools, "
        "disallowedTools" in result.err + result.out
    )
    assert not (tmp_path / ".claude/agents/bad.md").exists()
