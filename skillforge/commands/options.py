"""What the user asked `watch`, `stats`, `clean` and `init` to do (`build` and `check`: engine).

Light (cli/flags.py reads the defaults here on the no-op path): standard library only, plain
classes.
"""

from __future__ import annotations

from skillforge.engine.options import BuildOptions, Options

STATS_FORMATS = ("text", "json", "prometheus")


class WatchOptions(BuildOptions):
    """What the user asked `watch` to do: a build's options, and the pause before a rebuild."""

    def __init__(self, *, debounce: int = 20) -> None:
        super().__init__()
        self.debounce = debounce


class StatsOptions(Options):
    """What the user asked `stats` to print."""

    def __init__(
        self, *, json: bool = False, format: str = "text", top: int = 10, verbose: bool = False
    ) -> None:
        self.json = json
        self.format = format
        self.top = top
        self.verbose = verbose

    @property
    def style(self) -> str:
        """The output style: `--json` is `--format json`."""
        return "json" if self.json else self.format


class CleanOptions(Options):
    """What the user asked `clean` to remove."""

    def __init__(
        self, *, cache: bool = False, verbose: bool = False, lock_timeout: float = 60.0
    ) -> None:
        self.cache = cache
        self.verbose = verbose
        self.lock_timeout = lock_timeout


class InitOptions(Options):
    """Where the user asked `init` to create a project."""

    def __init__(self, *, directory: str = ".", verbose: bool = False) -> None:
        self.directory = directory
        self.verbose = verbose


# -- the authoring commands: schema, new, list, show, templates ----------------------------


class SchemaOptions(Options):
    """Which schema the user asked `schema` to print: the spec's or the config's."""

    def __init__(self, *, which: str = "spec", verbose: bool = False) -> None:
        self.which = which
        self.verbose = verbose


class NewOptions(Options):
    """What `new` writes: a spec of `kind` called `name`, on a base and traits."""

    def __init__(
        self,
        *,
        kind: str | None = None,
        name: str | None = None,
        extends: str | None = None,
        traits: str | None = None,
        verbose: bool = False,
        lock_timeout: float = 60.0,
    ) -> None:
        self.kind = kind
        self.name = name
        self.extends = extends
        self.traits = traits
        self.verbose = verbose
        self.lock_timeout = lock_timeout


class ListOptions(Options):
    """How `list` prints the specs."""

    def __init__(self, *, json: bool = False, verbose: bool = False) -> None:
        self.json = json
        self.verbose = verbose


class ShowOptions(Options):
    """Which spec `show` prints, for which target, rendered or merged."""

    def __init__(
        self,
        *,
        spec: str | None = None,
        target: str | None = None,
        merged: bool = False,
        verbose: bool = False,
    ) -> None:
        self.spec = spec
        self.target = target
        self.merged = merged
        self.verbose = verbose


class TemplatesOptions(Options):
    """What `templates` does: list the built-in templates, or eject one."""

    def __init__(self, *, eject: str | None = None, verbose: bool = False) -> None:
        self.eject = eject
        self.verbose = verbose


# -- import (issue 13) --------------------------------------------------------------------


class ImportOptions(Options):
    """What the user asked `import` to read, and how."""

    def __init__(
        self,
        *,
        paths: list[str] | None = None,
        include_broken: bool = False,
        factor: bool = False,
        dry_run: bool = False,
        verbose: bool = False,
        lock_timeout: float = 60.0,
    ) -> None:
        self.paths = paths
        self.include_broken = include_broken
        self.factor = factor
        self.dry_run = dry_run
        self.verbose = verbose
        self.lock_timeout = lock_timeout
