"""`skillforge import` of OpenCode agents (`.opencode/agents/*.md`) and Codex TOML agents
(`.codex/agents/*.toml`): the build for their target gives back equal values and body."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from helpers import run
from test_import import split_document, write_tree
from test_import_formats import check_against_the_project_schema, predicted

OPENCODE = {
    ".opencode/agents/reviewer.md": (
        "---\n"
        "description: |\n"
        "  Reviews code for quality and security.\n"
        "\n"
        "  <example>\n"
        "  user: review the auth module\n"
        "  </example>\n"
        "mode: subagent\n"
        "model: anthropic/claude-sonnet-4-5\n"
        "temperature: 0.1\n"
        "tools:\n"
        "  write: false\n"
        "  edit: false\n"
        "  bash: true\n"
        "permission:\n"
        "  edit: deny\n"
        "  bash:\n"
        '    "git diff": allow\n'
        '    "*": ask\n'
        "color: blue\n"
        "---\n"
        "\n"
        "You are a reviewer. Read ${file} first.\n"
        "\n"
        "## Focus\n"
        "\n"
        "- Security, then {{ style }}.\n"
    ),
    ".opencode/agents/docs-writer.md": (
        "---\n"
        "name: docs-writer\n"
        "description: Writes documentation.\n"
        "mode: primary\n"
        'color: "#FF5733"\n'
        "tools:\n"
        "  read: true\n"
        "  mymcp_*: false\n"
        "hidden: true\n"
        "---\n"
        "Write the docs.\n"
    ),
}


def test_opencode_agents_build_back_for_opencode(tmp_path: Path) -> None:
    write_tree(tmp_path, OPENCODE, 'targets = ["claude", "opencode"]\n')
    expected = predicted(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert "2 files read: 2 imported (0 for review), 0 skipped, 0 broken" in result.out
    reviewer = yaml.safe_load((tmp_path / "specs/agents/reviewer.yaml").read_text())
    assert reviewer["tools"] == ["Bash"]  # Claude Code's names for OpenCode's tools map
    assert reviewer["disallowedTools"] == ["Write", "Edit"]
    assert reviewer["color"] == "blue"
    assert reviewer["targets"]["opencode"]["model"] == "anthropic/claude-sonnet-4-5"
    assert list(reviewer["targets"]["opencode"]["frontmatter"]) == ["temperature", "permission"]
    docs = yaml.safe_load((tmp_path / "specs/agents/docs-writer.yaml").read_text())
    assert docs["targets"]["opencode"]["frontmatter"]["mode"] == "primary"
    assert "tools map names a tool Claude Code has no name for" in result.out
    assert check_against_the_project_schema(tmp_path) == 2  # what editors check too
    built = run(tmp_path, "build", "--json")  # no --force: import recorded both files
    assert built.code == 0, built.out + built.err
    for rel, text in OPENCODE.items():
        assert rel in built.report["written"]
        assert (tmp_path / rel).read_bytes() == expected[rel], rel
        assert split_document((tmp_path / rel).read_bytes()) == split_document(text.encode())
    claude = split_document((tmp_path / ".claude/agents/reviewer.md").read_bytes())[0]
    assert claude["tools"] == "Bash" and claude["disallowedTools"] == "Write, Edit"
    assert "temperature" not in claude and "model" not in claude  # OpenCode's own keys
    assert (
        "tools" not in split_document((tmp_path / ".claude/agents/docs-writer.md").read_bytes())[0]
    )
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_an_opencode_agent_without_mode_gets_opencodes_default_and_says_so(
    tmp_path: Path,
) -> None:
    text = "---\ndescription: Helps.\n---\n\nHelp.\n"
    write_tree(tmp_path, {".opencode/agents/helper.md": text}, 'targets = ["opencode"]\n')
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert "'mode' added" in result.out
    assert "no mode: written as OpenCode's default, mode: all" in result.out
    assert run(tmp_path, "build").code == 0
    values, lines = split_document((tmp_path / ".opencode/agents/helper.md").read_bytes())
    assert values == {"description": "Helps.", "mode": "all"}
    assert lines == ["Help."]


def test_the_legacy_opencode_agent_folder_is_reported_not_imported(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".opencode/agent/old.md": "---\ndescription: Old.\nmode: subagent\n---\n\nOld.\n"},
        'targets = ["opencode"]\n',
    )
    result = run(tmp_path, "import", ".opencode")
    assert result.code == 1
    assert (
        "skipped  .opencode/agent/old.md: is in OpenCode's legacy agent/ folder; skillforge "
        "writes .opencode/agents/old.md" in result.out
    )
    assert not (tmp_path / "specs/agents").exists()


CODEX = {
    ".codex/agents/planner.toml": (
        'name = "planner"\n'
        'description = """\n'
        "Plans large changes.\n"
        "Use before a refactor.\n"
        '"""\n'
        'model = "gpt-5.1-codex"\n'
        'model_reasoning_effort = "high"\n'
        'sandbox_mode = "read-only"\n'
        'nickname_candidates = ["Atlas", "Delta"]\n'
        "web_search = true\n"
        'developer_instructions = """\n'
        "You plan; you never edit files.\n"
        "\n"
        "## Steps\n"
        "\n"
        "1. Read the code: `grep -rn '{{' src/`.\n"
        "\n"
        "\n"
        "2. Write the plan to ${PLAN_FILE}.\n"
        '"""\n'
    ),
    ".codex/agents/fixer.toml": (
        "# a hand-written agent\n"
        "name = 'fixer'\n"
        "description = 'Fixes failing tests.'\n"
        'model_reasoning_effort = "minimal"\n'
        "developer_instructions = '''Fix the failing test, then rerun it.'''\n"
    ),
}


def toml_values(data: bytes) -> tuple[dict[str, object], list[str]]:
    """A TOML agent's values without its body, and the body's lines."""
    values = tomllib.loads(data.decode("utf-8"))
    body = str(values.pop("developer_instructions"))
    return values, [line.rstrip() for line in body.strip("\n").split("\n")]


def test_codex_toml_agents_build_back_for_codex(tmp_path: Path) -> None:
    write_tree(tmp_path, CODEX, 'targets = ["claude", "codex"]\n')
    expected = predicted(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    planner = yaml.safe_load((tmp_path / "specs/agents/planner.yaml").read_text())
    assert planner["description"] == "Plans large changes.\nUse before a refactor.\n"
    assert planner["effort"] == "high"  # Claude Code's field for model_reasoning_effort
    assert planner["targets"]["codex"] == {
        "model": "gpt-5.1-codex",
        "frontmatter": {
            "sandbox_mode": "read-only",
            "nickname_candidates": ["Atlas", "Delta"],
            "web_search": True,
        },
    }
    assert [s.get("title") for s in planner["sections"]] == [None, "Steps"]
    fixer = yaml.safe_load((tmp_path / "specs/agents/fixer.yaml").read_text())
    assert fixer["targets"]["codex"]["frontmatter"] == {"model_reasoning_effort": "minimal"}
    assert "next build rewrites it: marker line added, TOML quoting or layout" in result.out
    assert check_against_the_project_schema(tmp_path) == 2
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out + built.err
    for rel, text in CODEX.items():
        assert rel in built.report["written"]
        data = (tmp_path / rel).read_bytes()
        assert data == expected[rel], rel
        assert data.startswith(b"# generated by skillforge from specs/agents/")
        assert toml_values(data) == toml_values(text.encode()), rel
    claude = split_document((tmp_path / ".claude/agents/planner.md").read_bytes())
    assert claude[0] == {
        "name": "planner",
        "description": "Plans large changes.\nUse before a refactor.\n",
        "effort": "high",
    }
    assert claude[1] == toml_values(CODEX[".codex/agents/planner.toml"].encode())[1]
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_codex_agents_skillforge_cannot_write_back_are_broken(tmp_path: Path) -> None:
    files = {
        ".codex/agents/mcp.toml": (
            'name = "mcp"\ndescription = "Uses MCP."\ndeveloper_instructions = "x"\n'
            "\n[mcp_servers.docs]\nurl = 'https://example.invalid/mcp'\n"
        ),
        ".codex/agents/bad.toml": 'name = "bad"\ndescription = \n',
        ".codex/agents/empty.toml": 'name = "empty"\ndescription = "No prompt."\n',
    }
    write_tree(tmp_path, files, 'targets = ["claude", "codex"]\n')
    result = run(tmp_path, "import")
    assert result.code == 1
    assert (
        "broken   .codex/agents/mcp.toml:1: 'mcp_servers' is a table: skillforge writes "
        "Codex's keys as strings, numbers, booleans and lists of them" in result.out
    )
    assert "broken   .codex/agents/bad.toml:2: does not parse as TOML: Invalid value" in result.out
    assert (
        "broken   .codex/agents/empty.toml:1: no developer_instructions string: Codex needs "
        "the agent's prompt" in result.out
    )
    assert not (tmp_path / "specs/agents").exists()
    review = run(tmp_path, "import", "--include-broken", ".codex/agents/mcp.toml")
    assert review.code == 0, review.out
    spec = (tmp_path / "specs/agents/mcp.yaml").read_text()
    assert "# REVIEW: .codex/agents/mcp.toml:1: 'mcp_servers' is a table" in spec
    assert "mcp_servers" not in yaml.safe_load(spec).get("targets", {}).get("codex", {})


def test_a_codex_agent_waits_for_the_codex_target_and_the_installed_cli_imports_it(
    tmp_path: Path,
) -> None:
    rel = ".codex/agents/planner.toml"
    write_tree(tmp_path, {rel: CODEX[rel]})  # `targets` is Claude Code only
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "skillforge", "import"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "written back once the config's `targets` lists 'codex'" in done.stdout
    assert run(tmp_path, "build").code == 0
    assert (tmp_path / rel).read_text() == CODEX[rel]  # not built for Codex yet: left alone
    (tmp_path / ".skillforge.toml").write_text('targets = ["claude", "codex"]\n')
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out + built.err
    assert toml_values((tmp_path / rel).read_bytes()) == toml_values(CODEX[rel].encode())


def test_the_builds_refuse_an_own_key_they_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / ".skillforge.toml").write_text('targets = ["claude", "codex", "opencode"]\n')
    (tmp_path / "specs/tabled.yaml").write_text(
        "kind: agent\nname: tabled\ndescription: Has a table.\n"
        "targets:\n  codex:\n    frontmatter:\n      mcp_servers: {docs: {url: x}}\n"
        "sections:\n- id: a\n  body: x\n"
    )
    (tmp_path / "specs/moded.yaml").write_text(
        "kind: agent\nname: moded\ndescription: Odd mode.\n"
        "targets:\n  opencode:\n    frontmatter: {mode: sometimes}\n"
        "sections:\n- id: a\n  body: x\n"
    )
    result = run(tmp_path, "build")
    assert result.code == 1
    said = result.out + result.err
    assert "targets.codex.frontmatter.mcp_servers" in said
    assert "is a table: skillforge writes Codex's keys as strings" in said
    assert "OpenCode's mode is one of subagent, primary, all" in said
    assert not (tmp_path / ".codex/agents/tabled.toml").exists()
    assert not (tmp_path / ".opencode/agents/moded.md").exists()


def test_a_codex_copy_of_a_claude_agent_is_adopted_with_it(tmp_path: Path) -> None:
    agent = "---\nname: helper\ndescription: Helps.\n---\n\nHelp them.\n\n## Rules\n\nBe kind.\n"
    copy = (
        'name = "helper"\ndescription = "Helps."\n'
        'developer_instructions = """\nHelp them.\n\n## Rules\n\nBe kind.\n"""\n'
    )
    files = {".claude/agents/helper.md": agent, ".codex/agents/helper.toml": copy}
    write_tree(tmp_path, files, 'targets = ["claude", "codex"]\n')
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert ".codex/agents/helper.toml (a copy with equal values and text) is rewritten too" in (
        result.out
    )
    assert "copy     .codex/agents/helper.toml: a copy of .claude/agents/helper.md" in result.out
    built = run(tmp_path, "build", "--json")  # both recorded: no --force
    assert built.code == 0, built.out + built.err
    assert sorted(built.report["written"]) == sorted(files)
    assert toml_values((tmp_path / ".codex/agents/helper.toml").read_bytes()) == toml_values(
        copy.encode()
    )
