"""Claude Code: every piece of its format skillforge knows (DESIGN §4, FORMATS.md §2.2).

Skills go to `<out>/skills/<folder>/SKILL.md` (the folder is the command; `name` is a label),
agents to `<out>/agents/<file>.md`, commands to `<out>/commands/<file>.md`. The frontmatter
is emitted in a fixed order: name,
description, then the documented keys of the kind in their documented order, then the
pass-through `frontmatter:` keys in the order given. A format rule is tagged with the targets
whose loaders enforce it (`RULES`): an error when the build makes one of them, else a "not
portable: ..." warning; Claude Code's silent-skip rules are errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container

from skillforge.errors import Problem, hint
from skillforge.targets.base import (
    Add,
    Listing,
    Ref,
    Target,
    Translation,
    Where,
    entries,
    skill_documents,
)
from skillforge.targets.frontmatter import Quoted, dump, prune

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
# A slash command's frontmatter (CC slash-commands.md, "Frontmatter"); `name` is its file.
COMMAND_KEYS = (
    "description",
    "argument-hint",
    "allowed-tools",
    "model",
    "disable-model-invocation",
)
KEYS = {"skill": SKILL_KEYS, "agent": AGENT_KEYS, "command": COMMAND_KEYS}
# Types of Claude Code's fields whose type matters to the format.
TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "name": ((str,), "a string"),
    "description": ((str,), "a string"),
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
    "skills": ((list,), "a list of skill names"),
    "agent": ((str,), "an agent name"),
}
TOOL_KEYS = ("allowed-tools", "tools", "disallowedTools", "disallowed-tools")
# skillforge's spec key naming the tool fields written as the spec's YAML list, not joined
KEEP_LISTS = "keep-lists"

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
AGENT_NAME = re.compile(r"^[a-z0-9-]+$")
SKILL_NAME_MAX = 64
DESCRIPTION_MAX = 1024
# Claude Code cuts each entry of its skill listing at this many characters.
LISTING_ENTRY_CHARS = 1536

CLAUDE = "claude"
PORTABLE = "agents"  # Agent Skills: claude.ai, the Skills API, Codex, Cursor, ...
CODEX = "codex"  # its bundled skill validator (harbor-framework/harbor#2520) checks the same

# Format rules -> the targets whose loaders refuse a file that breaks them (FORMATS.md §2.2).
# Claude Code takes a skill's command from its folder and treats `name` as a label, and sets
# no description limit or character rule (its listing cuts entries at 1,536 characters).
RULES: dict[str, tuple[str, ...]] = {
    "skill-name-slug": (PORTABLE, CODEX),  # name: 1-64 of [a-z0-9-], no leading/trailing/--
    "skill-name-is-folder": (PORTABLE, CODEX),  # name equals the directory name
    "skill-name-reserved": (PORTABLE,),  # claude.ai / API: no 'anthropic', 'claude'
    "skill-description-length": (PORTABLE, CODEX),  # 1-1024 characters
    "skill-description-angle": (PORTABLE, CODEX),  # quick_validate: no '<' or '>'
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

_OTHER = {"skill": "an agent", "agent": "a skill"}
_ARTICLE = {"skill": "a", "agent": "an", "command": "a"}
_COUNTERPARTS = {
    "allowed-tools": "tools",
    "disallowed-tools": "disallowedTools",
    "tools": "allowed-tools",
    "disallowedTools": "disallowed-tools",
}


class ClaudeCode(Target):
    """Claude Code's skills and agents."""

    name = CLAUDE
    title = "Claude Code"
    out = ".claude"
    kinds = ("skill", "agent", "command")
    listing = Listing(LISTING_ENTRY_CHARS, "Claude Code", "when_to_use")
    types = TYPES
    tool_keys = TOOL_KEYS

    def keys(self, kind: str) -> tuple[str, ...]:
        return KEYS[kind]

    def all_keys(self) -> frozenset[str]:
        return frozenset(SKILL_KEYS + AGENT_KEYS + COMMAND_KEYS)

    def document(self, kind: str, name: str) -> str:
        if kind == "skill":
            return f"skills/{name}/SKILL.md"
        return f"agents/{name}.md" if kind == "agent" else f"commands/{name}.md"

    def files_folder(self, kind: str, name: str) -> str | None:
        return f"skills/{name}" if kind == "skill" else None

    def emit(self, kind: str, data: dict[str, Any]) -> str:
        return emit(kind, data)

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        # every key is Claude Code's own; a `[targets.claude.models]` entry still applies
        model = data.get("model")
        if isinstance(model, str) and model in models:
            data = {**data, "model": models[model]}
        return Translation(frontmatter_values(kind, data))

    def check(self, kind: str, data: dict[str, Any], add: Add, building: tuple[str, ...]) -> None:
        def rule(name: str, field: str, message: str) -> None:
            enforced_by = RULES[name]
            if any(t in enforced_by for t in building):
                add(field, message)
            elif PORTABLE in enforced_by:
                add(field, f"not portable: {message}", "warning")

        if kind == "command":
            for key in data:
                if key in self.all_keys() and key not in COMMAND_KEYS and key != "name":
                    add(key, f"'{key}' is not a field of a command{hint(key, COMMAND_KEYS)}")
            _check_enums(COMMAND_KEYS, data, add, CLAUDE in building)
            return
        own, other = self.keys(kind), self.keys("agent" if kind == "skill" else "skill")
        for key in data:
            if key in other and key not in own:
                counterpart = _COUNTERPARTS.get(key)
                if counterpart:
                    use = f"{_ARTICLE[kind]} {kind} uses '{counterpart}'"
                    add(key, f"'{key}' is a field of {_OTHER[kind]}; {use}")
                else:
                    add(key, f"'{key}' is not a field of {_ARTICLE[kind]} {kind}{hint(key, own)}")
        name, description = data.get("name"), data.get("description")
        output = data.get("folder" if kind == "skill" else "file")
        if isinstance(name, str):
            if kind == "skill":
                _check_skill_name(name, output if isinstance(output, str) else None, add, rule)
            else:
                _check_agent_name(name, output is not None, add, rule)
        if isinstance(description, str) and description.strip() and kind == "skill":
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
        _check_enums(own, data, add, CLAUDE in building)

    def same_name(self, kind: str) -> str | None:
        return "Claude Code keeps only one" if kind == "agent" else None

    def references(self, kind: str, data: dict[str, Any], where: Where) -> tuple[Ref, ...]:
        """Return the names a spec refers to: an agent's `skills:` entries, a skill's `agent:`."""
        found: list[Ref] = []
        if kind == "agent" and isinstance(data.get("skills"), list):
            file, line = where("skills")
            found.extend(("skills", s, file, line) for s in data["skills"] if isinstance(s, str))
        elif kind == "skill" and isinstance(data.get("agent"), str):
            file, line = where("agent")
            found.append(("agent", data["agent"], file, line))
        return tuple(found)

    def unknown_references(
        self, refs: list[Ref], skills: set[str], agents: set[str]
    ) -> list[Problem]:
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

    def recognise(self, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        if len(parts) >= 3 and parts[-1] == "SKILL.md" and parts[-3] == "skills":
            return "skill", parts[-2]
        if len(parts) >= 2 and parts[-2] == "agents" and parts[-1].endswith(".md"):
            return "agent", parts[-1][:-3]
        if len(parts) >= 2 and parts[-2] == "commands" and parts[-1].endswith(".md"):
            return "command", parts[-1][:-3]
        return None

    def documents(self, out: str, prefix: str, skip: Container[str]) -> list[tuple[str, str]]:
        # one `scandir` per folder and string joins: a thousand skills must cost milliseconds
        found = skill_documents(out, prefix, skip)
        for kind, folder in (("agent", "agents"), ("command", "commands")):
            for entry in entries(os.path.join(out, folder)):
                path = f"{prefix}{folder}/{entry.name}"
                if path not in skip and entry.name.endswith(".md") and entry.is_file():
                    found.append((path, kind))
        return found


def tools_value(value: Any, separator: str, as_list: bool = False) -> Any:
    """A tools list as the format writes it: `separator`-joined (a skill's list when an entry
    holds a space, e.g. `Bash(git log:*)`); a block-style list when `as_list` (the spec's
    `keep-lists` names the field: an imported file wrote it as a list)."""
    if isinstance(value, str):
        return value
    if as_list or (separator == " " and any(" " in t for t in value)):
        return list(value)
    return separator.join(value)


def keeps_list(data: dict[str, Any], key: str) -> bool:
    """Whether the spec's `keep-lists` names `key`: its list is written as a list."""
    kept = data.get(KEEP_LISTS)
    return isinstance(kept, list) and key in kept


def frontmatter_values(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return the frontmatter mapping of a merged spec, in emission order."""
    keys = KEYS[kind]
    out: dict[str, Any] = {}
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if key == "description":
            # one double-quoted line; newlines survive as \n escapes (agents' <example> blocks),
            # the final one of a `|` block too: the value is written exactly as the spec has it
            value = Quoted(str(value))
        elif key in ("allowed-tools", "disallowed-tools") and kind == "skill":
            value = tools_value(value, " ", keeps_list(data, key))
        elif (key == "allowed-tools" and kind == "command") or (
            key in ("tools", "disallowedTools") and kind == "agent"
        ):
            value = tools_value(value, ", ", keeps_list(data, key))
        out[key] = value
    for key, value in (data.get("frontmatter") or {}).items():
        out[key] = value
    return prune(out)


def emit(kind: str, data: dict[str, Any]) -> str:
    """Return the YAML text between the `---` lines, ending with a newline."""
    return dump(frontmatter_values(kind, data))


def _check_enums(own: tuple[str, ...], data: dict[str, Any], add: Add, models: bool) -> None:
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
    if models and isinstance(model, str) and not _model_ok(model):
        add(
            "model",
            f"model '{model}' is not a Claude model{hint(model, MODEL_ALIASES)}; use "
            f"{', '.join(MODEL_ALIASES)} or a full model ID such as 'claude-sonnet-4-5'",
        )


def _model_ok(model: str) -> bool:
    base = model.removesuffix("[1m]")
    return base in MODEL_ALIASES or "claude" in model.lower()


def _check_skill_name(
    name: str, folder: str | None, add: Add, rule: Callable[[str, str, str], None]
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
    name: str, has_file: bool, add: Add, rule: Callable[[str, str, str], None]
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
