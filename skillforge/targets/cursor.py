"""Cursor (cursor.com/docs skills and subagents, via FORMATS.md §2.2 "Cursor" and §2.4).

Skills: `.cursor/skills/<folder>/SKILL.md` with name, description, license, compatibility,
metadata, `disable-model-invocation` and `paths` (ai-rulez docs/skills.md); `allowed-tools`
is dropped (§2.4: Cursor does not document it; §2.2.1 says otherwise: the conservative choice
is to leave it out and say so). `user-invocable` is dropped: the sources conflict.
Agents: `.cursor/agents/<file>.md` with name, description, model (`inherit`, `fast` or an
id), `readonly` (permissionMode plan) and `is_background` (background).
"""

from __future__ import annotations

from skillforge.targets.base import SkillFolders, Translation
from skillforge.targets.translate import Head, portable_skill

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SKILL_KEYS = ("license", "compatibility", "metadata")
MODELS = ("inherit", "fast")  # Cursor's own model values (cursor.com/docs/subagents)


class Cursor(SkillFolders):
    """Cursor's skills and subagents."""

    name = "cursor"
    title = "Cursor"
    out = ".cursor"
    kinds = ("skill", "agent")
    files = {"agent": ("agents", ".md")}  # noqa: RUF012 (read only)

    def keys(self, kind: str) -> tuple[str, ...]:
        if kind == "skill":
            return ("name", "description", "when_to_use", *SKILL_KEYS, "paths")
        return ("name", "description", "model", "permissionMode", "background")

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        head = Head(self.name, kind, data)
        if kind == "skill":
            portable_skill(head, SKILL_KEYS)
            head.keep("disable-model-invocation")
            head.keep("paths")
            return head.finish(passthrough=True)
        head.keep("name")
        head.description()
        head.model(models, MODELS)
        if data.get("permissionMode") == "plan":
            head.set(
                "readonly", True, "permissionMode", how="permissionMode: plan as readonly: true"
            )
        if isinstance(data.get("background"), bool):
            head.set("is_background", data["background"], "background")
        return head.finish(passthrough=True)
