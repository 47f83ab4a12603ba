"""The wheel carries the built-in templates and the init scaffold."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_and_scaffold(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("skillforge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "skillforge/templates/base/skill.md.j2",
        "skillforge/templates/base/agent.md.j2",
        "skillforge/templates/sections/steps.md.j2",
        "skillforge/templates/fragments/code-block.md.j2",
        "skillforge/scaffold/.skillforge.toml",
        "skillforge/scaffold/specs/hello-skill.yaml",
        "skillforge/entry.py",
    ):
        assert name in names, name
    assert not any("__pycache__" in n for n in names)
