"""What the next build writes for an imported spec, and how those bytes differ from the file.

The document is assembled as the build of the file's own target assembles it (the built-in
layout of `templates/base/*.md.j2`: `---`, the target's frontmatter, `---`, a blank line, the
sections joined by blank lines, one final newline, then the marker), so import can say per file,
before anything is written, whether the build adopts the file as it is or rewrites it, and
why: each reason is one kind of change, counted in the summary.
"""

from __future__ import annotations

import tomllib
from typing import Any

from skillforge.engine.adopt.document import BODY_KEY, Document, load_yaml
from skillforge.engine.adopt.sections import Section, join
from skillforge.engine.files import finish
from skillforge.targets.base import Target

MARKER = "marker line added"
BOM = "byte order mark removed"
CRLF = "line endings (CRLF to LF)"
DELIMITERS = "frontmatter delimiters"
ORDER = "frontmatter key order"
STYLE = "frontmatter quoting or layout"
QUOTED = "'description' written double-quoted on one line"
LEADING = "blank lines after the frontmatter"
ENDING = "end of file (final newline, trailing whitespace)"
ADDED = "frontmatter added"
TOML_ORDER = "TOML key order"
TOML_STYLE = "TOML quoting or layout"
INSTRUCTIONS = "developer_instructions: blank lines or trailing whitespace at its ends"
OTHER = "other"


def document_bytes(
    target: Target, kind: str, head: str, sections: list[Section], spec: str, mark: bool
) -> bytes:
    """The bytes the build writes for this spec's document (without a project layout), its
    `head` being the target's frontmatter text for the spec."""
    raw = finish(f"---\n{head}---\n\n{join(sections)}\n")
    return target.mark(raw, spec) if mark else raw


def toml_bytes(
    target: Target, values: dict[str, Any], sections: list[Section], spec: str, mark: bool
) -> bytes:
    """The bytes the build writes for a TOML document (a Codex agent): `values`, then the
    sections as `developer_instructions`."""
    raw = finish(target.toml_document(values, join(sections) + "\n"))
    return target.mark(raw, spec) if mark else raw


def toml_changes(doc: Document, expected: bytes, mark: bool, target: Target) -> list[str]:
    """The kinds of change between a TOML document read and `expected` (empty: bytes equal)."""
    if doc.raw == expected:
        return []
    unmarked = expected.partition(b"\n")[2] if mark else expected
    found: list[str] = [MARKER] if mark else []
    if doc.raw == unmarked:
        return found
    found.extend(k for k, on in ((BOM, doc.bom), (CRLF, doc.crlf)) if on)
    emitted = tomllib.loads(unmarked.decode("utf-8"))
    body = emitted.pop(BODY_KEY, "")
    values = doc.values
    found.extend(_value_changes(values, emitted))
    common = [k for k in values if k in emitted]
    if common != [k for k in emitted if k in values]:
        found.append(TOML_ORDER)
    if body != doc.body:
        found.append(INSTRUCTIONS)
    # the file in skillforge's own layout, in its own key order: what is left is the layout
    if doc.front_text.encode("utf-8") != finish(target.toml_document(values, doc.body)):
        found.append(TOML_STYLE)
    return found if found != ([MARKER] if mark else []) else [*found, OTHER]


def _value_changes(values: dict[str, Any], emitted: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in dict.fromkeys([*values, *emitted]):
        if key not in emitted:
            found.append(f"'{key}' left out (empty)")
        elif key not in values:
            found.append(f"'{key}' added")
        elif values[key] != emitted[key]:
            found.append(_value_change(key, values[key], emitted[key]))
    return found


def changes(doc: Document, expected: bytes, mark: bool) -> list[str]:
    """The kinds of change between the file read and `expected` (empty: bytes equal)."""
    if doc.raw == expected:
        return []
    unmarked = _without_marker(expected) if mark else expected
    found: list[str] = [MARKER] if mark else []
    if doc.raw == unmarked:
        return found
    if doc.bom:
        found.append(BOM)
    if doc.crlf:
        found.append(CRLF)
    head, _, body = unmarked.decode("utf-8")[4:].partition("\n---\n")
    if not doc.has_front:
        found.append(ADDED)
    else:
        found.extend(_front_changes(doc, head + "\n"))
        if not _delimiters_exact(doc):
            found.append(DELIMITERS)
    found.extend(_body_changes(doc.body, body))
    if found == ([MARKER] if mark else []):
        found.append(OTHER)
    return found


def _without_marker(expected: bytes) -> bytes:
    first, _, rest = expected.partition(b"\n")
    return first + b"\n" + rest.partition(b"\n")[2]


def _front_changes(doc: Document, head: str) -> list[str]:
    if head == doc.front_text:
        return []
    emitted = load_yaml(head) or {}
    values = doc.values
    found = _value_changes(values, emitted)
    common = [k for k in values if k in emitted]
    if common != [k for k in emitted if k in values]:
        found.append(ORDER)
    was, now = _blocks(doc.front_text), _blocks(head)
    restyled = [
        k for k in values if k in emitted and values[k] == emitted[k] and was.get(k) != now.get(k)
    ]
    if "description" in restyled:
        found.append(QUOTED)
    if not found or any(k != "description" for k in restyled):
        found.append(STYLE)
    return found


def _value_change(key: str, was: Any, now: Any) -> str:
    if isinstance(was, list) and isinstance(now, str):
        return f"'{key}' list written as one string"
    if isinstance(was, str) and isinstance(now, str) and was.rstrip() == now:
        return f"'{key}' trailing whitespace dropped"
    return f"'{key}' value changed"


def _blocks(text: str) -> dict[str, str]:
    """The text of each top-level key of a YAML mapping: its line and the lines under it."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.split("\n"):
        if line[:1] not in ("", " ", "\t", "#", "-") and ":" in line:
            current = blocks.setdefault(line.split(":", 1)[0].strip("'\""), [])
        current.append(line)
    return {k: "\n".join(v).rstrip() for k, v in blocks.items()}


def _delimiters_exact(doc: Document) -> bool:
    text = doc.raw.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")
    return text.startswith("---\n") and text[4:].startswith(doc.front_text + "---\n")


def _body_changes(was: str, now: str) -> list[str]:
    if was == now:
        return []
    found: list[str] = []
    if (
        len(was) - len(was.lstrip("\n")) != (1 if was.strip() else 0)
        or was.lstrip("\n")[:1].isspace()
    ):
        found.append(LEADING)
    if not was.endswith("\n") or was.rstrip() + "\n" != was:
        found.append(ENDING)
    return found
