"""Validation rules for specs (DESIGN §3): known keys, types and the target formats' rules.

Each check appends `Problem`s; nothing raises, so that every problem of a spec is reported
at once. A format rule is tagged with the targets whose loaders enforce it (`_RULES`): it is
an error for a build that makes one of those targets, and a "not portable: ..." warning for
a build that makes only others (DESIGN §4 "Rules per target").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from skillforge.errors import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from skillforge.engine.workers import Batch
    from skillforge.state.manifest import Manifest
    from skillforge.state.plan import Plan

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
    "render",
)
ALL_KEYS = frozenset(SKILL_KEYS + AGENT_KEYS + OWN_KEYS)
SECTION_KEYS = ("id", "title", "body", "template", "with", "render", "before", "after")
FILE_KEYS = ("src", "dest", "render")
KINDS = ("skill", "agent")

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
AGENT_NAME = re.compile(r"^[a-z0-9-]+$")
SKILL_NAME_MAX = 64
OUTPUT_NAME_MAX = 64
DESCRIPTION_MAX = 1024

# Targets. Only `claude` is built today; the targets work makes `TARGETS` a config value.
CLAUDE = "claude"
PORTABLE = "agents"  # Agent Skills: claude.ai, the Skills API, Codex, Cursor, ...
TARGETS = (CLAUDE,)

# Format rules -> the targets whose loaders refuse a file that breaks them (FORMATS.md §2.2).
# Claude Code takes a skill's command from its folder and treats `name` as a label, and sets
# no description limit or character rule (its listing cuts entries at 1,536 characters).
_RULES: dict[str, tuple[str, ...]] = {
    "skill-name-slug": (PORTABLE,),  # name: 1-64 of [a-z0-9-], no leading/trailing/double -
    "skill-name-is-folder": (PORTABLE,),  # name equals the directory name
    "skill-name-reserved": (PORTABLE,),  # claude.ai / API: no 'anthropic', 'claude'
    "skill-description-length": (PORTABLE,),  # 1-1024 characters
    "skill-description-angle": (PORTABLE,),  # quick_validate: no '<' or '>'
    # Claude Code skips an agent whose name starts with '-' or holds ':' (sub-agents.md,
    # "Subagent files Claude Code skips"); lowercase letters, digits and '-' are documented.
    "agent-name": (CLAUDE,),
}

# Enumerated values of Claude Code's fields (CC sub-agents.md and skills.md, read in the
# mirror of 2026-08-22 and a 2026-10-04 summary; FORMATS.md §2.2.4). `shell` is documented
# for skills' `!command` blocks only as bash or powershell.
ENUMS: dict[str, tuple[str, ...]] = {
    "permissionMode": (
        "default",
        "manual",
        "acceptEdits",
        "auto",
        "dontAsk",
        "bypassPermissions",
        "plan",
    ),
    "effort": ("low", "medium", "high", "xhigh", "max"),
    "color": ("red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan"),
    "context": ("fork",),
    "isolation": ("worktree",),
    "memory": ("user", "project", "local"),
    "shell": ("bash", "powershell"),
}
# `model`: an alias, an alias with the 1M-context suffix, or a full model ID (which names
# Claude: `claude-sonnet-4-5`, Bedrock's `us.anthropic.claude-...`, Vertex's `claude-...@...`).
MODEL_ALIASES = ("sonnet", "opus", "haiku", "fable", "inherit", "opusplan")
# Agents Claude Code ships (a skill's `agent:` may name one); reference check only.
BUILTIN_AGENTS = ("general-purpose", "Explore", "Plan", "Bash", "statusline-setup")

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
    "render": ((bool,), "true or false"),
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
    "folder": ((str,), "a folder name"),
    "file": ((str,), "a file name"),
    "skills": ((list,), "a list of skill names"),
    "agent": ((str,), "an agent name"),
}
_OUTPUT_KEY = {"skill": "folder", "agent": "file"}

_OTHER = {"skill": "an agent", "agent": "a skill"}
_ARTICLE = {"skill": "a", "agent": "an"}
_COUNTERPARTS = {
    "allowed-tools": "tools",
    "disallowed-tools": "disallowedTools",
    "tools": "allowed-tools",
    "disallowedTools": "disallowed-tools",
}

Where = Callable[[str], tuple[str, int | None]]


def hint(word: str, choices: list[str] | tuple[str, ...] | frozenset[str] | set[str]) -> str:
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
    """The folder (skill) or file stem (agent) of a merged spec's document: `folder:`/`file:`,
    else `name`."""
    value = data.get(_OUTPUT_KEY.get(kind, ""))
    return value if isinstance(value, str) else str(data.get("name", ""))


def check_merged(
    data: dict[str, Any],
    where: Where,
    problems: list[Problem],
    targets: tuple[str, ...] = TARGETS,
) -> None:
    """Check the merged spec: required fields and the rules of the targets it is built for."""

    def add(field: str, message: str, severity: str = "error") -> None:
        file, line = where(field)
        problems.append(Problem(file, line, field, message, severity))

    def rule(name: str, field: str, message: str) -> None:
        enforced_by = _RULES[name]
        if any(t in enforced_by for t in targets):
            add(field, message)
        elif PORTABLE in enforced_by:
            add(field, f"not portable: {message}", "warning")

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
    wrong = _OUTPUT_KEY["agent" if kind == "skill" else "skill"]
    if wrong in data:
        add(
            wrong,
            f"'{wrong}' names {_OTHER[kind]}'s output; {_ARTICLE[kind]} {kind} uses "
            f"'{_OUTPUT_KEY[kind]}'",
        )
    if kind == "agent" and "files" in data:
        add("files", "supporting 'files' are for skills; an agent is a single file")
    name, description = data.get("name"), data.get("description")
    output = data.get(_OUTPUT_KEY[kind])
    if isinstance(output, str):
        _check_output_name(kind, output, add)
    if isinstance(name, str):
        if kind == "skill":
            _check_skill_name(name, output if isinstance(output, str) else None, add, rule)
        else:
            _check_agent_name(name, output is not None, add, rule)
    if isinstance(description, str):
        if not description.strip():
            add("description", "description must not be empty")
        elif kind == "skill":
            if len(description) > DESCRIPTION_MAX:
                rule(
                    "skill-description-length",
                    "description",
                    f"description is {len(description)} characters; the portable limit is "
                    f"{DESCRIPTION_MAX}",
                )
            if "<" in description or ">" in description:
                rule(
                    "skill-description-angle",
                    "description",
                    "description contains '<' or '>', which portable validators refuse",
                )
    _check_enums(kind, data, add)
    front = data.get("frontmatter")
    if isinstance(front, dict):
        for key in front:
            if key in own or key in OWN_KEYS:
                add("frontmatter", f"'{key}' is a known field: set it at the top level instead")


Ref = tuple[str, str, str, int | None]  # (field, the name it wants, file, line)


def references(kind: str, data: dict[str, Any], where: Where) -> tuple[Ref, ...]:
    """The names a spec refers to: an agent's `skills:` entries, a skill's `agent:`."""
    found: list[Ref] = []
    if kind == "agent" and isinstance(data.get("skills"), list):
        file, line = where("skills")
        found.extend(("skills", s, file, line) for s in data["skills"] if isinstance(s, str))
    elif kind == "skill" and isinstance(data.get("agent"), str):
        file, line = where("agent")
        found.append(("agent", data["agent"], file, line))
    return tuple(found)


def unknown_references(refs: list[Ref], skills: set[str], agents: set[str]) -> list[Problem]:
    """Warnings for references to names no spec of the project (nor a built-in) provides."""
    problems: list[Problem] = []
    for field, name, file, line in refs:
        known = skills if field == "skills" else agents | set(BUILTIN_AGENTS)
        if name in known:
            continue
        what = "skill" if field == "skills" else "agent"
        problems.append(
            Problem(
                file,
                line,
                field,
                f"no {what} named '{name}' is built by this project{hint(name, known)}; "
                "fine if a plugin or your user folder provides it",
                "warning",
            )
        )
    return problems


def _check_enums(kind: str, data: dict[str, Any], add: Callable[..., None]) -> None:
    own = SKILL_KEYS if kind == "skill" else AGENT_KEYS
    for key, allowed in ENUMS.items():
        if key not in data or key not in own:
            continue
        value = data[key]
        if not isinstance(value, str) or value not in allowed:
            shown = value if isinstance(value, str) else repr(value)
            add(
                key,
                f"must be one of {', '.join(allowed)}, not '{shown}'{hint(str(value), allowed)}",
            )
    model = data.get("model")
    if isinstance(model, str) and not _model_ok(model):
        add(
            "model",
            f"model '{model}' is not a Claude model{hint(model, MODEL_ALIASES)}; use "
            f"{', '.join(MODEL_ALIASES)} or a full model ID such as 'claude-sonnet-4-5'",
        )


def _model_ok(model: str) -> bool:
    base = model.removesuffix("[1m]")
    return base in MODEL_ALIASES or "claude" in model.lower()


def _check_output_name(kind: str, value: str, add: Callable[..., None]) -> None:
    key = _OUTPUT_KEY[kind]
    if not SLUG.match(value):
        add(
            key,
            f"{key} {value!r} must be lowercase letters, digits and single hyphens "
            "(e.g. 'pdf-processing')",
        )
    elif len(value) > OUTPUT_NAME_MAX:
        add(key, f"{key} is {len(value)} characters; the limit is {OUTPUT_NAME_MAX}")


def _check_skill_name(
    name: str, folder: str | None, add: Callable[..., None], rule: Callable[[str, str, str], None]
) -> None:
    if folder is None:  # the name is the folder, so it must be a folder name
        if not SLUG.match(name):
            add(
                "name",
                f"skill name {name!r} names the skill's folder and must be lowercase letters, "
                "digits and single hyphens (e.g. 'pdf-processing'); to keep it as a label, "
                "set 'folder:' to the folder name",
            )
        elif len(name) > SKILL_NAME_MAX:
            add("name", f"skill name is {len(name)} characters; the limit is {SKILL_NAME_MAX}")
    elif not SLUG.match(name) or len(name) > SKILL_NAME_MAX:
        rule(
            "skill-name-slug",
            "name",
            f"skill name {name!r} is a label; portable loaders want the folder name ('{folder}')",
        )
    elif name != folder:
        rule(
            "skill-name-is-folder",
            "name",
            f"skill name '{name}' differs from its folder '{folder}'",
        )
    for word in ("anthropic", "claude"):
        if word in name.lower():
            rule(
                "skill-name-reserved",
                "name",
                f"skill name contains '{word}', which claude.ai and the Skills API refuse",
            )


def _check_agent_name(
    name: str, has_file: bool, add: Callable[..., None], rule: Callable[[str, str, str], None]
) -> None:
    if not name.strip():
        add("name", "agent name must not be empty")
    elif name.startswith("-"):
        rule("agent-name", "name", "agent name must not start with '-' (Claude Code skips it)")
    elif ":" in name:
        rule("agent-name", "name", "agent name must not contain ':' (Claude Code skips it)")
    elif not has_file and ("/" in name or "\\" in name or name in (".", "..") or "\x00" in name):
        add("name", f"agent name {name!r} must be usable as a file name (no '/', '\\', '..')")
    elif not AGENT_NAME.match(name):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "reviewer"
        rule(
            "agent-name",
            "name",
            f"agent name {name!r} must be lowercase letters, digits and hyphens, or Claude "
            f"Code skips the file (e.g. '{suggestion}')",
        )


def check_across_specs(previous: Manifest | None, plan: Plan, batch: Batch) -> list[Problem]:
    """Rules between specs, once a batch is rendered; return the warnings.

    Two specs that produce the same output, or two agents with the same name (Claude Code
    keeps one agent per name), both fail, each naming the other (DESIGN §3): neither is
    written. A spec the plan took as unchanged is judged by the outputs the manifest records
    for it, and fails with the new one. References to names no spec builds are warnings.
    """
    users: dict[str, list[str]] = {}  # an output path, or "agent name 'x'" -> its specs
    skills: set[str] = set()
    agents: set[str] = set()
    for spec_id, record in previous.specs.items() if previous else ():
        if spec_id in plan.orphan_specs:
            continue
        for path in record.outputs:
            _known_from_path(path, skills, agents)
            if spec_id not in plan.dirty and spec_id not in batch.results:
                users.setdefault(path, []).append(spec_id)
    refs: list[Ref] = []
    for spec_id in sorted(batch.results):
        rendered = batch.results[spec_id]
        refs.extend(rendered.refs)
        for out in rendered.outputs:
            users.setdefault(out.path, []).append(spec_id)
            _known_from_path(out.path, skills, agents)
        if rendered.cost is not None:
            (skills if rendered.cost.kind == "skill" else agents).add(rendered.cost.name)
            if rendered.cost.kind == "agent":
                users.setdefault(f"agent name '{rendered.cost.name}'", []).append(spec_id)
    for what, specs in users.items():
        if len(specs) < 2:
            continue
        for spec_id in specs:
            others = ", ".join(s for s in specs if s != spec_id)
            found = batch.results.get(spec_id)
            file, line = found.name_origin if found else (spec_id, None)
            if what.startswith("agent name"):
                message = f"{what} is also used by {others}; Claude Code keeps only one: rename one"
            else:
                message = f"{what} is also produced by {others}; give one of them another name"
            batch.failed.setdefault(spec_id, []).append(
                Problem(file or spec_id, line, "name", message)
            )
    for spec_id in batch.failed:
        batch.results.pop(spec_id, None)
    return unknown_references(refs, skills, agents)


def _known_from_path(path: str, skills: set[str], agents: set[str]) -> None:
    parts = path.split("/")
    if len(parts) >= 3 and parts[-1] == "SKILL.md" and parts[-3] == "skills":
        skills.add(parts[-2])
    elif len(parts) >= 2 and parts[-2] == "agents" and parts[-1].endswith(".md"):
        agents.add(parts[-1][:-3])
