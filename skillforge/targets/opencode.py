"""OpenCode (opencode.ai/docs agents, skills and commands; FORMATS.md §2.2 "OpenCode").

Skills: `.opencode/skills/<folder>/SKILL.md`; its parser reads name, description, license,
compatibility and metadata (rulesync#1787). Agents: `.opencode/agents/<file>.md` (the file
name is the agent's name) with description, `mode: subagent`, model (`provider/id`, mapped
only), a `tools` map, `permission` and color. Commands: `.opencode/commands/<file>.md` with
description and model.
"""

from __future__ import annotations

from skillforge.targets.base import SkillFolders, Translation
from skillforge.targets.translate import OPENCODE_TOOLS, Head, base_tool, portable_skill, tool_names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SKILL_KEYS = ("license", "compatibility", "metadata")
MODES = ("subagent", "primary", "all")  # an agent's `mode` (opencode.ai/docs/agents)


class OpenCode(SkillFolders):
    """OpenCode's skills, agents and commands."""

    name = "opencode"
    title = "OpenCode"
    out = ".opencode"
    kinds = ("skill", "agent", "command")
    files = {  # noqa: RUF012 (read only)
        "agent": ("agents", ".md"),
        "command": ("commands", ".md"),
    }

    def keys(self, kind: str) -> tuple[str, ...]:
        if kind == "skill":
            return ("name", "description", "when_to_use", *SKILL_KEYS)
        if kind == "agent":
            return ("description", "model", "tools", "disallowedTools", "permissionMode", "color")
        return ("description", "model")

    def recognise(self, path: str) -> tuple[str, str] | None:
        parts = path.split("/")
        if len(parts) >= 3 and parts[-1] == "SKILL.md" and parts[-3] == "skills":
            return "skill", parts[-2]
        if len(parts) >= 2 and parts[-1].endswith(".md"):
            kind = {"agents": "agent", "commands": "command"}.get(parts[-2])
            return (kind, parts[-1][:-3]) if kind else None
        return None

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        head = Head(self.name, kind, data)
        if kind == "skill":
            portable_skill(head, SKILL_KEYS)
            return head.finish(passthrough=True)
        head.description()
        if kind == "agent":
            head.used.add("name")  # the file name is the agent's name
            # a subagent, unless the spec's `frontmatter:` gives OpenCode's mode (import does)
            mode = (data.get("frontmatter") or {}).get("mode")
            head.set("mode", mode if mode in MODES else "subagent")
            if mode is not None and mode not in MODES:
                head.translation.errors.append(
                    ("frontmatter.mode", f"OpenCode's mode is one of {', '.join(MODES)}")
                )
        model = head.model(models)
        problem = model_problem(model) if model else None
        if problem:
            head.translation.errors.append(("model", f"{problem}; fix [targets.opencode.models]"))
        if kind == "agent":
            self._tools(head, data)
            if data.get("permissionMode") == "plan":
                head.set(
                    "permission",
                    {"edit": "deny", "bash": "deny"},
                    "permissionMode",
                    how="permissionMode: plan as permission edit and bash deny",
                )
            head.keep("color")
        return head.finish(passthrough=True)

    @staticmethod
    def _tools(head: Head, data: dict[str, Any]) -> None:
        tools: dict[str, bool] = {}
        for field, allowed in (("tools", True), ("disallowedTools", False)):
            if not head.has(field):
                continue
            head.used.add(field)
            for tool in tool_names(data[field]):
                name = OPENCODE_TOOLS.get(base_tool(tool))
                if name is None:
                    head.translation.dropped.append(f"{field}.{tool}")
                else:
                    tools[name] = allowed
        if tools:
            head.set("tools", tools)


def model_problem(model: str) -> str | None:
    """OpenCode names a model `provider/id` (opencode.ai/docs/models); None when it does."""
    if "/" in model.strip("/"):
        return None
    return (
        f"model '{model}' must be 'provider/id' for OpenCode (e.g. 'anthropic/claude-sonnet-4-5')"
    )
