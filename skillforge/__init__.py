"""skillforge: build Claude Code skills and subagents from YAML specs."""

__version__ = "0.1.0"
