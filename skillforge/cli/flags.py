"""One table of options per command: spellings, the attribute each sets, how its value is read.

The fast parser (fastparse.py) reads these tables; the Typer app (app.py) declares the same
options for help, completion and usage errors, and tests/test_options.py proves that both
agree, spelling by spelling, with the defaults taken from the options classes.

Light (the no-op path imports it): standard library only, plain classes.
"""

from __future__ import annotations

from skillforge.commands.options import (
    CleanOptions,
    ImportOptions,
    InitOptions,
    ListOptions,
    NewOptions,
    SchemaOptions,
    ShowOptions,
    StatsOptions,
    TemplatesOptions,
    WatchOptions,
)
from skillforge.engine.options import FORMATS, BuildOptions, CheckOptions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from skillforge.engine.options import Options


def text(value: str) -> str:
    """Any text."""
    return value


def positive_int(value: str) -> int | None:
    """A whole number, 1 or more."""
    return int(value) if value.isdigit() and int(value) >= 1 else None


def seconds(value: str) -> float | None:
    """Seconds, 0 or more (`--lock-timeout`)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < float("inf") else None


def names(value: str) -> list[str] | None:
    """A repeatable option's value, as the list it adds to (`--target`)."""
    return [value] if value and not value.startswith("-") else None


class OneOf:
    """One of a few words (`--format`)."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, value: str) -> str | None:
        return value if value in self.choices else None


class Flag:
    """One option of a command.

    A switch (no `convert`) sets `dest` to `value`; any other option reads its value (the next
    argument, or after `=`) through `convert`, which returns None for a value the fast parser
    leaves to Typer (a mistake, or something unusual).
    """

    __slots__ = ("convert", "dest", "spellings", "value")

    def __init__(
        self,
        dest: str,
        *spellings: str,
        convert: Callable[[str], object] | None = None,
        value: object = True,
    ) -> None:
        self.dest = dest
        self.spellings = spellings
        self.convert = convert
        self.value = value


class Command:
    """The options of one command, the class that holds them, and its positional arguments.

    `argument` is the first positional argument (`paths`: any number of them); `more` names
    the ones after it (`new KIND NAME`).
    """

    __slots__ = ("argument", "flags", "more", "options")

    def __init__(
        self,
        options: Callable[[], Options],
        flags: list[Flag],
        argument: str | None = None,
        more: tuple[str, ...] = (),
    ) -> None:
        self.options = options
        self.flags = flags
        self.argument = argument
        self.more = more

    @property
    def arguments(self) -> tuple[str, ...]:
        """Every positional argument, in order."""
        return ((self.argument,) if self.argument else ()) + self.more

    def default(self, dest: str) -> object:
        """The value of `dest` when the option is not given (`--config`: none)."""
        return getattr(self.options(), dest, None)

    def collect(self, values: Mapping[str, Any]) -> tuple[Any, str | None]:
        """Make the options from the values Typer parsed (by destination); return them and
        `--config`."""
        options = self.options()
        for dest in dict.fromkeys(flag.dest for flag in self.flags if flag.dest != "config"):
            value = values[dest]
            # Typer hands a choice over as a member of a StrEnum: keep the plain word
            setattr(options, dest, str(value) if isinstance(value, str) else value)
        if self.argument == "paths":
            options.paths = list(values["paths"] or ()) or None  # type: ignore[attr-defined]
        elif self.argument is not None:
            setattr(options, self.argument, _word(values[self.argument]))
        for name in self.more:
            setattr(options, name, _word(values[name]))
        config = values.get("config")
        return options, None if config is None else str(config)


def _word(value: object) -> str | None:
    """A positional argument as a plain string (None when an optional one is not given)."""
    return None if value is None else str(value)


QUIET = Flag("quiet", "-q", "--quiet")
VERBOSE = Flag("verbose", "-v", "--verbose")
CONFIG = Flag("config", "--config", convert=text)
JOBS = Flag("jobs", "-j", "--jobs", convert=positive_int)
LOCK_TIMEOUT = Flag("lock_timeout", "--lock-timeout", convert=seconds)
JSON = Flag("json", "--json")

COMMANDS = {
    "build": Command(
        BuildOptions,
        [
            Flag("force", "--force"),
            Flag("explain", "--explain"),
            Flag("dry_run", "--dry-run"),
            Flag("remote_write", "--remote-write"),
            Flag("target", "--target", convert=names),
            JOBS,
            JSON,
            QUIET,
            VERBOSE,
            CONFIG,
            LOCK_TIMEOUT,
        ],
        "paths",
    ),
    "check": Command(
        CheckOptions,
        [
            Flag("diff", "--diff"),
            Flag("diff", "--no-diff", value=False),
            Flag("format", "--format", convert=OneOf(*FORMATS)),
            JOBS,
            QUIET,
            LOCK_TIMEOUT,
            VERBOSE,
            CONFIG,
        ],
        "paths",
    ),
    "watch": Command(
        WatchOptions,
        [
            Flag("debounce", "--debounce", convert=positive_int),
            JSON,
            QUIET,
            LOCK_TIMEOUT,
            VERBOSE,
            CONFIG,
        ],
        "paths",
    ),
    "stats": Command(
        StatsOptions,
        [
            JSON,
            # any word: stats names its formats in the usage error (exit 2)
            Flag("format", "--format", convert=text),
            Flag("top", "--top", convert=positive_int),
            VERBOSE,
            CONFIG,
        ],
    ),
    "clean": Command(CleanOptions, [Flag("cache", "--cache"), VERBOSE, CONFIG, LOCK_TIMEOUT]),
    "init": Command(InitOptions, [VERBOSE], "directory"),
    # -- import (issue 13) --
    "import": Command(
        ImportOptions,
        [
            Flag("include_broken", "--include-broken"),
            Flag("factor", "--factor"),
            Flag("dry_run", "--dry-run"),
            VERBOSE,
            CONFIG,
            LOCK_TIMEOUT,
        ],
        "paths",
    ),
    # the authoring commands (issue 15): schema, new, list, show, templates
    "schema": Command(SchemaOptions, [VERBOSE], "which"),
    "new": Command(
        NewOptions,
        [
            Flag("extends", "--extends", convert=text),
            Flag("traits", "--traits", convert=text),
            VERBOSE,
            CONFIG,
            LOCK_TIMEOUT,
        ],
        "kind",
        ("name",),
    ),
    "list": Command(ListOptions, [JSON, VERBOSE, CONFIG]),
    "show": Command(
        ShowOptions,
        [
            Flag("target", "--target", "-t", convert=text),
            Flag("merged", "--merged"),
            VERBOSE,
            CONFIG,
        ],
        "spec",
    ),
    "templates": Command(
        TemplatesOptions, [Flag("eject", "--eject", convert=text), VERBOSE, CONFIG]
    ),
}
