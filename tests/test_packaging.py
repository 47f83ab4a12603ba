"""The wheel carries the built-in templates and the init scaffold."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
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
    (wheel,) = tmp_path.glob("skillforge_build-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "skillforge/templates/base/skill.md.j2",
        "skillforge/templates/base/agent.md.j2",
        "skillforge/templates/sections/steps.md.j2",
        "skillforge/templates/fragments/code-block.md.j2",
        "skillforge/scaffold/.skillforge.toml",
        "skillforge/scaffold/specs/hello-skill.yaml",
        "skillforge/schemas/spec.schema.json",
        "skillforge/schemas/config.schema.json",
        "skillforge/starters/skill.yaml",
        "skillforge/starters/agent.yaml",
        "skillforge/starters/command.yaml",
        "skillforge/cli/main.py",
    ):
        assert name in names, name
    assert not any("__pycache__" in n for n in names)


def _requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        name = re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0]
        names.add(name.lower().replace("_", "-"))
    return names


def test_set_up_installs_pinned_hashed_versions_of_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "skillforge-build"  # PyPI's "skillforge" is another project
    wanted = {
        "run.txt": _requirement_names(project["dependencies"]),
        "dev.txt": _requirement_names(
            project["dependencies"] + project["optional-dependencies"]["dev"]
        ),
    }
    for name, deps in wanted.items():
        text = (ROOT / "requirements" / name).read_text()
        pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.MULTILINE))
        pinned = {n.lower().replace("_", "-") for n in pins}
        assert deps <= pinned, (name, deps - pinned)
        assert "hatchling" in pinned and "editables" in pinned, name
        # every pinned requirement carries at least one hash (pip --require-hashes needs it)
        blocks = re.split(r"^(?=[A-Za-z0-9._-]+==)", text, flags=re.MULTILINE)[1:]
        assert all("--hash=sha256:" in block for block in blocks), name
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes" in makefile and "upgrade-deps:" in makefile


def test_readme_stands_alone_and_names_the_distribution() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "DESIGN" not in readme and "FORMATS.md" not in readme
    assert not re.search(r"pip install\s+[\"']?skillforge(?![-\w])", readme)
    assert "pipx install" in readme and "skillforge-build" in readme
    for link in re.findall(r"\]\(([^)#][^)]*)\)", readme):
        if not link.startswith(("http://", "https://")):
            assert (ROOT / link).exists(), link
