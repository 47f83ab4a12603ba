"""Cut a body into sections at `## ` headings, only where the build gives the text back exactly.

The build writes each section as `## Title`, one blank line and its text (the text without
leading blank lines or trailing whitespace), and puts one blank line between sections
(`templates/base/*.md.j2`). A heading becomes a section's title only when the text around
it has that shape: one blank line under the heading and one above it, no trailing
whitespace before that, and not inside a code fence. Any other heading, and every run of
blank lines, stays inside a section's body as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Section:
    """One section: its title (None for text before the first heading) and its text."""

    title: str | None
    text: str


def normalise(body: str) -> str:
    """The body as the build writes it: no leading blank lines, no trailing whitespace."""
    return _LEADING_BLANK_LINES.sub("", body).rstrip()


def headings(lines: list[str]) -> list[int]:
    """Indexes of the `## ` heading lines outside code fences."""
    found: list[int] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is not None:
            closes = match and match[1][0] == fence[0] and len(match[1]) >= len(fence)
            if closes and match and not match[2].strip():
                fence = None
            continue
        if match and not (match[1][0] == "`" and "`" in match[2]):
            fence = match[1]
        elif line.startswith("## "):
            found.append(i)
    return found


def _title_ok(line: str) -> bool:
    title = line[3:]
    return bool(title) and title == title.strip() and "\r" not in title


def split(body: str) -> list[Section]:
    """Cut a normalised body into sections that render back to exactly `body`."""
    if not body:
        return []
    lines = body.split("\n")
    starts = [0]
    for h in headings(lines):
        if h == 0:
            continue  # the first piece already starts here
        # the piece before ends with its last text line (no trailing whitespace), a blank line
        if h < 2 or lines[h - 1] != "" or not lines[h - 2] or lines[h - 2] != lines[h - 2].rstrip():
            continue
        # the new piece: its heading, exactly one blank line, then text (or nothing at all)
        if not _title_ok(lines[h]):
            continue
        if h + 1 < len(lines) and (
            lines[h + 1] != "" or h + 2 >= len(lines) or not lines[h + 2].strip(" \t")
        ):
            continue
        starts.append(h)
    starts.append(len(lines))
    sections: list[Section] = []
    for n in range(len(starts) - 1):
        piece = lines[starts[n] : starts[n + 1]]
        last = n == len(starts) - 2
        if not last:
            piece = piece[:-1]  # the blank line between sections
        head = piece[0]
        titled = head.startswith("## ") and (n > 0 or _first_titled(lines))
        if titled:
            sections.append(Section(head[3:], "\n".join(piece[2:])))
        else:
            sections.append(Section(None, "\n".join(piece)))
    if join(sections) != body:  # never trade exactness for structure
        return [Section(None, body)]
    return sections


def _first_titled(lines: list[str]) -> bool:
    """Whether the body's first line can be the title of the first section."""
    if not lines[0].startswith("## ") or not _title_ok(lines[0]):
        return False
    return len(lines) == 1 or (lines[1] == "" and len(lines) > 2 and bool(lines[2].strip(" \t")))


def render(section: Section) -> str:
    """The text the build writes for one section."""
    text = normalise(section.text)
    if section.title is None:
        return text
    return f"## {section.title}\n\n{text}" if text else f"## {section.title}"


def join(sections: list[Section]) -> str:
    """The body the build writes for these sections."""
    # an untitled section with no text writes nothing, not even its blank line (render.py)
    return "\n\n".join(render(s) for s in sections if s.title is not None or normalise(s.text))


def slug(title: str | None, taken: set[str], fallback: str) -> str:
    """A section id from a title: lowercase words joined by hyphens, unique in the spec."""
    base = _NOT_SLUG.sub("-", (title or "").lower()).strip("-")[:48].strip("-") or fallback
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}-{n}", n + 1
    taken.add(sid)
    return sid
