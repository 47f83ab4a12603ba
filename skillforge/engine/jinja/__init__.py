"""Jinja2 for skillforge: the sandbox, limits, template analysis and closures."""
