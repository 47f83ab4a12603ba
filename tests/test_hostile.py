"""Hostile input (issue 5, part 6): a table of bad projects, each refused cleanly.

Every row is a project with one hostile spec (or template, trait, base, symlink) and one valid
spec. `build --json` must exit 1 with the problem at the expected file, line and field, print
no traceback, write nothing for the hostile spec, write nothing anywhere outside the output
folder, and still build the valid spec. tests/test_validation.py holds the rules of DESIGN §3;
this table adds what an attacker (or an accident) brings: bombs, binary files, escapes from
the output and template folders, templates reaching for Python internals, runaway loops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import Result, build_file_tree, run
from test_validation import BAD, BAD_OUT, CONFIG, GOOD_OUT, GOOD_SPEC, SECTION, agent, skill

SECRET = "TOP-SECRET-CONTENT"
FAST = "[build]\nrender_timeout = 0.3\n"
SPIN = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    file: str
    line: int | None
    field: str | None
    message: str
    config: str = ""
    raw: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # path -> target under "outside/"
    unbuilt: tuple[str, ...] = (BAD_OUT,)


def case(
    id: str,
    files: dict[str, str] | str,
    line: int | None,
    field: str | None,
    message: str,
    **kwargs: Any,
) -> Any:
    kwargs.setdefault("file", BAD)
    if isinstance(files, str):
        files = {BAD: files}
    return pytest.param(Case(files, line=line, field=field, message=message, **kwargs), id=id)


def body(text: str, *before: str) -> str:
    """A skill whose one section (id `evil`) has `text` as its body, on line 6 (or later)."""
    return skill(*before, "sections:", "  - id: evil", f"    body: {json.dumps(text)}")


def with_template(source: str, name: str = "sections/evil.md.j2") -> dict[str, str]:
    """A skill whose section `evil` (line 5, template on line 6) uses a hostile template."""
    return {
        BAD: skill("sections:", "  - id: evil", f"    template: {name}"),
        f"templates/{name}": source,
    }


def bomb(mapping: bool = False) -> str:
    lines = ["kind: skill", "name: bad", "description: Explodes.", "vars:"]
    if mapping:
        lines.append("  l0: &l0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol}")
        for i in range(1, 10):
            refs = ", ".join(f"k{j}: *l{i - 1}" for j in range(10))
            lines.append(f"  l{i}: &l{i} {{{refs}}}")
    else:
        lines.append("  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]")
        for i in range(1, 10):
            lines.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


UNSAFE = "template refused by the sandbox"
STOPPED = "template stopped"

CASES = [
    # -- YAML bombs, depth, tags -------------------------------------------------------------
    case("alias-bomb-lists", bomb(), 5, None, "YAML aliases expanding exponentially"),
    case("alias-bomb-mappings", bomb(mapping=True), 5, None, "YAML aliases expanding"),
    case(
        "alias-bomb-in-a-trait",
        {
            BAD: skill("traits: [boom]"),
            "traits/boom.yaml": bomb()
            .split("vars:\n", 1)[0]
            .replace("kind: skill\nname: bad\ndescription: Explodes.\n", "")
            + "vars:\n"
            + bomb().split("vars:\n", 1)[1],
        },
        2,
        None,
        "YAML aliases expanding",
        file="traits/boom.yaml",
    ),
    case(
        "nested-100000-flow-levels",
        skill("vars: {deep: " + "[" * 100_000 + "]" * 100_000 + "}"),
        4,
        None,
        # The behaviour, not the wording: PyYAML >= 6.0.4 refuses deep nesting itself.
        "nest",
    ),
    case(
        "nested-80-block-levels",
        skill("vars:", *[" " * (2 * i) + "a:" for i in range(1, 81)]),
        69,
        None,
        "nested more than 64 levels",
    ),
    case(
        "python-object-new-tag",
        skill("vars: {x: !!python/object/new:os.system [id]}"),
        4,
        "vars.x",
        "unsupported YAML tag",
    ),
    case("binary-tag", skill("vars: {x: !!binary aGVsbG8=}"), 4, "vars.x", "unsupported YAML tag"),
    case("set-tag", skill("vars: {x: !!set {a, b}}"), 4, "vars.x", "unsupported YAML tag"),
    case(
        "custom-include-tag",
        skill("vars: {x: !include /etc/passwd}"),
        4,
        "vars.x",
        "unsupported YAML tag",
    ),
    case(
        "mapping-as-key",
        skill("vars:", "  ? {a: 1}", "  : b"),
        5,
        None,
        "mapping keys must be plain strings",
    ),
    case("two-documents", skill() + "---\nkind: agent\n", 4, None, "YAML"),
    case(
        "control-character",
        skill('vars: {x: "bell\x07"}'),
        4,
        None,
        "control characters are not allowed",
    ),
    # -- bytes and size ----------------------------------------------------------------------
    case(
        "nul-in-a-section-body",
        {},
        6,
        None,
        "NUL",
        raw={BAD: skill(*SECTION).replace("Text.", "Te\x00xt.").encode()},
    ),
    case(
        "nul-in-a-trait",
        {BAD: skill("traits: [nul]")},
        1,
        None,
        "NUL",
        raw={"traits/nul.yaml": b"vars: {a: \x00}\n"},
        file="traits/nul.yaml",
    ),
    case("utf-16-file", {}, 1, None, "not UTF-8", raw={BAD: skill().encode("utf-16")}),
    case(
        "latin-1-in-a-base",
        {BAD: "extends: _base.yaml\n" + skill()},
        1,
        None,
        "not UTF-8",
        raw={"specs/_base.yaml": "license: \xe9\n".encode("latin-1")},
        file="specs/_base.yaml",
    ),
    case(
        "png-named-yaml",
        {},
        1,
        None,
        "not UTF-8",
        raw={BAD: b"\x89PNG\r\n\x1a\n" + bytes(range(256))},
    ),
    case(
        "over-the-default-1-mib-cap",
        skill("vars: {x: " + "y" * (2**20) + "}"),
        None,
        None,
        "over the 1,048,576-byte limit",
    ),
    case(
        "trait-over-the-cap",
        {BAD: skill("traits: [big]"), "traits/big.yaml": "vars: {x: " + "y" * 400 + "}\n"},
        None,
        None,
        "over the 300-byte limit",
        config="[build]\nmax_spec_bytes = 300\n",
        file="traits/big.yaml",
    ),
    # -- output paths ------------------------------------------------------------------------
    case(
        "agent-name-dot-dot-slash",
        agent(name="../../evil"),
        2,
        "name",
        "must be usable as a file name",
        unbuilt=("evil.md", ".claude/evil.md"),
    ),
    case(
        "agent-name-absolute",
        agent(name="/tmp/evil"),
        2,
        "name",
        "must be usable as a file name",
        unbuilt=(),
    ),
    case(
        "skill-name-dot-dot",
        skill(name=".."),
        2,
        "name",
        "single hyphens",
        unbuilt=(".claude/SKILL.md",),
    ),
    case(
        "files-dest-absolute",
        {BAD: skill("files:", "  - {src: a.md, dest: /tmp/evil.md}"), "specs/a.md": "A.\n"},
        5,
        "files[0].dest",
        "unsafe path",
    ),
    case(
        "files-dest-climbs-after-a-folder",
        {
            BAD: skill("files:", "  - {src: a.md, dest: refs/../../../evil.md}"),
            "specs/a.md": "A.\n",
        },
        5,
        "files[0].dest",
        "unsafe path",
        unbuilt=(BAD_OUT, ".claude/evil.md"),
    ),
    case(
        "files-src-climbs-out",
        skill("files:", "  - {src: ../../../../etc/passwd, dest: p.md}"),
        5,
        "files[0].src",
        "unsafe path",
    ),
    case(
        "files-src-symlink-out",
        {BAD: skill("files:", "  - {src: secret.md, dest: s.md}")},
        5,
        "files[0].src",
        "resolves outside the project",
        links={"specs/secret.md": "secret"},
        unbuilt=(BAD_OUT, ".claude/skills/bad/s.md"),
    ),
    case(
        "files-dest-through-a-symlinked-folder",
        {BAD: skill("files:", "  - {src: a.md, dest: refs/a.md}"), "specs/a.md": "A.\n"},
        5,
        "files[0].dest",
        "is a symbolic link in the skill folder",
        links={".claude/skills/bad/refs": "."},
    ),
    # -- template names escaping the template folders ----------------------------------------
    case(
        "template-dot-dot",
        skill("sections:", "  - id: t", "    template: ../../etc/passwd"),
        6,
        "sections.t.template",
        "template '../../etc/passwd' not found",
    ),
    case(
        "template-absolute",
        skill("sections:", "  - id: t", "    template: /etc/passwd"),
        6,
        "sections.t.template",
        "template '/etc/passwd' not found",
    ),
    case(
        "template-climbs-after-a-folder",
        skill("sections:", "  - id: t", "    template: sections/../../../etc/passwd"),
        6,
        "sections.t.template",
        "not found",
    ),
    case(
        "include-dot-dot",
        body("{% include '../../etc/passwd' %}"),
        6,
        "sections.evil.body",
        "template '../../etc/passwd' not found",
    ),
    case(
        "include-absolute",
        body("{% include '/etc/passwd' %}"),
        6,
        "sections.evil.body",
        "template '/etc/passwd' not found",
    ),
    case(
        "import-dot-dot",
        body("{% import '../secret.j2' as s %}{{ s }}"),
        6,
        "sections.evil.body",
        "not found",
    ),
    case(
        "fragment-dot-dot",
        body("{{ fragment('../../../etc/passwd') }}"),
        6,
        "sections.evil.body",
        "not found",
    ),
    case(
        "template-symlink-out",
        {BAD: skill("sections:", "  - id: t", "    template: sections/leak.md.j2")},
        6,
        "sections.t.template",
        "resolves outside the project",
        links={"templates/sections/leak.md.j2": "secret"},
    ),
    # -- the sandbox: no way to Python internals, no changing the context --------------------
    case("str-class-mro", body("{{ ''.__class__.__mro__ }}"), 6, "sections.evil.body", UNSAFE),
    case(
        "subclasses",
        body("{{ (1).__class__.__base__.__subclasses__() }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case(
        "cycler-globals",
        body("{{ cycler.__init__.__globals__.os }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case(
        "joiner-popen",
        body("{{ joiner.__init__.__globals__.os.popen('touch PWNED') }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case("lipsum-globals", body("{{ lipsum.__globals__['os'] }}"), 6, "sections.evil.body", UNSAFE),
    case(
        "template-reference-context",
        body("{{ self._TemplateReference__context }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case(
        "fragment-function-internals",
        body("{{ fragment.__self__.config }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case(
        "format-string-attribute",
        body("{{ '{0.__class__}'.format(spec) }}"),
        6,
        "sections.evil.body",
        UNSAFE,
    ),
    case("mutate-the-spec", body("{{ spec.sections.append(1) }}"), 6, "sections.evil.body", UNSAFE),
    case(
        "mutate-vars",
        body("{{ vars.update(x=1) }}", "vars: {a: 1}"),
        7,
        "sections.evil.body",
        UNSAFE,
    ),
    case(
        "mro-in-a-template-file",
        with_template("Hi {{ spec.__class__.mro() }}\n"),
        6,
        "sections.evil.template",
        UNSAFE,
    ),
    case(
        "internals-in-a-rendered-supporting-file",
        {
            BAD: skill("files:", "  - {src: a.md, dest: a.md, render: true}"),
            "specs/a.md": "{{ ''.__class__.__mro__ }}\n",
        },
        5,
        "files[0].src",
        UNSAFE,
    ),
    # -- runaway templates -------------------------------------------------------------------
    case(
        "range-of-a-billion",
        body("{% for i in range(10**9) %}x{% endfor %}"),
        6,
        "sections.evil.body",
        "Range too big",
    ),
    case(
        "nested-loops-time-out",
        with_template(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
        ),
        6,
        "sections.evil.template",
        "ran longer than 0.3s",
        config=FAST,
    ),
    case(
        "output-size-cap",
        body("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}"),
        6,
        "sections.evil.body",
        "more than 1,000,000 characters",
        config="[build]\nmax_render_size = 1000000\n",
    ),
    case("string-repeat-bomb", body("{{ 'x' * 10**12 }}"), 6, "sections.evil.body", UNSAFE),
    case("huge-power", body("{{ 10 ** 10000000 }}"), 6, "sections.evil.body", "too large"),
    case(
        "runaway-fragment",
        {
            BAD: body("{{ fragment('spin') }}"),
            "templates/fragments/spin.md.j2": SPIN,
        },
        6,
        "sections.evil.body",
        "ran longer than 0.3s",
        config=FAST,
    ),
    case(
        "runaway-layout",
        {
            BAD: skill(*SECTION),
            "templates/base/skill.md.j2": SPIN,
        },
        1,
        "kind",
        "ran longer than 0.3s",
        config=FAST,
        unbuilt=(BAD_OUT, GOOD_OUT),
    ),
    case(
        "recursive-macro",
        body("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
        6,
        "sections.evil.body",
        "RecursionError",
    ),
    case(
        "self-include",
        with_template("{% include 'sections/evil.md.j2' %}"),
        6,
        "sections.evil.template",
        "RecursionError",
    ),
]


def build(root: Path, case: Case) -> Result:
    project = root / "project"
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret").write_text(SECRET + "\n")
    build_file_tree(
        project, {".skillforge.toml": CONFIG + case.config, "specs/good.yaml": GOOD_SPEC}
    )
    build_file_tree(project, case.files)
    for rel, data in case.raw.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_bytes(data)
    for rel, target in case.links.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).symlink_to(outside / target)
    return run(project, "build", "--json")


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_refused(tmp_path: Path, case: Case) -> None:
    result = build(tmp_path, case)
    project = tmp_path / "project"

    assert result.code == 1, result
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    report = json.loads(result.out)
    assert report["ok"] is False
    found = [
        e
        for e in report["errors"]
        if e["file"] == case.file
        and e["line"] == case.line
        and e["field"] == case.field
        and case.message in e["message"]
    ]
    assert found, json.dumps(report["errors"], indent=2)

    # nothing written for the hostile spec, nothing outside the output folder, no secret out
    for path in case.unbuilt:
        assert not (project / path).exists(), path
    assert files(tmp_path / "outside") == {"secret"}
    assert not (project / "PWNED").exists() and not Path("PWNED").exists()
    built = {p for p in files(project / ".claude")}
    assert built <= {"skills/good/SKILL.md"}
    for path in built:
        assert SECRET not in (project / ".claude" / path).read_text()
    if GOOD_OUT not in case.unbuilt:
        assert report["written"] == [GOOD_OUT]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    import subprocess
    import sys

    build_file_tree(tmp_path, {".skillforge.toml": CONFIG, BAD: bomb(mapping=True)})
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so the child would report the
    # peak of the forked test runner (hundreds of MiB late in a full run), not its own
    code = (
        "from skillforge.cli.main import main\n"
        "code = main(['build', '-q'])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "print(code, hwm.split()[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    exit_code, peak_kib = out.stdout.split()
    assert exit_code == "1"
    # VmHWM is in KiB; expanded, the bomb would need gigabytes
    assert int(peak_kib) < 200 * 1024
    assert not (tmp_path / ".claude").exists()
