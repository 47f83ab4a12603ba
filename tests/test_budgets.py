"""Budgets (`[budgets]`): warnings, errors, strict mode and the skill listing simulator."""

from __future__ import annotations

from pathlib import Path

from helpers import build_json, project, run

from skillforge.budgets import evaluate, simulate_listing
from skillforge.config import DEFAULT_BUDGETS, load_config
from skillforge.cost import LISTING_ENTRY_CHARS, OutputCost


def configure(root: Path, budgets: str) -> None:
    (root / ".skillforge.toml").write_text(f'[vars]\norg = "Acme"\n\n[budgets]\n{budgets}\n')


def cost(name: str, listing: int, *, kind: str = "skill", entry_chars: int = 100) -> OutputCost:
    return OutputCost(
        path=f".claude/skills/{name}/SKILL.md",
        spec=f"specs/{name}.yaml",
        kind=kind,
        name=name,
        metadata_tokens=listing,
        body_tokens=100,
        files_tokens=0,
        body_lines=10,
        description_chars=entry_chars - len(name) - 2,
        description_file=f"specs/{name}.yaml",
        description_line=3,
        name_tokens=2,
        entry_chars=entry_chars,
        listing_tokens=listing,
        cut_text="lost words" if entry_chars > LISTING_ENTRY_CHARS else "",
    )


def test_body_lines_over_budget_is_a_warning(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    configure(tmp_path, "body_lines = 3")
    report = build_json(tmp_path)
    assert report["ok"] is True
    assert report["outputs"]["written"] == 1
    (warning,) = report["warnings"]
    assert warning["file"] == "specs/skill-0.yaml"
    assert warning["field"] == "sections"
    assert "body lines, over the budget of 3 ([budgets] body_lines)" in warning["message"]


def test_body_tokens_over_budget_is_a_warning_labelled_estimate(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    configure(tmp_path, "body_tokens = 5")
    result = run(tmp_path, "build")
    assert result.code == 0
    assert "warning: specs/skill-0.yaml: sections:" in result.err
    assert "tokens (estimate), over the budget of 5 ([budgets] body_tokens)" in result.err


def test_strict_turns_warnings_into_errors_and_the_spec_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path, skills=2, agents=0)
    configure(tmp_path, "body_lines = 3\nstrict = true")
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "error: specs/skill-0.yaml: sections:" in result.err
    assert not (tmp_path / ".claude/skills/skill-0/SKILL.md").exists()
    again = build_json(tmp_path)  # a failed spec is built (and judged) again
    assert again["ok"] is False
    configure(tmp_path, "body_lines = 500\nstrict = true")
    fixed = build_json(tmp_path)
    assert fixed["ok"] is True
    assert (tmp_path / ".claude/skills/skill-0/SKILL.md").is_file()


def test_description_over_budget_is_an_error_at_its_line(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=1)
    configure(tmp_path, "description_chars = 20")
    result = run(tmp_path, "build")
    assert result.code == 1
    assert (
        "error: specs/skill-0.yaml:3: description: 56 characters, over the budget of 20 "
        "([budgets] description_chars); shorten it"
    ) in result.err
    assert not (tmp_path / ".claude/skills/skill-0/SKILL.md").exists()


def test_listing_overflow_names_the_dropped_skills(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=0)
    configure(tmp_path, "context_tokens = 1000\nlisting_fraction = 0.03")
    report = build_json(tmp_path)
    assert report["ok"] is True
    (warning,) = report["warnings"]
    assert warning["field"] == "budgets.listing_fraction"
    assert warning["file"] == ".skillforge.toml"
    assert "tokens (estimate) of 30" in warning["message"]
    assert "drop the descriptions of" in warning["message"]
    listing = run(tmp_path, "stats", "--json").report["budgets"]["listing"]
    assert listing["budget_tokens"] == 30
    assert listing["dropped"]
    # unchanged listing: not reported again by the next build
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Edited notes"))
    assert build_json(tmp_path)["warnings"] == []


def test_strict_listing_overflow_fails_the_build(tmp_path: Path) -> None:
    project(tmp_path, skills=3, agents=0)
    configure(tmp_path, "context_tokens = 1000\nlisting_fraction = 0.03\nstrict = true")
    result = run(tmp_path, "build")
    assert result.code == 1
    assert "error: .skillforge.toml: budgets.listing_fraction:" in result.err
    # nothing changed, but the listing still fails: the next build is not a passing no-op
    again = run(tmp_path, "build")
    assert again.code == 1
    assert "budgets.listing_fraction" in again.err
    # fixed in the config: the build passes, and the one after it is a no-op again
    configure(tmp_path, "context_tokens = 1000000\nstrict = true")
    assert run(tmp_path, "build").code == 0
    assert build_json(tmp_path)["specs"]["parsed"] == 0
    assert run(tmp_path, "build").code == 0


def test_listing_simulator_keeps_names_and_drops_descriptions_in_order() -> None:
    budgets = dict(DEFAULT_BUDGETS, context_tokens=10_000, listing_fraction=0.01)  # 100 tokens
    costs = [cost(f"skill-{i}", 30) for i in range(4)] + [cost("agent", 500, kind="agent")]
    listing = simulate_listing(budgets, costs)
    assert listing.skills == 4
    assert listing.needed_tokens == 4 * (30 + 2)
    # names: 4 * (2 + 2) = 16; room 84: two descriptions of 28 fit, the third would not
    assert [c.name for c in listing.dropped] == ["skill-3"]
    assert listing.shown_tokens == 16 + 3 * 28
    assert not listing.cut


def test_listing_simulator_reports_entries_cut_at_1536_characters() -> None:
    budgets = dict(DEFAULT_BUDGETS)
    listing = simulate_listing(budgets, [cost("long", 400, entry_chars=1800), cost("short", 20)])
    assert [c.name for c in listing.cut] == ["long"]
    assert listing.as_json()["cut"][0] == {
        "name": "long",
        "path": ".claude/skills/long/SKILL.md",
        "entry_chars": 1800,
        "cut_at": 1536,
        "lost_from": "lost words",
    }
    assert not listing.dropped


def test_evaluate_is_the_whole_verdict_for_check(tmp_path: Path) -> None:
    configure(tmp_path, "body_tokens = 50\ndescription_chars = 10")
    config = load_config(tmp_path / ".skillforge.toml")
    problems = evaluate(config, [cost("a", 20), cost("b", 20, entry_chars=2000)])
    kinds = sorted((p.file, p.field, p.severity) for p in problems)
    assert ("specs/a.yaml", "description", "error") in kinds
    assert ("specs/a.yaml", "sections", "warning") in kinds
    assert any("cuts it at 1,536" in p.message for p in problems)


def test_budget_messages_say_one_skill_and_one_description(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    configure(tmp_path, "context_tokens = 100\nlisting_fraction = 0.01")
    (warning,) = build_json(tmp_path)["warnings"]
    assert "drop the description of 1 of 1 skill (" in warning["message"], warning
    assert "skills" not in warning["message"].split("(least")[0]
