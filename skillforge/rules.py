"""Validation rules for specs (DESIGN §3): known keys, types and the target formats' rules.

Each check appends `Problem`s; nothing raises, so that every problem of a spec is reported
at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from skillforge.errors import Problem

SKILL_KEYS = (
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
    "when_to_use",
    "argument-hint",
    "arguments",
    "disable-model-invocation",
    "user-invocable",
    "disallowed-tools",
    "model",
    "effort",
    "context",
    "agent",
    "hooks",
    "paths",
    "shell",
)
AGENT_KEYS = (
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "permissionMode",
    "maxTurns",
    "skills",
    "mcpServers",
    "hooks",
    "memory",
    "background",
    "effort",
    "isolation",
    "color",
    "initialPrompt",
)
OWN_KEYS = ("kind", "extends", "traits", "vars", "sections", "files", "frontmatter")
ALL_KEYS = frozenset(SKILL_KEYS + AGENT_KEYS + OWN_KEYS)
SECTION_KEYS = ("id", "title", "body", "template", "with", "render", "before", "after")
FILE_KEYS = ("src", "dest", "render")
KINDS = ("skill", "agent")

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SKILL_NAME_MAX = 64
DESCRIPTION_MAX = 1024

# Types of the fields whose type matters to skillforge or to the target format.
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "kind": ((str,), "a string"),
    "name": ((str,), "a string"),
    "description": ((str,), "a string"),
    "extends": ((str,), "a path"),
    "traits": ((list,), "a list of trait names"),
    "vars": ((dict,), "a mapping"),
    "sections": ((list,), "a list of sections"),
    "files": ((list,), "a list of {src, dest} entries"),
    "frontmatter": ((dict,), "a mapping"),
    "metadata": ((dict,), "a mapping"),
    "allowed-tools": ((list, str), "a list of tools"),
    "disallowed-tools": ((list, str), "a list of tools"),
    "tools": ((list, str), "a list of tools"),
    "disallowedTools": ((list, str), "a list of tools"),
    "disable-model-invocation": ((bool,), "true or false"),
    "user-invocable": ((bool,), "true or false"),
    "background": ((bool,), "true or false"),
    "maxTurns": ((int,), "a whole number"),
    "license": ((str,), "a string"),
    "model": ((str,), "a string"),
    "color": ((str,), "a string"),
}

_OTHER = {"skill": "an agent", "agent": "a skill"}
_ARTICLE = {"skill": "a", "agent": "an"}
_COUNTERPARTS = {
    "allowed-tools": "tools",
    "disallowed-tools": "disallowedTools",
    "tools": "allowed-tools",
    "disallowedTools": "disallowed-tools",
}

Where = Callable[[str], tuple[str, int | None]]


def hint(word: str, choices: list[str] | tuple[str, ...] | frozenset[str]) -> str:
    """Return ' (did you mean 'x'?)' when `word` looks like a typo of one of `choices`."""
    from difflib import get_close_matches

    # 0.8, as pypa/build's _find_typo: at 0.6, `tags` and `risk` were "did you mean 'traits'?"
    match = get_close_matches(word, sorted(choices), n=1, cutoff=0.8)
    if not match:  # swapped letters score low (`nmae` is 0.5 of `name`) but are typos
        match = [c for c in sorted(choices) if len(word) > 2 and sorted(c) == sorted(word)][:1]
    return f" (did you mean '{match[0]}'?)" if match else ""


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
        if key in _TYPES and not _type_ok(value, _TYPES[key][0]):
            problems.append(Problem(file, line, key, f"must be {_TYPES[key][1]}"))
            continue
        if key == "traits" and not all(isinstance(t, str) for t in value):
            problems.append(Problem(file, line, key, "must be a list of trait names"))
        if key in ("allowed-tools", "tools", "disallowedTools", "disallowed-tools") and isinstance(
            value, list
        ):
            for i, tool in enumerate(value):
                if not isinstance(tool, str) or not tool.strip():
                    problems.append(
                        Problem(
                            file, lines.get((key, i), line), key, "tools must be non-empty strings"
                        )
                    )
    if isinstance(data.get("sections"), list):
        _check_sections(data["sections"], file, lines, problems)
    if isinstance(data.get("files"), list):
        _check_files(data["files"], file, lines, problems)
    return True


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


def check_merged(data: dict[str, Any], where: Where, problems: list[Problem]) -> None:
    """Check the merged spec: required fields and the target format's rules."""

    def add(field: str, message: str) -> None:
        file, line = where(field)
        problems.append(Problem(file, line, field, message))

    kind = data.get("kind")
    if kind is None:
        add("kind", "missing required field 'kind' (skill or agent)")
        return
    if kind not in KINDS:
        add("kind", f"kind must be 'skill' or 'agent', not {kind!r}{hint(str(kind), KINDS)}")
        return
    for field in ("name", "description"):
        if field not in data:
            add(field, f"missing required field '{field}'")
    own = SKILL_KEYS if kind == "skill" else AGENT_KEYS
    other = AGENT_KEYS if kind == "skill" else SKILL_KEYS
    for key in data:
        if key in other and key not in own:
            counterpart = _COUNTERPARTS.get(key)
            if counterpart:
                use = f"{_ARTICLE[kind]} {kind} uses '{counterpart}'"
                add(key, f"'{key}' is a field of {_OTHER[kind]}; {use}")
            else:
                add(key, f"'{key}' is not a field of {_ARTICLE[kind]} {kind}{hint(key, own)}")
    if kind == "agent" and "files" in data:
        add("files", "supporting 'files' are for skills; an agent is a single file")
    name, description = data.get("name"), data.get("description")
    if isinstance(name, str):
        _check_name(kind, name, add)
    if isinstance(description, str):
        if not description.strip():
            add("description", "description must not be empty")
        elif kind == "skill":
            if len(description) > DESCRIPTION_MAX:
                add(
                    "description",
                    f"description is {len(description)} characters; the limit is {DESCRIPTION_MAX}",
                )
            if "<" in description or ">" in description:
                add("description", "description must not contain '<' or '>'")
    front = data.get("frontmatter")
    if isinstance(front, dict):
        for key in front:
            if key in own or key in OWN_KEYS:
                add("frontmatter", f"'{key}' is a known field: set it at the top level instead")


def _check_name(kind: str, name: str, add: Callable[[str, str], None]) -> None:
    if kind == "skill":
        if not SLUG.match(name):
            add(
                "name",
                f"skill name {name!r} must be lowercase letters, digits and single hyphens "
                "(e.g. 'pdf-processing')",
            )
        if len(name) > SKILL_NAME_MAX:
            add("name", f"skill name is {len(name)} characters; the limit is {SKILL_NAME_MAX}")
        for word in ("anthropic", "claude"):
            if word in name:
                add("name", f"skill name must not contain '{word}'")
        return
    if not name.strip():
        add("name", "agent name must not be empty")
    elif name.startswith("-"):
        add("name", "agent name must not start with '-'")
    elif ":" in name:
        add("name", "agent name must not contain ':'")
    elif "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        add("name", f"agent name {name!r} must be usable as a file name (no '/', '\\', '..')")
