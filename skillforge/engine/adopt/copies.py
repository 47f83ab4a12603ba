"""The other configured targets' copies of an imported document: adopted when they match.

A repository often keeps one skill twice (`.claude/skills/x/` and a copy in `.agents/skills/x/`).
The spec imported from one builds every configured target, so the next build would meet the
copy as a hand-written file and stop. Each existing copy whose values and body text equal
what that target's build writes is recorded like the imported file (the build rewrites it
without `--force`); a copy that differs is a problem to resolve first, named here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from skillforge.engine.adopt.document import Document, read_document, read_toml_document
from skillforge.engine.adopt.predict import document_bytes, toml_bytes
from skillforge.engine.adopt.sections import Section
from skillforge.engine.load.config import Config
from skillforge.engine.load.schema import for_target, output_name
from skillforge.targets import get_target


@dataclass
class Copies:
    """What the build does with the other targets' documents of one imported spec."""

    copies: list[str] = field(default_factory=list)  # existing copies it builds as they are
    also: list[tuple[str, bytes]] = field(default_factory=list)  # of those, to rewrite: bytes now
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def other_outputs(
    config: Config,
    kind: str,
    data: dict[str, Any],
    sections: list[Section],
    spec_rel: str,
    skip: tuple[str, str],
    own: str,
) -> Copies:
    """Plan the documents the spec writes for the configured targets other than `own`
    (`skip`: the imported file and its own output)."""
    item = Copies()
    name = output_name(kind, data)
    written: list[str] = []
    seen: set[str] = set()
    for t in config.targets:
        target = get_target(t)
        if t == own or kind not in target.kinds:
            continue
        rel = config.rel(config.out_of(t, kind) / target.document(kind, name))
        if rel in skip or rel in seen:
            continue  # a path two targets share (Codex's skills are Agent Skills'): once
        seen.add(rel)
        try:
            with open(os.path.join(config.root, rel), "rb") as f:
                current = f.read()
        except OSError:
            written.append(rel)
            continue
        translation = target.translate(kind, for_target(data, t), config.models.get(t, {}))
        toml = target.is_toml(kind)
        if toml:
            values = translation.values
            expected = toml_bytes(target, values, sections, spec_rel, config.marker)
        else:
            head = target.head(kind, translation.values)
            expected = document_bytes(target, kind, head, sections, spec_rel, config.marker)
        read = read_toml_document if toml else read_document
        if current == expected:
            item.copies.append(rel)
            item.notes.append(f"{rel} is already what the build writes: adopted")
        elif same_text(read(current), read(expected)):
            item.copies.append(rel)
            item.also.append((rel, current))
            item.notes.append(f"{rel} (a copy with equal values and text) is rewritten too")
        else:
            item.problems.append(
                (
                    None,
                    f"{rel} exists with other content, and the spec builds it for target "
                    f"'{t}': the build would refuse it (remove it, or leave '{t}' out of "
                    "`targets` while importing)",
                )
            )
    if written:
        item.notes.append(f"the build also writes {', '.join(written)}")
    return item


def same_text(a: Document, b: Document) -> bool:
    """Whether two documents have equal frontmatter values and body lines (DESIGN §6)."""
    if a.problems or b.problems or list(a.values) != list(b.values):
        return False
    for key, value in a.values.items():
        if not _same_value(value, b.values[key]):
            return False
    return _lines(a.body) == _lines(b.body)


def _same_value(was: Any, now: Any) -> bool:
    # the build writes every value exactly (a description's final newline, a tools list as
    # a list when the spec keeps it one): equal after `yaml.safe_load`, nothing looser
    return bool(was == now)


def _lines(body: str) -> list[str]:
    return [line.rstrip() for line in body.strip("\n").split("\n")]
