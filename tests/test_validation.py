"""Every validation rule of DESIGN §3, one row each: file, line, field and a clear message.

Each case is a project with one bad spec (plus the traits, bases and templates it needs) and
one valid spec. `build --json` must exit 1 with `ok: false`, report the problem at the
expected place, write nothing for the bad spec and still build the valid one. Configuration
errors exit 2 with the message on stderr (DESIGN §6).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import Result, build_file_tree, run

CONFIG = '[vars]\norg = "Acme"\n'
GOOD_SPEC = """
kind: skill
name: good
description: A valid skill. Use when the tests need one.
sections:
  - id: overview
    body: Built for {{ project.org }}.
"""
GOOD_OUT = ".claude/skills/good/SKILL.md"
BAD = "specs/bad.yaml"
BAD_OUT = ".claude/skills/bad/SKILL.md"
BAD_AGENT_OUT = ".claude/agents/bad.md"


def skill(*lines: str, name: str = "bad", description: str = "Does bad things.") -> str:
    """A skill spec: kind (line 1), name (2), description (3), then `lines` from line 4."""
    head = ["kind: skill", f"name: {name}", f"description: {description}"]
    return "\n".join([*head, *lines]) + "\n"


def agent(*lines: str, name: str = "bad") -> str:
    """An agent spec: kind (line 1), name (2), description (3), then `lines` from line 4."""
    head = ["kind: agent", f"name: {name}", "description: Reviews bad changes."]
    return "\n".join([*head, *lines]) + "\n"


SECTION = ("sections:", "  - id: overview", "    body: Text.")  # lines 4-6


@dataclass(frozen=True)
class Case:
    """One bad project and the error it must produce."""

    files: dict[str, str]
    file: str
    line: int | None
    field: str | None
    message: str
    unbuilt: tuple[str, ...] = (BAD_OUT,)
    config: str = ""
    raw: dict[str, bytes] = field(default_factory=dict)
    also_built: tuple[str, ...] = ()


def case(
    id: str,
    files: dict[str, str] | str,
    line: int | None,
    field: str | None,
    message: str,
    xfail: str = "",
    **kwargs: Any,
) -> Any:
    """A table row; `files` may be the text of `specs/bad.yaml` alone.

    `xfail` names an engine bug: the row states the intended behaviour and fails until fixed.
    """
    kwargs.setdefault("file", BAD)
    if isinstance(files, str):
        files = {BAD: files}
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    row = Case(files, line=line, field=field, message=message, **kwargs)
    return pytest.param(row, id=id, marks=marks)


def bomb() -> str:
    """A 'billion laughs' document: 10 levels of 10 aliases each (10**10 values if expanded)."""
    lines = ["kind: skill", "name: bad", "description: Explodes.", "vars:"]
    lines.append('  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]')
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"  l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


CASES = [
    # -- unknown keys, with a hint -------------------------------------------------------
    case(
        "unknown-top-level-key",
        "kind: skill\nname: bad\ndescripton: Typo.\n",
        3,
        "descripton",
        "did you mean 'description'",
    ),
    case(
        "unknown-section-key",
        skill(*SECTION, "    titel: Overview"),
        7,
        "sections.overview.titel",
        "did you mean 'title'",
    ),
    case(
        "unknown-files-key",
        skill("files:", "  - {src: a.md, dest: a.md, rendr: true}"),
        5,
        "files[0].rendr",
        "did you mean 'render'",
    ),
    case(
        "frontmatter-repeats-known-key",
        skill("frontmatter: {name: other}"),
        4,
        "frontmatter",
        "'name' is a known field",
    ),
    # -- required fields and kind --------------------------------------------------------
    case(
        "missing-kind",
        "name: bad\ndescription: No kind.\n",
        None,
        "kind",
        "missing required field 'kind'",
    ),
    case(
        "missing-name",
        "kind: skill\ndescription: No name.\n",
        None,
        "name",
        "missing required field 'name'",
    ),
    case(
        "missing-description",
        "kind: skill\nname: bad\n",
        None,
        "description",
        "missing required field 'description'",
    ),
    case(
        "bad-kind-with-hint",
        "kind: skil\nname: bad\ndescription: Typo in kind.\n",
        1,
        "kind",
        "did you mean 'skill'",
    ),
    # -- skill name and description (the Agent Skills format) ---------------------------
    *(
        case(f"skill-name-{label}", skill(name=name), 2, "name", "single hyphens")
        for label, name in (
            ("uppercase", "Bad-Name"),
            ("underscore", "bad_name"),
            ("double-hyphen", "bad--name"),
            ("leading-hyphen", "-bad"),
            ("trailing-hyphen", "bad-"),
        )
    ),
    case("skill-name-too-long", skill(name="a" * 65), 2, "name", "the limit is 64"),
    case(
        "description-empty",
        skill(description='""'),
        3,
        "description",
        "must not be empty",
    ),
    case(
        "description-too-long",  # the portable rule is a warning; the budget is an error
        skill(description="x" * 1025),
        3,
        "description",
        "over the budget of 1,024 ([budgets] description_chars)",
    ),
    # -- agent name ----------------------------------------------------------------------
    case(
        "agent-name-leading-hyphen",
        agent(name="-bad"),
        2,
        "name",
        "must not start with '-'",
        unbuilt=(".claude/agents/-bad.md",),
    ),
    case(
        "agent-name-colon",
        agent(name="bad:name"),
        2,
        "name",
        "must not contain ':'",
        unbuilt=(".claude/agents/bad:name.md",),
    ),
    case(
        "agent-name-with-slash",
        agent(name="team/bad"),
        2,
        "name",
        "must be usable as a file name",
        unbuilt=(".claude/agents/team/bad.md", ".claude/agents/team"),
    ),
    # Claude Code skips an agent whose name is not lowercase letters, digits and '-'
    case(
        "agent-name-with-spaces-and-capitals",
        agent(name="Code Reviewer"),
        2,
        "name",
        "must be lowercase letters, digits and hyphens, or Claude Code skips the file "
        "(e.g. 'code-reviewer')",
        unbuilt=(".claude/agents/Code Reviewer.md",),
    ),
    # -- enumerated values of Claude Code's fields -----------------------------------------
    *(
        case(
            f"enum-{key}",
            (agent if kind == "agent" else skill)(f"{key}: {value}"),
            4,
            key,
            message,
            unbuilt=(BAD_AGENT_OUT if kind == "agent" else BAD_OUT,),
        )
        for kind, key, value, message in (
            (
                "agent",
                "model",
                "sonet",
                "model 'sonet' is not a Claude model (did you mean 'sonnet'?)",
            ),
            ("agent", "model", "gpt-4", "model 'gpt-4' is not a Claude model"),
            ("agent", "permissionMode", "yolo", "must be one of default, manual, acceptEdits"),
            ("agent", "permissionMode", "acceptedits", "(did you mean 'acceptEdits'?)"),
            ("agent", "color", "purpel", "(did you mean 'purple'?)"),
            ("agent", "effort", "hihg", "(did you mean 'high'?)"),
            ("agent", "isolation", "worktre", "(did you mean 'worktree'?)"),
            ("agent", "memory", "projcet", "(did you mean 'project'?)"),
            ("skill", "context", "forks", "(did you mean 'fork'?)"),
            ("skill", "shell", "bsh", "(did you mean 'bash'?)"),
            ("skill", "effort", "maximum", "must be one of low, medium, high, xhigh, max"),
            ("skill", "model", "opsu", "(did you mean 'opus'?)"),
        )
    ),
    # -- folder: / file: -------------------------------------------------------------------
    case(
        "folder-not-a-slug",
        skill("folder: PDF Tools", name="PDF Tools"),
        4,
        "folder",
        "folder 'PDF Tools' must be lowercase letters, digits and single hyphens",
        unbuilt=(".claude/skills/PDF Tools/SKILL.md",),
    ),
    case("folder-too-long", skill("folder: " + "a" * 65), 4, "folder", "the limit is 64"),
    case(
        "file-not-a-slug",
        agent("file: ../escape"),
        4,
        "file",
        "must be lowercase letters, digits and single hyphens",
        unbuilt=(BAD_AGENT_OUT, ".claude/escape.md"),
    ),
    case(
        "file-in-a-skill",
        skill("file: other"),
        4,
        "file",
        "'file' names an agent's output; a skill uses 'folder'",
    ),
    # -- keys of the other kind ----------------------------------------------------------
    case(
        "skill-key-in-agent",
        agent("allowed-tools: [Read]"),
        4,
        "allowed-tools",
        "'allowed-tools' is a field of a skill; an agent uses 'tools'",
        unbuilt=(BAD_AGENT_OUT,),
    ),
    case(
        "agent-key-in-skill",
        skill("tools: [Read]"),
        4,
        "tools",
        "'tools' is a field of an agent; a skill uses 'allowed-tools'",
    ),
    case(
        "files-in-agent",
        {
            BAD: agent("files:", "  - {src: notes.md, dest: notes.md}"),
            "specs/notes.md": "Notes.\n",
        },
        4,
        "files",
        "supporting 'files' are for skills",
        unbuilt=(BAD_AGENT_OUT, ".claude/agents/notes.md"),
    ),
    # -- types ---------------------------------------------------------------------------
    case(
        "tools-entry-empty",
        agent("tools: [Read, '']"),
        4,
        "tools",
        "tools must be non-empty strings",
        unbuilt=(BAD_AGENT_OUT,),
    ),
    case("vars-is-a-list", skill("vars: [a, b]"), 4, "vars", "must be a mapping"),
    case(
        "sections-is-a-mapping",
        skill("sections:", "  overview: {body: Text.}"),
        4,
        "sections",
        "must be a list of sections",
    ),
    case("traits-is-a-string", skill("traits: safety"), 4, "traits", "must be a list of trait"),
    case(
        "disable-model-invocation-is-a-string",
        skill('disable-model-invocation: "true"'),
        4,
        "disable-model-invocation",
        "must be true or false",
    ),
    case(
        "max-turns-is-a-string",
        agent('maxTurns: "ten"'),
        4,
        "maxTurns",
        "must be a whole number",
        unbuilt=(BAD_AGENT_OUT,),
    ),
    # -- sections ------------------------------------------------------------------------
    case(
        "section-without-id",
        skill("sections:", "  - title: Overview", "    body: Text."),
        5,
        "sections[0].id",
        "every section needs an 'id'",
    ),
    case(
        "section-id-not-a-slug",
        skill("sections:", "  - id: Quick_Start", "    body: Text."),
        5,
        "sections.Quick_Start.id",
        "must be a slug",
    ),
    case(
        "section-id-duplicate",
        skill(*SECTION, "  - id: overview", "    body: Again."),
        7,
        "sections.overview.id",
        "duplicate section id 'overview' (first on line 5)",
    ),
    case(
        "section-body-and-template",
        skill(*SECTION, "    template: sections/steps.md.j2"),
        5,
        "sections.overview",
        "exactly one of 'body'",
    ),
    case(
        "section-neither-body-nor-template",
        skill("sections:", "  - id: overview", "    title: Overview"),
        5,
        "sections.overview",
        "exactly one of 'body'",
    ),
    case(
        "section-before-unknown-id",
        skill(*SECTION, "  - id: extra", "    body: More.", "    before: overveiw"),
        9,
        "sections.extra.before",
        "no section 'overveiw'",
    ),
    case(
        "section-before-and-after",
        skill(*SECTION, "  - id: extra", "    body: More.", "    before: overview", "    after: x"),
        7,
        "sections.extra",
        "not both",
    ),
    # -- composition: traits and extends -------------------------------------------------
    case(
        "unknown-trait-with-hint",
        {BAD: skill("traits: [safty]"), "traits/safety.yaml": "vars: {safe: true}\n"},
        4,
        "traits",
        "unknown trait 'safty' (did you mean 'safety'?)",
    ),
    case(
        "trait-uses-traits",
        {
            BAD: skill("traits: [safety]"),
            "traits/safety.yaml": "vars: {safe: true}\ntraits: [other]\n",
            "traits/other.yaml": "license: MIT\n",
        },
        2,
        "traits",
        "a trait cannot use 'traits'",
        file="traits/safety.yaml",
    ),
    case(
        "error-in-base-spec",
        {
            BAD: "extends: _bases/base.yaml\nname: bad\n",
            "specs/_bases/base.yaml": "kind: skill\ndescription: Base.\nlicence: MIT\n",
        },
        3,
        "licence",
        "did you mean 'license'",
        file="specs/_bases/base.yaml",
    ),
    case(
        "extends-missing-file",
        skill("extends: _bases/nope.yaml"),
        4,
        "extends",
        "not found",
    ),
    case(
        "extends-cycle",
        {
            "specs/a.yaml": "extends: b.yaml\n" + skill(name="a"),
            "specs/b.yaml": "extends: a.yaml\n" + skill(name="b"),
        },
        1,
        "extends",
        "extends cycle: specs/a.yaml -> specs/b.yaml -> specs/a.yaml",
        file="specs/b.yaml",  # building a.yaml: the cycle closes at b.yaml's `extends`
        unbuilt=(".claude/skills/a/SKILL.md", ".claude/skills/b/SKILL.md"),
    ),
    case(
        "extends-outside-project",
        skill("extends: ../../outside.yaml"),
        4,
        "extends",
        "points outside the project",
    ),
    case(
        "extends-absolute-path",
        skill("extends: /etc/hostname"),
        4,
        "extends",
        "points outside the project",
    ),
    case(
        "trait-uses-extends",
        {
            BAD: skill("traits: [safety]"),
            "traits/safety.yaml": "vars: {safe: true}\nextends: ../specs/_base.yaml\n",
            "specs/_base.yaml": "license: MIT\n",
        },
        2,
        "extends",
        "a trait cannot use 'extends'",
        file="traits/safety.yaml",
    ),
    # -- templates and rendering ---------------------------------------------------------
    case(
        "template-not-found-with-hint",
        skill("sections:", "  - id: steps", "    template: sections/step.md.j2"),
        6,
        "sections.steps.template",
        "template 'sections/step.md.j2' not found (did you mean 'sections/steps.md.j2'?)",
    ),
    case(
        "template-syntax-error",
        {
            BAD: skill("sections:", "  - id: broken", "    template: sections/broken.md.j2"),
            "templates/sections/broken.md.j2": "First line.\nSecond line.\n{{ oops( }}\n",
        },
        6,
        "sections.broken.template",
        "broken.md.j2:3",  # names the template and the line in it
    ),
    case(
        "body-syntax-error",
        skill("sections:", "  - id: overview", "    body: 'Text {{ oops( }}'"),
        6,
        "sections.overview.body",
        "syntax error",
    ),
    case(
        "undefined-variable-in-body",
        skill(
            "vars: {lang: python}", "sections:", "  - id: overview", "    body: '{{ vars.lnag }}'"
        ),
        7,
        "sections.overview.body",
        "lnag",
    ),
    # -- YAML ----------------------------------------------------------------------------
    case(
        "yaml-syntax-error",
        "kind: skill\nname: bad\n  description: Indented.\n",
        3,
        None,
        "YAML syntax error",
    ),
    case(
        "yaml-duplicate-key",
        skill("name: again"),
        4,
        "name",
        "duplicate key 'name' (first defined on line 2)",
    ),
    case(
        "yaml-python-tag-on-scalar",
        skill("vars: {x: !!python/name:os.system ''}"),
        4,
        "vars.x",
        "unsupported YAML tag",
    ),
    case(
        "yaml-python-tag-on-sequence",
        skill('vars: {x: !!python/object/apply:os.system ["touch PWNED"]}'),
        4,
        "vars.x",
        "unsupported YAML tag",
    ),
    case(
        "yaml-python-tag-on-mapping",
        skill("vars: {x: !!python/object:argparse.Namespace {a: 1}}"),
        4,
        "vars.x",
        "unsupported YAML tag",
    ),
    case(
        "yaml-nested-70-levels",
        skill("vars: {deep: " + "[" * 70 + "]" * 70 + "}"),
        4,
        None,
        "nested more than 64 levels",
    ),
    case(
        "spec-is-a-list",
        "- kind: skill\n- name: bad\n",
        1,
        None,
        "must be a mapping of fields, not a list",
    ),
    case("spec-is-empty", "", None, None, "the file is empty"),
    # -- raw bytes and size --------------------------------------------------------------
    case(
        "nul-byte",
        {},
        3,
        None,
        "NUL",
        raw={BAD: b"kind: skill\nname: bad\ndescription: Nul \x00 here.\n"},
    ),
    case(
        "not-utf-8",
        {},
        3,
        None,
        "not UTF-8",
        raw={BAD: "kind: skill\nname: bad\ndescription: Café.\n".encode("latin-1")},
    ),
    case(
        "over-the-size-cap",
        skill(description="Long. " * 40),
        None,
        None,
        "over the 200-byte limit",
        config="[build]\nmax_spec_bytes = 200\n",
    ),
    # -- outputs -------------------------------------------------------------------------
    case(
        "same-skill-name-twice",  # neither is written; each error names the other file
        {"specs/one.yaml": skill(name="dup"), "specs/two.yaml": skill(name="dup")},
        2,
        "name",
        "also produced by specs/one.yaml",
        file="specs/two.yaml",
        unbuilt=(".claude/skills/dup/SKILL.md",),
    ),
    case(
        "same-skill-name-twice-names-the-other",
        {"specs/one.yaml": skill(name="dup"), "specs/two.yaml": skill(name="dup")},
        2,
        "name",
        "also produced by specs/two.yaml",
        file="specs/one.yaml",
        unbuilt=(".claude/skills/dup/SKILL.md",),
    ),
    case(
        "same-folder-twice",
        {
            "specs/one.yaml": skill(name="dup"),
            "specs/two.yaml": skill("folder: dup", name="Dup Label"),
        },
        4,
        "name",
        "also produced by specs/one.yaml",
        file="specs/two.yaml",
        unbuilt=(".claude/skills/dup/SKILL.md",),
    ),
    case(
        "same-agent-name-in-two-files",
        {"specs/one.yaml": agent(name="dup"), "specs/two.yaml": agent("file: dup-two", name="dup")},
        2,
        "name",
        "agent name 'dup' is also used by specs/two.yaml",
        file="specs/one.yaml",
        unbuilt=(".claude/agents/dup.md", ".claude/agents/dup-two.md"),
    ),
    case(
        "files-dest-with-dotdot",
        {BAD: skill("files:", "  - {src: a.md, dest: ../escape.md}"), "specs/a.md": "A.\n"},
        5,
        "files[0].dest",
        "unsafe path '../escape.md'",
        unbuilt=(BAD_OUT, ".claude/skills/escape.md"),
    ),
    case(
        "files-src-missing",
        skill("files:", "  - {src: assets/nope.md, dest: nope.md}"),
        5,
        "files[0].src",
        "cannot read 'assets/nope.md'",
        unbuilt=(BAD_OUT, ".claude/skills/bad/nope.md"),
    ),
    case(
        "files-dest-overwrites-skill-md",
        {BAD: skill("files:", "  - {src: a.md, dest: SKILL.md}"), "specs/a.md": "A.\n"},
        5,
        "files[0].dest",
        "'SKILL.md' would overwrite the generated SKILL.md",
    ),
    case(
        "files-src-absolute",
        skill("files:", "  - {src: /etc/hostname, dest: host.md}"),
        5,
        "files[0].src",
        "unsafe path '/etc/hostname'",
        unbuilt=(BAD_OUT, ".claude/skills/bad/host.md"),
    ),
]


def build_project(root: Path, case: Case) -> Result:
    build_file_tree(root, {".skillforge.toml": CONFIG + case.config, "specs/good.yaml": GOOD_SPEC})
    build_file_tree(root, case.files)
    for rel, data in case.raw.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return run(root, "build", "--json")


def outputs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / ".claude").rglob("*") if p.is_file()}


def matching(errors: list[dict[str, Any]], case: Case) -> list[dict[str, Any]]:
    return [
        e
        for e in errors
        if e["file"] == case.file
        and e["line"] == case.line
        and e["field"] == case.field
        and case.message in e["message"]
    ]


@pytest.mark.parametrize("case", CASES)
def test_rule_is_enforced(tmp_path: Path, case: Case) -> None:
    result = build_project(tmp_path, case)

    assert not (tmp_path / "PWNED").exists()  # no YAML tag ever constructs anything
    assert result.code == 1, result
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    report = json.loads(result.out)
    assert report["ok"] is False
    errors = report["errors"]
    assert matching(errors, case), json.dumps(errors, indent=2)
    assert all(e["file"] != "specs/good.yaml" for e in errors), errors

    # The bad spec writes nothing; the good one (and any other valid spec) is still built.
    for path in case.unbuilt:
        assert not (tmp_path / path).exists(), path
    expected = {GOOD_OUT, *case.also_built}
    assert outputs(tmp_path) == expected
    assert sorted(report["written"]) == sorted(expected)
    assert report["outputs"]["written"] == len(expected)


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    bad = Case({BAD: bomb()}, BAD, None, None, "YAML aliases expanding exponentially")
    # the node budget stops it (the message says so); expanded, it would not finish at all
    result = build_project(tmp_path, bad)
    assert result.code == 1
    report = json.loads(result.out)
    [error] = [e for e in report["errors"] if bad.message in e["message"]]
    assert error["file"] == BAD
    assert 5 <= error["line"] <= 14  # somewhere in the alias lines
    assert outputs(tmp_path) == {GOOD_OUT}


def test_every_problem_of_a_spec_is_reported_at_once(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "kind: skill",  # 1
            "name: Bad_Name",  # 2
            "description: Uses <tags>.",  # 3 (not portable: a warning)
            "colour: red",  # 4
            "traits: [safty]",  # 5
            "sections:",  # 6
            "  - title: No id",  # 7
            "    body: Text.",  # 8
            "  - id: extra",  # 9
            "    bdy: Typo.",  # 10
        ]
    )
    result = build_project(
        tmp_path, Case({BAD: text + "\n", "traits/safety.yaml": "vars: {}\n"}, BAD, None, None, "")
    )

    assert result.code == 1
    errors = {(e["line"], e["field"]) for e in result.report["errors"] if e["file"] == BAD}
    assert {
        (2, "name"),
        (4, "colour"),
        (5, "traits"),
        (7, "sections[0].id"),
        (10, "sections.extra.bdy"),
        (9, "sections.extra"),  # neither body nor template
    } <= errors
    warnings = {(w["line"], w["field"]) for w in result.report["warnings"] if w["file"] == BAD}
    assert (3, "description") in warnings
    assert outputs(tmp_path) == {GOOD_OUT}


def test_plain_output_names_file_line_and_message(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": CONFIG,
            "specs/good.yaml": GOOD_SPEC,
            BAD: skill(name="Bad_Name"),
        },
    )

    result = run(tmp_path, "build")

    assert result.code == 1
    [line] = [x for x in result.err.splitlines() if "specs/bad.yaml:2" in x]
    assert line.startswith("error: ")
    assert "name" in line and "single hyphens" in line and "set 'folder:'" in line
    assert "Traceback" not in result.err + result.out
    assert "internal error" not in result.err
    assert outputs(tmp_path) == {GOOD_OUT}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param("[build]\njbs = 2\n", "did you mean 'jobs'", id="unknown-key-with-hint"),
        pytest.param("[build\njobs = 2\n", "not valid TOML", id="not-toml"),
        pytest.param('colour = "red"\n', "unknown key 'colour'", id="unknown-top-level-key"),
        pytest.param('[build]\njobs = "two"\n', "'build.jobs' must be of type int", id="type"),
    ],
)
def test_config_errors_exit_2(tmp_path: Path, config: str, message: str) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": config, "specs/good.yaml": GOOD_SPEC})

    result = run(tmp_path, "build", "--json")

    assert result.code == 2
    assert ".skillforge.toml" in result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    assert not (tmp_path / ".claude").exists()


def test_limits_are_inclusive(tmp_path: Path) -> None:
    """A 64-character name and a 1024-character description are valid (no off-by-one)."""
    name = "a" * 64
    spec = skill(name=name, description="x" * 1024)
    build_file_tree(tmp_path, {".skillforge.toml": CONFIG, BAD: spec})

    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    assert (tmp_path / f".claude/skills/{name}/SKILL.md").is_file()


@pytest.mark.parametrize("target", ["folder", "file"])
def test_output_through_a_symlink_is_refused(tmp_path: Path, target: str) -> None:
    """DESIGN §3: no output is written through a symlink out of the output root."""
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    build_file_tree(
        root, {".skillforge.toml": CONFIG, "specs/good.yaml": GOOD_SPEC, BAD: skill(*SECTION)}
    )
    (root / ".claude/skills").mkdir(parents=True)
    if target == "folder":
        (root / ".claude/skills/bad").symlink_to(elsewhere, target_is_directory=True)
    else:
        (root / ".claude/skills/bad").mkdir()
        (root / BAD_OUT).symlink_to(elsewhere / "SKILL.md")

    result = run(root, "build", "--json")

    assert result.code == 1
    report = result.report
    # a write error names the spec (D10); a conflict found before writing names the output
    assert [e["file"] for e in report["errors"]] == [BAD if target == "folder" else BAD_OUT]
    message = report["errors"][0]["message"]
    assert "symlink" in message or "symbolic link" in message, message
    assert list(elsewhere.iterdir()) == []
    assert report["written"] == [GOOD_OUT]


def build_warnings(root: Path, spec: str) -> tuple[Result, list[dict[str, Any]]]:
    build_file_tree(root, {".skillforge.toml": CONFIG, BAD: spec})
    result = run(root, "build", "--json")
    return result, [w for w in result.report["warnings"] if w["file"] == BAD]


@pytest.mark.parametrize(
    ("spec", "out", "line", "message"),
    [
        pytest.param(
            skill(name="my-claude-helper"),
            ".claude/skills/my-claude-helper/SKILL.md",
            2,
            "not portable: skill name contains 'claude', which claude.ai and the Skills API refuse",
            id="name-claude",
        ),
        pytest.param(
            skill(name="anthropic-tools"),
            ".claude/skills/anthropic-tools/SKILL.md",
            2,
            "not portable: skill name contains 'anthropic'",
            id="name-anthropic",
        ),
        pytest.param(
            skill(description="Compares a < b and c > d."),
            BAD_OUT,
            3,
            "not portable: description contains '<' or '>'",
            id="description-angle-brackets",
        ),
        pytest.param(
            skill("folder: pdf-processing", name="PDF Processing"),
            ".claude/skills/pdf-processing/SKILL.md",
            2,
            "not portable: skill name 'PDF Processing' is a label; portable loaders want the "
            "folder name ('pdf-processing')",
            id="name-is-a-label",
        ),
        pytest.param(
            skill("folder: pdf-tools", name="pdf-processing"),
            ".claude/skills/pdf-tools/SKILL.md",
            2,
            "not portable: skill name 'pdf-processing' differs from its folder 'pdf-tools'",
            id="name-is-not-the-folder",
        ),
    ],
)
def test_portable_only_rules_are_warnings_for_claude(
    tmp_path: Path, spec: str, out: str, line: int, message: str
) -> None:
    result, warnings = build_warnings(tmp_path, spec)

    assert result.code == 0, result.out
    assert result.report["errors"] == []
    assert [(w["line"], w["field"]) for w in warnings if message in w["message"]] == [
        (line, "name" if line == 2 else "description")
    ], warnings
    assert outputs(tmp_path) == {out}


def test_portable_description_limit_is_a_warning_when_the_budget_allows(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": CONFIG + "[budgets]\ndescription_chars = 5000\n",
            BAD: skill(description="x" * 1500),
        },
    )
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    [warning] = result.report["warnings"]
    assert warning["line"] == 3
    assert (
        "not portable: description is 1500 characters; the portable limit is 1024"
        in (warning["message"])
    )
    assert outputs(tmp_path) == {BAD_OUT}


def test_agent_description_has_no_length_limit(tmp_path: Path) -> None:
    long = "Reviews code. " * 200  # 2,800 characters, as real agents' <example> blocks are
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": CONFIG,
            BAD: agent().replace(
                "description: Reviews bad changes.", f"description: {long.strip()}"
            ),
        },
    )
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    assert result.report["warnings"] == []
    assert outputs(tmp_path) == {BAD_AGENT_OUT}


def test_label_name_with_folder_is_written_where_the_folder_says(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": CONFIG,
            BAD: skill("folder: pdf-processing", *SECTION, name="PDF Processing"),
            "specs/rev.yaml": agent("file: code-reviewer", *SECTION, name="reviewer"),
        },
    )
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    assert outputs(tmp_path) == {
        ".claude/skills/pdf-processing/SKILL.md",
        ".claude/agents/code-reviewer.md",
    }
    text = (tmp_path / ".claude/skills/pdf-processing/SKILL.md").read_text()
    assert "\nname: PDF Processing\n" in text
    assert "folder" not in text
    assert "\nname: reviewer\n" in (tmp_path / ".claude/agents/code-reviewer.md").read_text()


def test_valid_enumerated_values_and_model_ids_pass(tmp_path: Path) -> None:
    spec = agent(
        "model: claude-sonnet-4-5",
        "permissionMode: acceptEdits",
        "color: cyan",
        "effort: xhigh",
        "isolation: worktree",
        "memory: local",
    )
    build_file_tree(tmp_path, {".skillforge.toml": CONFIG, BAD: spec})
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    assert result.report["warnings"] == []


def test_references_to_names_no_spec_builds_are_warnings(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": CONFIG,
            "specs/review.yaml": agent("skills: [good, reviw-checklist]", name="reviewer"),
            "specs/fork.yaml": skill("context: fork", "agent: reviewr", name="fork"),
            "specs/explore.yaml": skill("context: fork", "agent: Explore", name="explore"),
            "specs/good.yaml": GOOD_SPEC,
        },
    )
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    warnings = {(w["file"], w["line"], w["field"]): w["message"] for w in result.report["warnings"]}
    assert set(warnings) == {("specs/review.yaml", 4, "skills"), ("specs/fork.yaml", 5, "agent")}
    assert (
        "no skill named 'reviw-checklist' is built by this project"
        in warnings[("specs/review.yaml", 4, "skills")]
    )
    assert "no agent named 'reviewr'" in warnings[("specs/fork.yaml", 5, "agent")]
    assert "(did you mean 'reviewer'?)" in warnings[("specs/fork.yaml", 5, "agent")]


def test_a_reference_to_a_spec_left_alone_is_known_from_its_recorded_outputs(
    tmp_path: Path,
) -> None:
    """An edit renders one spec: the names of the others come from the outputs the manifest
    records for them (they are asked for only when a rendered spec has references)."""
    files = {
        ".skillforge.toml": CONFIG,
        "specs/review.yaml": agent("skills: [good, reviw-checklist]", name="reviewer"),
        "specs/good.yaml": GOOD_SPEC,
    }
    build_file_tree(tmp_path, files)
    assert run(tmp_path, "build", "-q").code == 0
    review = tmp_path / "specs/review.yaml"
    review.write_text(review.read_text() + "\n")
    result = run(tmp_path, "build", "--json")

    assert result.code == 0, result.out
    assert result.report["specs"]["parsed"] == 1
    messages = [w["message"] for w in result.report["warnings"]]
    assert len(messages) == 1 and "no skill named 'reviw-checklist'" in messages[0], messages
