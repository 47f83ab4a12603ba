"""Agent Skills, the portable format (agentskills.io; FORMATS.md §2.2 "Agent Skills").

`.agents/skills/<folder>/SKILL.md`, read by Codex, Cursor, OpenCode, Amp, Antigravity, Gemini
CLI and others. Only six keys exist: name, description, license, compatibility, metadata
(string -> string), allowed-tools; an unknown key is a hard error on claude.ai and the Skills
API uploads, so every other field is dropped (and reported). The portable naming rules are
checked by `claude.py` (tagged with this target), this module adds the rest of the spec's.
"""

from __future__ import annotations

from skillforge.targets.base import Add, SkillFolders, Translation
from skillforge.targets.translate import PORTABLE_ORDER, Head, portable_skill

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DESCRIPTION_MAX = 1024  # Agent Skills specification, "description": 1-1024 characters
COMPATIBILITY_MAX = 500  # Agent Skills specification, "compatibility": 1-500 characters


class AgentSkills(SkillFolders):
    """Portable Agent Skills (skills only)."""

    name = "agents"
    title = "Agent Skills"
    out = ".agents"
    kinds = ("skill",)
    shared_order = PORTABLE_ORDER

    def keys(self, kind: str) -> tuple[str, ...]:
        return (*PORTABLE_ORDER, "when_to_use")

    def head_keys(self, kind: str) -> frozenset[str] | None:
        return frozenset(PORTABLE_ORDER)

    def translate(self, kind: str, data: dict[str, Any], models: dict[str, str]) -> Translation:
        head = Head(self.name, kind, data)
        portable_skill(head, PORTABLE_ORDER)
        return head.finish(passthrough=False)

    def check(self, kind: str, data: dict[str, Any], add: Add, building: tuple[str, ...]) -> None:
        check_portable(data, add)


def check_portable(data: dict[str, Any], add: Add) -> None:
    """The Agent Skills rules `claude.py` does not tag (agentskills.io specification)."""
    description, when = data.get("description"), data.get("when_to_use")
    if isinstance(description, str) and isinstance(when, str) and when.strip():
        # the description written is the spec's with `when_to_use` appended (translate.py)
        size = len(description.rstrip()) + 1 + len(when.strip())
        if len(description) <= DESCRIPTION_MAX < size:
            add(
                "when_to_use",
                f"description plus when_to_use is {size} characters (it is appended to the "
                f"description here); the portable limit is {DESCRIPTION_MAX}",
            )
    compatibility = data.get("compatibility")
    if compatibility is not None and not isinstance(compatibility, str):
        add("compatibility", "compatibility must be a string (Agent Skills specification)")
    elif isinstance(compatibility, str) and len(compatibility) > COMPATIBILITY_MAX:
        add(
            "compatibility",
            f"compatibility is {len(compatibility)} characters; the Agent Skills limit is "
            f"{COMPATIBILITY_MAX}",
        )
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            if not isinstance(value, str):
                add(
                    "metadata",
                    f"metadata.{key} must be a string: Agent Skills metadata maps strings to "
                    f'strings (quote it: {key}: "{value}")',
                )
