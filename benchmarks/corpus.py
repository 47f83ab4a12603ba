"""Generate a deterministic skillforge project for the benchmarks.

Usage::

    python benchmarks/corpus.py DIR --specs 1000 [--agents-large 3] [--seed 1234]

``DIR`` receives a complete project: ``.skillforge.toml``, ``specs/`` (skills in area
subfolders, agents in ``specs/agents/``, a partial base in ``specs/_bases/common.yaml``),
``traits/``, ``templates/sections/`` and ``templates/fragments/``. ``--specs`` counts every
spec file, the large agents included; about 90% are skills and 10% agents.

The large agents are ``specs/agents/large-agent-<k>.yaml``; their rendered body is more than
6,000 lines (one section template loops over ``with: {count: 6000}``).

Every spec has a ``notes`` section with an inline body holding the marker
``bench-variant-0``; the shared section template ``templates/sections/checklist.md.j2`` holds
one too. Each call of an ``edit_*`` helper is a real edit that changes the rendered output: by
default it bumps the marker to a value never seen before (``bench-variant-1``, ``-2``, ...),
so a content-addressed section cache cannot serve it; with ``alternate=True`` it flips
between ``bench-variant-0`` and ``bench-variant-1`` (an undo/redo pattern, which such a
cache may serve from earlier renders).

A file ``.bench-corpus`` (JSON) in ``DIR`` marks the folder as a generated corpus and records
its shape (counts, the edit targets); ``read_info`` loads it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

INFO_FILE = ".bench-corpus"
MARKER = re.compile(r"bench-variant-(\d+)")
SHARED_TEMPLATE = "sections/checklist.md.j2"
LARGE_AGENT_RULES = 6000
GENERATED = (
    ".skillforge.toml",
    "specs",
    "traits",
    "templates",
    ".claude",
    ".skillforge",
    ".baseline",
    INFO_FILE,
)

# --------------------------------------------------------------------------------------------
# Templates: 12 project section templates and 4 fragments.
# --------------------------------------------------------------------------------------------

SECTION_TEMPLATES: dict[str, str] = {
    # reads spec.name / spec.description and section.with
    "overview.md.j2": """\
**{{ spec.name }}**: {{ spec.description }}

Highlights:

{% for item in section.with.highlights %}
- {{ item }}
{% endfor %}
""",
    # reads project.org and vars
    "conventions.md.j2": """\
These conventions are shared by every {{ project.org }} skill and agent.

{% for rule in section.with.rules %}
{{ loop.index }}. {{ rule }}
{% endfor %}

Code is written in {{ vars.lang }}; keep the tone {{ vars.tone }}.

{% set reviewed = "Conventions are reviewed by the " ~ project.org ~ " team." %}
{{ fragment("note", kind="Note", text=reviewed) }}
""",
    # section.with only, calls code-block
    "quick-start.md.j2": """\
Follow these steps:

{% for step in section.with.steps %}
{{ loop.index }}. {{ step }}
{% endfor %}

Run the check:

{{ fragment("code-block", code=section.with.command, lang="bash") }}
""",
    # section.with only, calls code-block per example
    "examples.md.j2": """\
{% for ex in section.with.examples %}
### {{ ex.title }}

{{ fragment("code-block", code=ex.code, lang=ex.lang) }}

{% endfor %}
""",
    # section.with only, calls checklist-item; the shared-template edit target
    "checklist.md.j2": """\
Before you finish, confirm each item:

{% for entry in section.with.entries %}
{{ fragment("checklist-item", text=entry, done=false) }}
{% endfor %}

Checklist revision: bench-variant-0.
""",
    # section.with only, calls note
    "troubleshooting.md.j2": """\
{% for p in section.with.problems %}
**{{ p.symptom }}**

{{ fragment("note", kind="Fix", text=p.fix) }}

{% endfor %}
""",
    # section.with only, calls link
    "references.md.j2": """\
{% for link in section.with.links %}
{{ fragment("link", title=link.title, url=link.url) }}
{% endfor %}
""",
    # vars + section.with
    "workflow.md.j2": """\
A typical {{ vars.topic }} session for {{ vars.audience }}:

{% for step in section.with.steps %}
{{ loop.index }}. {{ step }}
{% endfor %}
""",
    # vars only
    "tool-usage.md.j2": """\
Use only these tools, in this order of preference:

{% for tool in vars.tools %}
- `{{ tool }}`
{% endfor %}

Never run commands outside the {{ vars.lang }} toolchain without asking first.
""",
    # used by the safety trait; section.with only
    "safety.md.j2": """\
{% for rule in section.with.rules %}
- {{ rule }}
{% endfor %}

{{ fragment("note", kind="Warning", text=section.with.warning) }}
""",
    # used by the testing trait; vars + section.with
    "testing.md.j2": """\
Run the tests with `{{ vars.test_runner }}` before reporting success.

{% for check in section.with.checks %}
- {{ check }}
{% endfor %}
""",
    # used by the large agents only: one line per rule, section.with only
    "long-rules.md.j2": """\
{% set rules = section.with.rules %}
{% for i in range(section.with.count) %}
{{ section.with.prefix }}-{{ "%05d" | format(i + 1) }}: {{ rules[i % (rules | length)] }}
{% endfor %}
""",
}

FRAGMENTS: dict[str, str] = {
    "code-block.md.j2": "```{{ lang }}\n{{ code }}\n```\n",
    "note.md.j2": "> **{{ kind }}:** {{ text }}\n",
    "checklist-item.md.j2": '- [{{ "x" if done else " " }}] {{ text }}\n',
    "link.md.j2": "- [{{ title }}]({{ url }})\n",
}

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

AREAS = ("data", "dev", "docs", "ops", "web")
TOPICS = (
    "csv", "pdf", "json", "sql", "api", "cache", "queue", "auth", "log", "metric",
    "image", "form", "schema", "report", "deploy", "test", "lint", "search", "index", "config",
)  # fmt: skip
VERBS = (
    "process", "review", "convert", "validate", "audit", "build", "migrate", "summarize",
    "generate", "check", "refactor", "document",
)  # fmt: skip
ROLES = ("reviewer", "planner", "fixer", "auditor", "writer", "tester", "triager")
LANGS = ("python", "typescript", "go", "rust", "java")
AUDIENCES = ("engineers", "analysts", "reviewers", "operators", "writers")
SKILL_TOOLS = ("Read", "Grep", "Glob", "Edit", "Write", "Bash(python:*)", "Bash(git log:*)")
AGENT_TOOLS = ("Read", "Grep", "Glob", "Edit", "Write", "Bash", "WebFetch")
MODELS = ("sonnet", "opus", "haiku", "inherit")
COLORS = ("blue", "green", "red", "yellow", "purple", "cyan")
HIGHLIGHTS = (
    "Works on large inputs without loading them whole",
    "Reports every problem with its file and line",
    "Leaves the original files untouched",
    "Explains each change it proposes",
    "Stops and asks before destructive steps",
    "Keeps a short log of what it did",
    "Prefers the standard library",
    "Handles malformed input gracefully",
)
RULES = (
    "Read the relevant files before changing anything",
    "Keep changes small and focused on the request",
    "Prefer explicit names over abbreviations",
    "Never commit secrets or credentials",
    "Write a test for every bug you fix",
    "Document public functions",
    "Run the formatter before finishing",
    "Quote the exact error message when reporting a failure",
    "Ask before deleting files",
    "Leave unrelated code alone",
    "Check the return value of every external command",
    "Summarise what changed at the end",
)
STEPS = (
    "Find the input files",
    "Check that the input is well formed",
    "Make a working copy",
    "Apply the transformation",
    "Compare the result with the original",
    "Run the checks",
    "Write a short summary",
    "Ask the user to confirm",
    "Clean up temporary files",
)
CHECK_ENTRIES = (
    "All tests pass",
    "No new warnings",
    "The output file exists and is not empty",
    "The summary names every changed file",
    "Temporary files are removed",
    "The user confirmed destructive steps",
    "Line endings are LF",
    "No secrets in the diff",
    "Docs are updated",
    "The changelog has an entry",
)
SYMPTOMS = (
    ("The file cannot be opened", "Check the path and the permissions, then retry."),
    ("The output is empty", "Make sure the input matched the filter; print the count first."),
    ("Encoding errors", "Read the file as UTF-8 with errors='replace' and report the lines."),
    ("The command times out", "Process the input in chunks of 1,000 records."),
    ("Unexpected columns", "Print the header and ask which columns to keep."),
)
EXTRA_BODIES = (
    (
        "tips",
        "Tips",
        "- Start with a small sample of the input.\n- Keep the original file until the user "
        "confirms.\n- Prefer plain Markdown tables in reports.\n",
    ),
    (
        "limitations",
        "Limitations",
        "This workflow does not handle encrypted files or inputs above 100 MB. Say so and "
        "stop when you meet one.\n",
    ),
    (
        "background",
        "Background",
        "The team keeps these files in version control; every change goes through review.\n",
    ),
)
OPTIONAL_TEMPLATES = (
    "quick-start",
    "examples",
    "checklist",
    "troubleshooting",
    "references",
    "workflow",
    "tool-usage",
)


class _Literal(str):
    """A string dumped as a YAML literal block (``|``)."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


_Dumper.add_representer(_Literal, _represent_literal)


def _dump(data: dict[str, Any]) -> str:
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100
    )
    return text


# --------------------------------------------------------------------------------------------
# Spec generation
# --------------------------------------------------------------------------------------------


def _template_section(rng: random.Random, kind: str, topic: str, lang: str) -> dict[str, Any]:
    title = kind.replace("-", " ").capitalize()
    sec: dict[str, Any] = {"id": kind, "title": title, "template": f"sections/{kind}.md.j2"}
    if kind == "quick-start":
        sec["with"] = {
            "steps": rng.sample(STEPS, rng.randint(3, 5)),
            "command": f"python -m {topic}_tool --check --lang {lang}",
        }
    elif kind == "examples":
        sec["with"] = {
            "examples": [
                {
                    "title": f"{rng.choice(VERBS).capitalize()} a {topic} file",
                    "lang": "python",
                    "code": f"from {topic}_tool import load\n\ndoc = load('input.{topic}')\n"
                    f"print(doc.summary(limit={rng.randint(5, 50)}))",
                },
                {
                    "title": "From the shell",
                    "lang": "bash",
                    "code": f"{topic}-tool {rng.choice(VERBS)} --input data/ --out out/",
                },
            ]
        }
    elif kind == "checklist":
        sec["with"] = {"entries": rng.sample(CHECK_ENTRIES, rng.randint(4, 6))}
    elif kind == "troubleshooting":
        sec["with"] = {
            "problems": [
                {"symptom": s, "fix": f} for s, f in rng.sample(SYMPTOMS, rng.randint(2, 3))
            ]
        }
    elif kind == "references":
        sec["with"] = {
            "links": [
                {"title": f"{t.upper()} guide", "url": f"https://docs.example.com/{t}/guide"}
                for t in rng.sample(TOPICS, rng.randint(2, 4))
            ]
        }
    elif kind == "workflow":
        sec["with"] = {"steps": rng.sample(STEPS, rng.randint(4, 6))}
    # tool-usage reads vars only: no `with`
    return sec


def _notes_section(kind: str) -> dict[str, Any]:
    return {
        "id": "notes",
        "title": "Notes",
        "body": _Literal(
            f"This {kind} focuses on {{{{ vars.topic }}}} work for {{{{ vars.audience }}}}.\n"
            "Keep answers short and cite the files you read.\n"
            "Revision marker: bench-variant-0.\n"
        ),
    }


def _description(rng: random.Random, verb: str, topic: str, area: str, agent: bool) -> str:
    others = rng.sample([t for t in TOPICS if t != topic], 2)
    what = "Subagent that helps" if agent else "Helps"
    text = (
        f"{what} {area} teams {verb} {topic} files and related {others[0]} data. "
        f"Use when the user asks to {verb} {topic} content, mentions {others[1]} or "
        f"{others[0]} together with {topic}, or needs a reviewed, reproducible result."
    )
    assert len(text) <= 1024 and "<" not in text and ">" not in text
    return text


def _spec(
    rng: random.Random, kind: str, name: str, area: str, verb: str, topic: str, rel_base: str
) -> dict[str, Any]:
    """One regular skill or agent spec, 5-8 sections after merging."""
    agent = kind == "agent"
    lang = rng.choice(LANGS)
    spec: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "description": _description(rng, verb, topic, area, agent),
    }
    if agent:
        spec["tools"] = rng.sample(AGENT_TOOLS, rng.randint(2, 5))
        spec["model"] = rng.choice(MODELS)
        spec["color"] = rng.choice(COLORS)
    else:
        spec["allowed-tools"] = rng.sample(SKILL_TOOLS, rng.randint(2, 4))
        if rng.random() < 0.5:
            spec["license"] = "MIT"
        if rng.random() < 0.4:
            spec["metadata"] = {"version": f"1.{rng.randint(0, 9)}"}

    extends = rng.random() < 0.6
    sections: list[dict[str, Any]] = []
    if extends:
        spec["extends"] = rel_base
        # base gives overview + conventions; positional traits only when the base is there
        traits = rng.sample(
            ["safety", "testing", "style", "git", "observability"], rng.randint(0, 2)
        )
        if traits:
            spec["traits"] = traits
        trait_sections = sum(1 for t in traits if t != "style")
        n_own = rng.randint(max(1, 2 - trait_sections), 5 - trait_sections)
    else:
        traits = ["testing"] if rng.random() < 0.2 else (["style"] if rng.random() < 0.2 else [])
        if traits:
            spec["traits"] = traits
        sections.append(
            {
                "id": "overview",
                "title": "Overview",
                "template": "sections/overview.md.j2",
                "with": {"highlights": rng.sample(HIGHLIGHTS, 3)},
            }
        )
        trait_sections = 1 if traits == ["testing"] else 0
        n_own = rng.randint(3 - trait_sections, 6 - trait_sections)

    chosen = rng.sample(OPTIONAL_TEMPLATES, n_own)
    if rng.random() < 0.4 and len(chosen) > 1:
        # replace one template section by a plain Markdown section
        sec_id, title, body = rng.choice(EXTRA_BODIES)
        chosen.pop()
        plain: dict[str, Any] = {"id": sec_id, "title": title, "body": _Literal(body)}
        if rng.random() < 0.3:
            plain["render"] = False
        sections.append(plain)
    for t in chosen:
        sections.append(_template_section(rng, t, topic, lang))
    sections.insert(1 if not extends else 0, _notes_section(kind))
    spec["vars"] = {
        "topic": topic,
        "lang": lang,
        "audience": rng.choice(AUDIENCES),
        "tools": list(spec.get("tools", spec.get("allowed-tools", ["Read"]))),
    }
    spec["sections"] = sections
    return spec


def _large_agent(k: int, rel_base: str) -> dict[str, Any]:
    return {
        "kind": "agent",
        "name": f"large-agent-{k}",
        "description": (
            "Compliance subagent with a very long rulebook. Use when the user asks for a "
            f"full policy review of a repository (rulebook {k})."
        ),
        "tools": ["Read", "Grep", "Glob"],
        "model": "sonnet",
        "color": "red",
        "extends": rel_base,
        "vars": {"topic": "compliance", "lang": "python", "audience": "auditors"},
        "sections": [
            _notes_section("agent"),
            {
                "id": "rulebook",
                "title": "Rulebook",
                "template": "sections/long-rules.md.j2",
                "with": {"count": LARGE_AGENT_RULES, "prefix": f"R{k}", "rules": list(RULES)},
            },
        ],
    }


BASE_SPEC: dict[str, Any] = {
    "vars": {"lang": "python", "audience": "engineers", "tone": "concise"},
    "sections": [
        {
            "id": "overview",
            "title": "Overview",
            "template": "sections/overview.md.j2",
            "with": {"highlights": list(HIGHLIGHTS[:3])},
        },
        {
            "id": "conventions",
            "title": "Conventions",
            "template": "sections/conventions.md.j2",
            "with": {"rules": list(RULES[:6])},
        },
    ],
}

TRAITS: dict[str, dict[str, Any]] = {
    "safety": {
        "sections": [
            {
                "id": "safety",
                "title": "Safety",
                "template": "sections/safety.md.j2",
                "with": {
                    "rules": list(RULES[3:9]),
                    "warning": "Stop and ask when an action cannot be undone.",
                },
                "after": "overview",
            }
        ]
    },
    "testing": {
        "vars": {"test_runner": "pytest -q"},
        "sections": [
            {
                "id": "testing",
                "title": "Testing",
                "template": "sections/testing.md.j2",
                "with": {"checks": ["Unit tests pass", "Type checks pass", "Lint is clean"]},
            }
        ],
    },
    "style": {"vars": {"tone": "friendly", "max_line": 100}},
    "git": {
        "sections": [
            {
                "id": "git-workflow",
                "title": "Git workflow",
                "body": _Literal(
                    "Work on a branch, keep commits small, and describe each {{ vars.lang }}\n"
                    "change in the commit message. Never rewrite shared history.\n"
                ),
                "before": "conventions",
            }
        ]
    },
    "observability": {
        "vars": {"log_format": "json"},
        "sections": [
            {
                "id": "observability",
                "title": "Observability",
                "body": _Literal(
                    "Emit {{ vars.log_format }} logs with one event per line and include the\n"
                    "request id in every message.\n"
                ),
                "after": "overview",
            }
        ],
    },
}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _prepare_root(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / INFO_FILE).is_file():
            raise SystemExit(
                f"{root} is not empty and is not a benchmark corpus (no {INFO_FILE}); "
                "refusing to write into it"
            )
        for name in GENERATED:
            p = root / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
    root.mkdir(parents=True, exist_ok=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


# The failing specs of `--failing N` (issue 17: a failed spec is replayed, not parsed again):
# a YAML syntax error, a schema error over the shared base, a missing template, a missing trait
FAILING_SPECS = (
    'kind: skill\nname: fail-{i:04d}\ndescription: "unterminated\n',
    "extends: ../_bases/common.yaml\nkind: skil\nname: fail-{i:04d}\n",
    "kind: skill\nname: fail-{i:04d}\ndescription: Fails. Use when benchmarking.\n"
    "sections:\n  - id: intro\n    template: sections/missing-{i:04d}.md.j2\n",
    "kind: skill\nname: fail-{i:04d}\ndescription: Fails. Use when benchmarking.\n"
    "traits: [no-such-trait]\nsections:\n  - id: intro\n    body: Hello.\n",
)


def write_corpus(
    root: Path, specs: int, large_agents: int, seed: int = 1234, failing: int = 0
) -> None:
    """Write a complete project with ``specs`` spec files (``large_agents`` of them large),
    plus ``failing`` specs in ``specs/failing/`` that every build rejects."""
    if large_agents < 0 or specs < large_agents + 1:
        raise ValueError("need specs >= large_agents + 1 (at least one regular skill)")
    _prepare_root(root)
    rng = random.Random(seed)

    _write(root / ".skillforge.toml", '[vars]\norg = "Bench"\n')
    for name, text in SECTION_TEMPLATES.items():
        _write(root / "templates" / "sections" / name, text)
    for name, text in FRAGMENTS.items():
        _write(root / "templates" / "fragments" / name, text)
    for name, trait in TRAITS.items():
        _write(root / "traits" / f"{name}.yaml", _dump(trait))
    _write(root / "specs" / "_bases" / "common.yaml", _dump(BASE_SPEC))

    regular = specs - large_agents
    agents = min(max(0, round(specs * 0.1) - large_agents), regular - 1)
    skills = regular - agents

    spec_files: list[str] = []
    template_users: dict[str, int] = {}
    sections_total = 0
    for i in range(regular):
        is_agent = i >= skills
        verb = VERBS[i % len(VERBS)]
        topic = TOPICS[(i // len(VERBS)) % len(TOPICS)]
        if is_agent:
            area = "agents"
            name = f"{topic}-{ROLES[i % len(ROLES)]}-{i:04d}"
            rel = Path("specs") / "agents" / f"{name}.yaml"
        else:
            area = AREAS[i % len(AREAS)]
            name = f"{verb}-{topic}-{i:04d}"
            rel = Path("specs") / "skills" / area / f"{name}.yaml"
        rel_base = Path(
            os.path.relpath(root / "specs" / "_bases" / "common.yaml", (root / rel).parent)
        )
        spec = _spec(
            rng, "agent" if is_agent else "skill", name, area, verb, topic, rel_base.as_posix()
        )
        _write(root / rel, _dump(spec))
        spec_files.append(rel.as_posix())
        used = {s["template"] for s in spec["sections"] if "template" in s}
        if "extends" in spec:
            used |= {s["template"] for s in BASE_SPEC["sections"]}
        for trait in spec.get("traits", []):
            used |= {s["template"] for s in TRAITS[trait].get("sections", []) if "template" in s}
        for t in used:
            template_users[t] = template_users.get(t, 0) + 1
        sections_total += _merged_section_count(spec)

    large_files: list[str] = []
    for k in range(1, large_agents + 1):
        rel = Path("specs") / "agents" / f"large-agent-{k}.yaml"
        spec = _large_agent(k, "../_bases/common.yaml")
        _write(root / rel, _dump(spec))
        large_files.append(rel.as_posix())
        for t in ("sections/long-rules.md.j2", "sections/overview.md.j2"):
            template_users[t] = template_users.get(t, 0) + 1
        template_users["sections/conventions.md.j2"] = (
            template_users.get("sections/conventions.md.j2", 0) + 1
        )
        sections_total += _merged_section_count(spec)

    for i in range(failing):
        _write(
            root / "specs" / "failing" / f"fail-{i:04d}.yaml",
            FAILING_SPECS[i % len(FAILING_SPECS)].format(i=i),
        )

    info = {
        "specs": specs,
        "failing": failing,
        "skills": skills,
        "agents": agents + large_agents,
        "large_agents": large_agents,
        "large_agent_rules": LARGE_AGENT_RULES,
        "sections": sections_total,
        "section_templates": len(SECTION_TEMPLATES),
        "fragments": len(FRAGMENTS),
        "traits": len(TRAITS),
        "seed": seed,
        "edit_spec": spec_files[0],
        "large_agent_files": large_files,
        "shared_template": f"templates/{SHARED_TEMPLATE}",
        "template_users": dict(sorted(template_users.items())),
        "spec_bytes": sum((root / p).stat().st_size for p in spec_files + large_files),
    }
    _write(root / INFO_FILE, json.dumps(info, indent=2) + "\n")


def _merged_section_count(spec: dict[str, Any]) -> int:
    ids = {s["id"] for s in spec["sections"]}
    if "extends" in spec:
        ids |= {s["id"] for s in BASE_SPEC["sections"]}
    for trait in spec.get("traits", []):
        ids |= {s["id"] for s in TRAITS[trait].get("sections", [])}
    return len(ids)


def read_info(root: Path) -> dict[str, Any]:
    """The shape and edit targets recorded by :func:`write_corpus`."""
    data: dict[str, Any] = json.loads((root / INFO_FILE).read_text(encoding="utf-8"))
    return data


def bump_marker(path: Path, alternate: bool = False) -> int:
    """Change the single ``bench-variant-N`` marker in ``path``; return the new N.

    N becomes N + 1 (a value this file never had), or with ``alternate`` flips 0 <-> 1.
    """
    text = path.read_text(encoding="utf-8")
    found = MARKER.search(text)
    if found is None:
        raise ValueError(f"{path}: no benchmark marker to edit")
    old = int(found.group(1))
    new = (old + 1) % 2 if alternate else old + 1
    text = text[: found.start()] + f"bench-variant-{new}" + text[found.end() :]
    path.write_text(text, encoding="utf-8", newline="\n")
    return new


def edit_one_section(root: Path, alternate: bool = False) -> Path:
    """Edit the inline ``notes`` section of one regular skill (a one-section change)."""
    path = root / str(read_info(root)["edit_spec"])
    bump_marker(path, alternate)
    return path


def edit_shared_template(root: Path, alternate: bool = False) -> Path:
    """Edit the shared section template (its rendered text changes in every user)."""
    path = root / "templates" / SHARED_TEMPLATE
    bump_marker(path, alternate)
    return path


def edit_large_agent(root: Path, index: int = 1, alternate: bool = False) -> Path:
    """Edit the small inline ``notes`` section of large agent ``index`` (1-based)."""
    path = root / "specs" / "agents" / f"large-agent-{index}.yaml"
    bump_marker(path, alternate)
    return path


def add_arguments(ap: argparse.ArgumentParser, name: str) -> None:
    """The options every benchmark script takes: the corpus, where to keep it, the tool, and
    where the JSON results go (`.bench/<name>.json`)."""
    ap.add_argument("--specs", type=int, default=1000, help="spec files in the corpus")
    ap.add_argument("--agents-large", type=int, default=3, help="6,000-line agents among them")
    ap.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    ap.add_argument("--json-out", type=Path, default=Path(f".bench/{name}.json"))
    ap.add_argument("--skillforge", help="the skillforge executable (default: sys.prefix/bin)")


def in_folder(keep: Path | None, prefix: str, bench: Callable[[Path], int]) -> int:
    """Run `bench` in `keep` (created, then kept) or in a temporary folder (then removed)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return bench(keep.resolve())
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        return bench(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a skillforge benchmark corpus.")
    ap.add_argument("dir", type=Path, help="project folder to create (empty, or a corpus)")
    ap.add_argument("--specs", type=int, default=1000, help="spec files in all (default 1000)")
    ap.add_argument(
        "--agents-large", type=int, default=3, help="how many 6,000-line agents (default 3)"
    )
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument(
        "--failing", type=int, default=0, help="specs every build rejects, in specs/failing/"
    )
    args = ap.parse_args(argv)
    try:
        write_corpus(args.dir, args.specs, args.agents_large, seed=args.seed, failing=args.failing)
    except ValueError as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 2
    info = read_info(args.dir)
    print(
        f"wrote {info['specs']} specs ({info['skills']} skills, {info['agents']} agents, "
        f"{info['large_agents']} large) with {info['sections']} sections to {args.dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
