"""The command line: the entry point, the fast parser, the Typer app."""
