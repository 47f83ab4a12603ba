"""A second baseline: rulesync 17 doing the same scenarios, from skillforge's rendered files.

rulesync has no templating: it copies (and converts) the files under `.rulesync/` into each
tool's folder. So the benchmark gives it, as its sources, the files skillforge rendered
(`.claude/skills/*/SKILL.md` become `.rulesync/skills/*/SKILL.md`, `.claude/agents/*.md`
become `.rulesync/subagents/*.md`), in a project of its own (`<corpus>/.rulesync-bench/`,
which skillforge does not scan), and times `rulesync generate --targets claudecode
--features skills,subagents` there. Used by `run.py` when `rulesync` is on the PATH
(`npm install -g rulesync@17.0.0`); alone::

    python benchmarks/rulesync.py DIR [--repeat 5] [--warmup 1]   # DIR: a corpus built once
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from run import Run, measure

FOLDER = ".rulesync-bench"
COMMAND = ["generate", "--targets", "claudecode", "--features", "skills,subagents", "--silent"]
MARKER = re.compile(r"bench-variant-\d+")
# The skillforge scenarios rulesync can do too, with the rendered file each edit touches.
EDITS = {
    "section_edit": "skills/process-csv-0000/SKILL.md",
    "large_agent": "subagents/large-agent-1.md",
}


def executable() -> str | None:
    return shutil.which("rulesync")


def prepare(root: Path) -> Path:
    """Make the rulesync project from the files skillforge rendered in `root`; return it."""
    project = root / FOLDER
    shutil.rmtree(project, ignore_errors=True)
    sources = project / ".rulesync"
    for skill in sorted((root / ".claude" / "skills").glob("*/SKILL.md")):
        target = sources / "skills" / skill.parent.name / "SKILL.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(skill, target)
    agents = sources / "subagents"
    agents.mkdir(parents=True, exist_ok=True)
    for agent in sorted((root / ".claude" / "agents").glob("*.md")):
        shutil.copyfile(agent, agents / agent.name)
    return project


class Editor:
    """Bumps the revision marker of a source file to a number it never had."""

    def __init__(self) -> None:
        self.count = 1000

    def __call__(self, path: Path) -> None:
        self.count += 1
        text = path.read_text(encoding="utf-8")
        path.write_text(MARKER.sub(f"bench-variant-{self.count}", text, count=1), "utf-8")


def bench(
    root: Path, keys: list[str], repeat: int, warmup: int, log: Callable[[str], None]
) -> dict[str, list[Run]]:
    """Time rulesync on the scenarios in `keys` it can do; the measured runs by scenario."""
    exe = executable()
    if exe is None:
        return {}
    project = prepare(root)
    edit = Editor()
    prepares: dict[str, Callable[[], None]] = {
        "cold": lambda: shutil.rmtree(project / ".claude", ignore_errors=True),
        "noop": lambda: None,
    }
    for key, rel in EDITS.items():
        source = project / ".rulesync" / rel
        if source.is_file():
            prepares[key] = lambda source=source: edit(source)  # type: ignore[misc]
    runs: dict[str, list[Run]] = {}
    measure([exe, *COMMAND], project)  # the first generate: the outputs exist from here
    for key in keys:
        if key not in prepares:
            continue
        log(f"rulesync:   {key} x {repeat} (+{warmup} warm-up)")
        runs[key] = []
        for i in range(warmup + repeat):
            prepares[key]()
            run = measure([exe, *COMMAND], project)
            if run.returncode != 0:
                tail = (run.stderr.strip() or run.stdout.strip())[-500:]
                log(f"FAILED: rulesync {key}: exit {run.returncode}: {tail}")
                break
            if i >= warmup:
                runs[key].append(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time rulesync on a corpus skillforge built.")
    ap.add_argument("root", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args(argv)
    if executable() is None:
        print("rulesync is not installed (npm install -g rulesync@17.0.0)", file=sys.stderr)
        return 1
    keys = ["cold", "noop", *EDITS]
    runs = bench(args.root, keys, args.repeat, args.warmup, lambda m: print(m, file=sys.stderr))
    for key, measured in runs.items():
        if measured:
            wall = [r.wall_ms for r in measured]
            cpu = [r.cpu_ms for r in measured]
            print(
                f"{key:<14} wall median {statistics.median(wall):8.1f} ms (min {min(wall):.1f}, "
                f"max {max(wall):.1f}); cpu median {statistics.median(cpu):8.1f} ms"
            )
    return 0 if all(runs.get(k) for k in keys if k in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
