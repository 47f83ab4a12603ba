"""`skillforge check`: stale, missing, orphaned and edited outputs, rules, formats, no writes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import SKILL, build_file_tree, build_json, project, run

from skillforge.cli.fastparse import parse
from skillforge.cli.flags import COMMANDS
from skillforge.engine.check import run_check
from skillforge.engine.load.config import load_config
from skillforge.engine.options import CheckOptions
from skillforge.report.check import command, escape_data, escape_property

REPO = Path(__file__).resolve().parent.parent
SKILL0 = ".claude/skills/skill-0/SKILL.md"
AGENT0 = ".claude/agents/agent-0.md"


def built(root: Path, **kwargs: Any) -> Path:
    """A project built once: outputs, manifest and cache on disk."""
    project(root, **kwargs)
    result = run(root, "build", "-q")
    assert result.code == 0, result.err
    return root


def check_json(root: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = run(root, "check", "--format", "json", *args)
    report: dict[str, object] = json.loads(result.out)
    return result.code, report


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under `root` (the cache folder included): mtime, size, digest."""
    found: dict[str, tuple[int, int, str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            found[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size, digest)
    return found


def edit_keeping_stat(path: Path, old: bytes, new: bytes) -> None:
    """Change bytes of a file without changing its size or mtime."""
    assert len(old) == len(new)
    info = path.stat()
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


# -- the verdicts ---------------------------------------------------------------------------


def test_clean_project_passes(tmp_path: Path) -> None:
    built(tmp_path)
    result = run(tmp_path, "check")
    assert result.code == 0, result.out
    assert result.out.startswith("check passed: 3 specs, 3 outputs up to date")
    code, report = check_json(tmp_path)
    assert code == 0
    assert report["ok"] is True
    assert report["specs"] == {"total": 3, "rendered": 0}


def test_edited_spec_not_built_is_stale_with_a_diff(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    result = run(tmp_path, "check")
    assert result.code == 1
    assert f"stale: {SKILL0}: differs from a fresh render of specs/skill-0.yaml" in result.out
    assert f"--- a/{SKILL0}\n+++ b/{SKILL0}\n" in result.out
    assert "\n-Plain notes without Jinja.\n+Fresh notes without Jinja.\n" in result.out
    assert "check failed: 3 specs, 1 stale" in result.out
    code, report = check_json(tmp_path)
    assert code == 1
    (stale,) = report["stale"]  # type: ignore[misc]
    assert stale["path"] == SKILL0
    assert stale["spec"] == "specs/skill-0.yaml"
    assert "+Fresh notes" in stale["diff"]
    assert report["specs"] == {"total": 3, "rendered": 1}
    assert "Fresh notes" not in (tmp_path / SKILL0).read_text()


def test_no_diff_option(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    result = run(tmp_path, "check", "--no-diff")
    assert result.code == 1
    assert "stale:" in result.out and "+++" not in result.out
    _, report = check_json(tmp_path, "--no-diff")
    assert "diff" not in report["stale"][0]  # type: ignore[index]


def test_template_change_makes_its_users_stale(tmp_path: Path) -> None:
    built(tmp_path)
    override = "{% for s in section.with.steps %}* {{ s }}\n{% endfor %}"
    build_file_tree(tmp_path, {"templates/sections/steps.md.j2": override})
    code, report = check_json(tmp_path)
    assert code == 1
    stale = sorted(f["path"] for f in report["stale"])  # type: ignore[attr-defined]
    assert stale == [SKILL0, ".claude/skills/skill-1/SKILL.md"]


def test_missing_output_fails(tmp_path: Path) -> None:
    built(tmp_path)
    (tmp_path / AGENT0).unlink()
    result = run(tmp_path, "check")
    assert result.code == 1
    assert f"missing: {AGENT0}: not on disk; specs/agents/agent-0.yaml produces it" in result.out
    _, report = check_json(tmp_path)
    assert report["outputs"]["missing"] == 1  # type: ignore[index]


def test_orphan_of_a_deleted_spec_fails(tmp_path: Path) -> None:
    built(tmp_path)
    (tmp_path / "specs/skill-1.yaml").unlink()
    result = run(tmp_path, "check")
    assert result.code == 1
    assert (
        "orphaned: .claude/skills/skill-1/SKILL.md: skillforge wrote it for specs/skill-1.yaml, "
        "which is gone; run `skillforge build` to remove it" in result.out
    )
    assert (tmp_path / ".claude/skills/skill-1/SKILL.md").exists()


def test_renamed_skill_leaves_an_orphan(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-1.yaml"
    spec.write_text(spec.read_text().replace("name: skill-1", "name: skill-one"))
    code, report = check_json(tmp_path)
    assert code == 1
    assert [f["path"] for f in report["missing"]] == [".claude/skills/skill-one/SKILL.md"]  # type: ignore[attr-defined]
    (orphan,) = report["orphaned"]  # type: ignore[misc]
    assert orphan["path"] == ".claude/skills/skill-1/SKILL.md"
    assert "which no longer produces it" in orphan["message"]


def test_hand_edit_fails_even_with_size_and_mtime_restored(tmp_path: Path) -> None:
    built(tmp_path)
    edit_keeping_stat(tmp_path / SKILL0, b"Plain notes", b"Plain NOTES")
    line = (tmp_path / SKILL0).read_text().splitlines().index("Plain NOTES without Jinja.") + 1
    result = run(tmp_path, "check", "--format", "github")
    assert result.code == 1
    assert result.out.startswith(
        f"::error file={SKILL0},line={line},title=Generated file edited by hand::"
        f"{SKILL0}: edited by hand since skillforge wrote it; move the change into "
        "specs/skill-0.yaml"
    ), result.out
    _, report = check_json(tmp_path)
    assert [f["path"] for f in report["edited"]] == [SKILL0]  # type: ignore[attr-defined]


def test_hand_edited_input_with_restored_stat_is_still_seen(tmp_path: Path) -> None:
    built(tmp_path)
    edit_keeping_stat(tmp_path / "specs/skill-0.yaml", b"Plain notes", b"Plain NOTES")
    code, report = check_json(tmp_path)
    assert code == 1
    assert [f["path"] for f in report["stale"]] == [SKILL0]  # type: ignore[attr-defined]


def test_stale_supporting_file(tmp_path: Path) -> None:
    extra = {
        "specs/assets/forms.md": "Form help.\n",
        "specs/skill-0.yaml": SKILL.format(name="skill-0")
        + "files:\n  - {src: assets/forms.md, dest: references/forms.md}\n",
    }
    built(tmp_path, extra=extra)
    (tmp_path / "specs/assets/forms.md").write_text("Better form help.\n")
    code, report = check_json(tmp_path)
    assert code == 1
    (stale,) = report["stale"]  # type: ignore[misc]
    assert stale["path"] == ".claude/skills/skill-0/references/forms.md"


def test_rule_failure_names_file_line_and_field(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("name: skill-0", "name: Skill_0"))
    result = run(tmp_path, "check")
    assert result.code == 1
    assert "error: specs/skill-0.yaml:2: name:" in result.out
    github = run(tmp_path, "check", "--format", "github").out
    assert "::error file=specs/skill-0.yaml,line=2,title=skillforge check::name: " in github
    # the output of the failing spec is not called an orphan
    assert "orphaned" not in result.out


def test_two_specs_with_one_output_fail(tmp_path: Path) -> None:
    built(tmp_path)
    build_file_tree(tmp_path, {"specs/copy.yaml": SKILL.format(name="skill-0")})
    code, report = check_json(tmp_path)
    assert code == 1
    # both fail, each naming the other (the unchanged one from the manifest's record)
    errors = {e["file"]: e["message"] for e in report["errors"]}  # type: ignore[index]
    assert set(errors) == {"specs/copy.yaml", "specs/skill-0.yaml"}
    assert "also produced by specs/skill-0.yaml" in errors["specs/copy.yaml"]
    assert "also produced by specs/copy.yaml" in errors["specs/skill-0.yaml"]


# -- writes nothing -------------------------------------------------------------------------


def test_check_writes_nothing(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    (tmp_path / AGENT0).unlink()
    (tmp_path / "specs/skill-1.yaml").unlink()
    before = snapshot(tmp_path)
    assert any(p.startswith(".skillforge/cache/") for p in before)
    for fmt in ("text", "json", "github"):
        assert run(tmp_path, "check", "--format", fmt).code == 1
    assert snapshot(tmp_path) == before


def test_check_with_worker_processes_writes_nothing(tmp_path: Path) -> None:
    built(tmp_path, skills=70, agents=0)
    template = "{% for s in section.with.steps %}- {{ s }}\n{% endfor %}"
    build_file_tree(tmp_path, {"templates/sections/steps.md.j2": template})
    before = snapshot(tmp_path)
    code, report = check_json(tmp_path, "--jobs", "2")
    assert code == 1
    assert report["specs"] == {"total": 70, "rendered": 70}
    assert report["outputs"]["stale"] == 70  # type: ignore[index]
    assert snapshot(tmp_path) == before


def test_fresh_clone_without_cache_or_manifest(tmp_path: Path) -> None:
    built(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    before = snapshot(tmp_path)
    code, report = check_json(tmp_path)
    assert code == 0, report
    assert report["specs"] == {"total": 3, "rendered": 3}
    assert snapshot(tmp_path) == before


def test_fresh_clone_tells_a_hand_edit_from_a_stale_output(tmp_path: Path) -> None:
    built(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    # the output no longer matches its marker's digest: a hand edit
    edit_keeping_stat(tmp_path / SKILL0, b"Plain notes", b"Plain NOTES")
    # the output matches its marker, but its spec changed since: stale
    spec = tmp_path / "specs/skill-1.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Other notes"))
    code, report = check_json(tmp_path)
    assert code == 1
    assert [f["path"] for f in report["edited"]] == [SKILL0]  # type: ignore[attr-defined]
    assert "no longer matches its marker's digest" in report["edited"][0]["message"]  # type: ignore[index]
    assert [f["path"] for f in report["stale"]] == [  # type: ignore[attr-defined]
        ".claude/skills/skill-1/SKILL.md"
    ]


def test_fresh_clone_calls_an_output_without_marker_hand_written(tmp_path: Path) -> None:
    built(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    text = (tmp_path / SKILL0).read_text()
    (tmp_path / SKILL0).write_text(text.split("\n", 2)[0] + "\n" + text.split("\n", 2)[2] + "x\n")
    code, report = check_json(tmp_path)
    assert code == 1
    [edited] = report["edited"]  # type: ignore[misc]
    assert "not written by skillforge, but specs/skill-0.yaml produces it" in edited["message"]


def test_without_the_marker_a_fresh_clone_calls_every_difference_stale(tmp_path: Path) -> None:
    built(tmp_path, extra={".skillforge.toml": "[build]\nmarker = false\n"})
    assert "generated by skillforge" not in (tmp_path / SKILL0).read_text()
    shutil.rmtree(tmp_path / ".skillforge")
    edit_keeping_stat(tmp_path / SKILL0, b"Plain notes", b"Plain NOTES")
    code, report = check_json(tmp_path)
    assert code == 1
    assert [f["path"] for f in report["stale"]] == [SKILL0]  # type: ignore[attr-defined]


def test_fresh_clone_finds_orphans_by_their_marker(tmp_path: Path) -> None:
    built(tmp_path)
    shutil.rmtree(tmp_path / ".skillforge")
    (tmp_path / "specs/skill-1.yaml").unlink()
    hand = {
        # hand-written files next to generated ones are never orphans, even one whose
        # frontmatter is exactly what skillforge would emit
        ".claude/skills/mine/SKILL.md": (
            '---\nname: mine\ndescription: "My own skill."\n---\n\nHi\n'
        ),
        ".claude/agents/notes.md": "Just notes.\n",
    }
    build_file_tree(tmp_path, hand)
    # a copy of a generated file kept by hand, without the marker line
    kept = (tmp_path / AGENT0).read_text().split("\n")
    build_file_tree(tmp_path, {".claude/agents/kept.md": "\n".join(kept[:1] + kept[2:])})
    code, report = check_json(tmp_path)
    assert code == 1
    (orphan,) = report["orphaned"]  # type: ignore[misc]
    assert orphan["path"] == ".claude/skills/skill-1/SKILL.md"
    assert orphan["spec"] == "specs/skill-1.yaml"
    assert "generated by skillforge from specs/skill-1.yaml, which is gone" in orphan["message"]


def test_corrupt_manifest_is_a_warning_and_left_in_place(tmp_path: Path) -> None:
    built(tmp_path)
    manifest = tmp_path / ".skillforge/manifest.bin"
    manifest.write_bytes(b"garbage")
    result = run(tmp_path, "check")
    assert result.code == 0
    assert "warning: .skillforge: corrupt manifest" in result.out
    assert manifest.read_bytes() == b"garbage"


# -- formats and options --------------------------------------------------------------------


def test_json_shape(tmp_path: Path) -> None:
    built(tmp_path)
    _, report = check_json(tmp_path)
    assert list(report) == [
        "ok",
        "duration_ms",
        "specs",
        "outputs",
        "stale",
        "missing",
        "orphaned",
        "edited",
        "errors",
        "warnings",
    ]
    assert report["outputs"] == {
        "checked": 3,
        "up_to_date": 3,
        "stale": 0,
        "missing": 0,
        "orphaned": 0,
        "edited": 0,
    }


def test_github_format_lines(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    (tmp_path / AGENT0).unlink()
    lines = run(tmp_path, "check", "--format", "github").out.splitlines()
    assert lines[0].startswith(
        "::error file=specs/agents/agent-0.yaml,line=2,title=Missing generated file::"
    )
    assert lines[1] == (
        "::error file=specs/skill-0.yaml,line=2,title=Stale generated file::"
        f"{SKILL0}: differs from a fresh render of specs/skill-0.yaml; run `skillforge build` "
        "and commit the result"
    )
    assert lines[2] == f"::group::diff of {SKILL0} (stale)"
    assert "::endgroup::" in lines
    assert lines[-1].startswith("check failed:")


def test_github_paths_are_relative_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = built(tmp_path / "docs" / "agents")
    (root / AGENT0).unlink()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    out = run(root, "check", "--format", "github").out
    assert out.startswith("::error file=docs/agents/specs/agents/agent-0.yaml,line=2,")
    monkeypatch.delenv("GITHUB_WORKSPACE")
    (tmp_path / "docs" / ".git").mkdir()
    out = run(root, "check", "--format", "github").out
    assert out.startswith("::error file=agents/specs/agents/agent-0.yaml,line=2,")


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert (
        command("error", "specs/a,b:c.yaml", 3, "T", "x: 1%\ny")
        == "::error file=specs/a%2Cb%3Ac.yaml,line=3,title=T::x: 1%25%0Ay"
    )
    assert command("warning", "f", None, "T", "m") == "::warning file=f,title=T::m"


def test_quiet_prints_problems_only(tmp_path: Path) -> None:
    built(tmp_path)
    assert run(tmp_path, "check", "-q").out == ""
    (tmp_path / AGENT0).unlink()
    result = run(tmp_path, "check", "-q")
    assert result.code == 1
    assert result.out.splitlines() == [
        f"missing: {AGENT0}: not on disk; specs/agents/agent-0.yaml produces it: run "
        "`skillforge build` and commit the result"
    ]


def test_paths_limit_the_check(tmp_path: Path) -> None:
    built(tmp_path)
    (tmp_path / AGENT0).unlink()
    assert run(tmp_path, "check", "specs/skill-0.yaml").code == 0
    code, report = check_json(tmp_path, "specs/agents")
    assert code == 1
    assert report["specs"] == {"total": 1, "rendered": 1}


def parse_check_args(args: list[str]) -> tuple[CheckOptions, str | None] | None:
    return parse(args, COMMANDS["check"])


def test_parse_check_args() -> None:
    parsed = parse_check_args(["--no-diff", "--format=github", "-j", "2", "-q", "specs"])
    assert parsed is not None
    options, config = parsed
    assert options == CheckOptions(diff=False, format="github", jobs=2, paths=["specs"], quiet=True)
    assert config is None
    assert parse_check_args(["--format", "xml"]) is None
    assert parse_check_args(["--help"]) is None
    timed = parse_check_args(["--lock-timeout", "0.5"])
    assert timed is not None and timed[0].lock_timeout == 0.5
    assert parse_check_args(["--lock-timeout", "-1"]) is None


def test_check_waits_for_a_writer_and_creates_no_lock(tmp_path: Path) -> None:
    from skillforge.state.lock import project_lock

    # no build has run: there is no lock file, and check does not create one
    project(tmp_path)
    assert run(tmp_path, "check", "-q").code == 1  # every output missing
    assert not (tmp_path / ".skillforge").exists()
    built(tmp_path)
    with project_lock(tmp_path / ".skillforge", 0, "skillforge build"):
        busy = run(tmp_path, "check", "--lock-timeout", "0")
        assert busy.code == 1
        assert f"locked by pid {os.getpid()} (skillforge build)" in busy.err
    assert run(tmp_path, "check", "--lock-timeout", "0").code == 0


def test_usage_errors_and_help(tmp_path: Path) -> None:
    built(tmp_path)
    bad = run(tmp_path, "check", "--format", "xml")
    assert bad.code == 2
    assert run(tmp_path, "check", "--nope").code == 2
    assert run(tmp_path, "check", "missing-folder").code == 2
    helped = run(tmp_path, "check", "--help")
    assert helped.code == 0
    for option in ("--diff", "--no-diff", "--format", "--config"):
        assert option in helped.out


def test_no_project_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "check")
    assert result.code == 2
    assert "skillforge init" in result.err


def test_budget_warnings_of_up_to_date_outputs_come_from_their_last_build(
    tmp_path: Path,
) -> None:
    built(tmp_path)
    (tmp_path / ".skillforge.toml").write_text(
        '[vars]\norg = "Acme"\n\n[budgets]\nbody_lines = 3\n'
    )
    build = build_json(tmp_path)  # warnings only: the outputs are written
    assert build["ok"]
    report = run_check(load_config(cwd=tmp_path), CheckOptions())
    assert report.ok
    assert report.specs_rendered == 0
    assert [p.as_dict() for p in report.warnings] == build["warnings"]
    assert report.warnings
    assert all("[budgets] body_lines" in p.message for p in report.warnings)


def test_a_budget_error_fails_the_check(tmp_path: Path) -> None:
    built(tmp_path)
    strict = '[vars]\norg = "Acme"\n\n[budgets]\nbody_lines = 3\nstrict = true\n'
    (tmp_path / ".skillforge.toml").write_text(strict)
    result = run(tmp_path, "check", "--no-diff")
    assert result.code == 1
    assert "body lines, over the budget of 3 ([budgets] body_lines)" in result.out + result.err


# -- the integrations -----------------------------------------------------------------------


def test_init_ignores_the_cache_and_checks_clean(tmp_path: Path) -> None:
    assert run(tmp_path, "init").code == 0
    assert run(tmp_path, "init").code == 0
    assert (tmp_path / ".gitignore").read_text().split().count(".skillforge/") == 1
    assert run(tmp_path, "check").code == 1  # nothing built yet: every output is missing
    assert run(tmp_path, "build", "-q").code == 0
    assert run(tmp_path, "check").code == 0


def test_repository_example_project_checks_clean(tmp_path: Path) -> None:
    """The committed example outputs match their specs, also without any cache (CI)."""
    shutil.copy(REPO / ".skillforge.toml", tmp_path)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.rmtree(tmp_path / ".skillforge", ignore_errors=True)
    result = run(tmp_path, "check")
    assert result.code == 0, result.out
    assert not (tmp_path / ".skillforge").exists()
    result = run(REPO, "check", "--config", str(REPO / ".skillforge.toml"))
    assert result.code == 0, result.out


def test_pre_commit_hooks() -> None:
    import re

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"skillforge-check", "skillforge-build"}
    for hook_id, verb in (("skillforge-check", "check"), ("skillforge-build", "build")):
        hook = hooks[hook_id]
        assert hook["entry"] == f"skillforge {verb}"
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        files = re.compile(hook["files"])
        for path in (
            "specs/x.yaml",
            "specs/_bases/b.yml",
            "traits/safety.yaml",
            "templates/sections/a.md.j2",
            ".skillforge.toml",
            "pyproject.toml",
            "sub/.claude/skills/x/SKILL.md",
        ):
            assert files.search(path), (hook_id, path)
        for path in ("README.md", "src/app.py", "notspecs/x.yaml"):
            assert not files.search(path), (hook_id, path)


def test_clean_check_imports_nothing_heavy(tmp_path: Path) -> None:
    import subprocess
    import sys
    import textwrap

    built(tmp_path)
    code = textwrap.dedent(
        """
        import sys
        from skillforge.cli.main import main
        code = main(["check"])
        heavy = ("typer", "rich", "jinja2", "yaml", "diskcache", "tiktoken", "click")
        print("HEAVY", [m for m in heavy if m in sys.modules], code)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY [] 0" in out


def test_dry_run_build_leaves_the_cache_untouched(tmp_path: Path) -> None:
    built(tmp_path)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    before = snapshot(tmp_path)
    assert run(tmp_path, "build", "--dry-run", "-q").code == 0
    assert snapshot(tmp_path) == before


def test_corrupt_cache_is_a_warning_and_left_in_place(tmp_path: Path) -> None:
    built(tmp_path)
    database = tmp_path / ".skillforge/cache/cache.db"
    database.write_bytes(b"not a database" * 100)
    spec = tmp_path / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Fresh notes"))
    before = snapshot(tmp_path)
    result = run(tmp_path, "check", "--format", "github", "--no-diff")
    assert result.code == 1
    assert "title=Stale generated file::" in result.out
    assert "::warning file=.skillforge,title=skillforge::cache unreadable" in result.out
    assert snapshot(tmp_path) == before
