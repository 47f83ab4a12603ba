"""What the non-Claude targets share: a spec's fields turned into another tool's keys.

A spec's fields are Claude Code's (DESIGN §3). Each other tool keeps the ones it documents,
translates the ones it expresses differently and drops the rest; `Head` collects the three so
that nothing is lost silently (DESIGN §4 "Translation, never silent loss"). The facts come
from FORMATS.md §2.2 and the mapping table of §2.4.
"""

from __future__ import annotations

from skillforge.targets.base import Translation
from skillforge.targets.claude import AGENT_KEYS, COMMAND_KEYS, SKILL_KEYS, keeps_list, tools_value
from skillforge.targets.frontmatter import Quoted, prune

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SPEC_FIELDS = {"skill": SKILL_KEYS, "agent": AGENT_KEYS, "command": COMMAND_KEYS}
# The portable order of a skill's head (Agent Skills; DESIGN §4 "Shared paths").
PORTABLE_ORDER = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")

# Claude Code tool names -> GitHub Copilot's tool aliases (docs.github.com custom agents,
# "Tool aliases": read, search, edit, execute, web, todo, agent; ruler's Copilot map).
COPILOT_TOOLS = {
    "Read": "read",
    "NotebookRead": "read",
    "Grep": "search",
    "Glob": "search",
    "LS": "search",
    "Edit": "edit",
    "MultiEdit": "edit",
    "Write": "edit",
    "NotebookEdit": "edit",
    "Bash": "execute",
    "WebFetch": "web",
    "WebSearch": "web",
    "TodoWrite": "todo",
    "Task": "agent",
    "Agent": "agent",
}
# Claude Code tool names -> OpenCode's built-in tools (opencode.ai/docs/tools, via rulesync
# `opencode-subagent.ts`): the `tools` map of an agent names these.
OPENCODE_TOOLS = {
    "Read": "read",
    "Grep": "grep",
    "Glob": "glob",
    "LS": "list",
    "Edit": "edit",
    "MultiEdit": "edit",
    "Write": "write",
    "Bash": "bash",
    "WebFetch": "webfetch",
    "TodoWrite": "todowrite",
    "TodoRead": "todoread",
}
# Claude Code tools that only read: an agent limited to them is read-only (FORMATS.md §2.4,
# "tools: ≈ sandbox_mode=read-only if all tools are read-only").
READ_ONLY_TOOLS = frozenset(("Read", "Grep", "Glob", "LS", "NotebookRead", "WebFetch", "WebSearch"))


def tool_names(value: Any) -> list[str]:
    """Return a tools field as a list of names (a string is split at commas or spaces)."""
    if isinstance(value, str):
        sep = "," if "," in value else " "
        return [t.strip() for t in value.split(sep) if t.strip()]
    return [str(t) for t in value or ()]


def base_tool(name: str) -> str:
    """`Bash(git log:*)` -> `Bash`: the tool a permission rule is about."""
    return name.split("(", 1)[0].strip()


class Head:
    """The head of one output being translated: what it keeps, and what did not carry over."""

    def __init__(self, target: str, kind: str, data: dict[str, Any]) -> None:
        self.target = target
        self.kind = kind
        self.data = data
        self.values: dict[str, Any] = {}
        self.used: set[str] = set()
        self.translation = Translation(self.values)

    def has(self, field: str) -> bool:
        return self.data.get(field) is not None

    def keep(self, field: str, key: str | None = None) -> None:
        """Copy `field` under `key` (the same name by default) when the spec sets it."""
        value = self.data.get(field)
        if value is not None:
            self.values[key or field] = value
            self.used.add(field)

    def set(self, key: str, value: Any, *fields: str, how: str = "") -> None:
        """Set `key` from the spec's `fields`; `how` notes an approximate translation."""
        self.values[key] = value
        self.used.update(fields)
        if how:
            self.translation.approximated.append(how)

    def description(self, append_when: bool = True) -> None:
        """The description; `when_to_use` appended where the tool has no such key."""
        text = str(self.data.get("description", ""))  # exactly: a final newline stays
        when = self.data.get("when_to_use") if self.kind == "skill" else None
        if append_when and isinstance(when, str) and when.strip():
            text = f"{text.rstrip()} {when.strip()}"
            self.used.add("when_to_use")
            self.translation.approximated.append("when_to_use: appended to the description")
        self.values["description"] = Quoted(text)
        self.used.add("description")

    def model(self, models: dict[str, str], native: tuple[str, ...] = ()) -> str | None:
        """Map the spec's model through `[targets.<name>.models]`; drop it when no entry does.

        `native` are values the tool itself understands (Cursor's `inherit`, `fast`).
        """
        model = self.data.get("model")
        if not isinstance(model, str):
            return None
        self.used.add("model")
        if model in models:
            self.values["model"] = models[model]
            return models[model]
        if model in native or "model" in self.data.get("_target_fields", ()):
            # the tool's own value, or one given in the spec's `targets.<name>` for it
            self.values["model"] = model
            return model
        self.used.discard("model")
        self.translation.warnings.append(
            f"model '{model}' has no mapping for target '{self.target}' and is left out; "
            f'add [targets.{self.target}.models] {_toml_key(model)} = "<a {self.target} model>"'
        )
        return None

    def finish(self, passthrough: bool) -> Translation:
        """Return the translation; every spec field not used is reported as dropped."""
        dropped = self.translation.dropped
        data, used = self.data, self.used
        dropped += [f for f in SPEC_FIELDS[self.kind] if f in data and f not in used]
        extra = self.data.get("frontmatter") or {}
        if passthrough:
            for key, value in extra.items():
                self.values.setdefault(key, value)
        else:
            dropped.extend(f"frontmatter.{k}" for k in extra)
        self.values = self.translation.values = prune(self.values)
        return self.translation


def _toml_key(key: str) -> str:
    plain = key and all(c.isalnum() or c in "-_" for c in key)
    return key if plain else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def portable_skill(head: Head, keys: tuple[str, ...]) -> None:
    """A SKILL.md head of the Agent Skills keys in `keys` (name, description, ...)."""
    head.keep("name")
    head.description()
    for key in keys:
        if key == "allowed-tools" and head.has(key):
            head.set(key, tools_value(head.data[key], " ", keeps_list(head.data, key)), key)
        elif key not in ("name", "description"):
            head.keep(key)
