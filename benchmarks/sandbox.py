"""Measure what the template sandbox costs: the same renders through four Environments.

Usage::

    python benchmarks/sandbox.py [--specs 300] [--rounds 15]

Generates a corpus (benchmarks/corpus.py), then renders every section template of its specs
with Jinja2's plain `Environment`, its `SandboxedEnvironment`, its
`ImmutableSandboxedEnvironment` and skillforge's `TemplateSandbox` (alone, then with the
render timer and size cap of skillforge/limits.py), round-robin, and reports
the best time of each (the least disturbed by other load on the machine) against the plain one.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from skillforge.engine.jinja.limits import RenderLimits
from skillforge.engine.jinja.sandbox import ENV_OPTIONS, TemplateSandbox
from skillforge.state.inventory import builtin_templates_dir

CLASSES: dict[str, type[jinja2.Environment]] = {
    "plain Environment": jinja2.Environment,
    "SandboxedEnvironment": SandboxedEnvironment,
    "ImmutableSandboxedEnvironment": ImmutableSandboxedEnvironment,
    "skillforge TemplateSandbox": TemplateSandbox,
}


def jobs(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of every section of the corpus that uses a template."""
    found = []
    for path in sorted((root / "specs").rglob("*.yaml")):
        if "_" in path.relative_to(root / "specs").as_posix()[:1]:
            continue
        spec = yaml.safe_load(path.read_text())
        for section in spec.get("sections") or []:
            if "template" in section:
                context = {
                    "spec": spec,
                    "vars": spec.get("vars") or {},
                    "section": {
                        "id": section["id"],
                        "title": section.get("title"),
                        "with": section.get("with") or {},
                    },
                    "project": {"org": "Acme"},
                }
                found.append((section["template"], context))
    return found


def render_all(
    env: jinja2.Environment, work: list[tuple[str, dict[str, Any]]], limited: bool = False
) -> float:
    limits = RenderLimits()
    started = time.perf_counter()
    for name, context in work:
        # an undefined field is one the merge (not done here) would have supplied
        with contextlib.suppress(jinja2.UndefinedError):
            if limited:
                limits.render(env.get_template(name), context)
            else:
                env.get_template(name).render(**context)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus.write_corpus(root, args.specs, 1)
        work = jobs(root)
        loader = jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(str(root / "templates")),
                jinja2.FileSystemLoader(builtin_templates_dir()),
            ]
        )
        envs = {}
        for label, cls in CLASSES.items():
            env = cls(loader=loader, undefined=jinja2.StrictUndefined, **ENV_OPTIONS)
            env.globals["fragment"] = lambda name, **kw: ""
            envs[label] = env
        limited = "skillforge TemplateSandbox + RenderLimits"
        best = dict.fromkeys([*envs, limited], float("inf"))
        for _ in range(args.rounds):
            for label, env in envs.items():
                best[label] = min(best[label], render_all(env, work))
            sandbox = envs["skillforge TemplateSandbox"]
            best[limited] = min(best[limited], render_all(sandbox, work, limited=True))
    plain = best["plain Environment"]
    print(f"sandbox cost: {len(work)} section renders, best of {args.rounds} rounds")
    for label, seconds in best.items():
        print(f"  {label:44} {seconds * 1000:8.1f} ms  {seconds / plain:5.2f}x")


if __name__ == "__main__":
    main()
