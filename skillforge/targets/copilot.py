"""GitHub Copilot (docs.github.com custom agents and prompt files; FORMATS.md §2.2 "Copilot").

Skills: `.github/skills/<folder>/SKILL.md` with name, description, license, allowed-tools,
argument-hint, user-invocable, disable-model-invocation and context (rulesync
`copilot-skill.ts`). Agents: `.github/agents/<file>.agent.md` with name, description, tools
(Claude Code's names as Copilot's aliases), model (mapped only: Copilot names models by their
display names), mcp-servers. Commands: `.github/prompts/<file>.prompt.md` with description,
argument-hint, model and tools. Copilot reads only files named `*.agent.md` and
`*.prompt.md` there (FORMATS.md §2.2, AR9C4); the paths below always are.
"""

from __future__ import annotations

from skillforge.targets.base import SkillFolders, Translation
from skillforge.targets.translate import COPILOT_TOOLS, Head, base_tool, portable_skill, tool_names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SKILL_KEYS = ("license", "allowed-tools")


class Copilot(SkillFolders):
    """GitHub Copilot's skills, custom agents and prompt files."""

    name = "copilot"
    title = "GitHub Copilot"
    out = ".github"
    kinds = ("skill", "agent", "command")
    files = {  # noqa: RUF012 (read only)
        "agent": ("agents", ".agent.md"),
        "command": ("prompts", ".prompt.md"),
    }

    def keys(self, kind: str) -> tuple[str, ...]:
        if kind == "skill":
            return ("name", "description", "when_to_use", *SKILL_KEYS, "argument-hint")
        if kind == "agent":
            return ("name", "description", "tools", "model", "mcpServers")
        return ("description", "argument-hint", "model", "allowed-tools")

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        head = Head(self.name, kind, data)
        if kind == "skill":
            portable_skill(head, SKILL_KEYS)
            for key in ("argument-hint", "user-invocable", "disable-model-invocation", "context"):
                head.keep(key)
            return head.finish(passthrough=True)
        if kind == "agent":
            head.keep("name")
        head.description()
        if kind == "command":
            head.keep("argument-hint")
        head.model(models)
        field = "tools" if kind == "agent" else "allowed-tools"
        if head.has(field):
            aliases, unknown, narrowed = copilot_tools(tool_names(data[field]))
            if aliases:
                head.set("tools", aliases, field)
                if narrowed:
                    head.translation.approximated.append(
                        f"{field}: {', '.join(narrowed)} as Copilot's tool aliases "
                        "(a permission rule's pattern has no alias)"
                    )
            head.translation.dropped.extend(f"{field}.{t}" for t in unknown)
        if kind == "agent":
            head.keep("mcpServers", "mcp-servers")
        return head.finish(passthrough=True)


def copilot_tools(tools: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(aliases, tools with no alias, tools whose rule pattern was widened to the alias)."""
    aliases: list[str] = []
    unknown: list[str] = []
    narrowed: list[str] = []
    for tool in tools:
        alias = COPILOT_TOOLS.get(base_tool(tool))
        if alias is None:
            unknown.append(tool)
            continue
        if tool != base_tool(tool):
            narrowed.append(tool)
        if alias not in aliases:
            aliases.append(alias)
    return aliases, unknown, narrowed
