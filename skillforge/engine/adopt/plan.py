"""Plan the import of each file: its spec, where it goes, and what the next build writes.

Nothing is written here. Each `Planned` is `ready` (a spec to write), `broken` (a file Claude
Code would skip, or one skillforge cannot build back; imported for review only with
`--include-broken`), `copy` (another target's copy of a file imported first, which its spec
builds as it is) or `skipped` (its spec exists, it is skillforge's own output, or it is not a
kind of spec skillforge builds), with the reasons and their lines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from skillforge.engine.adopt.copies import other_outputs
from skillforge.engine.adopt.document import Document, read_document, read_toml_document
from skillforge.engine.adopt.predict import changes, document_bytes, toml_bytes, toml_changes
from skillforge.engine.adopt.sections import Section, normalise, split
from skillforge.engine.adopt.sources import Source
from skillforge.engine.adopt.specs import spec_data
from skillforge.engine.load.config import Config
from skillforge.engine.load.schema import check_layer, check_merged, for_target, output_name
from skillforge.errors import Problem
from skillforge.state.marker import read_marker
from skillforge.targets import DEFAULT, get_target
from skillforge.targets.base import Translation
from skillforge.targets.claude import KEEP_LISTS, TOOL_KEYS

SPEC_FOLDERS = {"skill": "skills", "agent": "agents", "command": "commands"}
_ARTICLE = {"skill": "a", "agent": "an", "command": "a"}
FILES_FOLDER = "_files"  # a `_` folder holds no specs (DESIGN §2): safe for any file name


@dataclass
class Planned:
    """One file to import and everything import decided about it."""

    source: Source
    status: str = "ready"  # ready, broken, skipped
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    spec_rel: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    doc: Document | None = None
    output_rel: str = ""  # the document the build writes
    expected: bytes = b""
    current: bytes | None = None  # the output's bytes on disk now (None: no file there)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    review: bool = False  # imported from a broken file (--include-broken)
    builds: bool = True  # False: the build refuses the spec until it is fixed
    waits: str = ""  # the file's target, when the config's `targets` does not list it yet
    # other targets' copies the build rewrites: (path, bytes now), recorded like the file
    also: list[tuple[str, bytes]] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # other targets' copies it builds as they are

    @property
    def adopts(self) -> bool:
        """Whether the build finds the output's bytes already equal (adopted as is)."""
        return self.builds and self.current is not None and self.current == self.expected

    @property
    def rewrites(self) -> bool:
        """Whether the build replaces the file there now (import recorded why)."""
        return self.builds and self.current is not None and self.current != self.expected


def plan(config: Config, sources: list[Source], include_broken: bool) -> list[Planned]:
    """Plan every source, in order; a later file that maps to a taken spec is skipped."""
    planned: list[Planned] = []
    taken: dict[str, Planned] = {}  # spec and output paths -> the item that has them
    for source in sources:
        item = plan_one(config, source, include_broken)
        if item.status == "ready":
            first = taken.get(item.spec_rel) or taken.get(item.output_rel)
            other = first.source.rel if first is not None else None
            if first is not None and source.rel in first.copies:
                item.status = "copy"
                item.problems = [(None, f"a copy of {other}: its spec builds this file too")]
            elif other is not None:
                item.status = "skipped"
                item.problems = [(None, f"builds the same output as {other}, imported first")]
            else:
                taken[item.spec_rel] = taken[item.output_rel] = item
        planned.append(item)
    return planned


def plan_one(config: Config, source: Source, include_broken: bool) -> Planned:
    """Read one file and plan its spec."""
    item = Planned(source)
    if source.legacy:
        item.status = "skipped"
        item.problems.append((None, source.legacy))
        return item
    if source.kind not in SPEC_FOLDERS:
        item.status = "skipped"
        item.problems.append(
            (None, "not a skill, agent or command: skillforge builds those; left as it is")
        )
        return item
    if source.kind not in source.reader.kinds:
        item.status = "skipped"
        item.problems.append(
            (
                None,
                f"{source.reader.title}'s {source.kind}s are not imported "
                f"(only its {' and '.join(k + 's' for k in source.reader.kinds)})",
            )
        )
        return item
    try:
        with open(source.path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        item.status = "skipped"
        item.problems.append((None, f"cannot be read ({exc.strerror})"))
        return item
    marker = read_marker(raw.replace(b"\r\n", b"\n"))
    if marker is not None:
        item.status = "skipped"
        item.problems.append((None, f"already generated by skillforge from {marker[0]}"))
        return item
    doc = item.doc = (read_toml_document if source.reader.toml else read_document)(raw)
    item.problems.extend(doc.problems)
    fields = source.reader.spec_values(source.kind, dict(doc.values))
    values, own = fields.spec, fields.own
    item.problems.extend((_line(doc, key), why) for key, why in fields.problems)
    item.notes.extend(fields.notes)
    kind, output = source.kind, source.name
    if source.nested:
        folder, suffix = source.reader.files[kind]
        item.problems.append(
            (None, f"is in a subfolder of {folder}/; skillforge writes {folder}/{output}{suffix}")
        )
    if kind == "agent" and not isinstance(values.get("name"), str):
        claude = source.reader.target == DEFAULT[0]
        message = (
            "an agent without a name is skipped"
            if claude
            else f"no name: skillforge writes one into every {source.reader.title} agent"
        )
        if source.reader.names_agents:
            item.problems.append((_line(doc, "name"), message))
        values["name"] = output
    if kind == "command" and "name" in values:
        # a command is named by its file; the build writes no `name:` into its frontmatter
        item.problems.append(
            (
                _line(doc, "name"),
                "'name' is not a field of a command (Claude Code names it after its file); "
                "skillforge would not write it back",
            )
        )
        del values["name"]
    if not isinstance(values.get("description"), str) or not values["description"].strip():
        why = (
            " (Claude Code shows the body's first line instead; skillforge needs the field)"
            if kind == "command"
            else ""
        )
        item.problems.append(
            (
                _line(doc, "description"),
                f"no description: {_ARTICLE[kind]} {kind} needs one{why}",
            )
        )
        values["description"] = ""
    # the spec's fields are Claude Code's (DESIGN §3); the file's own target builds it back
    target = get_target(source.reader.target)
    spec_dir = config.specs[0] / SPEC_FOLDERS[kind]
    item.spec_rel = config.rel(spec_dir / f"{output}.yaml")
    files_dir = f"{FILES_FOLDER}/{output}"
    item.sections = split(normalise(doc.body))
    item.data = spec_data(
        kind,
        output,
        values,
        get_target(DEFAULT[0]).keys(kind),
        item.sections,
        source.files,
        files_dir,
    )
    if own:  # what only this target's build writes (Copilot's model names)
        item.data["targets"] = {target.name: own}
    flagged = bool(item.problems)  # a broken file's own problems say it first
    models = config.models.get(target.name, {})
    translation = target.translate(kind, for_target(item.data, target.name), models)
    kept = kept_lists(values, translation.values)
    if kept:  # the file wrote these tools fields as lists: the build writes them so too
        item.data[KEEP_LISTS] = kept
        translation = target.translate(kind, for_target(item.data, target.name), models)
    refused = validate(item.data, item.spec_rel, (target.name, *config.targets))
    item.builds = not refused and not translation.errors
    for problem in refused:
        field_ = (problem.field or "").split(".")[0].split("[")[0]
        if not (flagged and field_ in ("name", "description")):
            item.problems.append((_line(doc, field_), problem.message))
    item.problems.extend(_lost(doc, target.title, translation))
    out = config.out_of(target.name, kind)
    item.output_rel = config.rel(out / target.document(kind, output_name(kind, item.data)))
    if target.name not in config.targets:
        item.waits = target.name
    try:
        with open(os.path.join(config.root, item.output_rel), "rb") as f:
            item.current = f.read()
    except OSError:
        item.current = None
    if item.builds and target.is_toml(kind):
        item.expected = toml_bytes(
            target, translation.values, item.sections, item.spec_rel, config.marker
        )
        if item.output_rel == source.rel:
            item.changes = toml_changes(doc, item.expected, config.marker, target)
    elif item.builds:
        head = target.head(kind, translation.values)
        item.expected = document_bytes(
            target, kind, head, item.sections, item.spec_rel, config.marker
        )
        if item.output_rel == source.rel:
            item.changes = changes(doc, item.expected, config.marker)
    if item.builds:
        found = other_outputs(
            config,
            kind,
            item.data,
            item.sections,
            item.spec_rel,
            (item.output_rel, source.rel),
            target.name,
        )
        item.copies, item.also = found.copies, found.also
        item.notes.extend(found.notes)
        item.problems.extend(found.problems)
    if item.problems:
        item.status = "ready" if include_broken else "broken"
        item.review = include_broken
    if source.links:
        item.notes.append(f"not copied (links or special files): {', '.join(source.links)}")
    if os.path.lexists(os.path.join(config.root, item.spec_rel)):
        item.status = "skipped"
        item.problems = [(None, f"{item.spec_rel} exists (import never overwrites a spec)")]
    return item


def kept_lists(values: dict[str, Any], emitted: dict[str, Any]) -> list[str]:
    """The tools fields a file gave as YAML lists that its target would write as one string."""
    return [
        key
        for key in TOOL_KEYS
        if isinstance(values.get(key), list) and isinstance(emitted.get(key), str)
    ]


def validate(
    data: dict[str, Any], spec_rel: str, targets: tuple[str, ...] = DEFAULT
) -> list[Problem]:
    """The errors a build for `targets` would report for this spec (warnings are left to it)."""
    problems: list[Problem] = []
    if check_layer(data, spec_rel, {}, problems):
        check_merged(data, lambda key: (spec_rel, None), problems, tuple(dict.fromkeys(targets)))
    return [p for p in problems if p.severity == "error"]


def _lost(doc: Document, title: str, translation: Translation) -> list[tuple[int | None, str]]:
    """What the target would not write back as it was read: the file could not be reproduced."""
    found: list[tuple[int | None, str]] = []
    for field_ in translation.dropped:
        if field_.startswith("frontmatter."):
            key, entry = field_.removeprefix("frontmatter."), ""
        else:
            key, _, entry = field_.partition(".")
        what = (
            f"'{key}' entry '{entry}' has no {title} equivalent"
            if entry
            else f"'{key}' is not a key {title} keeps"
        )
        found.append((_line(doc, key), f"{what}; its build leaves it out"))
    for how in translation.approximated:
        key = how.split(":")[0]
        found.append((_line(doc, key), f"{title}'s build writes it another way ({how})"))
    found.extend(
        (_line(doc, f), f"{message} (target {title})") for f, message in translation.errors
    )
    found.extend((None, warning) for warning in translation.warnings)
    return found


def _line(doc: Document, key: str) -> int | None:
    """The line of a frontmatter key in its file (1: the file has no such key)."""
    if doc.lines:
        return doc.lines.get(key, 1)
    for i, line in enumerate(doc.front_text.split("\n")):
        if line.startswith(f"{key}:"):
            return i + 2
    return 1
