"""Reporters: Rich on a terminal, plain lines otherwise, JSON on request."""

from __future__ import annotations

import io
from pathlib import Path

from helpers import build_file_tree, chdir, project
from rich.console import Console

from skillforge.build import run_build
from skillforge.config import load_config
from skillforge.options import BuildOptions
from skillforge.report_rich import RichReporter


def rich_build(root: Path, **options: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    reporter = RichReporter(
        explain=options.get("explain", False),
        out=Console(file=out, force_terminal=True, width=200, color_system=None),
        err=Console(file=err, force_terminal=True, width=200, color_system=None),
    )
    with chdir(root):
        run_build(load_config(), BuildOptions(**options), reporter)
    return out.getvalue(), err.getvalue()


def test_rich_reporter_prints_written_files_and_a_summary(tmp_path: Path) -> None:
    project(tmp_path, skills=60, agents=0)  # enough dirty specs for a progress bar
    out, err = rich_build(tmp_path, explain=True)
    assert "wrote .claude/skills/skill-0/SKILL.md: new spec" in out
    assert "built: 60 specs, 60 written" in out
    assert "Traceback" not in err


def test_rich_reporter_shows_problems_with_brackets_intact(tmp_path: Path) -> None:
    project(tmp_path, skills=1, agents=0)
    build_file_tree(
        tmp_path, {"specs/bad.yaml": "kind: skill\nname: bad\ndescription: d\nmodel: '[x] <y>'\n"}
    )
    out, err = rich_build(tmp_path)
    assert "specs/bad.yaml:4: model: model '[x] <y>' is not a Claude model" in err
    assert "failed:" in out


def test_a_dropped_files_entry_is_removed_as_no_longer_in_its_files(tmp_path: Path) -> None:
    from helpers import run

    entry = "  - {{src: files/{0}.md, dest: {0}.md}}\n"
    spec = "kind: skill\nname: s\ndescription: S. Use when testing.\nfiles:\n"
    build_file_tree(
        tmp_path,
        {
            "specs/s.yaml": spec + entry.format("a") + entry.format("b"),
            "specs/files/a.md": "A\n",
            "specs/files/b.md": "B\n",
        },
    )
    assert run(tmp_path, "build").code == 0
    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("a"))
    plain = run(tmp_path, "build")
    assert plain.code == 0, plain
    assert "removed .claude/skills/s/b.md (no longer in its spec's files)" in plain.out
    assert "spec is gone" not in plain.out
    assert not (tmp_path / ".claude/skills/s/b.md").exists()

    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("b"))
    assert run(tmp_path, "build").code == 0
    (tmp_path / "specs/s.yaml").write_text(spec + entry.format("a"))
    out, _ = rich_build(tmp_path)
    assert "removed .claude/skills/s/b.md (no longer in its spec's files)" in out
