"""skillforge's own keys of a spec (DESIGN §3): what they are, their types, their rules.

The keys of the target formats (`description`, `allowed-tools`, ...) and their rules belong
to the targets (`skillforge.targets`); this module asks each target of the build for them.
Each check appends `Problem`s; nothing raises, so that every problem of a spec is reported
at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from skillforge.errors import Problem, hint
from skillforge.targets import DEFAULT, TARGETS, get_target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OWN_KEYS = (
    "kind",
    "folder",
    "file",
    "extends",
    "traits",
    "vars",
    "sections",
    "files",
    "frontmatter",
    "keep-lists",
    "render",
    "targets",
)
SECTION_KEYS = ("id", "title", "body", "template", "with", "render", "before", "after")
FILE_KEYS = ("src", "dest", "render")
KINDS = ("skill", "agent", "command")
# What a spec's `targets: {<target>: {...}}` may not override: what is rendered once and
# shared by every target (DESIGN §4), and how the spec is composed.
NOT_PER_TARGET = ("kind", "extends", "traits", "vars", "sections", "files", "render", "targets")
# Every key a spec may set at its top level: skillforge's and those of every known target.
ALL_KEYS = frozenset(OWN_KEYS).union(*(t.all_keys() for t in TARGETS.values()))

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
OUTPUT_NAME_MAX = 64

# Types of skillforge's own fields, then of the target formats' fields whose type matters.
_OWN_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "kind": ((str,), "a string"),
    "name": ((str,), "a string"),
    "description": ((str,), "a string"),
    "extends": ((str,), "a path"),
    "traits": ((list,), "a list of trait names"),
    "vars": ((dict,), "a mapping"),
    "sections": ((list,), "a list of sections"),
    "files": ((list,), "a list of {src, dest} entries"),
    "frontmatter": ((dict,), "a mapping"),
    "keep-lists": ((list,), "a list of tools fields (e.g. [tools])"),
    "render": ((bool,), "true or false"),
    "folder": ((str,), "a folder name"),
    "file": ((str,), "a file name"),
    "targets": ((dict,), "a mapping of target names to false or to fields for that target"),
}
TYPES = {k: v for t in TARGETS.values() for k, v in t.types.items()} | _OWN_TYPES
_TOOL_KEYS = frozenset(k for t in TARGETS.values() for k in t.tool_keys)
# The key that names a spec's output: a skill's folder, an agent's file
OUTPUT_KEY = {"skill": "folder", "agent": "file", "command": "file"}

_OTHER = {"skill": "an agent", "agent": "a skill", "command": "a skill"}
_ARTICLE = {"skill": "a", "agent": "an", "command": "a"}

Where = Callable[[str], tuple[str, int | None]]


def check_layer(
    data: Any, file: str, lines: dict[tuple[Any, ...], int], problems: list[Problem]
) -> bool:
    """Check one YAML file of a spec (the spec, a base or a trait) on its own; False if unusable."""
    if not isinstance(data, dict):
        if data is None:
            message = "the file is empty; a spec is a mapping of fields (kind, name, description…)"
        else:
            message = f"a spec must be a mapping of fields, not a {type(data).__name__}"
        problems.append(Problem(file, lines.get(()), None, message))
        return False
    for key, value in data.items():
        line = lines.get((key,))
        if key not in ALL_KEYS:
            suggestion = hint(key, ALL_KEYS) or (
                "; keys of the target format that skillforge does not know go under 'frontmatter:'"
            )
            problems.append(Problem(file, line, key, f"unknown key '{key}'{suggestion}"))
            continue
        if key in TYPES and not _type_ok(value, TYPES[key][0]):
            problems.append(Problem(file, line, key, f"must be {TYPES[key][1]}"))
            continue
        if key == "traits" and not all(isinstance(t, str) for t in value):
            problems.append(Problem(file, line, key, "must be a list of trait names"))
        if key in _TOOL_KEYS and isinstance(value, list):
            for i, tool in enumerate(value):
                if not isinstance(tool, str) or not tool.strip():
                    problems.append(
                        Problem(
                            file, lines.get((key, i), line), key, "tools must be non-empty strings"
                        )
                    )
    if isinstance(data.get("targets"), dict):
        _check_targets(data["targets"], file, lines, problems)
    if isinstance(data.get("sections"), list):
        _check_sections(data["sections"], file, lines, problems)
    if isinstance(data.get("files"), list):
        _check_files(data["files"], file, lines, problems)
    return True


def _check_targets(
    value: dict[str, Any], file: str, lines: dict[tuple[Any, ...], int], problems: list[Problem]
) -> None:
    """`targets:` of a spec: target -> false (opt out), true, or fields for that target."""
    for name, entry in value.items():
        line = lines.get(("targets", name), lines.get(("targets",)))
        field = f"targets.{name}"
        if name not in TARGETS:
            known = ", ".join(TARGETS)
            problems.append(
                Problem(
                    file,
                    line,
                    field,
                    f"unknown target '{name}'{hint(str(name), list(TARGETS))}; known: {known}",
                )
            )
        elif isinstance(entry, dict):
            for key, sub in entry.items():
                at = lines.get(("targets", name, key), line)
                if key in NOT_PER_TARGET:
                    problems.append(
                        Problem(
                            file,
                            at,
                            f"{field}.{key}",
                            f"'{key}' cannot differ per target: sections, vars and files are "
                            "rendered once for every target",
                        )
                    )
                elif key not in ALL_KEYS:
                    problems.append(
                        Problem(
                            file, at, f"{field}.{key}", f"unknown key '{key}'{hint(key, ALL_KEYS)}"
                        )
                    )
                elif key in TYPES and not _type_ok(sub, TYPES[key][0]):
                    problems.append(Problem(file, at, f"{field}.{key}", f"must be {TYPES[key][1]}"))
        elif not isinstance(entry, bool):
            problems.append(
                Problem(
                    file,
                    line,
                    field,
                    "must be false (leave the spec out of this target) or a mapping of fields "
                    "for this target",
                )
            )


TARGET_FIELDS = "_target_fields"  # in a target's view of a spec: the fields it overrode


def spec_targets(data: dict[str, Any], targets: tuple[str, ...]) -> tuple[str, ...]:
    """The targets of the build a merged spec is built for: not opted out, kind supported."""
    own = data.get("targets")
    kind = data.get("kind")
    if (not isinstance(own, dict) or not own) and type(kind) is str and type(targets) is tuple:
        # the common case: by kind, once per build
        key = (kind, targets)
        found = _BY_KIND.get(key)
        if found is None:
            if len(_BY_KIND) > 64:
                _BY_KIND.clear()
            found = _BY_KIND[key] = tuple(t for t in targets if kind in get_target(t).kinds)
        return found
    own = own if isinstance(own, dict) else {}
    return tuple(
        t for t in targets if own.get(t, True) is not False and kind in get_target(t).kinds
    )


# `spec_targets` of a spec with no `targets:` of its own, by (kind, the build's targets)
_BY_KIND: dict[tuple[object, tuple[str, ...]], tuple[str, ...]] = {}


def for_target(data: dict[str, Any], target: str) -> dict[str, Any]:
    """The merged spec as `target` sees it: its `targets.<target>` fields merged over it."""
    own = data.get("targets")
    override = own.get(target) if isinstance(own, dict) else None
    if not isinstance(override, dict) or not override:
        return data
    view = _deep_merge(data, override)
    # what the target's own entry set: a model given there is that tool's own (no mapping)
    view[TARGET_FIELDS] = tuple(override)
    return view


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = (
            _deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _check_sections(
    sections: list[Any], file: str, lines: dict[tuple[Any, ...], int], problems: list[Problem]
) -> None:
    seen: dict[str, int | None] = {}
    for i, section in enumerate(sections):
        line = lines.get(("sections", i))
        if not isinstance(section, dict):
            problems.append(Problem(file, line, f"sections[{i}]", "a section must be a mapping"))
            continue
        sid = section.get("id")
        label = f"sections[{i}]" if not isinstance(sid, str) else f"sections.{sid}"
        for key in section:
            if key not in SECTION_KEYS:
                problems.append(
                    Problem(
                        file,
                        lines.get(("sections", i, key), line),
                        f"{label}.{key}",
                        f"unknown section key '{key}'{hint(key, SECTION_KEYS)}",
                    )
                )
        if sid is None:
            problems.append(Problem(file, line, f"{label}.id", "every section needs an 'id'"))
        elif not isinstance(sid, str) or not SLUG.match(sid):
            problems.append(
                Problem(
                    file,
                    lines.get(("sections", i, "id"), line),
                    f"{label}.id",
                    f"section id {sid!r} must be a slug: lowercase letters, digits and single "
                    "hyphens (e.g. 'quick-start')",
                )
            )
        elif sid in seen:
            problems.append(
                Problem(
                    file,
                    lines.get(("sections", i, "id"), line),
                    f"{label}.id",
                    f"duplicate section id '{sid}' (first on line {seen[sid]})",
                )
            )
        else:
            seen[sid] = lines.get(("sections", i, "id"), line)
        has_body, has_template = "body" in section, "template" in section
        if has_body == has_template:
            problems.append(
                Problem(
                    file,
                    line,
                    label,
                    "a section needs exactly one of 'body' (inline text) or 'template' (a name)",
                )
            )
        for key, types, what in (
            ("body", (str,), "a string"),
            ("template", (str,), "a template name"),
            ("title", (str,), "a string"),
            ("with", (dict,), "a mapping"),
            ("render", (bool,), "true or false"),
            ("before", (str,), "a section id"),
            ("after", (str,), "a section id"),
        ):
            if key in section and not _type_ok(section[key], types):
                problems.append(
                    Problem(
                        file,
                        lines.get(("sections", i, key), line),
                        f"{label}.{key}",
                        f"must be {what}",
                    )
                )
        if has_template and section.get("render") is True:
            problems.append(
                Problem(
                    file,
                    lines.get(("sections", i, "render"), line),
                    f"{label}.render",
                    "'render: true' does nothing on a template section (a template is always "
                    "rendered); remove it, or use 'render: false' to keep its title and with: "
                    "values as written",
                )
            )
        if "before" in section and "after" in section:
            problems.append(Problem(file, line, label, "use 'before' or 'after', not both"))


def _check_files(
    entries: list[Any], file: str, lines: dict[tuple[Any, ...], int], problems: list[Problem]
) -> None:
    for i, entry in enumerate(entries):
        line = lines.get(("files", i))
        field = f"files[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem(file, line, field, "must be a mapping {src, dest}"))
            continue
        for key in entry:
            if key not in FILE_KEYS:
                problems.append(
                    Problem(
                        file, line, f"{field}.{key}", f"unknown key '{key}'{hint(key, FILE_KEYS)}"
                    )
                )
        for key in ("src", "dest"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(file, line, f"{field}.{key}", f"'{key}' must be a relative path")
                )
            elif (
                value.startswith(("/", "\\"))
                or ":" in value[:3]
                or ".." in value.replace("\\", "/").split("/")
            ):
                problems.append(
                    Problem(
                        file,
                        line,
                        f"{field}.{key}",
                        f"unsafe path {value!r}: use a path relative to "
                        + ("the spec's folder" if key == "src" else "the skill folder")
                        + " without '..'",
                    )
                )
        if "render" in entry and not isinstance(entry["render"], bool):
            problems.append(Problem(file, line, f"{field}.render", "must be true or false"))


def output_name(kind: str, data: dict[str, Any]) -> str:
    """Return the folder (skill) or file stem (agent) of a spec's document, else its `name`."""
    value = data.get(OUTPUT_KEY.get(kind, ""))
    return value if isinstance(value, str) else str(data.get("name", ""))


def check_merged(
    data: dict[str, Any],
    where: Where,
    problems: list[Problem],
    targets: tuple[str, ...] = DEFAULT,
) -> None:
    """Check the merged spec: required fields and the rules of the targets it is built for."""

    def add(field: str, message: str, severity: str = "error") -> None:
        file, line = where(field)
        problems.append(Problem(file, line, field, message, severity))

    kind = data.get("kind")
    if kind is None:
        add("kind", "missing required field 'kind' (skill or agent)")
        return
    if kind not in KINDS:
        add(
            "kind",
            f"kind must be 'skill', 'agent' or 'command', not {kind!r}{hint(str(kind), KINDS)}",
        )
        return
    for field in ("name", "description"):
        if field not in data:
            add(field, f"missing required field '{field}'")
    wrong = OUTPUT_KEY["agent" if kind == "skill" else "skill"]
    if wrong in data:
        add(
            wrong,
            f"'{wrong}' names {_OTHER[kind]}'s output; {_ARTICLE[kind]} {kind} uses "
            f"'{OUTPUT_KEY[kind]}'",
        )
    if kind != "skill" and "files" in data:
        add("files", f"supporting 'files' are for skills; {_ARTICLE[kind]} {kind} is a single file")
    output = data.get(OUTPUT_KEY[kind])
    if isinstance(output, str):
        _check_output_name(kind, output, add)
    description = data.get("description")
    if isinstance(description, str) and not description.strip():
        add("description", "description must not be empty")
    known = set(OWN_KEYS)
    building = spec_targets(data, targets)
    # the spec's fields are Claude Code's: its checks run for every build (the rules only
    # other tools enforce are errors when one of them is built, else warnings)
    claude = get_target(DEFAULT[0])
    plain = tuple(t for t in building if for_target(data, t) is data)
    claude.check(kind, data, add, plain)
    known.update(claude.keys(kind))
    for name in building:
        target = get_target(name)
        view = for_target(data, name)
        if name != DEFAULT[0]:
            target.check(kind, view, add, building)
        if view is not data:
            claude.check(kind, view, _once(add, problems), (name,))
    _check_keep_lists(kind, data.get("keep-lists"), claude, add)
    front = data.get("frontmatter")
    if isinstance(front, dict):
        for key in front:
            if key in known:
                add("frontmatter", f"'{key}' is a known field: set it at the top level instead")


def _check_keep_lists(kind: str, kept: Any, claude: Any, add: Callable[..., None]) -> None:
    """`keep-lists` names the spec's tools fields written as YAML lists (not one string)."""
    if not isinstance(kept, list):
        return
    fields = [k for k in claude.keys(kind) if k in claude.tool_keys]
    for entry in kept:
        if entry not in fields:
            add(
                "keep-lists",
                f"{entry!r} is not a tools field of {_ARTICLE[kind]} {kind}; "
                f"keep-lists names {', '.join(fields)}",
            )


def _once(add: Callable[..., None], problems: list[Problem]) -> Callable[..., None]:
    """`add` that skips a problem already reported (a target's view repeats the spec's)."""

    def add_new(field: str, message: str, severity: str = "error") -> None:
        if not any(p.field == field and p.message == message for p in problems):
            add(field, message, severity)

    return add_new


def _check_output_name(kind: str, value: str, add: Callable[..., None]) -> None:
    key = OUTPUT_KEY[kind]
    if not SLUG.match(value):
        add(
            key,
            f"{key} {value!r} must be lowercase letters, digits and single hyphens "
            "(e.g. 'pdf-processing')",
        )
    elif len(value) > OUTPUT_NAME_MAX:
        add(key, f"{key} is {len(value)} characters; the limit is {OUTPUT_NAME_MAX}")
