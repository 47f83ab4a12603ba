"""OpenAI Codex (developers.openai.com/codex/skills and /subagents; FORMATS.md §2.2 "Codex").

Skills: `.agents/skills/<folder>/SKILL.md`, the path the portable `agents` target writes too
(DESIGN §4 "Shared paths"), with the keys Codex's bundled validator allows: name,
description, license, allowed-tools, metadata (harbor-framework/harbor#2520); anything else
makes it refuse the skill. `disable-model-invocation` becomes the sidecar
`agents/openai.yaml` `policy.allow_implicit_invocation: false` (SchemaStore
`codex-skill-metadata.json`). Agents: `.codex/agents/<file>.toml` with name, description,
developer_instructions (the body), model, model_reasoning_effort, sandbox_mode; the marker is
a TOML comment on the first line.
"""

from __future__ import annotations

import re

from skillforge.targets.agents import check_portable
from skillforge.targets.base import Add, Listing, SkillFolders, Translation
from skillforge.targets.translate import (
    PORTABLE_ORDER,
    READ_ONLY_TOOLS,
    Head,
    base_tool,
    portable_skill,
    tool_names,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SKILL_KEYS = ("name", "description", "license", "allowed-tools", "metadata")
AGENT_KEYS = ("name", "description", "model", "model_reasoning_effort", "sandbox_mode")
# model_reasoning_effort values (Codex config reference: none|minimal|low|medium|high|xhigh);
# Claude Code's `max` has no equal and becomes the highest, `xhigh`.
EFFORT = {"low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh", "max": "xhigh"}
SIDE_CAR = "agents/openai.yaml"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Codex(SkillFolders):
    """OpenAI Codex: portable skills and TOML custom agents."""

    name = "codex"
    title = "Codex"
    out = ".codex"  # its agents; its skills are in the Agent Skills folder (`agents`' out)
    kind_out = {"skill": "agents"}  # noqa: RUF012 (read only)
    kinds = ("skill", "agent")
    files = {"agent": ("agents", ".toml")}  # noqa: RUF012 (read only)
    shared_order = PORTABLE_ORDER
    # Codex lists skills in about 2% of the context window, or 8,000 characters when the
    # window is unknown; descriptions are shortened first (developers.openai.com/codex/skills)
    listing = Listing(0, "Codex", "when_to_use", fraction=0.02, unknown_chars=8000)

    def keys(self, kind: str) -> tuple[str, ...]:
        if kind == "skill":
            return (*SKILL_KEYS, "when_to_use", "disable-model-invocation")
        return ("name", "description", "model", "effort", "permissionMode", "tools")

    def head_keys(self, kind: str) -> frozenset[str] | None:
        return frozenset(SKILL_KEYS if kind == "skill" else AGENT_KEYS)

    def is_toml(self, kind: str) -> bool:
        return kind == "agent"

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        head = Head(self.name, kind, data)
        if kind == "skill":
            portable_skill(head, tuple(k for k in PORTABLE_ORDER if k in SKILL_KEYS))
            if data.get("disable-model-invocation") is True:
                head.used.add("disable-model-invocation")
                head.translation.sidecars[SIDE_CAR] = (
                    "policy:\n  allow_implicit_invocation: false\n"
                )
                head.translation.approximated.append(
                    f"disable-model-invocation: {SIDE_CAR} policy.allow_implicit_invocation"
                )
            return head.finish(passthrough=False)
        head.keep("name")
        head.set("description", str(data.get("description", "")), "description")
        head.model(models)
        effort = data.get("effort")
        if isinstance(effort, str) and effort in EFFORT:
            how = "effort: max as model_reasoning_effort xhigh" if effort == "max" else ""
            head.set("model_reasoning_effort", EFFORT[effort], "effort", how=how)
        mode = data.get("permissionMode")
        tools = tool_names(data.get("tools")) if head.has("tools") else None
        if mode == "plan":
            head.set(
                "sandbox_mode",
                "read-only",
                "permissionMode",
                how="permissionMode: plan as sandbox_mode read-only",
            )
        elif mode is None and tools and all(base_tool(t) in READ_ONLY_TOOLS for t in tools):
            head.set(
                "sandbox_mode",
                "read-only",
                "tools",
                how="tools: only read-only tools, as sandbox_mode read-only",
            )
        own = own_frontmatter(data, self.name)
        for key, value in own.items():
            if key == "developer_instructions" or toml_value(value) is None:
                why = "it is the body" if key == "developer_instructions" else unwritable(value)
                head.translation.errors.append((f"targets.codex.frontmatter.{key}", why))
            else:
                head.values.setdefault(key, value)
        translation = head.finish(passthrough=False)
        # the keys of `targets: {codex: {frontmatter: ...}}` are Codex's own: written, not dropped
        translation.dropped[:] = [
            d for d in translation.dropped if d.removeprefix("frontmatter.") not in own
        ]
        return translation

    def check(self, kind: str, data: dict[str, Any], add: Add, building: tuple[str, ...]) -> None:
        if kind == "skill":
            check_portable(data, add)

    def toml_document(self, values: dict[str, Any], body: str) -> str:
        lines = [f"{toml_key(key)} = {toml_value(value)}" for key, value in values.items()]
        lines.append(f"developer_instructions = {toml_string(body, multiline=True)}")
        return "\n".join(lines) + "\n"

    def mark(self, document: bytes, spec: str) -> bytes:
        if document.startswith(b"---"):
            return super().mark(document, spec)
        from skillforge.state.marker import add_comment_marker

        return add_comment_marker(document, spec)


def toml_string(text: str, multiline: bool = False) -> str:
    """A TOML string of `text` that `tomllib` reads back exactly (TOML 1.0, "String")."""
    if multiline and "'''" not in text and not _CONTROL.search(text) and "\r" not in text:
        return "'''\n" + text + "'''"  # a literal string: no escapes at all
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("\r", "\\r")
    )
    escaped = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def own_frontmatter(data: dict[str, Any], target: str) -> dict[str, Any]:
    """The keys a spec gives under `targets: {<target>: {frontmatter: ...}}`: that tool's own."""
    entry = (data.get("targets") or {}).get(target)
    front = entry.get("frontmatter") if isinstance(entry, dict) else None
    return front if isinstance(front, dict) else {}


def toml_value(value: Any) -> str | None:
    """The TOML text of a string, boolean, number or list of them (None: not one of those);
    `tomllib` reads it back equal."""
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list):
        items = [toml_value(v) for v in value]
        if any(i is None or isinstance(v, list) for i, v in zip(items, value, strict=True)):
            return None
        return "[" + ", ".join(i for i in items if i is not None) + "]"
    return None


def toml_key(key: str) -> str:
    """A TOML key: bare when it can be, else a basic string."""
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else toml_string(key)


def unwritable(value: Any) -> str:
    """Why `value` is not one `toml_value` writes."""
    what = "a table" if isinstance(value, dict) else f"a {type(value).__name__}"
    if isinstance(value, list):
        what = "a list holding tables or lists"
    return (
        f"is {what}: skillforge writes Codex's keys as strings, numbers, booleans and lists of them"
    )
