"""`skillforge import`: a hand-written tree becomes specs whose first build gives it back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import run

from skillforge.engine.adopt.sections import join, normalise, split

# A tree as teams write them by hand: every quirk the importer must keep.
SKILL_EXACT = (
    "---\n"
    "name: git-commit\n"
    'description: "Writes commit messages. Use when the user commits."\n'
    "allowed-tools: Bash(git diff:*) Read\n"
    "---\n"
    "\n"
    "## Steps\n"
    "\n"
    "1. Read the staged diff.\n"
    "2. Write the message.\n"
)
SKILL_QUIRKY = (
    "---\n"
    "name: ci-helper\n"
    "description: >-\n"
    "  Helps with CI pipelines.\n"
    "  Use when a workflow fails.\n"
    "allowed-tools: [Read, Grep, 'Bash(gh run view:*)']\n"
    "version: 2.0\n"
    "x-owner: {team: platform, oncall: [ana, bo]}\n"
    "---\n"
    "# CI helper\n"
    "\n"
    "Reads `${{ github.sha }}` and Go templates like {{ .Values.image }}.\n"
    "\n"
    "## Reading a workflow\n"
    "\n"
    "```yaml\n"
    "## not a heading: inside a fence\n"
    "run: echo ${{ secrets.TOKEN }} {% raw %}\n"
    "```\n"
    "\n"
    "## Tight heading\n"
    "text right under it\n"
    "\n"
    "\n"
    "\n"
    "after three blank lines   \n"
    "\n"
    "## Last\n"
    "\n"
    "Shell: ${#a[@]} done.\n"
    "\n\n"
)
SKILL_LABEL = (
    "---\r\n"
    "name: PDF Processing\r\n"
    "description: Extracts text from PDFs.\r\n"
    "license: MIT\r\n"
    "metadata:\r\n"
    "  version: '1.2'\r\n"
    "---\r\n"
    "\r\n"
    "Use pypdf. See references/forms.md.\r\n"
)
AGENT_EXAMPLES = (
    "---\n"
    "name: code-reviewer\n"
    "description: |\n"
    "  Reviews code for bugs. Use after a change.\n"
    "\n"
    "  <example>\n"
    "  user: review my diff\n"
    "  assistant: I'll use the code-reviewer agent.\n"
    "  </example>\n"
    "tools: [Read, Grep, Glob]\n"
    "model: sonnet\n"
    "color: blue\n"
    "---\n"
    "\n"
    "You are a careful reviewer.\n"
    "\n"
    "## How to review\n"
    "\n"
    "- Read the diff.\n"
    "- {% if risky %}Say so{% endif %} when it is risky.\n"
)
AGENT_FILE_NAME = (
    "---\n"
    "name: test-runner\n"
    "description: Runs the tests.\n"
    "tools: Bash, Read\n"
    "maxTurns: 5\n"
    "---\n"
    "\n"
    "Run the suite.\n"
)
GOOD = {
    ".claude/skills/git-commit/SKILL.md": SKILL_EXACT,
    ".claude/skills/ci-helper/SKILL.md": SKILL_QUIRKY,
    ".claude/skills/ci-helper/scripts/check.sh": "#!/bin/sh\necho {{ not jinja }}\n",
    ".claude/skills/pdf-processing/SKILL.md": SKILL_LABEL,
    ".claude/skills/pdf-processing/references/forms.md": "No final newline",
    ".claude/agents/code-reviewer.md": AGENT_EXAMPLES,
    ".claude/agents/runner.md": AGENT_FILE_NAME,
}
BINARY = bytes(range(256))
BROKEN = {
    ".claude/skills/bom-skill/SKILL.md": (
        "\ufeff---\nname: bom-skill\ndescription: Has a BOM.\n---\n\nBody.\n"
    ),
    ".claude/agents/bad-yaml.md": (
        "---\nname: bad-yaml\ndescription: [unclosed\ntools: Read\n---\n\nBody.\n"
    ),
    ".claude/agents/no-description.md": "---\nname: no-description\n---\n\nBody.\n",
    ".claude/agents/team/nested.md": (
        "---\nname: nested\ndescription: In a subfolder.\n---\n\nBody.\n"
    ),
}


def write_tree(root: Path, files: dict[str, str], config: str = "") -> None:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / ".skillforge.toml").write_text(config, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (root / ".claude/skills/ci-helper/assets").mkdir(parents=True, exist_ok=True)
    (root / ".claude/skills/ci-helper/assets/logo.bin").write_bytes(BINARY)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / ".claude").rglob("*"))
        if p.is_file()
    }


def split_document(data: bytes) -> tuple[dict[str, object], list[str]]:
    """Frontmatter values and body lines, as Claude Code reads them (marker and BOM aside)."""
    text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    _, head, body = text.split("---\n", 2)
    values = yaml.safe_load(head) or {}
    lines = [line.rstrip() for line in body.strip("\n").split("\n")]
    return values, lines


def said(out: str, rel: str) -> str:
    return next(line for line in out.splitlines() if rel in line)


def test_build_reproduces_every_imported_file_and_rewrites_only_what_import_said(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, GOOD)
    before = snapshot(tmp_path)
    imported = run(tmp_path, "import")
    assert imported.code == 0, imported.out + imported.err
    assert "5 files read: 5 imported" in imported.out
    said_rewrite = {
        rel
        for rel in before
        if rel.endswith(".md") and "next build rewrites" in _line(imported.out, rel)
    }
    built = run(tmp_path, "build", "--json")  # no --force: the import recorded the adoption
    assert built.code == 0, built.out + built.err
    assert set(built.report["written"]) == said_rewrite
    after = snapshot(tmp_path)
    assert set(after) == set(before)
    for rel, old in before.items():
        if not rel.endswith(".md") or "/references/" in rel:
            assert after[rel] == old, rel  # supporting files byte for byte
            continue
        old_values, old_lines = split_document(old)
        new_values, new_lines = split_document(after[rel])
        assert new_lines == old_lines, rel
        for key, value in old_values.items():
            assert new_values[key] == value, (rel, key)  # lists stay lists, "\n" stays
        assert list(new_values) == list(old_values) or rel.endswith(("git-commit/SKILL.md",))
    assert after[".claude/skills/ci-helper/assets/logo.bin"] == BINARY
    assert run(tmp_path, "build", "--json").report["written"] == []


def _line(out: str, rel: str) -> str:
    return next((line for line in out.splitlines() if line.startswith("imported " + rel)), "")


def test_the_bytes_import_predicts_are_the_bytes_the_build_writes(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD, "[build]\nmarker = false\n")
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    # git-commit is written the way skillforge writes: adopted as it is, byte for byte
    assert "git-commit/SKILL.md -> specs/skills/git-commit.yaml (1 section); next build adopts" in (
        result.out
    )
    ci = _line(result.out, ".claude/skills/ci-helper/SKILL.md")
    assert "frontmatter quoting or layout, blank lines after the frontmatter" in ci
    reviewer = _line(result.out, ".claude/agents/code-reviewer.md")
    assert reviewer.endswith(
        "'description' written double-quoted on one line, frontmatter quoting or layout"
    )  # its values come back equal: only their layout changes
    assert "value" not in reviewer and "list written" not in reviewer
    assert "line endings (CRLF to LF)" in _line(
        result.out, ".claude/skills/pdf-processing/SKILL.md"
    )
    assert "end of file" in _line(result.out, ".claude/skills/ci-helper/SKILL.md")
    before = snapshot(tmp_path)
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out
    assert ".claude/skills/git-commit/SKILL.md" not in built.report["written"]
    assert (
        snapshot(tmp_path)[".claude/skills/git-commit/SKILL.md"]
        == before[".claude/skills/git-commit/SKILL.md"]
    )
    assert "adopts 1 unchanged, rewrites 4" in result.out


def test_specs_keep_names_folders_unknown_keys_and_literal_text(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    assert run(tmp_path, "import").code == 0
    pdf = yaml.safe_load((tmp_path / "specs/skills/pdf-processing.yaml").read_text())
    assert (pdf["name"], pdf["folder"]) == ("PDF Processing", "pdf-processing")
    assert pdf["files"] == [
        {"src": "_files/pdf-processing/references/forms.md", "dest": "references/forms.md"}
    ]
    ci = yaml.safe_load((tmp_path / "specs/skills/ci-helper.yaml").read_text())
    assert ci["frontmatter"] == {
        "version": 2.0,
        "x-owner": {"team": "platform", "oncall": ["ana", "bo"]},
    }
    ids = [s["id"] for s in ci["sections"]]
    # the tight heading stays in a body, and so does "## Last": trailing spaces above it
    assert ids == ["intro", "reading-a-workflow"]
    assert (
        "## Tight heading\ntext right under it\n\n\n\nafter three blank lines   "
        in (ci["sections"][1]["body"])
    )
    assert all(s.get("render") is False for s in ci["sections"][:2])
    runner = yaml.safe_load((tmp_path / "specs/agents/runner.yaml").read_text())
    assert (runner["name"], runner["file"], runner["maxTurns"]) == ("test-runner", "runner", 5)


def test_broken_files_are_reported_with_their_line_and_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, **BROKEN})
    result = run(tmp_path, "import")
    assert result.code == 1
    assert (
        "broken   .claude/skills/bom-skill/SKILL.md:1: starts with a byte order mark" in result.out
    )
    assert "broken   .claude/agents/bad-yaml.md:4: the frontmatter does not parse as YAML" in (
        result.out
    )
    assert "broken   .claude/agents/no-description.md:1: no description" in result.out
    assert "broken   .claude/agents/team/nested.md: is in a subfolder of agents/" in result.out
    assert not (tmp_path / "specs/agents/bad-yaml.yaml").exists()
    assert not (tmp_path / "specs/skills/bom-skill.yaml").exists()
    assert (tmp_path / "specs/agents/code-reviewer.yaml").exists()


def test_include_broken_salvages_for_review(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, **BROKEN})
    result = run(tmp_path, "import", "--include-broken")
    assert result.code == 0, result.out
    bad = (tmp_path / "specs/agents/bad-yaml.yaml").read_text()
    assert "# REVIEW: .claude/agents/bad-yaml.md:4: the frontmatter does not parse" in bad
    assert "# REVIEW: not read: line 3: description: [unclosed" in bad
    assert yaml.safe_load(bad)["tools"] == "Read"  # the lines that parse are kept
    built = run(tmp_path, "build", "--json")
    # the BOM file comes back without its BOM; the ones missing a description must be fixed
    assert ".claude/skills/bom-skill/SKILL.md" in built.report["written"]
    assert not (tmp_path / ".claude/skills/bom-skill/SKILL.md").read_bytes().startswith(b"\xef")
    failing = {e["file"] for e in built.report["errors"]}
    assert failing == {"specs/agents/bad-yaml.yaml", "specs/agents/no-description.yaml"}


def test_import_never_overwrites_and_skips_its_own_outputs(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    mine = "kind: skill\nname: git-commit\ndescription: Mine.\n"
    (tmp_path / "specs/skills").mkdir(parents=True)
    (tmp_path / "specs/skills/git-commit.yaml").write_text(mine)
    result = run(tmp_path, "import")
    assert result.code == 1
    assert "skipped  .claude/skills/git-commit/SKILL.md: specs/skills/git-commit.yaml exists" in (
        result.out
    )
    assert (tmp_path / "specs/skills/git-commit.yaml").read_text() == mine
    (tmp_path / "specs/skills/git-commit.yaml").unlink()
    assert run(tmp_path, "import", ".claude/skills/git-commit").code == 0
    assert run(tmp_path, "build").code == 0
    again = run(tmp_path, "import")
    assert again.code == 1
    assert "already generated by skillforge from specs/skills/git-commit.yaml" in again.out


def test_a_hand_edit_after_the_import_still_stops_the_build(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    assert run(tmp_path, "import").code == 0
    agent = tmp_path / ".claude/agents/runner.md"
    agent.write_text(agent.read_text() + "An edit after the import.\n")
    built = run(tmp_path, "build")
    assert built.code == 1
    assert "runner.md" in built.out + built.err
    assert "An edit after the import." in agent.read_text()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, **COMMANDS})
    result = run(tmp_path, "import", "--dry-run")
    assert result.code == 0, result.out
    assert "imported .claude/commands/review.md -> specs/commands/review.yaml" in result.out
    assert "would write 7 specs" in result.out
    assert list((tmp_path / "specs").iterdir()) == []
    assert not (tmp_path / ".skillforge").exists()


COMMANDS = {
    ".claude/commands/review.md": (
        "---\n"
        "description: Review a pull request\n"
        "argument-hint: [pr-number]\n"
        "allowed-tools: Bash(gh pr view:*), Read\n"
        "x-team: web\n"
        "---\n"
        "\n"
        "Review PR $ARGUMENTS.\n"
        "\n"
        "## Steps\n"
        "\n"
        "- Read {{ the diff }} and ${{ env.SHA }}.\n"
    ),
    ".claude/commands/fix-issue.md": (
        '---\ndescription: "Fix an issue"\nallowed-tools: [Read, Edit]\nmodel: sonnet\n---\n'
        "\nFix #$1.\n\n\n\nThen run the tests.\n"
    ),
}


def test_commands_import_and_the_build_gives_them_back(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, **COMMANDS})
    before = snapshot(tmp_path)
    result = run(tmp_path, "import")
    assert result.code == 0, result.out
    assert "7 files read: 7 imported" in result.out
    review = yaml.safe_load((tmp_path / "specs/commands/review.yaml").read_text())
    assert review["kind"] == "command"
    assert review["name"] == "review"
    assert review["frontmatter"] == {"x-team": "web"}
    assert [s.get("render", True) for s in review["sections"]] == [True, False]
    fix = _line(result.out, ".claude/commands/fix-issue.md")
    assert fix.endswith("next build rewrites it: marker line added, frontmatter quoting or layout")
    assert yaml.safe_load((tmp_path / "specs/commands/fix-issue.yaml").read_text())[
        "keep-lists"
    ] == ["allowed-tools"]
    built = run(tmp_path, "build", "--json")  # adopted without --force
    assert built.code == 0, built.out + built.err
    after = snapshot(tmp_path)
    for rel in COMMANDS:
        assert rel in built.report["written"]
        old_values, old_lines = split_document(before[rel])
        new_values, new_lines = split_document(after[rel])
        assert new_lines == old_lines, rel
        assert new_values == old_values, rel  # a tools list stays a list
        assert list(new_values) == list(old_values), rel
    assert run(tmp_path, "build", "--json").report["written"] == []


def test_commands_skillforge_cannot_write_back_are_broken(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".claude/commands/bare.md": "Just a body: Claude Code lists its first line.\n",
            ".claude/commands/named.md": "---\nname: other\ndescription: Named.\n---\n\nGo.\n",
            ".claude/commands/web/component.md": "---\ndescription: Nested.\n---\n\nGo.\n",
            ".claude/commands/ok.md": "---\ndescription: Fine.\n---\n\nGo.\n",
        },
    )
    result = run(tmp_path, "import")
    assert result.code == 1
    assert "broken   .claude/commands/bare.md:1: no description: a command needs one" in result.out
    assert "broken   .claude/commands/named.md:2: 'name' is not a field of a command" in result.out
    assert (
        "broken   .claude/commands/web/component.md: is in a subfolder of commands/" in result.out
    )
    assert sorted(p.name for p in (tmp_path / "specs/commands").iterdir()) == ["ok.yaml"]
    salvaged = run(tmp_path, "import", "--include-broken", ".claude/commands/named.md")
    assert salvaged.code == 0, salvaged.out
    named = (tmp_path / "specs/commands/named.yaml").read_text()
    assert "# REVIEW: .claude/commands/named.md:2: 'name' is not a field" in named
    assert yaml.safe_load(named)["name"] == "named"


def test_a_path_with_nothing_to_import_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    (tmp_path / "empty").mkdir()
    assert run(tmp_path, "import", "empty").code == 1
    assert run(tmp_path, "import", "missing").code == 2


def test_agent_skills_folder_is_read_and_a_copy_of_a_claude_skill_is_skipped(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {**GOOD, ".agents/skills/git-commit/SKILL.md": SKILL_EXACT})
    result = run(tmp_path, "import")
    assert "skipped  .agents/skills/git-commit/SKILL.md: builds the same output as " in result.out


def test_the_installed_command_imports(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    proc = subprocess.run(
        [sys.executable, "-m", "skillforge", "import"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "specs/skills/ci-helper.yaml").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "skillforge", "build"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("body", "titles"),
    [
        ("## A\n\ntext\n\n## B\n\nmore", ["A", "B"]),
        ("intro\n\n## A\n\ntext", [None, "A"]),
        ("## A\ntight\n\n## B\n\nx", [None, "B"]),
        ("## A\n\n\n\nblank run\n\n## B\n\nx", [None, "B"]),
        ("```\n## fenced\n\n```\n\n## A\n\nx", [None, "A"]),
        ("~~~~\n## fenced\n~~~~\n\n## A\n\nx", [None, "A"]),
        ("para  \n\n## A\n\nx", [None]),
        ("## A\n\n## B\n\nx", ["A", "B"]),
        ("## A \n\nx", [None]),
        ("## A", ["A"]),
    ],
)
def test_sections_split_only_where_the_text_comes_back_exactly(
    body: str, titles: list[str | None]
) -> None:
    sections = split(normalise(body))
    assert [s.title for s in sections] == titles
    assert join(sections) == normalise(body)


def factor_tree(count: int) -> dict[str, str]:
    """Skills that share a safety section verbatim and a usage section naming each skill."""
    files: dict[str, str] = {}
    for i in range(count):
        name = f"tool-{i}"
        files[f".claude/skills/{name}/SKILL.md"] = (
            f'---\nname: {name}\ndescription: "Tool number {i}."\n---\n\n'
            f"Tool {i} does one thing.\n\n"
            "## Safety\n\n- Never delete files.\n- Ask before pushing.\n"
            "- Keep `{{ secrets }}` out.\n\n"
            f"## Usage\n\nRun /{name} with a path.\nThen check the {name} report.\n"
        )
    files[".claude/agents/helper.md"] = (
        '---\nname: helper\ndescription: "Helps."\n---\n\n'
        "## Safety\n\n- Never delete files.\n- Ask before pushing.\n- Keep `{{ secrets }}` out.\n"
    )
    return files


def test_factor_shares_repeated_sections_and_the_outputs_stay_equal(tmp_path: Path) -> None:
    plain, factored = tmp_path / "plain", tmp_path / "factored"
    for root in (plain, factored):
        write_tree(root, factor_tree(4))
    original = snapshot(plain)
    assert run(plain, "import").code == 0
    result = run(factored, "import", "--factor")
    assert result.code == 0, result.out
    assert "factored 2 shared section templates" in result.out
    saved = int(result.out.split("templates: ")[1].split(" lines")[0])
    assert saved > 0
    safety = (factored / "templates/shared/safety.md.j2").read_text()
    assert safety.startswith("{% raw %}- Never delete files.")  # literal `{{ secrets }}`
    usage = (factored / "templates/shared/usage.md.j2").read_text()
    assert "Run /{{ spec.name }} with a path." in usage
    spec = yaml.safe_load((factored / "specs/skills/tool-2.yaml").read_text())
    assert [s.get("template") for s in spec["sections"]] == [
        None,
        "shared/safety.md.j2",
        "shared/usage.md.j2",
    ]
    for root in (plain, factored):
        built = run(root, "build")
        assert built.code == 0, built.out + built.err
    assert snapshot(factored) == snapshot(plain)
    for rel, data in snapshot(factored).items():
        if not rel.endswith(".md"):
            continue
        assert data.split(b"\n", 2)[2] == original[rel].split(b"\n", 1)[1], (rel, data)


EDGES = {
    ".claude/skills/no-front/SKILL.md": "Just text, no frontmatter.\n",
    ".claude/skills/jinja-description/SKILL.md": (
        "---\nname: jinja-description\ndescription: Renders {{ name }} pages.\n---\n\n"
        "## {{ title }}\n\nBody {% raw %}.\n"
    ),
    ".claude/skills/empty-body/SKILL.md": (
        "---\nname: empty-body\ndescription: Nothing below.\n---\n"
    ),
    ".claude/skills/spaced/SKILL.md": (
        "---   \nname: spaced\ndescription: 'Quoted, single.'\nuser-invocable: false\n---  \n"
        "\n\n\n## First\n\nx\n\n## Second\n\n\n"
    ),
    ".claude/skills/odd-files/SKILL.md": "---\nname: odd-files\ndescription: Odd.\n---\n\nx\n",
    ".claude/skills/odd-files/{{ name }}.txt": "a file whose name holds braces\n",
    ".claude/agents/piped.md": (
        "---\nname: piped\ndescription: |\n  Line one.\n  Line two.\n"
        "skills:\n  - no-front\nbackground: true\n---\nNo blank line after the frontmatter.\n"
    ),
}


def test_predicted_bytes_equal_the_built_bytes_on_edge_cases(tmp_path: Path) -> None:
    from skillforge.engine.adopt.plan import plan
    from skillforge.engine.adopt.sources import find_sources
    from skillforge.engine.load.config import load_config

    write_tree(tmp_path, {**GOOD, **EDGES})
    config = load_config(tmp_path / ".skillforge.toml")
    sources, _ = find_sources(str(config.root), {"claude": str(config.out)}, None)
    planned = {p.output_rel: p for p in plan(config, sources, include_broken=False)}
    result = run(tmp_path, "import")
    assert "broken   .claude/skills/no-front/SKILL.md:1: no description" in result.out
    built = run(tmp_path, "build", "--json")
    assert built.code == 0, built.out
    ready = [p for p in planned.values() if p.status == "ready"]
    assert len(ready) == len(GOOD) - 2 + len(EDGES) - 2  # supporting files, a broken one
    for item in ready:
        assert (tmp_path / item.output_rel).read_bytes() == item.expected, item.output_rel
    spec = yaml.safe_load((tmp_path / "specs/skills/jinja-description.yaml").read_text())
    assert spec["render"] is False
    odd = yaml.safe_load((tmp_path / "specs/skills/odd-files.yaml").read_text())
    assert odd["render"] is False and odd["files"][0]["dest"] == "{{ name }}.txt"
    text = (tmp_path / ".claude/skills/jinja-description/SKILL.md").read_text()
    assert "Renders {{ name }} pages." in text and "## {{ title }}\n\nBody {% raw %}." in text


def test_a_repository_without_config_or_specs_folder_gets_its_specs(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    (tmp_path / ".skillforge.toml").unlink()
    (tmp_path / "specs").rmdir()
    result = run(tmp_path, "import", ".claude/agents")
    assert result.code == 0, result.out + result.err
    assert (tmp_path / "specs/agents/code-reviewer.yaml").exists()
    assert run(tmp_path, "build").code == 0


def test_importing_the_whole_repository_never_reads_the_specs_it_wrote(tmp_path: Path) -> None:
    write_tree(tmp_path, GOOD)
    (tmp_path / ".claude/skills/pdf-processing/agents").mkdir()
    (tmp_path / ".claude/skills/pdf-processing/agents/notes.md").write_text("Not an agent.\n")
    assert run(tmp_path, "import").code == 0
    again = run(tmp_path, "import", ".")
    lines = again.out.splitlines()
    assert not any(line.startswith(("imported", "broken")) for line in lines)
    skipped = [line.split()[1] for line in lines if line.startswith("skipped")]
    assert len(skipped) == 5 and all(rel.startswith(".claude/") for rel in skipped)


def test_a_file_the_build_would_refuse_is_broken_not_adopted(tmp_path: Path) -> None:
    agent = "---\nname: gpt-helper\ndescription: Uses another model.\nmodel: gpt-4\n---\n\nHi.\n"
    write_tree(tmp_path, {".claude/agents/gpt-helper.md": agent})
    result = run(tmp_path, "import")
    assert result.code == 1
    assert "broken   .claude/agents/gpt-helper.md:4: model 'gpt-4' is not a Claude model" in (
        result.out
    )
    salvaged = run(tmp_path, "import", "--include-broken")
    assert "the build refuses it until the problems below are fixed" in salvaged.out
    assert not (tmp_path / ".skillforge/manifest.bin").exists()  # nothing recorded to rewrite
    assert (tmp_path / ".claude/agents/gpt-helper.md").read_text() == agent
