"""A failed spec whose inputs did not change is replayed from the record (DESIGN §5, issue 17).

Every build here is a real `skillforge` process on real files. A replay must say exactly
what parsing the spec again would say: each test that changes an input compares the build's
errors with those of a fresh build of a copy of the project that has no cache.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, project, run

from skillforge.state.manifest import FORMAT, manifest_path

GOOD = 3  # project(): two skills and an agent
FAILING = {
    # a YAML syntax error: depends on the file alone
    "specs/bad-yaml.yaml": """
        kind: skill
        name: bad-yaml
        description: "unterminated
        """,
    # a schema error in a spec merged over a base
    "specs/bad-schema.yaml": """
        extends: _bases/base.yaml
        kind: skil
        name: bad-schema
        """,
    # a render error: a template that does not exist
    "specs/bad-template.yaml": """
        kind: skill
        name: bad-template
        description: Uses a template that is not there. Use when testing.
        sections:
          - id: intro
            template: sections/missing-intro.md.j2
        """,
    # a trait that does not exist
    "specs/bad-trait.yaml": """
        kind: skill
        name: bad-trait
        description: Uses a trait that is not there. Use when testing.
        traits: [house-style]
        sections:
          - id: intro
            body: Hello.
        """,
    # a base that does not exist
    "specs/bad-base.yaml": """
        extends: _bases/missing.yaml
        kind: skill
        name: bad-base
        description: Extends a base that is not there. Use when testing.
        sections:
          - id: intro
            body: Hello.
        """,
    "specs/_bases/base.yaml": """
        description: From the base. Use when testing.
        sections:
          - id: intro
            body: From the base.
        """,
    "traits/tone.yaml": """
        sections:
          - id: tone
            body: Be kind.
        """,
}
FAILED = 5
TOTAL = GOOD + FAILED


def cli(root: Path, *args: str, process: bool = False) -> Done:
    """Run the CLI in `root`, without a terminal: in this process (`main(argv)`, fast), or
    with `process` in a process of its own, as a user runs it."""
    if not process:
        done = run(root, *args)
        return Done(done.code, done.out, done.err)
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "skillforge", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def build_json(root: Path, *args: str, process: bool = False) -> tuple[int, dict[str, Any]]:
    done = cli(root, "build", "--json", *args, process=process)
    return done.returncode, json.loads(done.stdout)


def fresh_errors(root: Path, tmp: Path) -> list[dict[str, Any]]:
    """The errors of a cold build of a copy of `root` without its cache (and outputs)."""
    copy = tmp / "fresh"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".skillforge", ".claude"))
    code, report = build_json(copy)
    assert code == (1 if report["errors"] else 0)
    assert report["specs"]["parsed"] == report["specs"]["total"]
    errors: list[dict[str, Any]] = report["errors"]
    return errors


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    root = project(tmp_path / "p", skills=2, agents=1, extra=FAILING)
    first = cli(root, "build")
    assert first.returncode == 1, first.stderr
    return root


def files_of(errors: list[dict[str, Any]]) -> set[str]:
    return {e["file"] for e in errors}


def test_first_build_reports_each_failure(failing: Path) -> None:
    code, report = build_json(failing, "--force")
    assert code == 1
    assert report["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    messages = "\n".join(e["message"] for e in report["errors"])
    assert "unknown trait 'house-style'" in messages
    assert "sections/missing-intro.md.j2" in messages
    assert "base spec '_bases/missing.yaml' not found" in messages
    assert {"specs/bad-yaml.yaml", "specs/bad-schema.yaml"} <= files_of(report["errors"])


def test_unchanged_failures_are_replayed_with_the_same_text(failing: Path) -> None:
    parsed = cli(failing, "build", "--force", process=True)
    again = cli(failing, "build", process=True)
    third = cli(failing, "build", process=True)
    assert parsed.returncode == again.returncode == third.returncode == 1
    assert parsed.stderr.count("error:") >= FAILED
    assert again.stderr == parsed.stderr
    assert third.stderr == parsed.stderr
    assert again.stdout.startswith("failed: 8 specs, 0 written, 3 unchanged")

    code, forced = build_json(failing, "--force", process=True)
    code_again, replayed = build_json(failing, process=True)
    assert code == code_again == 1
    assert replayed["errors"] == forced["errors"]
    assert replayed["warnings"] == forced["warnings"]
    assert forced["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    assert replayed["specs"] == {"total": TOTAL, "parsed": 0, "replayed": FAILED}
    assert replayed["written"] == [] and replayed["outputs"]["unchanged"] == GOOD

    explained = cli(failing, "build", "--explain")
    assert explained.returncode == 1
    assert "replayed the recorded errors of 5 unchanged failed specs" in explained.stdout


def test_a_full_build_also_replays_the_unchanged_failures(failing: Path, tmp_path: Path) -> None:
    spec = failing / "specs/skill-0.yaml"
    spec.write_text(spec.read_text().replace("Plain notes", "Other notes"))
    code, report = build_json(failing)
    assert code == 1
    assert report["written"] == [".claude/skills/skill-0/SKILL.md"]
    assert report["specs"] == {"total": TOTAL, "parsed": 1, "replayed": FAILED}
    assert report["errors"] == fresh_errors(failing, tmp_path)
    spec.write_text(spec.read_text().replace("Other notes", "Third notes"))
    explained = cli(failing, "build", "--explain")
    assert explained.returncode == 1
    assert "wrote .claude/skills/skill-0/SKILL.md: spec section notes changed" in explained.stdout
    assert "replayed the recorded errors of 5 unchanged failed specs" in explained.stdout


def _fix_yaml(root: Path) -> None:
    (root / "specs/bad-yaml.yaml").write_text(
        "kind: skill\nname: bad-yaml\ndescription: Fixed now. Use when testing.\n"
        "sections:\n  - id: a\n    body: Fixed.\n"
    )


def _edit_base(root: Path) -> None:
    (root / "specs/_bases/base.yaml").write_text("kind: agent\ndescription: Now an agent.\n")


def _create_trait(root: Path) -> None:
    (root / "traits/house-style.yaml").write_text("sections:\n  - id: style\n    body: Be brief.\n")


def _create_similar_trait(root: Path) -> None:
    # the "unknown trait" message may now suggest another name
    (root / "traits/house-styles.yaml").write_text("sections:\n  - id: s\n    body: Hi.\n")


def _create_template(root: Path) -> None:
    path = root / "templates/sections/missing-intro.md.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Intro of {{ spec.name }}.\n")


def _create_base(root: Path) -> None:
    (root / "specs/_bases/missing.yaml").write_text("license: MIT\n")


def _change_config(root: Path) -> None:
    config = root / ".skillforge.toml"
    config.write_text(config.read_text().replace("Acme", "Acme Corp"))


CHANGES = {
    "fix the spec": (_fix_yaml, {"specs/bad-yaml.yaml"}),
    "edit a base it used": (_edit_base, {"specs/bad-schema.yaml"}),
    "create the missing trait": (_create_trait, {"specs/bad-trait.yaml"}),
    "create a trait of a similar name": (_create_similar_trait, {"specs/bad-trait.yaml"}),
    # every failure that reached the templates (a render, or the checks of a merged spec
    # that read template names) may read the new one
    "create the missing template": (
        _create_template,
        {"specs/bad-template.yaml", "specs/bad-schema.yaml", "specs/bad-trait.yaml"},
    ),
    "create the missing base": (_create_base, {"specs/bad-base.yaml"}),
    "change the config": (_change_config, None),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_input_parses_again_and_gives_the_fresh_result(
    failing: Path, tmp_path: Path, change: str
) -> None:
    apply, reparsed = CHANGES[change]
    apply(failing)
    _, report = build_json(failing)
    fresh = fresh_errors(failing, tmp_path)
    assert report["errors"] == fresh
    if reparsed is None:  # the config: everything is parsed again
        assert report["specs"]["parsed"] == TOTAL
        assert report["specs"]["replayed"] == 0
    else:
        assert report["specs"]["replayed"] == FAILED - len(reparsed)
        assert report["specs"]["parsed"] == len(reparsed)
    # and the build after it replays that result: every spec is replayed or up to date
    _, after = build_json(failing)
    assert after["errors"] == fresh
    assert after["specs"]["parsed"] == 0
    assert after["specs"]["replayed"] + after["outputs"]["unchanged"] == TOTAL


def test_force_and_a_fresh_clone_parse_everything(failing: Path, tmp_path: Path) -> None:
    _, forced = build_json(failing, "--force")
    assert forced["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    shutil.rmtree(failing / ".skillforge")
    code, cold = build_json(failing)
    assert code == 1
    assert cold["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    assert cold["errors"] == forced["errors"] == fresh_errors(failing, tmp_path)


def test_a_touched_spec_is_replayed_an_edited_one_is_not(failing: Path) -> None:
    spec = failing / "specs/bad-yaml.yaml"
    st = spec.stat()
    os.utime(spec, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # same bytes
    _, touched = build_json(failing)
    assert touched["specs"] == {"total": TOTAL, "parsed": 0, "replayed": FAILED}
    spec.write_text(spec.read_text().replace("unterminated", "still unterminated"))
    _, edited = build_json(failing)
    assert edited["specs"] == {"total": TOTAL, "parsed": 1, "replayed": FAILED - 1}


def test_a_template_edit_parses_render_failures_again(failing: Path) -> None:
    path = failing / "templates/sections/other.md.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Other.\n")  # a template name the failure's message could suggest
    _, report = build_json(failing)
    # the render failure, and the merged-spec checks that read template names
    assert report["specs"] == {"total": TOTAL, "parsed": 3, "replayed": FAILED - 3}


def test_an_old_format_manifest_is_read_as_absent(failing: Path) -> None:
    path = Path(manifest_path(str(failing / ".skillforge")))
    data = marshal.loads(path.read_bytes())
    assert data["format"] == FORMAT
    data["format"] = FORMAT - 1
    path.write_bytes(marshal.dumps(data))
    code, report = build_json(failing)
    assert code == 1
    assert report["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    _, after = build_json(failing)
    assert after["specs"] == {"total": TOTAL, "parsed": 0, "replayed": FAILED}


def test_check_still_fails_on_the_same_specs(failing: Path) -> None:
    _, replayed = build_json(failing)
    assert replayed["specs"]["replayed"] == FAILED
    done = cli(failing, "check", "--format", "json")
    assert done.returncode == 1
    checked = json.loads(done.stdout)
    assert files_of(checked["errors"]) == files_of(replayed["errors"])


def test_stats_count_a_replayed_no_op_as_failed(failing: Path) -> None:
    assert cli(failing, "build").returncode == 1  # a replay, on the no-op path
    done = cli(failing, "stats", "--json")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout)["last_build"]
    assert (last["kind"], last["ok"], last["errors"]) == ("noop", False, FAILED)


def test_a_failure_added_after_render_is_not_replayed(tmp_path: Path) -> None:
    # two specs with one output: each fails naming the other, a rule between specs that the
    # record of one spec alone cannot replay
    root = project(tmp_path, skills=1, agents=0)
    build_file_tree(root, {"specs/twin.yaml": (root / "specs/skill-0.yaml").read_text()})
    code, first = build_json(root)
    assert code == 1
    assert "also produced by" in first["errors"][0]["message"]
    code, second = build_json(root)
    assert code == 1
    assert second["specs"] == {"total": 2, "parsed": 2, "replayed": 0}
    assert second["errors"] == first["errors"]


def test_a_target_build_records_no_errors_to_replay(failing: Path, tmp_path: Path) -> None:
    # a rule may hold for one target and not another: errors found for `--target T` are not
    # those of the configured targets, so neither build replays the other's errors
    config = failing / ".skillforge.toml"
    config.write_text('targets = ["claude", "codex"]\n' + config.read_text())
    assert build_json(failing)[1]["specs"]["parsed"] == TOTAL
    _, narrowed = build_json(failing, "--target", "codex")
    assert narrowed["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    _, again = build_json(failing, "--target", "codex")
    assert again["specs"] == {"total": TOTAL, "parsed": FAILED, "replayed": 0}
    _, full = build_json(failing)
    assert full["specs"] == {"total": TOTAL, "parsed": TOTAL, "replayed": 0}
    assert full["errors"] == fresh_errors(failing, tmp_path)
    assert build_json(failing)[1]["specs"] == {"total": TOTAL, "parsed": 0, "replayed": FAILED}


def test_a_shared_failure_is_replayed_once_with_its_count(tmp_path: Path) -> None:
    root = project(tmp_path, skills=0, agents=0)
    spec = "kind: skill\nname: {n}\ndescription: D. Use when testing.\ntraits: [broken]\n"
    build_file_tree(
        root,
        {
            "specs/one.yaml": spec.format(n="one"),
            "specs/two.yaml": spec.format(n="two"),
            "traits/broken.yaml": "sections: {not: a list}\n",
        },
    )
    first = cli(root, "build")
    again = cli(root, "build")
    assert first.returncode == again.returncode == 1
    assert "(fails 2 specs)" in first.stderr
    assert again.stderr == first.stderr
    _, report = build_json(root)
    assert report["specs"] == {"total": 2, "parsed": 0, "replayed": 2}
    trait = root / "traits/broken.yaml"
    trait.write_text("sections:\n  - id: fixed\n    body: Fixed.\n")
    _, fixed = build_json(root)
    assert fixed["ok"] is True
    assert fixed["specs"] == {"total": 2, "parsed": 2, "replayed": 0}


def test_watch_shows_the_errors_of_a_failing_spec_saved_unchanged(tmp_path: Path) -> None:
    from test_watch import Watcher

    root = project(
        tmp_path, skills=1, agents=0, extra={"specs/bad.yaml": FAILING["specs/bad-yaml.yaml"]}
    )
    spec = root / "specs/bad.yaml"
    with Watcher(root) as watcher:
        first = watcher.report_after(0, "the initial build")
        assert first["ok"] is False and first["errors"]
        spec.write_bytes(spec.read_bytes())  # saved, not changed
        saved = watcher.report_after(1, "the rebuild after the save")
        assert saved["ok"] is False
        assert saved["errors"] == first["errors"]
        assert saved["specs"] == {"total": 2, "parsed": 0, "replayed": 1}


def test_a_render_failure_with_supporting_files_is_replayed_until_one_changes(
    tmp_path: Path,
) -> None:
    root = project(tmp_path / "p", skills=0, agents=0)
    build_file_tree(
        root,
        {
            "specs/docs.yaml": """
                kind: skill
                name: docs
                description: Has a supporting file. Use when testing.
                files:
                  - {src: assets/guide.md, dest: references/guide.md}
                sections:
                  - id: intro
                    body: "{{ vars.missing.deeper }}"
                """,
            "specs/assets/guide.md": "# Guide\n",
        },
    )
    code, first = build_json(root)
    assert code == 1 and first["errors"]
    _, again = build_json(root)
    assert again["specs"] == {"total": 1, "parsed": 0, "replayed": 1}
    assert again["errors"] == first["errors"]
    (root / "specs/assets/guide.md").write_text("# Guide, longer now\n")
    _, edited = build_json(root)
    assert edited["specs"] == {"total": 1, "parsed": 1, "replayed": 0}
    assert edited["errors"] == fresh_errors(root, tmp_path)


def test_a_failure_a_symbolic_link_caused_is_not_replayed(tmp_path: Path) -> None:
    # the link's target can change without any stat of the project's files changing
    root = project(tmp_path / "p", skills=0, agents=0)
    outside = tmp_path / "outside.yaml"
    outside.write_text("description: From outside. Use when testing.\n")
    build_file_tree(
        root,
        {
            "specs/linked.yaml": """
                extends: _bases/linked.yaml
                kind: skill
                name: linked
                sections:
                  - id: intro
                    body: Hello.
                """,
        },
    )
    (root / "specs/_bases").mkdir()
    (root / "specs/_bases/linked.yaml").symlink_to(outside)
    code, first = build_json(root)
    assert code == 1
    assert "symbolic link" in first["errors"][0]["message"]
    _, again = build_json(root)
    assert again["specs"] == {"total": 1, "parsed": 1, "replayed": 0}
    assert again["errors"] == first["errors"]


def test_failures_found_in_worker_processes_are_replayed(tmp_path: Path) -> None:
    root = project(tmp_path / "p", skills=0, agents=0)
    many = 70  # past PARALLEL_FROM: rendered in worker processes
    build_file_tree(
        root,
        {
            f"specs/s{i:02d}.yaml": (
                f"kind: skill\nname: s{i:02d}\ndescription: D. Use when testing.\n"
                + ("traits: [nope]\n" if i % 2 else "sections: {not: a list}\n")
            )
            for i in range(many)
        },
    )
    code, first = build_json(root, "--jobs", "2")
    assert code == 1 and first["specs"]["parsed"] == many
    code, again = build_json(root, "--jobs", "2")
    assert code == 1
    assert again["specs"] == {"total": many, "parsed": 0, "replayed": many}
    assert again["errors"] == first["errors"]


def _on_a_terminal(root: Path, *args: str) -> tuple[int, str]:
    """Run the CLI with its output on a pseudo-terminal (the Rich reporter); return what it
    printed, the summary line (it has the time) cut off."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "200"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skillforge", *args],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait()
    text = b"".join(chunks).decode("utf-8", "replace")
    return code, text[: text.find("failed:")]


def test_a_terminal_shows_the_replayed_errors_as_a_parse_does(failing: Path) -> None:
    code, parsed = _on_a_terminal(failing, "build", "--force")
    code_again, replayed = _on_a_terminal(failing, "build")
    assert code == code_again == 1
    assert "error:" in parsed and "\x1b[" in parsed  # Rich, in colour
    assert replayed == parsed
    assert build_json(failing)[1]["specs"]["replayed"] == FAILED
