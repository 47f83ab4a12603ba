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

from skillforge.errors import Problem
from skillforge.state.marker import add_marker, read_marker
from skillforge.state.plain import Plain
from skillforge.targets.frontmatter import dump

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# add(field, message, severity="error"): how a target reports a problem of a merged spec
Add = Callable[..., None]
# where(field) -> (file, line): where a field of a merged spec was set
Where = Callable[[str], tuple[str, int | None]]
# (field, the name it wants, file, line): a spec's reference to another spec
Ref = tuple[str, str, str, int | None]


class Listing:
    """How a tool lists its skills in every session: what one entry says and where it is cut."""

    def __init__(
        self,
        entry_chars: int,
        tool: str,
        when_key: str | None = None,
        fraction: float | None = None,
        unknown_chars: int = 0,
    ) -> None:
        self.entry_chars = entry_chars  # an entry longer than this is cut (0: never)
        self.tool = tool  # who lists them, for messages ("Claude Code cuts it at ...")
        self.when_key = when_key  # a skill's key whose text follows its description
        # the listing's share of the context (None: `[budgets] listing_fraction`), and its
        # size in characters when the context is not known
        self.fraction = fraction
        self.unknown_chars = unknown_chars

    def budget_chars(self, budgets: dict[str, Any]) -> int:
        """The listing's size in characters: the tools count 4 characters a token (DESIGN §7)."""
        context = budgets.get("context_tokens") or 0
        if not context:
            return self.unknown_chars
        fraction = self.fraction if self.fraction is not None else budgets["listing_fraction"]
        return int(context * 4 * fraction)

    def entry(self, kind: str, name: str, description: str, data: dict[str, Any]) -> str:
        """Return the text the tool lists for a spec: name, description, when to use."""
        entry = f"{name}: {description}"
        when = data.get(self.when_key) if self.when_key and kind == "skill" else None
        return f"{entry} {when}" if when else entry


class Translation(Plain):
    """A merged spec in one tool's terms: its head mapping and what did not carry over.

    `dropped` are the spec's fields the tool has no key for; `approximated` says, for each
    field expressed another way, how ("when_to_use: appended to the description");
    `warnings` are messages for the user (a model with no mapping); `errors` are (field,
    message) pairs; `sidecars` are extra files next to the document (path relative to the
    document's folder -> text).
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.dropped: list[str] = []
        self.approximated: list[str] = []
        self.warnings: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.sidecars: dict[str, str] = {}


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

    # per kind, the target whose out folder holds these documents too (Codex reads its skills
    # from the Agent Skills folder: kind "skill" -> "agents")
    kind_out: dict[str, str] = {}  # noqa: RUF012 (read only)
    # the order of a head's keys when several targets share one file (DESIGN §4)
    shared_order: tuple[str, ...] = ()

    def keys(self, kind: str) -> tuple[str, ...]:
        """Return the spec fields the format documents for `kind`, in emission order."""
        raise NotImplementedError

    def out_for(self, kind: str) -> str | None:
        """Return the target whose out folder holds documents of `kind`, or None: its own."""
        return self.kind_out.get(kind)

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        """Return the merged spec's head in this tool's keys (DESIGN §4 "Translation").

        `models` is the config's `[targets.<name>.models]` table.
        """
        raise NotImplementedError

    def head(self, kind: str, values: dict[str, Any]) -> str:
        """Return the text of a head mapping (YAML between the `---` lines, by default)."""
        return dump(values)

    def head_keys(self, kind: str) -> frozenset[str] | None:
        """Return the head keys the tool accepts for `kind`; None: any (unknown ones ignored).

        Where several targets write one file, it keeps only the keys all of them accept.
        """
        return None

    def is_toml(self, kind: str) -> bool:
        """True when documents of `kind` are TOML (the body is a key), not Markdown."""
        return False

    def toml_document(self, values: dict[str, Any], body: str) -> str:
        """Return a TOML document: the head's keys plus the body (Codex agents)."""
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


def skill_documents(out: str, prefix: str, skip: Container[str]) -> list[tuple[str, str]]:
    """(path, "skill") of every `skills/<folder>/SKILL.md` under `out` not in `skip`."""
    found: list[tuple[str, str]] = []
    for entry in entries(os.path.join(out, "skills")):
        path = f"{prefix}skills/{entry.name}/SKILL.md"
        if (
            path not in skip
            and entry.is_dir(follow_symlinks=False)
            and os.path.isfile(os.path.join(entry.path, "SKILL.md"))
        ):
            found.append((path, "skill"))
    return found


def file_documents(
    out: str, prefix: str, skip: Container[str], folder: str, suffix: str, kind: str
) -> list[tuple[str, str]]:
    """(path, kind) of every `<folder>/*<suffix>` file under `out` not in `skip`."""
    found: list[tuple[str, str]] = []
    for entry in entries(os.path.join(out, folder)):
        path = f"{prefix}{folder}/{entry.name}"
        if path not in skip and entry.name.endswith(suffix) and entry.is_file():
            found.append((path, kind))
    return found


class SkillFolders(Target):
    """A tool whose skills are `skills/<folder>/SKILL.md` and whose other documents are files
    in one folder per kind (`files`: kind -> (folder, suffix))."""

    files: dict[str, tuple[str, str]] = {}  # noqa: RUF012 (read only)

    def document(self, kind: str, name: str) -> str:
        if kind == "skill":
            return f"skills/{name}/SKILL.md"
        folder, suffix = self.files[kind]
        return f"{folder}/{name}{suffix}"

    def files_folder(self, kind: str, name: str) -> str | None:
        return f"skills/{name}" if kind == "skill" else None

    def recognise(self, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        is_skill = len(parts) >= 3 and parts[-1] == "SKILL.md" and parts[-3] == "skills"
        if "skill" in self.kinds and is_skill:
            return "skill", parts[-2]
        for kind, (folder, suffix) in self.files.items():
            if len(parts) >= 2 and parts[-2] == folder and parts[-1].endswith(suffix):
                return kind, parts[-1][: -len(suffix)]
        return None

    def documents(self, out: str, prefix: str, skip: Container[str]) -> list[tuple[str, str]]:
        found = skill_documents(out, prefix, skip) if "skill" in self.kinds else []
        for kind, (folder, suffix) in self.files.items():
            found.extend(file_documents(out, prefix, skip, folder, suffix, kind))
        return found
