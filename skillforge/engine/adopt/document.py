"""Read one Markdown document with YAML frontmatter the way Claude Code does, or say why not.

Claude Code skips a file whose frontmatter does not parse, an agent without a name or a
description, and (before v2.1.239) a file that starts with a BOM (FORMATS.md §2.2). Each of
those is a `Broken` reason naming the line; what can be salvaged is kept for
`--include-broken`. A Codex agent is TOML instead (`read_toml_document`): its keys are the
values, its `developer_instructions` the body.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_LINE = re.compile(r"^([A-Za-z0-9_][^:#\s]*)\s*:(?:\s|$)")
BOM = "\ufeff"


@dataclass
class Document:
    """A document split into its parts; `problems` lists (line, message) Claude Code skips on."""

    raw: bytes
    front_text: str = ""  # the YAML between the `---` lines, LF line endings
    values: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # everything after the closing `---` line, LF line endings
    has_front: bool = False
    bom: bool = False
    crlf: bool = False
    problems: list[tuple[int | None, str]] = field(default_factory=list)
    # keys Claude Code would not have read (salvaged line by line from a broken frontmatter)
    lost: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # a TOML document's key -> its line


def load_yaml(text: str) -> Any:
    """Load YAML with the safe loader (the C one when available)."""
    return yaml.load(text, Loader=_Loader)


def read_document(raw: bytes) -> Document:
    """Split `raw` into frontmatter values and body; problems for what Claude Code skips."""
    doc = Document(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        doc.problems.append((line, "is not UTF-8 text"))
        text = raw.decode("utf-8", "replace")
    if text.startswith(BOM):
        doc.bom = True
        doc.problems.append((1, "starts with a byte order mark (BOM), which Claude Code skips"))
        text = text[1:]
    doc.crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        doc.body = text
        return doc
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        doc.problems.append((1, "the frontmatter opened on line 1 is never closed with '---'"))
        doc.body = text
        return doc
    doc.has_front = True
    doc.front_text = "".join(line + "\n" for line in lines[1:end])
    doc.body = "\n".join(lines[end + 1 :])
    try:
        values = load_yaml(doc.front_text) if doc.front_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        doc.problems.append((line, f"the frontmatter does not parse as YAML: {problem}"))
        doc.values = _salvage(lines[1:end], doc.lost)
        return doc
    if not isinstance(values, dict):
        doc.problems.append((2, "the frontmatter is not a mapping of keys"))
        return doc
    doc.values = {str(k): v for k, v in values.items()}
    return doc


def _salvage(lines: list[str], lost: list[str]) -> dict[str, Any]:
    """The top-level keys of a broken frontmatter that parse on their own, in order."""
    starts = [i for i, line in enumerate(lines) if _KEY_LINE.match(line)]
    found: dict[str, Any] = {}
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "\n".join(lines[start:stop]) + "\n"
        try:
            value = load_yaml(chunk)
        except yaml.YAMLError:
            lost.append(f"line {start + 2}: {lines[start].strip()}")
            continue
        if isinstance(value, dict):
            found.update({str(k): v for k, v in value.items()})
    return found


_TOML_KEY = re.compile(r"^\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\s*=")
_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
BODY_KEY = "developer_instructions"


def read_toml_document(raw: bytes) -> Document:
    """A Codex agent (`.codex/agents/*.toml`): its keys but `developer_instructions`, which
    is the body; problems for what Codex refuses (no parse, no instructions)."""
    doc = Document(raw, has_front=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        doc.problems.append((raw[: exc.start].count(b"\n") + 1, "is not UTF-8 text"))
        return doc
    if text.startswith(BOM):
        doc.bom = True
        text = text[1:]
    doc.crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    doc.front_text = text
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("["):
            break  # the keys of tables are not top-level keys
        found = _TOML_KEY.match(line)
        if found:
            doc.lines.setdefault(next(g for g in found.groups() if g is not None), n)
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        why = _TOML_AT.sub("", str(exc)).strip()
        doc.problems.append((int(at[1]) if at else 1, f"does not parse as TOML: {why}"))
        return doc
    body = values.pop(BODY_KEY, None)
    if isinstance(body, str):
        doc.body = body
    else:
        doc.problems.append(
            (doc.lines.get(BODY_KEY, 1), f"no {BODY_KEY} string: Codex needs the agent's prompt")
        )
    doc.values = values
    return doc
