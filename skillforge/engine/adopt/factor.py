"""`import --factor`: move section bodies repeated across specs into shared templates.

A body of two lines or more that several specs hold verbatim, or with only the spec's
`name` in different places, becomes `templates/shared/<id>.md.j2` (the name as
`{{ spec.name }}`); each spec keeps the section's id and title in place and points its
`template:` there, so its output keeps the same bytes. A body that holds template syntax is
shared inside `{% raw %}` (and never with a varying name), so it still renders literally.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from skillforge.engine.adopt.plan import Planned
from skillforge.engine.load.config import Config
from skillforge.engine.load.literal import has_jinja

SHARED = "shared"
_HOLE = "\x00name\x00"  # stands for the spec's name while bodies are compared
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MIN_LINES = 2  # a one-line body saves nothing: its template reference is as long


@dataclass
class Factored:
    """The shared templates (name -> text) that the factored specs now use."""

    templates: dict[str, str] = field(default_factory=dict)

    def template_lines(self) -> int:
        return sum(text.count("\n") for text in self.templates.values())


def _shape(body: str, name: Any) -> tuple[str, bool] | None:
    """The body as compared across specs, and whether the spec's name was taken out of it."""
    if body.count("\n") + 1 < MIN_LINES or "endraw" in body or _HOLE in body:
        return None
    if isinstance(name, str) and len(name) >= 3 and name in body and not has_jinja(body):
        return body.replace(name, _HOLE), True
    return body, False


def factor_specs(config: Config, items: list[Planned]) -> Factored:
    """Share the bodies that repeat across `items` (their specs are changed in place)."""
    groups: dict[str, list[tuple[Planned, dict[str, Any]]]] = {}
    for item in items:
        for section in item.data.get("sections", []):
            shape = _shape(section["body"], item.data.get("name"))
            if shape is not None:
                groups.setdefault(shape[0], []).append((item, section))
    factored = Factored()
    taken = _existing_templates(config)
    for key, members in groups.items():
        specs = {id(item) for item, _ in members}
        if len(specs) < 2:
            continue
        first = members[0][1]
        name = _template_name(first.get("title") or first["id"], taken)
        factored.templates[name] = _template_text(key, first["body"])
        for _, section in members:
            section.pop("body")
            if not has_jinja(section.get("title") or ""):
                section.pop("render", None)  # kept, it keeps a title with `{{` as written
            section["template"] = name
    return factored


def _template_text(shape: str, body: str) -> str:
    if _HOLE in shape:
        return shape.replace(_HOLE, "{{ spec.name }}") + "\n"
    if has_jinja(body):
        return "{% raw %}" + body + "{% endraw %}\n"
    return body + "\n"


def _existing_templates(config: Config) -> set[str]:
    taken: set[str] = set()
    for folder in config.templates:
        shared = os.path.join(folder, SHARED)
        if os.path.isdir(shared):
            taken.update(f"{SHARED}/{n}" for n in os.listdir(shared))
    return taken


def _template_name(title: str, taken: set[str]) -> str:
    base = _NOT_SLUG.sub("-", title.lower()).strip("-")[:48].strip("-") or "section"
    name, n = f"{SHARED}/{base}.md.j2", 2
    while name in taken:
        name, n = f"{SHARED}/{base}-{n}.md.j2", n + 1
    taken.add(name)
    return name
