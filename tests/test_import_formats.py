"""`skillforge import`: the specs it writes name the schema, and other targets' folders import."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import run
from test_import import BROKEN, COMMANDS, EDGES, GOOD, factor_tree, write_tree

MODELINE = "# yaml-language-server: $schema="


def predicted(root: Path) -> dict[str, bytes]:
    """The bytes import predicts the build writes for each file it would import."""
    from skillforge.engine.adopt.plan import plan
    from skillforge.engine.adopt.sources import FORMATS, find_sources
    from skillforge.engine.load.config import load_config

    config = load_config(root / ".skillforge.toml")
    outs = {fmt.target: str(config.out_of(fmt.target, fmt.kinds[0])) for fmt in FORMATS}
    sources, _ = find_sources(str(config.root), outs, None)
    return {p.output_rel: p.expected for p in plan(config, sources, False) if p.status == "ready"}


def spec_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "specs").rglob("*.yaml") if "_files" not in p.parts)


def check_against_the_project_schema(root: Path) -> int:
    """Validate every spec under `root/specs` against the schema its first line names."""
    checked = 0
    for spec in spec_files(root):
        first = spec.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith(MODELINE), spec
        schema_path = (spec.parent / first[len(MODELINE) :]).resolve()
        assert schema_path == (root / "schemas/spec.schema.json").resolve(), spec
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(data)]
        assert errors == [], (spec, errors)
        checked += 1
    return checked


def test_every_spec_import_writes_names_and_validates_against_the_project_schema(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {**GOOD, **COMMANDS, **BROKEN, **EDGES})
    result = run(tmp_path, "import", "--include-broken")
    assert result.code == 0, result.out
    assert "created schemas/spec.schema.json" in result.out
    imported = int(result.out.split(" files read: ")[1].split(" imported")[0])
    assert imported >= len(GOOD) - 2 + len(COMMANDS) + len(BROKEN)
    assert check_against_the_project_schema(tmp_path) == imported
    assert (
        (tmp_path / "specs/skills/ci-helper.yaml")
        .read_text()
        .startswith(
            "# yaml-language-server: $schema=../../schemas/spec.schema.json\n"
            "# imported by skillforge from .claude/skills/ci-helper/SKILL.md\n"
        )
    )


def test_factored_specs_validate_and_an_existing_schema_copy_is_kept(tmp_path: Path) -> None:
    write_tree(tmp_path, factor_tree(3))
    (tmp_path / "schemas").mkdir()
    mine = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#"})
    (tmp_path / "schemas/spec.schema.json").write_text(mine, encoding="utf-8")
    result = run(tmp_path, "import", "--factor")
    assert result.code == 0, result.out
    assert "created schemas/spec.schema.json" not in result.out
    assert "created schemas/config.schema.json" in result.out
    assert (tmp_path / "schemas/spec.schema.json").read_text(encoding="utf-8") == mine
    (tmp_path / "schemas/spec.schema.json").unlink()  # validate against the real one
    assert run(tmp_path, "import", "--dry-run").code == 1  # every spec exists: all skipped
    assert not (tmp_path / "schemas/spec.schema.json").exists()  # a dry run writes nothing
    assert run(tmp_path, "import").code == 1
    assert not (tmp_path / "schemas/spec.schema.json").exists()  # nothing imported: not written
    from skillforge.engine.load.jsonschema import schema_text

    (tmp_path / "schemas/spec.schema.json").write_text(schema_text("spec"), encoding="utf-8")
    assert check_against_the_project_schema(tmp_path) == 4
    assert any(
        "template" in s
        for s in yaml.safe_load((tmp_path / "specs/skills/tool-1.yaml").read_text())["sections"]
    )


def portable_skill(name: str) -> str:
    return (
        "---\n"
        f"name: {name}\n"
        "description: >-\n"
        "  Fills PDF forms.\n"
        "  Use when a form must be filled.\n"
        "license: Apache-2.0\n"
        "metadata:\n"
        "  version: '1.0'\n"
        "---\n"
        "\n"
        "Read `scripts/fill.py` first; it takes {{ field }} names.\n"
        "\n"
        "## Steps\n"
        "\n"
        "```sh\n"
        "## not a heading\n"
        "python scripts/fill.py ${{ inputs.form }}\n"
        "```\n"
    )


def front_and_body(data: bytes) -> tuple[dict[str, object], list[str]]:
    """Frontmatter values (exactly: a description's final newline too) and body lines."""
    text = data.decode("utf-8")
    _, head, body = text.split("---\n", 2)
    values = yaml.safe_load(head)
    return values, [line.rstrip() for line in body.strip("\n").split("\n")]


@pytest.mark.parametrize(
    ("folder", "target", "extra"),
    [
        (".agents", "agents", ""),
        (".cursor", "cursor", "paths:\n- src/**\nx-owner: forms-team\n"),
        (".opencode", "opencode", "x-owner: forms-team\n"),
    ],
)
def test_a_skill_folder_of_another_target_builds_back_for_that_target(
    tmp_path: Path, folder: str, target: str, extra: str
) -> None:
    rel = f"{folder}/skills/pdf-forms/SKILL.md"
    text = portable_skill("pdf-forms").replace("---\n\n", extra + "---\n\n", 1)
    write_tree(tmp_path, {rel: text, f"{folder}/skills/pdf-forms/scripts/fill.py": "print(1)\n"})
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert f"imported {rel} -> specs/skills/pdf-forms.yaml (2 sections, 1 file)" in result.out
    assert f"written back once the config's `targets` lists '{target}'" in result.out
    assert run(tmp_path, "build").code == 0
    assert (tmp_path / rel).read_text() == text  # its target is not built yet: left alone
    (tmp_path / ".skillforge.toml").write_text(f'targets = ["claude", "{target}"]\n')
    (tmp_path / "specs/skills/pdf-forms.yaml").rename(tmp_path / "pdf-forms.yaml")
    expected = predicted(tmp_path)[rel]
    (tmp_path / "pdf-forms.yaml").rename(tmp_path / "specs/skills/pdf-forms.yaml")
    built = run(tmp_path, "build", "--json")  # no --force: the import recorded the file
    assert built.code == 0, built.out + built.err
    assert rel in built.report["written"]
    assert (tmp_path / rel).read_bytes() == expected
    assert front_and_body((tmp_path / rel).read_bytes()) == front_and_body(text.encode())
    assert (tmp_path / f"{folder}/skills/pdf-forms/scripts/fill.py").read_text() == "print(1)\n"
    claude = (tmp_path / ".claude/skills/pdf-forms/SKILL.md").read_bytes()
    assert front_and_body(claude)[1] == front_and_body(text.encode())[1]
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_what_another_target_would_not_write_back_is_broken(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".agents/skills/extra/SKILL.md": portable_skill("extra").replace(
                "license", "x-owner: me\nlicense"
            ),
            ".cursor/skills/tools/SKILL.md": portable_skill("tools").replace(
                "license", "allowed-tools: Read Grep\nlicense"
            ),
            ".cursor/agents/helper.md": "---\nname: helper\ndescription: Helps.\n---\n\nHelp.\n",
            ".cursor/commands/main.md": "---\ndescription: Main.\n---\n\nx\n",
        },
        'targets = ["claude", "agents", "cursor"]\n',
    )
    result = run(tmp_path, "import", ".agents", ".cursor")
    assert result.code == 1
    assert (
        "skipped  .cursor/commands/main.md: Cursor's commands are not imported (only its "
        "skills and agents)" in result.out
    )
    assert (
        "broken   .agents/skills/extra/SKILL.md:6: 'x-owner' is not a key Agent Skills keeps"
        in result.out
    )
    assert (
        "broken   .cursor/skills/tools/SKILL.md:6: 'allowed-tools' is not a key Cursor keeps"
        in result.out
    )
    assert "imported .cursor/agents/helper.md -> specs/agents/helper.yaml" in result.out
    assert not (tmp_path / "specs/skills").exists()


def test_a_skill_in_claude_and_agents_folders_is_imported_once(tmp_path: Path) -> None:
    text = portable_skill("shared")
    write_tree(
        tmp_path,
        {".claude/skills/shared/SKILL.md": text, ".agents/skills/shared/SKILL.md": text},
        'targets = ["claude", "agents"]\n',
    )
    (tmp_path / ".claude/skills/other").mkdir()
    (tmp_path / ".claude/skills/other/SKILL.md").write_text(portable_skill("other"))
    (tmp_path / ".agents/skills/other").mkdir(parents=True)
    (tmp_path / ".agents/skills/other/SKILL.md").write_text(
        portable_skill("other").replace("Fills", "Reads")
    )
    result = run(tmp_path, "import")
    assert result.code == 1, result.out
    assert "imported .claude/skills/shared/SKILL.md" in result.out
    assert (
        ".agents/skills/shared/SKILL.md (a copy with equal values and text) is rewritten too"
        in (result.out)
    )
    assert (
        "copy     .agents/skills/shared/SKILL.md: a copy of .claude/skills/shared/SKILL.md"
        in result.out
    )
    assert (
        "broken   .claude/skills/other/SKILL.md: .agents/skills/other/SKILL.md exists with other "
        "content" in result.out
    )
    assert "next build: adopts 0 unchanged, rewrites 2, writes 0 new" in result.out
    (tmp_path / ".agents/skills/other/SKILL.md").unlink()
    built = run(tmp_path, "build", "--json")  # no --force: both copies of `shared` recorded
    assert built.code == 0, built.out + built.err
    assert sorted(built.report["written"]) == [
        ".agents/skills/shared/SKILL.md",
        ".claude/skills/shared/SKILL.md",
    ]
    for rel in (".claude/skills/shared/SKILL.md", ".agents/skills/shared/SKILL.md"):
        assert front_and_body((tmp_path / rel).read_bytes()) == front_and_body(text.encode())


COPILOT = {
    ".github/agents/reviewer.agent.md": (
        "---\n"
        "name: reviewer\n"
        "description: |\n"
        "  Reviews pull requests.\n"
        "  <example>review #12</example>\n"
        "tools: ['read', 'search', 'execute']\n"
        "model: GPT-4o\n"
        "target: vscode\n"
        "---\n"
        "\n"
        "You review PRs; read ${input:pr} first.\n"
        "\n"
        "## Rules\n"
        "\n"
        "- Be kind {{ always }}.\n"
    ),
    ".github/prompts/add-test.prompt.md": (
        "---\ndescription: Write a test\nargument-hint: file\ntools: ['edit', 'read']\n---\n"
        "\nWrite a test for ${file}.\n"
    ),
    ".github/skills/release/SKILL.md": (
        "---\nname: release\ndescription: Cuts a release.\nlicense: MIT\n---\n\nTag it.\n"
    ),
    ".github/agents/README.md": "Not an agent: Copilot reads only *.agent.md here.\n",
}


def test_copilot_agents_prompts_and_skills_build_back_for_copilot(tmp_path: Path) -> None:
    write_tree(tmp_path, COPILOT, 'targets = ["claude", "copilot"]\n')
    expected = predicted(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert "3 files read: 3 imported" in result.out
    assert "-> specs/agents/reviewer.yaml (2 sections); next build rewrites it" in result.out
    assert "-> specs/commands/add-test.yaml (1 section)" in result.out
    spec = yaml.safe_load((tmp_path / "specs/agents/reviewer.yaml").read_text())
    assert spec["tools"] == ["Read", "Grep", "Bash"]  # Claude Code's names: Copilot's aliases
    assert spec["targets"] == {"copilot": {"model": "GPT-4o"}}
    assert spec["frontmatter"] == {"target": "vscode"}
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out + built.err
    for rel, text in COPILOT.items():
        if rel.endswith("README.md"):
            assert (tmp_path / rel).read_text() == text
            continue
        assert rel in built.report["written"]
        assert (tmp_path / rel).read_bytes() == expected[rel]
        assert front_and_body((tmp_path / rel).read_bytes()) == front_and_body(text.encode()), rel
    claude = (tmp_path / ".claude/agents/reviewer.md").read_text()
    assert "tools: Read, Grep, Bash\n" in claude
    assert "GPT-4o" not in claude  # the model is Copilot's only
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_copilot_tools_without_an_alias_and_agents_without_a_name_are_broken(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            ".github/agents/mcp.agent.md": (
                "---\nname: mcp\ndescription: Uses MCP.\ntools: ['github/*', 'read']\n---\n\nx\n"
            ),
            ".github/agents/anon.agent.md": "---\ndescription: No name.\n---\n\nx\n",
        },
    )
    result = run(tmp_path, "import")
    assert result.code == 1
    assert (
        "broken   .github/agents/mcp.agent.md:4: 'tools' entry 'github/*' has no GitHub "
        "Copilot equivalent" in result.out
    )
    assert (
        "broken   .github/agents/anon.agent.md:1: no name: skillforge writes one into every "
        "GitHub Copilot agent" in result.out
    )


def test_a_copy_in_the_folder_codex_and_agent_skills_share_is_adopted(tmp_path: Path) -> None:
    text = portable_skill("shared")
    write_tree(
        tmp_path,
        {".claude/skills/shared/SKILL.md": text, ".agents/skills/shared/SKILL.md": text},
        'targets = ["claude", "agents", "codex"]\n',  # Codex writes its skills to .agents/
    )
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert "copy     .agents/skills/shared/SKILL.md" in result.out
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out + built.err
    for rel in (".claude/skills/shared/SKILL.md", ".agents/skills/shared/SKILL.md"):
        assert front_and_body((tmp_path / rel).read_bytes()) == front_and_body(text.encode())


def test_cursor_agents_and_opencode_commands_build_back_for_their_targets(
    tmp_path: Path,
) -> None:
    files = {
        ".cursor/agents/planner.md": (
            "---\nname: planner\ndescription: Plans work.\nmodel: fast\nreadonly: true\n"
            "is_background: false\n---\n\nPlan it; never edit.\n"
        ),
        ".opencode/commands/run-tests.md": (
            "---\ndescription: Run the tests\nmodel: anthropic/claude-sonnet-4-5\nagent: build\n"
            "subtask: true\n---\n\nRun `npm test` and fix $ARGUMENTS.\n"
        ),
    }
    write_tree(tmp_path, files, 'targets = ["claude", "cursor", "opencode"]\n')
    expected = predicted(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    planner = yaml.safe_load((tmp_path / "specs/agents/planner.yaml").read_text())
    assert planner["targets"] == {"cursor": {"model": "fast"}}  # Cursor's own model name
    assert planner["frontmatter"] == {"readonly": True, "is_background": False}
    command = yaml.safe_load((tmp_path / "specs/commands/run-tests.yaml").read_text())
    assert command["targets"] == {"opencode": {"model": "anthropic/claude-sonnet-4-5"}}
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out + built.err
    for rel, text in files.items():
        assert rel in built.report["written"]
        assert (tmp_path / rel).read_bytes() == expected[rel]
        assert front_and_body((tmp_path / rel).read_bytes()) == front_and_body(text.encode()), rel
    assert "model" not in (tmp_path / ".claude/agents/planner.md").read_text()
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_a_spec_the_build_of_a_configured_target_would_refuse_is_broken(tmp_path: Path) -> None:
    label = "---\nname: PDF Forms\ndescription: Fills forms.\n---\n\nFill it.\n"
    write_tree(tmp_path, {".claude/skills/pdf-forms/SKILL.md": label})
    assert run(tmp_path, "import", "--dry-run").code == 0  # Claude Code takes a label
    (tmp_path / ".skillforge.toml").write_text('targets = ["claude", "agents"]\n')
    result = run(tmp_path, "import")
    assert result.code == 1
    assert "broken   .claude/skills/pdf-forms/SKILL.md:2: skill name 'PDF Forms'" in result.out
