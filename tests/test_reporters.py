"""Reporters: Rich on a terminal, plain lines otherwise, JSON on request."""

from __future__ import annotations

import io
from pathlib import Path

from helpers import build_file_tree, chdir, project
from rich.console import Console

from skillforge.commands.options import BuildOptions
from skillforge.engine.build import run
from skillforge.engine.config import load_config
from skillforge.engine.start import begin
from skillforge.engine.workers import Pool
from skillforge.report.terminal import RichReporter


def rich_build(root: Path, **options: bool) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    reporter = RichReporter(
        explain=options.get("explain", False),
        out=Console(file=out, force_terminal=True, width=200, color_system=None),
        err=Console(file=err, force_terminal=True, width=200, color_system=None),
    )
    with chdir(root):
        config = load_config()
        run(config, BuildOptions(**options), begin(config, False), Pool(), reporter)
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
