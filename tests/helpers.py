"""Scenario projects and an in-process CLI runner for the tests."""

from __future__ import annotations

import io
import json
import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillforge.cli.main import main


def build_file_tree(root: Path, files: dict[str, str]) -> None:
    """Write `files` (path -> text, dedented) under `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        """The `--json` report printed on stdout."""
        data: dict[str, Any] = json.loads(self.out)
        return data


def run(root: Path, *args: str) -> Result:
    """Run `skillforge ARGS` in-process with `root` as the working folder."""
    out, err = io.StringIO(), io.StringIO()
    with chdir(root), redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())


def build_json(root: Path, *args: str) -> dict[str, Any]:
    """Run `skillforge build --json ARGS` and return the report (any exit code)."""
    return run(root, "build", "--json", *args).report


SKILL = """
kind: skill
name: {name}
description: Does {name} things. Use when the user asks for {name}.
sections:
  - id: overview
    title: Overview
    body: |
      The {name} skill for {{{{ spec.name }}}}.
  - id: steps
    title: Steps
    template: sections/steps.md.j2
    with: {{steps: [Read the input, Write the output]}}
  - id: notes
    body: Plain notes without Jinja.
"""

AGENT = """
kind: agent
name: {name}
description: Reviews {name} changes.
tools: [Read, Grep]
model: sonnet
sections:
  - id: role
    title: Role
    body: You review {name} code.
"""


def project(
    root: Path, skills: int = 2, agents: int = 1, extra: dict[str, str] | None = None
) -> Path:
    """A small valid project: `skills` skills and `agents` agents, config with vars."""
    files = {".skillforge.toml": '[vars]\norg = "Acme"\n'}
    for i in range(skills):
        files[f"specs/skill-{i}.yaml"] = SKILL.format(name=f"skill-{i}")
    for i in range(agents):
        files[f"specs/agents/agent-{i}.yaml"] = AGENT.format(name=f"agent-{i}")
    files.update(extra or {})
    build_file_tree(root, files)
    return root


def mtimes(root: Path) -> dict[str, int]:
    """mtime_ns of every file under the output folder."""
    out = root / ".claude"
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
