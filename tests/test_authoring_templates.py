"""`skillforge templates [--eject NAME]` and shell completion of spec and target names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import project, run
from test_authoring_schema import snapshot

from skillforge.commands.templates import describe, template_names

ROOT = Path(__file__).resolve().parent.parent


def readme_table() -> dict[str, str]:
    """template -> its `with` keys cell, from the Sections table of templates/README.md."""
    text = (ROOT / "templates/README.md").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        match = re.match(r"^\| `(sections/[a-z-]+\.md\.j2)` \| (.*?) \| ", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_every_template_of_the_readme_is_listed_with_its_keys(tmp_path: Path) -> None:
    project(tmp_path)
    before = snapshot(tmp_path)
    result = run(tmp_path, "templates")
    assert result.code == 0
    table = readme_table()
    assert set(table) == {n for n in template_names() if n.startswith("sections/")}
    for name, cell in table.items():
        info = describe(name)
        assert f"  {name}  " in result.out
        assert info["example"] and info["example"] in result.out, name
        for key in info["keys"]:
            assert f"`{key['key']}`" in cell, (name, key)  # the README documents every key
    assert "      with: steps* [title, text, code, lang], intro" in result.out
    assert "      args: code*, lang" in result.out
    assert snapshot(tmp_path) == before


def test_eject_copies_a_builtin_and_never_overwrites(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "templates", "--eject", "steps")
    assert result.code == 0, result.err
    copy = tmp_path / "templates/sections/steps.md.j2"
    assert copy.read_bytes() == (ROOT / "templates/sections/steps.md.j2").read_bytes()
    assert "created templates/sections/steps.md.j2" in result.out
    copy.write_text("{{ section.with.steps|join(', ') }}\n")
    again = run(tmp_path, "templates", "--eject", "sections/steps.md.j2")
    assert again.code == 2 and "already exists; --eject never overwrites" in again.err
    assert copy.read_text() == "{{ section.with.steps|join(', ') }}\n"
    # the ejected copy overrides the built-in in the next build
    assert run(tmp_path, "build").code == 0
    skill = (tmp_path / ".claude/skills/skill-0/SKILL.md").read_text()
    assert "Read the input, Write the output" in skill


def test_eject_an_unknown_template_exits_2(tmp_path: Path) -> None:
    project(tmp_path)
    result = run(tmp_path, "templates", "--eject", "stepz")
    assert result.code == 2
    assert "no built-in template of that name (did you mean 'steps'?)" in result.err
    assert not (tmp_path / "templates").exists()


def complete(root: Path, words: str, cword: int) -> list[str]:
    """What bash completion offers (the real CLI, as the completion script calls it)."""
    env = dict(
        os.environ,
        _SKILLFORGE_COMPLETE="complete_bash",
        COMP_WORDS=words,
        COMP_CWORD=str(cword),
    )
    code = "import sys; from skillforge.cli.main import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_of_spec_target_and_template_names(tmp_path: Path) -> None:
    project(tmp_path)
    assert complete(tmp_path, "skillforge show ski", 2) == ["skill-0", "skill-1"]
    assert complete(tmp_path, "skillforge show pdf --target cl", 4) == ["claude"]
    assert complete(tmp_path, "skillforge show pdf --target co", 4) == ["codex", "copilot"]
    assert complete(tmp_path, "skillforge templates --eject sections/ste", 3) == [
        "sections/steps.md.j2"
    ]
    assert complete(tmp_path, "skillforge new a", 2) == ["agent"]
    assert "list" in complete(tmp_path, "skillforge l", 1)


def test_show_completion_prints_a_script(tmp_path: Path) -> None:
    # Typer finds the shell among the process's parents (shellingham): run it from bash, as a
    # user does (bash stays the parent: it does not `exec` a command followed by another), so
    # the answer does not depend on what runs the tests
    code = "from skillforge.cli.main import main; main()"
    done = subprocess.run(
        ["bash", "-c", f"{sys.executable} -c '{code}' --show-completion; exit $?"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "_SKILLFORGE_COMPLETE=complete_bash" in done.stdout
