"""Shared paths, sections rendered once for every target, and check/clean/orphans over all."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import build_file_tree, build_json, project, run

SIX = 'targets = ["claude", "agents", "codex", "cursor", "copilot", "opencode"]\n'
ONE = 'targets = ["claude"]\n'


def test_shared_path_is_written_once_with_the_common_keys(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: shared
    description: Shared skill.
    compatibility: Needs git
    license: MIT
    sections:
      - id: overview
        body: Shared.
    """
    build_file_tree(
        tmp_path, {".skillforge.toml": 'targets = ["agents", "codex"]\n', "specs/s.yaml": spec}
    )
    report = build_json(tmp_path)
    assert report["ok"], report["errors"]
    assert report["written"] == [".agents/skills/shared/SKILL.md"]
    text = (tmp_path / ".agents/skills/shared/SKILL.md").read_text()
    assert "license: MIT" in text and "compatibility" not in text  # Codex refuses the key
    assert report["dropped"][".agents/skills/shared/SKILL.md"] == ["compatibility"]
    # each target of the path says what it lost: agents keeps `compatibility` on its own, and
    # drops it here because Codex, which writes the same file, does not accept it
    shutil.rmtree(tmp_path / ".agents")
    again = build_json(tmp_path, "--explain")
    assert again["reasons"][".agents/skills/shared/SKILL.md"] == [
        "output missing",
        "agents: dropped compatibility",
        "codex: dropped compatibility",
    ]


def test_shared_path_conflict_names_both_targets_and_the_line(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: shared
    description: Shared skill.
    targets:
      codex: {description: Codex wording.}
    sections:
      - id: overview
        body: Shared.
    """
    build_file_tree(
        tmp_path, {".skillforge.toml": 'targets = ["agents", "codex"]\n', "specs/s.yaml": spec}
    )
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "targets 'agents' and 'codex' both write .agents/skills/shared/SKILL.md" in result.err
    assert "differ at line 3" in result.err
    assert "'description: \"Shared skill.\"' vs 'description: \"Codex wording.\"'" in result.err
    assert "specs/s.yaml:4" in result.err  # the spec's `targets:` line
    assert not (tmp_path / ".agents").exists()


def test_a_section_reading_target_is_rendered_per_target(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: tool
    description: A tool.
    sections:
      - id: shared
        body: "For {{ spec.name }}."
      - id: per-tool
        body: "In {{ target.title }}."
    """
    build_file_tree(
        tmp_path,
        {".skillforge.toml": 'targets = ["claude", "cursor", "copilot"]\n', "specs/s.yaml": spec},
    )
    report = build_json(tmp_path)
    assert report["sections"]["rendered"] == 1 + 3
    assert "In Cursor." in (tmp_path / ".cursor/skills/tool/SKILL.md").read_text()
    assert "In GitHub Copilot." in (tmp_path / ".github/skills/tool/SKILL.md").read_text()
    assert "In Claude Code." in (tmp_path / ".claude/skills/tool/SKILL.md").read_text()


def test_sections_rendered_with_six_targets_equal_one(tmp_path: Path) -> None:
    counts = {}
    for name, config in (("one", ONE), ("six", SIX)):
        root = tmp_path / name
        project(root, skills=3, agents=2, extra={".skillforge.toml": config})
        report = build_json(root)
        assert report["ok"], report["errors"]
        counts[name] = report["sections"]["rendered"]
    assert counts["one"] == counts["six"] > 0


def test_fresh_clone_check_passes_over_all_targets(tmp_path: Path) -> None:
    root = tmp_path / "work"
    project(root, skills=2, agents=1, extra={".skillforge.toml": SIX + '[vars]\norg = "A"\n'})
    assert build_json(root)["ok"]
    assert run(root, "check").code == 0
    clone = tmp_path / "clone"  # what git would give: everything but the ignored cache
    shutil.copytree(root, clone, ignore=shutil.ignore_patterns(".skillforge"))
    result = run(clone, "check")
    assert result.code == 0, result.out + result.err
    assert not (clone / ".skillforge").exists()
    # a hand edit and an orphan in another target's folder are still told apart
    (clone / ".opencode/agents/agent-0.md").write_text(
        (clone / ".opencode/agents/agent-0.md").read_text() + "edit\n"
    )
    shutil.copy(clone / ".codex/agents/agent-0.toml", clone / ".codex/agents/gone.toml")
    result = run(clone, "check", "--no-diff")
    assert result.code == 1
    assert "edited: .opencode/agents/agent-0.md" in result.out
    assert "orphaned: .codex/agents/gone.toml" in result.out


def test_dropping_a_target_removes_its_outputs_and_clean_covers_all(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=1, extra={".skillforge.toml": SIX})
    assert build_json(tmp_path)["ok"]
    (tmp_path / ".skillforge.toml").write_text('targets = ["claude", "codex"]\n')
    report = build_json(tmp_path)
    assert ".cursor/agents/agent-0.md" in report["removed"]
    assert ".github/prompts" not in str(report["removed"])
    for folder in (".cursor", ".opencode", ".github"):
        assert not [p for p in (tmp_path / folder).rglob("*") if p.is_file()], folder
    build_file_tree(tmp_path, {".github/workflows/ci.yml": "on: push\n"})
    result = run(tmp_path, "clean")
    assert result.code == 0
    assert not (tmp_path / ".codex/agents/agent-0.toml").exists()
    assert not (tmp_path / ".agents/skills").exists()
    assert (tmp_path / ".github/workflows/ci.yml").exists()  # not skillforge's


def test_listing_simulators_per_target_in_stats(tmp_path: Path) -> None:
    long = "x" * 1600
    spec = f"kind: skill\nname: big\ndescription: {long}\n"
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": 'targets = ["claude", "codex"]\n[budgets]\ncontext_tokens = 1000\n'
            "description_chars = 5000\n",
            "specs/big.yaml": spec,
            "specs/small.yaml": "kind: skill\nname: small\ndescription: Small.\n",
        },
    )
    report = build_json(tmp_path)
    assert any(e["field"] == "description" for e in report["errors"])  # codex: over 1,024
    (tmp_path / ".skillforge.toml").write_text(
        'targets = ["claude"]\n[budgets]\ncontext_tokens = 1000\ndescription_chars = 5000\n'
    )
    assert build_json(tmp_path)["ok"]
    listings = run(tmp_path, "stats", "--json").report["budgets"]["listings"]
    claude = listings["claude"]
    assert claude["budget_chars"] == 1000 * 4 * 0.01 == 40
    assert claude["entry_limit"] == 1536 and claude["cut"] == ["big"]
    assert claude["over_budget"] == ["big", "small"]
    (tmp_path / ".skillforge.toml").write_text(
        'targets = ["claude", "codex"]\n[budgets]\ncontext_tokens = 0\ndescription_chars = 5000\n'
    )
    (tmp_path / "specs/big.yaml").unlink()
    assert build_json(tmp_path)["ok"]
    codex = run(tmp_path, "stats", "--json").report["budgets"]["listings"]["codex"]
    assert codex["budget_chars"] == 8000 and codex["over_budget"] == []


def test_costs_are_the_first_targets_not_a_sum_over_targets(tmp_path: Path) -> None:
    spec = """
    kind: skill
    name: doc
    description: A skill with a file.
    sections:
      - id: a
        body: Text.
    files:
      - {src: ref.md, dest: references/ref.md}
    """
    tokens = {}
    for name, config in (("one", ONE), ("six", SIX)):
        root = tmp_path / name
        build_file_tree(
            root,
            {".skillforge.toml": config, "specs/doc.yaml": spec, "specs/ref.md": "hello world\n"},
        )
        assert build_json(root)["ok"]
        outputs = run(root, "stats", "--json").report["outputs"]
        assert len(outputs) == 1
        tokens[name] = (outputs[0]["files_tokens"], outputs[0]["body_tokens"])
    assert tokens["one"] == tokens["six"]


def test_every_targets_body_is_the_same_text(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0, extra={".skillforge.toml": SIX})
    assert build_json(tmp_path)["ok"]
    bodies = {
        folder: (tmp_path / folder / "skills/skill-0/SKILL.md").read_text().split("\n---\n", 1)[1]
        for folder in (".claude", ".agents", ".cursor", ".github", ".opencode")
    }
    assert len(set(bodies.values())) == 1, bodies
