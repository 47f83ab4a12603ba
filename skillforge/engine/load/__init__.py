"""Load a project: the config, the YAML specs, their merge and validation."""
