"""The options of `skillforge build`, shared by the fast entry point and the Typer CLI."""

from __future__ import annotations


class BuildOptions:
    """What the user asked `build` to do."""

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
    ) -> None:
        self.force = force
        self.explain = explain
        self.dry_run = dry_run
        self.jobs = jobs
        self.paths = paths
        self.json = json
        self.quiet = quiet
        self.verbose = verbose
        self.lock_timeout = lock_timeout

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BuildOptions) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"BuildOptions({vars(self)!r})"

    @property
    def fast(self) -> bool:
        """True when the no-op fast path may answer (nothing forces work or filters specs)."""
        return not (self.force or self.dry_run or self.paths)
