"""Benchmark ``skillforge import`` on a generated hand-written tree (issue 13).

Usage::

    python benchmarks/import_bench.py [--files 3000] [--factor-specs 1000] [--repeat 5]
                                      [--keep DIR] [--json-out FILE]

Scenarios, each a subprocess of ``<sys.prefix>/bin/skillforge import`` on a fresh copy of the
tree (the specs of the run before are removed first), measured as CPU time (user + sys of the
child, from ``resource.getrusage(RUSAGE_CHILDREN)``), median of ``--repeat`` rounds:

- ``import``: ``--files`` documents (about 2/3 skills, 1/4 agents, 1/12 slash commands;
  varied frontmatter, ``<example>`` blocks, code fences holding ``## `` and ``{{ }}``,
  supporting files, folders whose name differs from ``name``). Target: <= 10 s.
- ``factor``: ``import --factor`` on ``--factor-specs`` documents. Target: <= 30 s.

It also prints how many files the next build rewrites, by kind of change, with the marker on
(the default) and off, and checks once that ``skillforge build`` reproduces the tree
(exit 0, nothing refused). The numbers are a report: a missed target does not fail the run;
a failed import or build does (exit 1).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WORDS = [
    *("parse", "review", "deploy", "lint", "format", "migrate", "index", "cache", "render"),
    *("schema", "query", "report", "upload", "verify", "scan", "bundle", "trace", "profile"),
    *("archive", "sync"),
]
TOOLS = ["Read", "Grep", "Glob", "Edit", "Write", "Bash(git log:*)", "Bash(npm test:*)"]
SHARED = (
    "- Never delete the user's files unless asked.\n"
    "- Ask before running a command that writes outside the repository.\n"
    "- Do not print secrets or tokens found in files."
)


def _skill(rng: random.Random, i: int) -> tuple[str, str, dict[str, bytes]]:
    word = rng.choice(WORDS)
    folder = f"{word}-{i}"
    label = rng.random() < 0.15
    name = f"{word.title()} helper {i}" if label else folder
    lines = ["---", f"name: {name}"]
    draw = rng.random()
    if draw < 0.3:
        lines += ["description: >-", f"  Helps to {word} files.", "  Use when the user asks."]
    elif draw < 0.55:  # the way skillforge writes it: one double-quoted line
        lines.append(f'description: "Helps to {word} files. Use when the user asks to {word}."')
    else:
        lines.append(f"description: Helps to {word} files. Use when the user asks to {word}.")
    tools = rng.sample(TOOLS, rng.randint(1, 4))
    if rng.random() < 0.5:
        lines.append(f"allowed-tools: [{', '.join(tools)}]")
    else:
        plain = [t for t in tools if " " not in t and t != "Read"]
        lines.append("allowed-tools: " + " ".join(["Read", *plain]))
    if rng.random() < 0.3:
        lines.append(f"version: {rng.randint(1, 3)}.{rng.randint(0, 9)}")
    if rng.random() < 0.2:
        lines += ["metadata:", f"  owner: team-{i % 7}"]
    lines += ["---", ""]
    body = [f"# {word.title()} {i}", "", f"Use this skill to {word} things.", ""]
    body += ["## Safety", "", SHARED, ""]
    body += [
        "## Usage",
        "",
        f"Run /{folder} on a file, then read the {name} report.",
        "",
        "```bash",
        "## a comment, not a heading",
        'echo "${{ github.sha }}" {{ .Values.tag }}',
        "```",
        "",
    ]
    if rng.random() < 0.3:
        body += ["## Tight", "no blank line under this heading", "", ""]
    body += [f"Step {n}: {rng.choice(WORDS)} the input." for n in range(rng.randint(3, 30))]
    text = "\n".join(lines + body) + ("\n" if rng.random() < 0.9 else "\n\n")
    files = {}
    if rng.random() < 0.3:
        files["references/notes.md"] = f"Notes for {folder}.\n".encode()
    if rng.random() < 0.1:
        files["assets/blob.bin"] = bytes(rng.randrange(256) for _ in range(64))
    return folder, text, files


def _agent(rng: random.Random, i: int) -> tuple[str, str]:
    word = rng.choice(WORDS)
    name = f"{word}-agent-{i}"
    if rng.random() < 0.3:  # one double-quoted line with \n escapes, as skillforge writes it
        description = [
            f'description: "Use this agent to {word} code.\\n\\n<example>\\nuser: please {word} '
            f"this\\nassistant: I'll use the {name} agent.\\n</example>\""
        ]
    else:
        description = [
            "description: |",
            f"  Use this agent to {word} code.",
            "",
            "  <example>",
            f"  user: please {word} this",
            f"  assistant: I'll use the {name} agent.",
            "  </example>",
        ]
    lines = [
        "---",
        f"name: {name}",
        *description,
        f"tools: {', '.join(rng.sample(['Read', 'Grep', 'Glob', 'Bash'], 2))}",
        f"model: {rng.choice(['sonnet', 'opus', 'haiku'])}",
        "---",
        "",
        f"You {word} code carefully.",
        "",
        "## Safety",
        "",
        SHARED,
        "",
        "## Steps",
        "",
    ]
    lines += [f"{n}. {rng.choice(WORDS)} the diff." for n in range(1, rng.randint(3, 40))]
    return name, "\n".join(lines) + "\n"


def _command(rng: random.Random, i: int) -> tuple[str, str]:
    word = rng.choice(WORDS)
    name = f"{word}-cmd-{i}"
    lines = ["---", f"description: {word.title()} the given files"]
    if rng.random() < 0.5:
        lines.append("argument-hint: [path]")
    if rng.random() < 0.5:
        lines.append(f"allowed-tools: {', '.join(rng.sample(TOOLS, 2))}")
    lines += ["---", "", f"{word.title()} $ARGUMENTS, then report.", ""]
    lines += [f"- {rng.choice(WORDS)} step {n}" for n in range(rng.randint(2, 12))]
    return name, "\n".join(lines) + "\n"


def write_tree(root: Path, files: int, marker: bool = True, seed: int = 1234) -> None:
    """A project with `files` hand-written documents under .claude/ and no specs: about 2/3
    skills, 1/4 agents, the rest slash commands."""
    rng = random.Random(seed)
    (root / "specs").mkdir(parents=True)
    (root / ".skillforge.toml").write_text("" if marker else "[build]\nmarker = false\n")
    agents = files // 4
    commands = files // 12
    (root / ".claude/commands").mkdir(parents=True)
    for i in range(commands):
        name, text = _command(rng, i)
        (root / ".claude/commands" / f"{name}.md").write_text(text)
    for i in range(files - agents - commands):
        folder, text, extra = _skill(rng, i)
        skill = root / ".claude/skills" / folder
        skill.mkdir(parents=True)
        (skill / "SKILL.md").write_text(text)
        for rel, data in extra.items():
            (skill / rel).parent.mkdir(parents=True, exist_ok=True)
            (skill / rel).write_bytes(data)
    (root / ".claude/agents").mkdir(parents=True)
    for i in range(agents):
        name, text = _agent(rng, i)
        (root / ".claude/agents" / f"{name}.md").write_text(text)


def cpu_run(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a child; return its CPU time (user + sys, seconds) and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, proc


def rewrites(out: str) -> dict[str, Any]:
    """The summary of an import: files rewritten by the next build, by kind of change."""
    found = re.search(r"next build: adopts (\d+) unchanged, rewrites (\d+), writes (\d+)", out)
    kinds = dict(
        (m[2], int(m[1])) for m in re.finditer(r"^\s+(\d+)  (.+)$", out, flags=re.MULTILINE)
    )
    if found is None:
        return {"kinds": kinds}
    return {"adopted": int(found[1]), "rewritten": int(found[2]), "kinds": kinds}


def scenario(exe: str, files: int, args: list[str], repeat: int, work: Path) -> dict[str, Any]:
    source = work / f"tree-{files}"
    if not source.exists():
        write_tree(source, files)
    times: list[float] = []
    last = None
    for _ in range(repeat):
        root = work / "run"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(source, root, symlinks=True)
        cpu, proc = cpu_run([exe, "import", *args], root)
        if proc.returncode != 0:
            raise SystemExit(f"import failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
        times.append(cpu)
        last = proc
    assert last is not None
    return {
        "files": files,
        "args": args,
        "cpu_s": [round(t, 3) for t in times],
        "median_cpu_s": round(statistics.median(times), 3),
        "summary": rewrites(last.stdout),
        "saved": re.findall(r"(\d+) lines of spec saved", last.stdout),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--factor-specs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--json-out", type=Path, default=Path(".bench/import.json"))
    options = parser.parse_args(argv)
    exe = str(Path(sys.prefix) / "bin" / "skillforge")
    work = options.keep or Path(tempfile.mkdtemp(prefix="sf-import-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results: dict[str, Any] = {
            "import": scenario(exe, options.files, [], options.repeat, work),
            "factor": scenario(exe, options.factor_specs, ["--factor"], options.repeat, work),
        }
        plain = work / "no-marker"
        shutil.rmtree(plain, ignore_errors=True)
        write_tree(plain, options.files, marker=False)
        _, proc = cpu_run([exe, "import"], plain)
        results["no_marker"] = rewrites(proc.stdout)
        _, built = cpu_run([exe, "build"], work / "run")  # the factored tree builds back
        results["build_after_factor_exit"] = built.returncode
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for name, target in (("import", 10.0), ("factor", 30.0)):
        r = results[name]
        verdict = "ok" if r["median_cpu_s"] <= target else "MISSED"
        print(
            f"{name:7} {r['files']:5} files: median CPU {r['median_cpu_s']:.2f} s "
            f"(target <= {target:g} s, {verdict}); rounds {r['cpu_s']}"
        )
    print(f"next build after import (marker on):  {results['import']['summary']}")
    print(f"next build after import (marker off): {results['no_marker']}")
    print(f"--factor: lines of spec saved {results['factor']['saved']}")
    options.json_out.parent.mkdir(parents=True, exist_ok=True)
    options.json_out.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["build_after_factor_exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
