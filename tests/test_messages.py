"""What skillforge tells a person: configured folders, build listings, YAML snippets, hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import build_file_tree, build_json, project, run

# --- configured folders must exist (issue 10, §1.1) ---------------------------------------


def test_typo_in_the_specs_folder_is_a_config_error_and_removes_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    outputs = sorted(p for p in (tmp_path / ".claude").rglob("*") if p.is_file())
    (tmp_path / ".skillforge.toml").write_text('specs = ["spec"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'specs': spec/ does not exist" in result.err
    assert "did you mean 'specs'?" in result.err
    assert sorted(p for p in (tmp_path / ".claude").rglob("*") if p.is_file()) == outputs
    check = run(tmp_path, "check")
    assert check.code == 2
    assert "spec/ does not exist" in check.err
    assert "is gone" not in check.out + check.err


def test_watch_refuses_a_missing_specs_folder(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text('specs = ["specs", "more"]\n')
    result = run(tmp_path, "watch")
    assert result.code == 2
    assert "more/ does not exist" in result.err


@pytest.mark.parametrize("key", ["traits", "templates"])
def test_configured_traits_and_templates_folders_must_exist(tmp_path: Path, key: str) -> None:
    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text(f'{key} = ["{key}x"]\n')
    result = run(tmp_path, "build")
    assert result.code == 2
    assert f"'{key}': {key}x/ does not exist" in result.err


def test_default_traits_and_templates_folders_may_be_absent(tmp_path: Path) -> None:
    project(tmp_path)
    assert not (tmp_path / "traits").exists() and not (tmp_path / "templates").exists()
    assert run(tmp_path, "build").code == 0


def test_default_specs_folder_must_exist_with_a_config(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": "", "spec/a.yaml": "kind: skill\n"})
    result = run(tmp_path, "build")
    assert result.code == 2
    assert "'specs': specs/ does not exist" in result.err


# --- what build says it did (issue 10, §1.9) -----------------------------------------------


@pytest.mark.parametrize("where", ["traits", ".claude"])
def test_build_of_a_path_outside_the_spec_folders_is_a_usage_error(
    tmp_path: Path, where: str
) -> None:
    project(tmp_path, extra={"traits/concise.yaml": "sections: []\n"})
    assert run(tmp_path, "build").code == 0
    result = run(tmp_path, "build", where)
    assert result.code == 2
    assert f"{where}: not in a spec folder (specs/)" in result.err
    assert run(tmp_path, "build", ".").code == 0
    assert run(tmp_path, "build", "specs/agents").code == 0


def test_dry_run_explain_says_would_write(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "build", "--dry-run", "--explain")
    assert result.code == 0
    assert "would write .claude/skills/skill-0/SKILL.md: new spec" in result.out
    assert "\nwrote " not in "\n" + result.out
    assert not (tmp_path / ".claude").exists()


def test_plain_build_lists_what_it_wrote(tmp_path: Path) -> None:
    project(tmp_path)
    lines = run(tmp_path, "build").out.splitlines()
    assert lines[:3] == [
        "wrote .claude/agents/agent-0.md",
        "wrote .claude/skills/skill-0/SKILL.md",
        "wrote .claude/skills/skill-1/SKILL.md",
    ]
    assert lines[3].startswith("built: 3 specs, 3 written, 0 unchanged")
    assert run(tmp_path, "build", "--force", "-q").out == ""


def test_a_big_build_lists_the_first_outputs_and_counts_the_rest(tmp_path: Path) -> None:
    project(tmp_path, skills=25, agents=0)
    lines = run(tmp_path, "build", "--jobs", "1").out.splitlines()
    assert len([line for line in lines if line.startswith("wrote ")]) == 20
    assert lines[-2] == "... and 5 more"
    assert lines[-1].startswith("built: 25 specs, 25 written")


def test_rewritten_supporting_files_are_counted(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: docs\ndescription: Writes docs. Use when asked.\n"
        "files: [{src: assets/guide.md, dest: references/guide.md}]\n"
        "sections:\n  - {id: a, body: Read references/guide.md.}\n"
    )
    project(tmp_path, extra={"specs/docs.yaml": spec, "specs/assets/guide.md": "one\n"})
    assert run(tmp_path, "build").code == 0
    (tmp_path / "specs/assets/guide.md").write_text("two\n")
    result = run(tmp_path, "build")
    assert result.code == 0
    assert "0 written, 4 unchanged, 1 supporting file written" in result.out
    assert (tmp_path / ".claude/skills/docs/references/guide.md").read_text() == "two\n"


def test_a_changed_budget_judges_the_listing_again(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    config = tmp_path / ".skillforge.toml"
    config.write_text(config.read_text() + "[budgets]\ncontext_tokens = 1000\n")
    result = run(tmp_path, "build")
    assert result.code == 0
    assert "budgets.listing_fraction: the skill listing needs about" in result.err


def test_plurals_in_the_summary(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    assert "built: 1 spec, 1 written" in run(tmp_path, "build").out


# --- YAML errors with the source line, a caret and the fix (issue 10, §3.2) ------------------


def _spec(description_line: str, section_indent: str = "  ") -> str:
    return (
        f"kind: skill\nname: a-b\n{description_line}\nsections:\n"
        f"{section_indent}- {{id: a, body: x}}\n"
    )


def test_unquoted_colon_shows_the_line_a_caret_and_the_quoted_value(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/a.yaml": _spec("description: Use when: the user asks")})
    result = run(tmp_path, "build")
    assert result.code == 1
    lines = result.err.splitlines()
    at = lines.index(
        "error: specs/a.yaml:3: YAML syntax error: mapping values are not allowed in this context"
    )
    assert lines[at + 1] == "  3 | description: Use when: the user asks"
    assert lines[at + 2] == "    |                      ^"
    assert lines[at + 3] == (
        "  = hint: quote the value, it contains ': ' (or write it as a '>-' block): "
        'description: "Use when: the user asks"'
    )


def test_tab_indent_says_use_spaces(tmp_path: Path) -> None:
    spec = _spec("description: Does a. Use when b.", section_indent="\t")
    project(tmp_path, extra={"specs/a.yaml": spec})
    result = run(tmp_path, "check")
    assert result.code == 1
    assert "error: specs/a.yaml:5: YAML syntax error" in result.out
    assert "  5 |  - {id: a, body: x}" in result.out
    assert "  = hint: YAML indents with spaces, not tabs" in result.out


def test_every_error_with_a_line_gets_its_snippet(tmp_path: Path) -> None:
    bad = "kind: skill\nname: Bad_Name\ndescription: Does a. Use when b.\n"
    project(tmp_path, extra={"specs/bad.yaml": bad})
    lines = run(tmp_path, "build").err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("error: specs/bad.yaml:2:"))
    assert lines[at + 1 : at + 3] == ["  2 | name: Bad_Name", "    |       ^^^^^^^^"]


def test_json_keeps_its_fields_and_adds_the_hint(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/a.yaml": _spec("description: Use when: the user asks")})
    [error] = build_json(tmp_path)["errors"]
    assert error["file"] == "specs/a.yaml" and error["line"] == 3 and error["column"] == 22
    assert error["message"].startswith("YAML syntax error: mapping values")
    assert 'description: "Use when: the user asks"' in error["hint"]
    github = run(tmp_path, "check", "--format", "github").out
    assert "::error file=specs/a.yaml,line=3," in github
    assert "%0Ahint: quote the value" in github


# --- an error in a shared file is printed once, with a count (issue 10, §3.3) ----------------

SHARED = {
    "traits/house.yaml": "sections:\n  - {id: house, template: sections/nope.md.j2}\n",
}


def _with_trait(n: int) -> dict[str, str]:
    files = dict(SHARED)
    for i in range(n):
        files[f"specs/s{i}.yaml"] = (
            f"kind: skill\nname: s{i}\ndescription: Does s{i}. Use when asked.\n"
            "traits: [house]\nsections:\n  - {id: a, body: x}\n"
        )
    return files


def test_a_trait_error_is_printed_once_with_the_number_of_specs_it_fails(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": "", **_with_trait(5)})
    result = run(tmp_path, "build", "--jobs", "1")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: traits/house.yaml:2:")
    assert errors[0].endswith("(fails 5 specs)")
    assert "1 error in" in result.out
    assert len(build_json(tmp_path)["errors"]) == 5  # --json keeps one entry per spec
    check = run(tmp_path, "check")
    assert len([x for x in check.out.splitlines() if x.startswith("error:")]) == 1
    assert "(fails 5 specs)" in check.out


def test_an_extends_cycle_is_one_error_without_cascades(tmp_path: Path) -> None:
    files = {
        ".skillforge.toml": "",
        "specs/_bases/a.yaml": "extends: b.yaml\nsections:\n  - {id: one, body: x}\n",
        "specs/_bases/b.yaml": "extends: a.yaml\n",
    }
    for name, base in (("s1", "a"), ("s2", "b"), ("s3", "a")):
        files[f"specs/{name}.yaml"] = (
            f"kind: skill\nname: {name}\ndescription: Does it. Use when asked.\n"
            f"extends: _bases/{base}.yaml\nsections:\n  - {{id: two, body: y, after: one}}\n"
        )
    build_file_tree(tmp_path, files)
    result = run(tmp_path, "build")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: specs/_bases/b.yaml:1: extends: extends cycle: specs/_bases/a.yaml -> "
        "specs/_bases/b.yaml -> specs/_bases/a.yaml (fails 3 specs)"
    ]


# --- a closed pipe ends the printing, not the build (issue 10, §3.4) ------------------------


def _build_into_closed_pipe(root: Path, *args: str) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: `... | head -0`
    try:
        # -u: every line reaches the pipe at once, as a full buffer would in a big build
        done = subprocess.run(
            [sys.executable, "-u", "-m", "skillforge", *args],
            cwd=root,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


def test_explain_into_a_closed_pipe_publishes_everything_and_ends_quietly(tmp_path: Path) -> None:
    project(tmp_path, skills=4, agents=2)
    code, err = _build_into_closed_pipe(tmp_path, "build", "--explain")
    assert (code, err) == (0, "")
    outputs = [p for p in (tmp_path / ".claude").rglob("*.md")]
    assert len(outputs) == 6
    assert build_json(tmp_path)["written"] == []  # the manifest describes what was published


def test_json_and_check_into_a_closed_pipe_end_quietly(tmp_path: Path) -> None:
    project(tmp_path)
    assert _build_into_closed_pipe(tmp_path, "build", "--json") == (0, "")
    assert _build_into_closed_pipe(tmp_path, "check") == (0, "")
    assert _build_into_closed_pipe(tmp_path, "stats") == (0, "")


# --- hints that point the right way; with: keys of the built-in templates (issue 10, §3.5) ---


def test_far_keys_get_no_did_you_mean(tmp_path: Path) -> None:
    spec = "kind: skill\nname: a\ndescription: Does a. Use when b.\ntags: [x]\nrisk: low\n"
    project(tmp_path, extra={"specs/a.yaml": spec})
    err = run(tmp_path, "build").err
    assert "unknown key 'tags'" in err and "unknown key 'risk'" in err
    assert "did you mean 'traits'" not in err
    spec = "kind: skill\nname: a\ndescription: Does a. Use when b.\ndescripton: x\n"
    (tmp_path / "specs/a.yaml").write_text(spec)
    assert "did you mean 'description'?" in run(tmp_path, "build").err


def _steps_spec(with_: str) -> str:
    return (
        "kind: skill\nname: a\ndescription: Does a. Use when b.\nsections:\n"
        "  - id: how\n    template: sections/steps.md.j2\n"
        f"    with: {with_}\n"
    )


def test_unknown_with_key_of_a_builtin_template_is_an_error_with_a_hint(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/a.yaml": _steps_spec("{steps: [One], intoo: Hi}")})
    result = run(tmp_path, "build")
    assert result.code == 1
    assert (
        "error: specs/a.yaml:7: with.intoo: unknown key 'intoo' for sections/steps.md.j2 "
        "(did you mean 'intro'?); its keys: steps, intro"
    ) in result.err


def test_misspelled_required_with_key_is_blamed_on_the_spec(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/a.yaml": _steps_spec("{step: [One]}")})
    err = run(tmp_path, "build").err
    assert "specs/a.yaml:7: with.step: unknown key 'step' for sections/steps.md.j2" in err
    assert "(did you mean 'steps'?)" in err
    assert "required by" not in err and "needs 'steps'" not in err


def test_missing_required_with_key(tmp_path: Path) -> None:
    project(tmp_path, extra={"specs/a.yaml": _steps_spec("{intro: Hi}")})
    err = run(tmp_path, "build").err
    assert "specs/a.yaml:7: with: sections/steps.md.j2 needs 'steps' in with:" in err


def test_a_project_override_of_a_builtin_is_not_checked(tmp_path: Path) -> None:
    override = {"templates/sections/steps.md.j2": "{{ section.with.anything }}\n"}
    project(tmp_path, skills=0, extra={"specs/a.yaml": _steps_spec("{anything: ok}"), **override})
    assert run(tmp_path, "build").code == 0


def test_every_builtin_section_declares_its_with_keys() -> None:
    from skillforge.engine.load.template_keys import declared_keys
    from skillforge.state.inventory import builtin_templates_dir

    folder = Path(builtin_templates_dir()) / "sections"
    templates = sorted(folder.glob("*.md.j2"))
    assert templates
    readme = (folder.parent / "README.md").read_text()
    for template in templates:
        keys = declared_keys(str(template))
        assert keys, template.name
        row = next(x for x in readme.splitlines() if f"`sections/{template.name}`" in x)
        for key in keys.top:
            assert f"`{key}`" in row, (template.name, key)


# --- small ones (issue 10, §3.6) --------------------------------------------------------------


def test_help_shows_no_type_placeholders_for_flags(tmp_path: Path) -> None:
    out = run(tmp_path, "build", "--help").out
    force = next(line for line in out.splitlines() if "--force" in line)
    assert "<bool>" not in force
    assert "PATHS" in out


def test_stats_says_no_lookups_instead_of_a_ratio_of_nothing(tmp_path: Path) -> None:
    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    out = run(tmp_path, "stats").out
    fragments = next(line for line in out.splitlines() if line.strip().startswith("fragments"))
    assert "- (no lookups)" in fragments
    assert "(0/0)" not in out


def test_stats_columns_never_run_together() -> None:
    from skillforge.report.stats import table

    lines = table(
        ["output", "metadata", "body", "files", "lines"],
        [["out/skills/loki-mode/SKILL.md", "153", "6,478", "1,530,224", "716"]],
        (52, 10, 9, 9, 7),
    )
    assert lines[1].split() == ["out/skills/loki-mode/SKILL.md", "153", "6,478", "1,530,224", "716"]


def test_stats_tables_fold_names_at_60_columns(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from skillforge.engine.load.config import load_config
    from skillforge.engine.stats import gather
    from skillforge.report.stats_terminal import print_stats

    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    out = io.StringIO()
    print_stats(
        gather(load_config(tmp_path / ".skillforge.toml")), console=Console(file=out, width=60)
    )
    text = out.getvalue()
    assert "…" not in text
    assert "sections/steps.md.j2" in text
    assert "potential" in text


@pytest.mark.parametrize("width", [60, 100])
def test_slow_render_times_are_never_cut_from_the_stats_table(tmp_path: Path, width: int) -> None:
    """A loaded machine once made the render times wide enough that, at 60 columns, the
    last column and the last digits were cut off."""
    import io

    from rich.console import Console

    from skillforge.engine.load.config import load_config
    from skillforge.engine.stats import gather
    from skillforge.report.stats_terminal import print_stats

    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    data = gather(load_config(tmp_path / ".skillforge.toml"))
    assert data["templates"]
    for row in data["templates"]:
        row.update(total_ms=123456.7, mean_ms=12345.67, max_ms=98765.43, cache_potential=1.0)
    out = io.StringIO()
    print_stats(data, console=Console(file=out, width=width))
    text = out.getvalue()
    assert "sections/steps.md.j2" in text and "potential" in text and "100%" in text
    assert "123,456.7" in text
    assert ("12,345.67" in text and "98,765.43" in text) == (width >= 80), text


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_config_errors_reach_json_and_github_output(tmp_path: Path, fmt: str) -> None:
    import json

    project(tmp_path)
    (tmp_path / ".skillforge.toml").write_text("budget = 1\n")
    result = run(tmp_path, "check", "--format", fmt)
    assert result.code == 2
    if fmt == "json":
        data = json.loads(result.out)
        assert data["ok"] is False
        [error] = data["errors"]
        assert error["file"] == ".skillforge.toml"
        assert "unknown key 'budget'" in error["message"]
    else:
        assert result.out.startswith("::error file=.skillforge.toml,title=skillforge config::")
        assert "unknown key 'budget'" in result.out


def test_check_diffs_are_coloured_on_a_terminal_unless_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from skillforge.engine.check import run_check
    from skillforge.engine.load.config import load_config
    from skillforge.engine.options import CheckOptions
    from skillforge.report.check import print_report

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    project(tmp_path)
    assert run(tmp_path, "build").code == 0
    skill = tmp_path / ".claude/skills/skill-0/SKILL.md"
    (tmp_path / "specs/skill-0.yaml").write_text(
        (tmp_path / "specs/skill-0.yaml").read_text().replace("Plain notes", "New notes")
    )
    config = load_config(tmp_path / ".skillforge.toml")
    report = run_check(config, CheckOptions(), None)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    print_report(report, CheckOptions(), config, out)
    assert "\x1b[31m-Plain notes without Jinja.\x1b[0m" in out.getvalue()
    assert "\x1b[32m+New notes without Jinja.\x1b[0m" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Terminal()
    print_report(report, CheckOptions(), config, plain)
    assert "\x1b[" not in plain.getvalue() and "-Plain notes" in plain.getvalue()
    assert skill.exists()


def test_keys_of_the_mappings_in_a_builtin_list_are_checked(tmp_path: Path) -> None:
    spec = (
        "kind: skill\nname: a\ndescription: Does a. Use when b.\nsections:\n"
        "  - id: help\n    template: sections/troubleshooting.md.j2\n"
        "    with: {problems: [{problem: It is encrypted, solution: Ask for the password.}]}\n"
    )
    project(tmp_path, extra={"specs/a.yaml": spec})
    err = run(tmp_path, "build").err
    assert (
        "specs/a.yaml:7: with.problems[0].solution: unknown key 'solution' in problems[0] for "
        "sections/troubleshooting.md.j2; its keys: problem, fix"
    ) in err
    assert "sections/troubleshooting.md.j2 needs 'fix' in problems[0]" in err
    assert "use `is defined`" not in err
