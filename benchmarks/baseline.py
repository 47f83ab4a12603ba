"""The "plain script" comparator: re-render a whole project with Jinja2 and no caches.

Usage::

    python benchmarks/baseline.py DIR [--out DIR/.baseline]

This is what a team would write before reaching for a build tool: load every spec with the
safe YAML loader, merge ``extends`` and ``traits`` (maps deep-merged, sections merged by id,
new ids appended or placed by ``before``/``after``), render every section (a ``template``
through a ``FileSystemLoader`` over ``DIR/templates``, an inline ``body`` through
``env.from_string``), and write ``---`` + frontmatter + ``---`` + the sections to
``DIR/.baseline/skills/<name>/SKILL.md`` or ``DIR/.baseline/agents/<name>.md``.

It does the same rendering work as a cold ``skillforge build`` but keeps nothing between
runs: no bytecode cache, no section or fragment cache, no manifest; every file is written on
every run. Within one run it uses what any plain script gets for free (Jinja2's in-memory
template cache; each partial and trait file is read once). It prints one JSON line:
``{"specs": n, "sections": n, "written": n, "lines": n, "duration_ms": x}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

try:  # the C (libyaml) loader and dumper when available, as skillforge uses
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

Spec = dict[str, Any]

OWN_KEYS = {"kind", "extends", "traits", "vars", "sections", "files", "frontmatter"}
SKILL_ORDER = (
    "name", "description", "license", "compatibility", "metadata", "allowed-tools",
    "when_to_use", "argument-hint", "arguments", "disable-model-invocation", "user-invocable",
    "disallowed-tools", "model", "effort", "context", "agent", "hooks", "paths", "shell",
)  # fmt: skip
AGENT_ORDER = (
    "name", "description", "tools", "disallowedTools", "model", "permissionMode", "maxTurns",
    "skills", "mcpServers", "hooks", "memory", "background", "effort", "isolation", "color",
    "initialPrompt",
)  # fmt: skip


def load_yaml(path: Path) -> Spec:
    with path.open("rb") as fh:
        data = yaml.load(fh, Loader=SafeLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a spec must be a mapping")
    return data


def merge_sections(base: list[Spec], over: list[Spec]) -> list[Spec]:
    result = [dict(s) for s in base]
    for raw in over:
        sec = dict(raw)
        after = sec.pop("after", None)
        before = sec.pop("before", None)
        ids = [s["id"] for s in result]
        if sec["id"] in ids:
            result[ids.index(sec["id"])] = sec
        elif after is not None and after in ids:
            result.insert(ids.index(after) + 1, sec)
        elif before is not None and before in ids:
            result.insert(ids.index(before), sec)
        else:
            result.append(sec)
    return result


def merge(base: Spec, over: Spec) -> Spec:
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if key == "sections":
            out[key] = merge_sections(old or [], value)
        elif isinstance(value, dict) and isinstance(old, dict):
            out[key] = merge(old, value)
        else:
            out[key] = value
    return out


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        config_path = root / ".skillforge.toml"
        config: dict[str, Any] = {}
        if config_path.is_file():
            with config_path.open("rb") as fh:
                config = tomllib.load(fh)
        self.project_vars: dict[str, Any] = dict(config.get("vars", {}))
        self.specs_dir = root / str(config.get("specs", ["specs"])[0])
        self.traits_dir = root / str(config.get("traits", ["traits"])[0])
        self.templates_dir = root / str(config.get("templates", ["templates"])[0])
        self._partials: dict[Path, Spec] = {}
        self.env = Environment(
            loader=FileSystemLoader(self.templates_dir),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self.env.globals["fragment"] = self.fragment

    def fragment(self, name: str, **args: Any) -> str:
        return self.env.get_template(f"fragments/{name}.md.j2").render(**args)

    def discover(self) -> list[Path]:
        found = []
        for path in self.specs_dir.rglob("*.yaml"):
            rel = path.relative_to(self.specs_dir)
            if not any(part.startswith("_") for part in rel.parts):
                found.append(path)
        return sorted(found)

    def partial(self, path: Path, trait: bool = False) -> Spec:
        """A base (resolved through its own ``extends``) or a trait (as written), read once."""
        path = path.resolve()
        if path not in self._partials:
            raw = load_yaml(path)
            self._partials[path] = raw if trait else self.resolve(path, raw)
        return self._partials[path]

    def resolve(self, path: Path, spec: Spec) -> Spec:
        merged: Spec = {}
        if "extends" in spec:
            merged = self.partial(path.parent / spec["extends"])
        for trait in spec.get("traits", []):
            merged = merge(merged, self.partial(self.traits_dir / f"{trait}.yaml", trait=True))
        own = {k: v for k, v in spec.items() if k not in ("extends", "traits")}
        return merge(merged, own)

    def render_section(self, spec: Spec, sec: Spec) -> str:
        context = {
            "spec": spec,
            "vars": spec.get("vars", {}),
            "section": {"id": sec["id"], "title": sec.get("title"), "with": sec.get("with", {})},
            "project": self.project_vars,
        }
        if "template" in sec:
            text = self.env.get_template(sec["template"]).render(context)
        elif sec.get("render", True) is False:
            text = str(sec["body"])
        else:
            text = self.env.from_string(sec["body"]).render(context)
        text = text.strip("\n")
        if sec.get("title"):
            return f"## {sec['title']}\n\n{text}"
        return text

    def frontmatter(self, spec: Spec) -> str:
        agent = spec["kind"] == "agent"
        order = AGENT_ORDER if agent else SKILL_ORDER
        fm: dict[str, Any] = {k: spec[k] for k in order if k in spec}
        fm.update(spec.get("frontmatter", {}))
        fm.update({k: v for k, v in spec.items() if k not in fm and k not in OWN_KEYS})
        if agent and isinstance(fm.get("tools"), list):
            fm["tools"] = ", ".join(fm["tools"])
        tools = fm.get("allowed-tools")
        if not agent and isinstance(tools, list) and not any(" " in t for t in tools):
            fm["allowed-tools"] = " ".join(tools)
        dumped: str = yaml.dump(
            fm,
            Dumper=SafeDumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1 << 20,
        )
        return dumped

    def output_path(self, out: Path, spec: Spec) -> Path:
        if spec["kind"] == "agent":
            return out / "agents" / f"{spec['name']}.md"
        return out / "skills" / str(spec["name"]) / "SKILL.md"


def build(root: Path, out: Path) -> dict[str, Any]:
    start = time.perf_counter()
    project = Project(root)
    stats = {"specs": 0, "sections": 0, "written": 0, "lines": 0}
    for path in project.discover():
        spec = project.resolve(path, load_yaml(path))
        parts = [project.render_section(spec, sec) for sec in spec.get("sections", [])]
        text = "---\n" + project.frontmatter(spec) + "---\n\n" + "\n\n".join(parts) + "\n"
        target = project.output_path(out, spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        stats["specs"] += 1
        stats["sections"] += len(parts)
        stats["written"] += 1
        stats["lines"] += text.count("\n")
    return {**stats, "duration_ms": round((time.perf_counter() - start) * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Re-render a skillforge project with no caches.")
    ap.add_argument("dir", type=Path, help="project root (holds .skillforge.toml and specs/)")
    ap.add_argument("--out", type=Path, help="output folder (default DIR/.baseline)")
    args = ap.parse_args(argv)
    root: Path = args.dir.resolve()
    out: Path = args.out.resolve() if args.out else root / ".baseline"
    print(json.dumps(build(root, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
