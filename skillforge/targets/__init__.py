"""One module per output format (DESIGN §4); `TARGETS` registers each by its config name.

A new target is a module beside `claude.py` with a `Target` subclass, and one entry here.
The order is the config's documentation order and the order outputs are listed in.
"""

from __future__ import annotations

from skillforge.errors import ConfigError, hint
from skillforge.targets.agents import AgentSkills
from skillforge.targets.base import Listing, Target
from skillforge.targets.claude import ClaudeCode
from skillforge.targets.codex import Codex
from skillforge.targets.copilot import Copilot
from skillforge.targets.cursor import Cursor
from skillforge.targets.opencode import OpenCode

TARGETS: dict[str, Target] = {
    target.name: target
    for target in (ClaudeCode(), AgentSkills(), Codex(), Cursor(), Copilot(), OpenCode())
}
# What `targets` is when the config does not say (DESIGN §4).
DEFAULT = ("claude",)


def get_target(name: str) -> Target:
    """Return the registered target called `name`; ConfigError naming the known ones."""
    try:
        return TARGETS[name]
    except KeyError:
        known = ", ".join(TARGETS)
        raise ConfigError(
            f"unknown target '{name}'{hint(name, list(TARGETS))}; known: {known}"
        ) from None


def listing(name: str = DEFAULT[0]) -> Listing:
    """Return how target `name` lists skills in every session (its listing budget)."""
    found = get_target(name).listing
    if found is None:
        raise ValueError(f"target '{name}' has no skill listing")
    return found
