"""What the user asked `build` and `check` to do: the options the engine reads.

Light (the no-op path imports it): standard library only, plain classes, no dataclasses.
"""

from __future__ import annotations

FORMATS = ("text", "json", "github")


class Options:
    """Compare and print options by their attributes."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"


class BuildOptions(Options):
    """What the user asked `build` (and `watch`) to do."""

    def __init__(
        self,
        *,
        force: bool = False,
        explain: bool = False,
        dry_run: bool = False,
        jobs: int | None = None,
        paths: list[str] | None = None,
        json: bool = False,
        quiet: bool = False,
        verbose: bool = False,
        lock_timeout: float = 60.0,
        remote_write: bool = False,
        target: list[str] | None = None,
    ) -> None:
        self.force = force
        self.explain = explain
        self.dry_run = dry_run
        self.target = target  # `--target`: build for these targets only
        self.jobs = jobs
        self.paths = paths
        self.json = json
        self.quiet = quiet
        self.verbose = verbose
        self.lock_timeout = lock_timeout
        self.remote_write = remote_write  # share what this build renders (DESIGN §5.1)

    @property
    def fast(self) -> bool:
        """True when the no-op fast path may answer (nothing forces work or filters specs)."""
        return not (self.force or self.dry_run or self.paths or self.target)


class CheckOptions(Options):
    """What the user asked `check` to do."""

    def __init__(
        self,
        *,
        diff: bool = True,
        format: str = "text",
        jobs: int | None = None,
        paths: list[str] | None = None,
        quiet: bool = False,
        verbose: bool = False,
        lock_timeout: float = 60.0,
    ) -> None:
        self.diff = diff
        self.format = format
        self.jobs = jobs
        self.paths = paths
        self.quiet = quiet
        self.verbose = verbose
        self.lock_timeout = lock_timeout
