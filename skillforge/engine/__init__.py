"""Config, specs, rendering, publishing: no agent tool's format, no Typer, no Rich."""
