"""The interface of a target: one agent tool's output format (DESIGN §4).

A target says where each kind of spec goes under its out folder, which frontmatter keys it
keeps (in emission order), how it writes a document's head, the rules its loader enforces
(the silent-skip ones as errors), what its listing costs, and how its own outputs are found
on disk. The engine asks the target and knows no format itself; a new target is one module
that subclasses `Target`, plus a line in `skillforge.targets.TARGETS`.

Standard library only at load time: the config reads a target's default out folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container
from typing import Any

from skillforge.errors import Problem
from skillforge.state.marker import add_marker, read_marker

# add(field, message, severity="error"): how a target reports a problem of a merged spec
Add = Callable[..., None]
# where(field) -> (file, line): where a field of a merged spec was set
Where = Callable[[str], tuple[str, int | None]]
# (field, the name it wants, file, line): a spec's reference to another spec
Ref = tuple[str, str, str, int | None]


class Listing:
    """How a tool lists its skills in every session: what one entry says and where it is cut."""

    def __init__(self, entry_chars: int, tool: str, when_key: str | None = None) -> None:
        self.entry_chars = entry_chars  # an entry longer than this is cut
        self.tool = tool  # who lists them, for messages ("Claude Code cuts it at ...")
        self.when_key = when_key  # a skill's key whose text follows its description

    def entry(self, kind: str, name: str, description: str, data: dict[str, Any]) -> str:
        """Return the text the tool lists for a spec: name, description, when to use."""
        entry = f"{name}: {description}"
        when = data.get(self.when_key) if self.when_key and kind == "skill" else None
        return f"{entry} {when}" if when else entry


class Target:
    """One tool's format; subclasses set the attributes and override what differs."""

    name = ""  # as in the config's `targets = [...]`
    title = ""  # the tool, for messages
    out = ""  # the default out folder, relative to the project root
    kinds: tuple[str, ...] = ()  # the kinds of spec it writes
    listing: Listing | None = None  # None: the tool has no listing budget
    # the type of each of its keys whose type matters: key -> (types, "what it must be")
    types: dict[str, tuple[tuple[type, ...], str]] = {}  # noqa: RUF012 (read only)
    tool_keys: tuple[str, ...] = ()  # keys holding a list of tool names

    def keys(self, kind: str) -> tuple[str, ...]:
        """Return the frontmatter keys the format documents for `kind`, in emission order."""
        raise NotImplementedError

    def all_keys(self) -> frozenset[str]:
        """Return every frontmatter key the format documents, of any kind."""
        return frozenset(k for kind in self.kinds for k in self.keys(kind))

    def document(self, kind: str, name: str) -> str:
        """Return the document's path relative to the out folder (`name`: folder or file)."""
        raise NotImplementedError

    def files_folder(self, kind: str, name: str) -> str | None:
        """Return the folder of supporting files relative to the out folder, or None."""
        return None

    def template(self, kind: str) -> str:
        """Return the layout template of a document of `kind` (frontmatter, then sections)."""
        return f"base/{kind}.md.j2"

    def emit(self, kind: str, data: dict[str, Any]) -> str:
        """Return the document's head (Markdown: the YAML between the `---` lines)."""
        raise NotImplementedError

    def check(self, kind: str, data: dict[str, Any], add: Add, building: tuple[str, ...]) -> None:
        """Add the problems of a merged spec under this format's rules.

        `building` names the targets of the build: a rule only other tools enforce is a
        warning ("not portable: ...") rather than an error.
        """

    def same_name(self, kind: str) -> str | None:
        """Return why two specs of `kind` may not share a name, or None when they may."""
        return None

    def references(self, kind: str, data: dict[str, Any], where: Where) -> tuple[Ref, ...]:
        """Return the names of other specs a merged spec refers to."""
        return ()

    def unknown_references(
        self, refs: list[Ref], skills: set[str], agents: set[str]
    ) -> list[Problem]:
        """Return warnings for references to names no spec of the project provides."""
        return []

    def recognise(self, path: str) -> tuple[str, str] | None:
        """Return (kind, name) of an output path this format would write, else None."""
        return None

    def documents(self, out: str, prefix: str, skip: Container[str]) -> list[tuple[str, str]]:
        """Return (path, kind) of every file under `out` that looks like one of its documents.

        `prefix` is the out folder relative to the project root, with a trailing "/" (or "");
        paths in `skip` are left out before they cost a `stat`.
        """
        return []

    def mark(self, document: bytes, spec: str) -> bytes:
        """Return `document` with skillforge's marker comment naming `spec`."""
        return add_marker(document, spec)

    def read_mark(self, data: bytes) -> tuple[str, bool] | None:
        """Return (spec, intact) of a document's marker, or None when it has none."""
        return read_marker(data)


def entries(folder: str) -> list[os.DirEntry[str]]:
    """Return the entries of `folder`, none when it cannot be read."""
    try:
        return list(os.scandir(folder))
    except OSError:
        return []
