"""skillforge: build Claude Code skills and subagents from YAML specs."""

__version__ = "0.2.0"
