"""The shortcuts of the six-target cold build (issue 12) give the bytes of the long way round.

Each test runs the shortcut and the long way (PyYAML's dumper, the path library, the old
checks) on the same input and compares the results byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import build_file_tree, build_json, run
from hypothesis import given, settings
from hypothesis import strategies as st

from skillforge.engine import documents, record
from skillforge.engine.files import finish
from skillforge.engine.load.config import load_config
from skillforge.report.model import Counters, output_key, part_key
from skillforge.state import marker
from skillforge.state.digest import digest_bytes
from skillforge.state.marker import add_marker, read_marker
from skillforge.targets import TARGETS, frontmatter

# every table enables its target; Copilot's outputs go to a folder of their own
SIX = """
[targets.claude]
[targets.agents]
[targets.codex]
[targets.cursor]
[targets.copilot]
out = "tools/copilot"
[targets.opencode]
"""

# values the direct emitter writes, and values it leaves to PyYAML (quotes, escapes,
# unicode, words YAML reads as bools, a version, a multi-line text, a flow-looking string)
PROJECT = {
    ".skillforge.toml": SIX,
    "specs/plain.yaml": """
        kind: skill
        name: plain-skill
        description: 'Reads "quoted" text \\ and more: a colon, a # hash, caf\u00e9 \u2014 ok.'
        when_to_use: When the user asks.
        license: MIT
        metadata: {version: "1.2", owner: team-a, flag: "on", empty: "", note: "a: b"}
        allowed-tools: [Read, "Bash(git log:*)", Grep]
        frontmatter: {x-yes: "yes", x-multi: "two\\nlines", x-num: 3, x-list: [a, "1.0"]}
        sections:
          - id: overview
            title: Overview
            body: For {{ spec.name }}.
          - id: per-tool
            title: Tool
            body: "{% if target.name in ('cursor', 'copilot') %}For {{ target.title }}.{% endif %}"
          - id: notes
            body: Plain notes.
        """,
    "specs/agent.yaml": """
        kind: agent
        name: reviewer
        description: "Reviews code.\\n\\n<example>\\nuser: \\"Check  this\\"\\n</example>\\n"
        tools: [Read, Grep, Glob, Bash, Write]
        model: inherit
        color: blue
        targets:
          cursor: {model: fast}
        sections:
          - id: role
            body: You review code.
        """,
    "specs/twin.yaml": """
        kind: agent
        name: reviewer-twin
        description: "Reviews code.\\n\\n<example>\\nuser: \\"Check  this\\"\\n</example>\\n"
        tools: [Read, Grep, Glob, Bash, Write]
        model: inherit
        color: blue
        sections:
          - id: role
            body: You review code.
        """,
    "specs/command.yaml": """
        kind: command
        name: commit
        description: "Write a commit message \U0001f600 (astral: left to PyYAML)."
        argument-hint: "[scope]"
        allowed-tools: [Bash(git diff:*), Read]
        sections:
          - id: body
            body: Commit $ARGUMENTS.
        """,
}


def _outputs(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in (".skillforge", "specs")
    }


def _counters(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("duration_ms", "timings")}


def test_a_six_target_build_writes_what_pyyaml_and_the_long_way_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    for root in (fast, slow):
        build_file_tree(root, PROJECT)
    tables: list[dict[str, list[Any]]] = []
    real_table = record.template_table
    monkeypatch.setattr(record, "template_table", lambda c: tables.append(real_table(c)) or {})
    fast_report = build_json(fast, "--jobs", "1")
    assert fast_report["ok"], fast_report["errors"]
    # the long way: PyYAML writes every head; every output path is resolved on its own;
    # each render's output is digested whole (what `stats` counts repeats by)
    monkeypatch.setattr(frontmatter, "_direct", lambda *args: False)
    real = documents.output_paths
    monkeypatch.setattr(
        "skillforge.engine.render.output_paths",
        lambda config, target, kind, name, prefixes=None: real(config, target, kind, name),
    )

    def timed(self: Counters, name: str, seconds: float, output: str = "", key: Any = None) -> None:
        self.template_times.setdefault(name, []).append(seconds)
        self.template_outputs.setdefault(name, []).append(digest_bytes(output.encode())[:16])

    monkeypatch.setattr(Counters, "timed", timed)
    slow_report = build_json(slow, "--jobs", "1")
    assert _counters(fast_report) == _counters(slow_report)
    renders = [{k: (v[0], v[3]) for k, v in table.items()} for table in tables]
    assert renders[0] == renders[1]
    assert renders[0]["base/agent.md.j2"] == (8, 1), renders  # two agents: one OpenCode file
    written = _outputs(fast)
    assert written == _outputs(slow)
    assert len(written) == 19
    tools = {path: data for path, data in written.items() if path.endswith("plain-skill/SKILL.md")}
    assert b"For Cursor." in tools[".cursor/skills/plain-skill/SKILL.md"]
    assert b"For GitHub Copilot." in tools["tools/copilot/skills/plain-skill/SKILL.md"]
    assert b"For Cursor." not in tools[".claude/skills/plain-skill/SKILL.md"]


def test_output_paths_with_the_kept_prefixes_are_the_long_ways(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".skillforge.toml": SIX})
    config = load_config(tmp_path / ".skillforge.toml")
    prefixes: dict[tuple[str, str], str] = {}
    names = ("x", "a-b", "a/b", "a/../b", "..", ".", "", "/abs", "a\\b", "a//b", "a/", "caf\u00e9")
    for _ in range(2):  # the second round reads the kept prefixes
        for target in TARGETS.values():
            for kind in target.kinds:
                for name in names:
                    fast = documents.output_paths(config, target, kind, name, prefixes)
                    assert fast == documents.output_paths(config, target, kind, name), name
    assert prefixes[("copilot", "skill")] == "tools/copilot/"
    assert prefixes[("codex", "skill")] == ".agents/"  # Codex reads the Agent Skills folder


def _plain_the_long_way(rel: str) -> bool:
    if not rel or rel.startswith("/") or "\\" in rel:
        return False
    return not any(part in ("", ".", "..") for part in rel.split("/"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab./\\", max_size=10))
def test_plain_path_check_is_the_long_ways(rel: str) -> None:
    assert documents._plain(rel) == _plain_the_long_way(rel)


def _finish_the_long_way(text: str) -> bytes:
    return (text.replace("\r\n", "\n").rstrip("\n") + "\n").encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a\r\n\u00e9", max_size=12))
def test_finish_is_the_long_ways(text: str) -> None:
    assert finish(text) == _finish_the_long_way(text)


drops = st.dictionaries(
    st.text(alphabet='ab/"\\\n\u00e9\U0001f600', max_size=6),
    st.lists(st.text(alphabet='xy."\\\t\u20ac', max_size=5), max_size=3),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(drops)
def test_dropped_json_is_what_json_dumps_writes(known: dict[str, list[str]]) -> None:
    known = dict(sorted(known.items()))
    assert documents.dumps_dropped(known) == json.dumps(known, indent=1, sort_keys=True)


def test_the_marker_is_the_same_bytes_however_the_document_is_joined() -> None:
    document = b"---\nname: x\n---\n\nBody \xc3\xa9.\n"
    marked = add_marker(document, "specs/x.yaml")
    digest = hashlib.sha256(document).hexdigest()[:16]
    line = f"# generated by skillforge from specs/x.yaml; edit the spec (sha256:{digest})\n"
    assert marked == b"---\n" + line.encode() + document[4:]
    assert read_marker(marked) == ("specs/x.yaml", True)


def test_the_marker_digest_is_sha256_before_and_after_the_switch_to_openssl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the builtin SHA-256 digests a process's first bytes, OpenSSL's the rest (state/marker.py)
    monkeypatch.setattr(marker, "_hashed", 0)
    monkeypatch.setattr(marker, "_openssl_sha256", None)
    sizes = [0, 1, 1600, marker._BULK // 2, marker._BULK, 3, 1 << 20]
    used = []
    for size in sizes:
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert marker._digest(data) == hashlib.sha256(data).hexdigest()[:16]
        used.append(marker._openssl_sha256 is not None)
    assert used[:3] == [False, False, False] and used[-1]


def test_an_edit_build_loads_no_openssl(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            ".skillforge.toml": "",
            "specs/a.yaml": "kind: skill\nname: a\ndescription: Does a.\nsections:\n"
            "- id: one\n  body: First.\n",
        },
    )
    assert build_json(tmp_path)["ok"]
    spec = tmp_path / "specs" / "a.yaml"
    spec.write_text(spec.read_text().replace("First.", "Second."))
    code = (
        "import sys; from skillforge.cli.main import main; code = main(['build', '-q']);"
        " print('hashlib' in sys.modules, '_hashlib' in sys.modules, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False", "0"], done.stderr
    text = (tmp_path / ".claude" / "skills" / "a" / "SKILL.md").read_bytes()
    assert b"Second." in text and read_marker(text) == ("specs/a.yaml", True)


def _obstacle(root: Path, kind: str) -> None:
    """Put `kind` where the folder of `.claude/skills/x/SKILL.md` goes."""
    skills = root / ".claude" / "skills"
    skills.mkdir(parents=True)
    if kind == "file":
        (skills / "x").write_text("not a folder")
    elif kind == "symlink":
        (root / "elsewhere").mkdir()
        (skills / "x").symlink_to(root / "elsewhere", target_is_directory=True)
    elif kind == "dangling":
        (skills / "x").symlink_to(root / "nowhere", target_is_directory=True)
    elif kind == "folder":
        (skills / "x").mkdir()
        (skills / "x" / ".SKILL.md.skillforge-1.tmp").write_text("left by a killed build")
    elif kind == "read-only":
        skills.chmod(0o500)


@pytest.mark.parametrize("kind", ["none", "file", "symlink", "dangling", "folder", "read-only"])
def test_a_missing_outputs_folder_made_first_fails_or_works_as_the_long_way(
    tmp_path: Path, kind: str
) -> None:
    """`stage(missing=True)` tries `mkdir` first; what it ends with is the long way's."""
    from skillforge.engine.publish.writer import OutputError, Writer

    outcomes = []
    for missing in (True, False):
        root = tmp_path / str(missing)
        build_file_tree(root, {".skillforge.toml": 'targets = ["claude"]\n'})
        _obstacle(root, kind)
        writer = Writer(load_config(root / ".skillforge.toml"), None, False)
        try:
            staged = writer.stage(".claude/skills/x/SKILL.md", b"---\nname: x\n---\n", missing)
            writer.publish([staged])
            outcome = "written: " + (root / ".claude/skills/x/SKILL.md").read_text()
        except OutputError as exc:
            outcome = f"refused: {exc}"
        finally:
            (root / ".claude" / "skills").chmod(0o700)
        left = sorted(p.relative_to(root).as_posix() for p in (root / ".claude").rglob("*"))
        outcomes.append((outcome, left))
    assert outcomes[0] == outcomes[1]
    if kind in ("file", "symlink", "dangling"):
        assert outcomes[0][0].startswith("refused: .claude/skills/x/SKILL.md: ")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="-\na\u00e9", max_size=12), st.text(alphabet="-\na\u00e9", max_size=12))
def test_output_keys_are_equal_for_equal_texts_only(one: str, other: str) -> None:
    assert (output_key(one) == output_key(other)) == (one == other)
    assert output_key(one) == output_key(str(one))


def test_a_laid_out_documents_key_is_its_output_key() -> None:
    """The built-in layout digests the part after the head once per spec (render.py)."""
    for head in ("", "name: caf\u00e9\n", 'description: "a\\n---\\nb"\n', "a: |\n  x\n  ---\n"):
        for body in ("", "## T", "text\n---\n\nmore"):
            text = f"---\n{head}---\n\n{body}\n"
            at = text.find("\n---\n")
            assert at <= 3 + len(head)
            if at == 3 + len(head):
                assert part_key(text[:at]) + part_key(f"\n---\n\n{body}\n") == output_key(text)


def test_dropped_json_is_rewritten_only_when_the_drops_change(tmp_path: Path) -> None:
    """An edit that changes no drop leaves `dropped.json` alone; a new drop, or a spec gone,
    rewrites it to what a clean build of the same specs records."""
    build_file_tree(tmp_path, PROJECT)
    assert build_json(tmp_path)["ok"]
    path = tmp_path / ".skillforge" / documents.DROPPED_FILE
    first = json.loads(path.read_text())
    assert any("color" in keys for keys in first.values()), first  # the agents' color

    def stamp() -> tuple[int, int]:
        st = path.stat()
        return st.st_ino, st.st_mtime_ns

    before = stamp()
    spec = tmp_path / "specs/plain.yaml"
    spec.write_text(spec.read_text().replace("Plain notes.", "Other notes."))
    assert build_json(tmp_path)["written"]
    assert stamp() == before and json.loads(path.read_text()) == first

    twin = tmp_path / "specs/twin.yaml"
    twin.write_text(twin.read_text().replace("color: blue", "color: blue\nmemory: user"))
    assert build_json(tmp_path)["ok"]
    grown = json.loads(path.read_text())
    assert grown != first and any("memory" in keys for keys in grown.values()), grown
    twin.unlink()
    assert build_json(tmp_path)["ok"]
    after = json.loads(path.read_text())
    assert not any("twin" in output for output in after), after

    clean = tmp_path / "clean"
    build_file_tree(clean, {k: v for k, v in PROJECT.items() if k != "specs/twin.yaml"})
    spec = clean / "specs/plain.yaml"
    spec.write_text(spec.read_text().replace("Plain notes.", "Other notes."))
    assert build_json(clean)["ok"]
    assert json.loads((clean / ".skillforge" / documents.DROPPED_FILE).read_text()) == after


TWINS = {
    "specs/twins.yaml": """
        kind: skill
        name: twins
        description: 'Shared by "every" target: caf\u00e9.'
        allowed-tools: [Read, "Bash(git log:*)"]
        sections:
          - id: overview
            title: Overview
            body: For {{ spec.name }}.
        """,
}


@pytest.mark.parametrize("layout", ["built-in", "project"])
def test_documents_with_one_head_are_laid_out_once_with_the_bytes_of_each_alone(
    tmp_path: Path, layout: str
) -> None:
    """A spec's documents whose heads are equal (Claude Code's, Agent Skills' and Copilot's
    SKILL.md here) are laid out and marked once (render.py `_twins`): each target built alone
    writes the same bytes, and the layout's renders are still counted once per document."""
    files = {
        **TWINS,
        ".skillforge.toml": 'targets = ["claude", "agents", "cursor", "copilot", "opencode"]\n',
    }
    if layout == "project":  # a layout of the project's: a Jinja render saved per twin
        files["templates/base/skill.md.j2"] = (
            "---\n{{ frontmatter }}---\n\n{{ sections | join('\\n\\n') }}\n\n(laid out)\n"
        )
    build_file_tree(tmp_path / "all", files)
    report = build_json(tmp_path / "all")
    assert report["ok"] and len(report["written"]) == 5
    together = _outputs(tmp_path / "all")
    skills = {p: d for p, d in together.items() if p.endswith("SKILL.md")}
    assert len(set(skills.values())) < len(skills)  # twins: some documents are equal
    for name in ("claude", "agents", "cursor", "copilot", "opencode"):
        root = tmp_path / name
        build_file_tree(root, {**files, ".skillforge.toml": f'targets = ["{name}"]\n'})
        assert build_json(root)["ok"]
        alone = {p: d for p, d in _outputs(root).items() if p.endswith("SKILL.md")}
        assert len(alone) == 1
        for path, data in alone.items():
            assert together[path] == data, path
    stats = run(tmp_path / "all", "stats", "--json").report
    renders = {t["name"]: t["renders"] for t in stats["templates"]}
    assert renders["base/skill.md.j2"] == 5  # one per document, twins included


def test_outputs_sharing_their_bytes_are_digested_once_with_each_ones_digest() -> None:
    from skillforge.engine.documents import RenderedOutput
    from skillforge.engine.publish.phase import digests_of

    one, other = b"---\nname: a\n---\n", bytes(bytearray(b"---\nname: a\n---\n"))
    outputs = [
        RenderedOutput(path, data, True)
        for path, data in [("a", one), ("b", other), ("c", one), ("d", b"x\n"), ("e", one)]
    ]
    assert digests_of(outputs) == [digest_bytes(o.data) for o in outputs]
